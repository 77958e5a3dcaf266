import Foundation

/// One consistency-proof test case in the JSON format of transparency-dev/merkle `testdata/`:
/// `size1`, `size2`, `root1`, `root2`, `proof` (array or null), and optionally `desc` and
/// `wantErr`. Hashes are standard base64.
///
/// `osg log verify-consistency` and the tests both go through ``decode(json:)`` and ``verify()``.
public struct ConsistencyProofVector: Hashable, Sendable {
    /// Size of the older tree.
    public let size1: UInt64
    /// Size of the newer tree.
    public let size2: UInt64
    /// Root hash of the older tree.
    public let root1: [UInt8]
    /// Root hash of the newer tree.
    public let root2: [UInt8]
    /// The consistency proof.
    public let proof: [[UInt8]]
    /// The upstream description, if any.
    public let description: String?
    /// Whether upstream expects verification to fail, if stated.
    public let wantError: Bool?

    /// Decodes a vector from JSON bytes.
    ///
    /// - Throws: ``LogFormatError`` when the JSON is invalid, a required field is missing or has
    ///   the wrong type, or a hash is not base64.
    public static func decode(json: Data) throws(LogFormatError) -> ConsistencyProofVector {
        let raw: Raw
        do {
            raw = try JSONDecoder().decode(Raw.self, from: json)
        } catch {
            throw ProofVectorJSON.formatError(error)
        }
        return ConsistencyProofVector(
            size1: raw.size1, size2: raw.size2,
            root1: try ProofVectorJSON.base64(raw.root1, field: "root1"),
            root2: try ProofVectorJSON.base64(raw.root2, field: "root2"),
            proof: try ProofVectorJSON.proof(raw.proof),
            description: raw.desc, wantError: raw.wantErr)
    }

    /// Verifies the proof.
    ///
    /// - Throws: ``ProofVerificationError`` when the proof does not hold.
    public func verify() throws(ProofVerificationError) {
        try MerkleProof.verifyConsistency(size1: size1, size2: size2, proof: proof, root1: root1, root2: root2)
    }

    private struct Raw: Decodable {
        let size1: UInt64
        let size2: UInt64
        let root1: String
        let root2: String
        let proof: [String]?
        let desc: String?
        let wantErr: Bool?

        enum CodingKeys: String, CodingKey { case size1, size2, root1, root2, proof, desc, wantErr }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            size1 = try container.decode(UInt64.self, forKey: .size1)
            size2 = try container.decode(UInt64.self, forKey: .size2)
            root1 = try container.decode(String.self, forKey: .root1)
            root2 = try container.decode(String.self, forKey: .root2)
            proof = try ProofVectorJSON.decodeProof(container, key: .proof)
            desc = try container.decodeIfPresent(String.self, forKey: .desc)
            wantErr = try container.decodeIfPresent(Bool.self, forKey: .wantErr)
        }
    }
}
