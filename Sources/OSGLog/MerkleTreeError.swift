/// Why a ``MerkleTree`` could not answer a question: the caller asked about leaves or sizes the
/// tree does not have (yet).
public struct MerkleTreeError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A stable, machine-readable reason. The codes are in the
    /// `ReasonCode` extension below.
    public typealias Code = ReasonCode<MerkleTreeError>

    /// The stable reason code.
    public let code: Code
    /// A sentence naming the values involved and what would be valid.
    public let message: String

    /// Creates an error with a code and a message.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}

extension ReasonCode where Owner == MerkleTreeError {
    /// A requested size is larger than the tree.
    public static var sizeBeyondTree: Self { Self(rawValue: "size_beyond_tree") }
    /// A leaf index is not below the requested size.
    public static var indexOutOfRange: Self { Self(rawValue: "index_out_of_range") }
    /// A consistency proof was asked from a larger size to a smaller one, or from size 0.
    public static var invalidSizes: Self { Self(rawValue: "invalid_sizes") }
    /// A leaf hash to append is not 32 bytes.
    public static var leafHashWrongLength: Self { Self(rawValue: "leaf_hash_wrong_length") }
}
