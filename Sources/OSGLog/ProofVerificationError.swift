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
    /// A stable, machine-readable reason. New codes may be added; existing ones keep their
    /// meaning. The codes are in the `ReasonCode` extension below.
    public typealias Code = ReasonCode<ProofVerificationError>

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

extension ReasonCode where Owner == ProofVerificationError {
    /// The leaf index is not below the tree size.
    public static var indexOutOfRange: Self { Self(rawValue: "index_out_of_range") }
    /// The first tree size of a consistency proof is larger than the second.
    public static var sizesOutOfOrder: Self { Self(rawValue: "sizes_out_of_order") }
    /// A consistency proof from the empty tree was given (it proves nothing and is not defined).
    public static var consistencyFromEmptyTree: Self { Self(rawValue: "consistency_from_empty_tree") }
    /// The proof has a different number of hashes than the sizes require.
    public static var wrongProofLength: Self { Self(rawValue: "wrong_proof_length") }
    /// A proof element is not a 32-byte hash.
    public static var proofHashWrongLength: Self { Self(rawValue: "proof_hash_wrong_length") }
    /// The leaf hash is not 32 bytes.
    public static var leafHashWrongLength: Self { Self(rawValue: "leaf_hash_wrong_length") }
    /// A root hash is not 32 bytes.
    public static var rootHashWrongLength: Self { Self(rawValue: "root_hash_wrong_length") }
    /// The root computed from the proof differs from the expected root.
    public static var rootMismatch: Self { Self(rawValue: "root_mismatch") }
    /// The old root computed from a consistency proof differs from the given first root.
    public static var firstRootMismatch: Self { Self(rawValue: "first_root_mismatch") }
    /// The new root computed from a consistency proof differs from the given second root.
    public static var secondRootMismatch: Self { Self(rawValue: "second_root_mismatch") }
}
