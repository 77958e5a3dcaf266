/// Why an inclusion or consistency proof was rejected.
///
/// `code` is stable (scripts and the `--json` output of `osg log verify-*` rely on it); `message`
/// names the values involved and is for people.
///
/// ```swift
/// do { try MerkleProof.verifyInclusion(leafHash: h, index: 5, size: 8, proof: p, root: r) }
/// catch { print(error.code) } // e.g. "root_mismatch"
/// ```
public struct ProofVerificationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A stable, machine-readable reason. New codes may be added; existing ones keep their meaning.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The leaf index is not below the tree size.
        public static let indexOutOfRange = Code(rawValue: "index_out_of_range")
        /// The first tree size of a consistency proof is larger than the second.
        public static let sizesOutOfOrder = Code(rawValue: "sizes_out_of_order")
        /// A consistency proof from the empty tree was given (it proves nothing and is not defined).
        public static let consistencyFromEmptyTree = Code(rawValue: "consistency_from_empty_tree")
        /// The proof has a different number of hashes than the sizes require.
        public static let wrongProofLength = Code(rawValue: "wrong_proof_length")
        /// A proof element is not a 32-byte hash.
        public static let proofHashWrongLength = Code(rawValue: "proof_hash_wrong_length")
        /// The leaf hash is not 32 bytes.
        public static let leafHashWrongLength = Code(rawValue: "leaf_hash_wrong_length")
        /// A root hash is not 32 bytes.
        public static let rootHashWrongLength = Code(rawValue: "root_hash_wrong_length")
        /// The root computed from the proof differs from the expected root.
        public static let rootMismatch = Code(rawValue: "root_mismatch")
        /// The old root computed from a consistency proof differs from the given first root.
        public static let firstRootMismatch = Code(rawValue: "first_root_mismatch")
        /// The new root computed from a consistency proof differs from the given second root.
        public static let secondRootMismatch = Code(rawValue: "second_root_mismatch")
    }

    /// The stable reason code.
    public let code: Code
    /// A sentence naming the values involved.
    public let message: String

    /// Creates an error with a code and a message.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
