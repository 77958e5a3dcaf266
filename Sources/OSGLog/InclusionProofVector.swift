import Foundation

/// One inclusion-proof test case in the JSON format of transparency-dev/merkle `testdata/`:
/// `leafIdx`, `treeSize`, `root`, `leafHash`, `proof` (array or null), and optionally `desc`
/// and `wantErr`. Hashes are standard base64.
///
/// `osg log verify-inclusion` and the tests both go through ``decode(json:)`` and ``verify()``.
/// A file that does not decode is a ``LogFormatError`` (malformed input); a file that decodes but
/// whose proof does not hold — including hashes of the wrong length — fails ``verify()``.
public struct InclusionProofVector: Hashable, Sendable {
    /// Zero-based index of the leaf.
    public let leafIndex: UInt64
    /// Size of the tree the proof is for.
    public let treeSize: UInt64
    /// Expected root hash (any length; a wrong length fails verification, not decoding).
    public let root: [UInt8]
    /// The leaf hash being proven.
    public let leafHash: [UInt8]
    /// The audit path.
    public let proof: [[UInt8]]
    /// The upstream description, if any.
    public let description: String?
    /// Whether upstream expects verification to fail, if stated.
    public let wantError: Bool?

    /// Decodes a vector from JSON bytes.
    ///
    /// - Throws: ``LogFormatError`` when the JSON is invalid, a required field is missing or has
    ///   the wrong type, or a hash is not base64.
    public static func decode(json: Data) throws(LogFormatError) -> InclusionProofVector {
        let raw: Raw
        do {
            raw = try JSONDecoder().decode(Raw.self, from: json)
        } catch {
            throw ProofVectorJSON.formatError(error)
        }
        return InclusionProofVector(
            leafIndex: raw.leafIdx, treeSize: raw.treeSize,
            root: try ProofVectorJSON.base64(raw.root, field: "root"),
            leafHash: try ProofVectorJSON.base64(raw.leafHash, field: "leafHash"),
            proof: try ProofVectorJSON.proof(raw.proof),
            description: raw.desc, wantError: raw.wantErr)
    }

    /// Verifies the proof.
    ///
    /// - Throws: ``ProofVerificationError`` when the proof does not hold.
    public func verify() throws(ProofVerificationError) {
        try MerkleProof.verifyInclusion(leafHash: leafHash, index: leafIndex, size: treeSize, proof: proof, root: root)
    }

    private struct Raw: Decodable {
        let leafIdx: UInt64
        let treeSize: UInt64
        let root: String
        let leafHash: String
        let proof: [String]?
        let desc: String?
        let wantErr: Bool?

        enum CodingKeys: String, CodingKey { case leafIdx, treeSize, root, leafHash, proof, desc, wantErr }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            leafIdx = try container.decode(UInt64.self, forKey: .leafIdx)
            treeSize = try container.decode(UInt64.self, forKey: .treeSize)
            root = try container.decode(String.self, forKey: .root)
            leafHash = try container.decode(String.self, forKey: .leafHash)
            proof = try ProofVectorJSON.decodeProof(container, key: .proof)
            desc = try container.decodeIfPresent(String.self, forKey: .desc)
            wantErr = try container.decodeIfPresent(Bool.self, forKey: .wantErr)
        }
    }
}
