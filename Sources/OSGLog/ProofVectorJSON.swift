import Foundation

/// Decoding rules shared by ``InclusionProofVector`` and ``ConsistencyProofVector``.
///
/// Both formats are the same shape under different names: two sizes, two base64 hashes, a
/// required `proof` (array or null), and optional `desc` and `wantErr`. ``decode(json:names:)``
/// reads that shape once for both.
enum ProofVectorJSON {
    /// The JSON names one kind of vector gives its two sizes and two hashes, in reading order.
    struct FieldNames: Sendable {
        let size1: String
        let size2: String
        let hash1: String
        let hash2: String
    }

    /// A vector's fields, hashes already decoded from base64; named as in ``FieldNames``.
    struct Fields {
        let size1: UInt64
        let size2: UInt64
        let hash1: [UInt8]
        let hash2: [UInt8]
        let proof: [[UInt8]]
        let description: String?
        let wantError: Bool?
    }

    /// Decodes the fields of a vector whose sizes and hashes are called `names`.
    ///
    /// All JSON problems (syntax, a missing field, a wrong type) are reported before any base64
    /// problem; base64 is checked in the order hash1, hash2, proof.
    ///
    /// - Throws: ``LogFormatError`` (`bad_test_vector` or `bad_base64`) naming the field.
    static func decode(json: Data, names: FieldNames) throws(LogFormatError) -> Fields {
        let raw: Raw
        do {
            let decoder = JSONDecoder()
            decoder.userInfo[Raw.namesKey] = names
            raw = try decoder.decode(Raw.self, from: json)
        } catch {
            throw formatError(error)
        }
        return Fields(
            size1: raw.size1, size2: raw.size2,
            hash1: try base64(raw.hash1, field: names.hash1),
            hash2: try base64(raw.hash2, field: names.hash2),
            proof: try proof(raw.proof),
            description: raw.desc, wantError: raw.wantErr)
    }

    /// The fields as they stand in the JSON, before base64 decoding.
    private struct Raw: Decodable {
        static let namesKey = CodingUserInfoKey(rawValue: "OSGLog.ProofVectorJSON.FieldNames")!

        let size1: UInt64
        let size2: UInt64
        let hash1: String
        let hash2: String
        let proof: [String]?
        let desc: String?
        let wantErr: Bool?

        init(from decoder: any Decoder) throws {
            guard let names = decoder.userInfo[Self.namesKey] as? FieldNames else {
                preconditionFailure("ProofVectorJSON.Raw is decoded only by ProofVectorJSON.decode(json:names:)")
            }
            let container = try decoder.container(keyedBy: Key.self)
            size1 = try container.decode(UInt64.self, forKey: Key(names.size1))
            size2 = try container.decode(UInt64.self, forKey: Key(names.size2))
            hash1 = try container.decode(String.self, forKey: Key(names.hash1))
            hash2 = try container.decode(String.self, forKey: Key(names.hash2))
            proof = try decodeProof(container, key: Key("proof"))
            desc = try container.decodeIfPresent(String.self, forKey: Key("desc"))
            wantErr = try container.decodeIfPresent(Bool.self, forKey: Key("wantErr"))
        }
    }

    /// A JSON member name.
    private struct Key: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(_ name: String) { stringValue = name }
        init?(stringValue: String) { self.init(stringValue) }
        init?(intValue: Int) { nil }
    }

    /// `proof` must be present; `null` (as Go writes an empty slice) means no hashes.
    private static func decodeProof(_ container: KeyedDecodingContainer<Key>, key: Key) throws -> [String]? {
        guard container.contains(key) else {
            throw DecodingError.keyNotFound(key, .init(codingPath: container.codingPath, debugDescription: "proof is required (use null or [] for none)"))
        }
        return try container.decodeNil(forKey: key) ? nil : container.decode([String].self, forKey: key)
    }

    private static func base64(_ text: String, field: String) throws(LogFormatError) -> [UInt8] {
        guard let bytes = Base64.decode(text) else {
            throw LogFormatError(.badBase64, field: field, "\"\(text.prefix(60))\" is not standard padded base64")
        }
        return bytes
    }

    private static func proof(_ elements: [String]?) throws(LogFormatError) -> [[UInt8]] {
        var proof = [[UInt8]]()
        for (position, element) in (elements ?? []).enumerated() {
            proof.append(try base64(element, field: "proof[\(position)]"))
        }
        return proof
    }

    private static func formatError(_ error: any Error) -> LogFormatError {
        switch error {
        case DecodingError.keyNotFound(let key, _):
            return LogFormatError(.badTestVector, field: key.stringValue, "required field \"\(key.stringValue)\" is missing")
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            return LogFormatError(.badTestVector, field: field.isEmpty ? "document" : field,
                                  "wrong type: \(context.debugDescription)")
        case DecodingError.dataCorrupted(let context):
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            return LogFormatError(.badTestVector, field: field.isEmpty ? "document" : field,
                                  "not valid JSON or out of range: \(context.debugDescription)")
        default:
            return LogFormatError(.badTestVector, field: "document", "\(error)")
        }
    }
}
