/// Decoding rules shared by ``InclusionProofVector`` and ``ConsistencyProofVector``.
enum ProofVectorJSON {
    /// `proof` must be present; `null` (as Go writes an empty slice) means no hashes.
    static func decodeProof<Key: CodingKey>(_ container: KeyedDecodingContainer<Key>, key: Key) throws -> [String]? {
        guard container.contains(key) else {
            throw DecodingError.keyNotFound(key, .init(codingPath: container.codingPath, debugDescription: "proof is required (use null or [] for none)"))
        }
        return try container.decodeNil(forKey: key) ? nil : container.decode([String].self, forKey: key)
    }

    static func base64(_ text: String, field: String) throws(LogFormatError) -> [UInt8] {
        guard let bytes = Base64.decode(text) else {
            throw LogFormatError(.badBase64, field: field, "\"\(text.prefix(60))\" is not standard padded base64")
        }
        return bytes
    }

    static func proof(_ elements: [String]?) throws(LogFormatError) -> [[UInt8]] {
        var proof = [[UInt8]]()
        for (position, element) in (elements ?? []).enumerated() {
            proof.append(try base64(element, field: "proof[\(position)]"))
        }
        return proof
    }

    static func formatError(_ error: any Error) -> LogFormatError {
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
