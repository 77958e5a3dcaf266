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
        let fields = try ProofVectorJSON.decode(json: json, names: jsonNames)
        return ConsistencyProofVector(
            size1: fields.size1, size2: fields.size2, root1: fields.hash1, root2: fields.hash2,
            proof: fields.proof, description: fields.description, wantError: fields.wantError)
    }

    /// Verifies the proof.
    ///
    /// - Throws: ``ProofVerificationError`` when the proof does not hold.
    public func verify() throws(ProofVerificationError) {
        try MerkleProof.verifyConsistency(size1: size1, size2: size2, proof: proof, root1: root1, root2: root2)
    }

    private static let jsonNames = ProofVectorJSON.FieldNames(
        size1: "size1", size2: "size2", hash1: "root1", hash2: "root2")
}
