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
        let fields = try ProofVectorJSON.decode(json: json, names: jsonNames)
        return InclusionProofVector(
            leafIndex: fields.size1, treeSize: fields.size2, root: fields.hash1, leafHash: fields.hash2,
            proof: fields.proof, description: fields.description, wantError: fields.wantError)
    }

    /// Verifies the proof.
    ///
    /// - Throws: ``ProofVerificationError`` when the proof does not hold.
    public func verify() throws(ProofVerificationError) {
        try MerkleProof.verifyInclusion(leafHash: leafHash, index: leafIndex, size: treeSize, proof: proof, root: root)
    }

    private static let jsonNames = ProofVectorJSON.FieldNames(
        size1: "leafIdx", size2: "treeSize", hash1: "root", hash2: "leafHash")
}
