import Crypto

/// RFC 6962 §2.1 (and RFC 9162 §2.1.1) Merkle tree hashing with SHA-256.
///
/// The leaf hash is `SHA-256(0x00 ‖ data)` and an interior node is `SHA-256(0x01 ‖ left ‖ right)`;
/// the different first byte keeps a leaf from ever being mistaken for a node (a second-preimage
/// defence). The hash of the empty tree is `SHA-256("")`.
///
/// ```swift
/// let leaf = RFC6962.leafHash(of: Array("hello".utf8))
/// let root = RFC6962.nodeHash(left: leaf, right: leaf)
/// ```
public enum RFC6962 {
    /// Length in bytes of every hash in the tree.
    public static let hashByteCount = 32

    /// `SHA-256("")`: the root hash of a tree with no leaves.
    public static let emptyTreeRootHash: [UInt8] = Array(SHA256.hash(data: [UInt8]()))

    /// The leaf hash of one log entry: `SHA-256(0x00 ‖ data)`.
    public static func leafHash(of data: [UInt8]) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: hashByteCount)
        output.withUnsafeMutableBytes { writeLeafHash(of: data, into: $0) }
        return output
    }

    /// Writes the leaf hash of `data` (``leafHash(of:)``) into `output` (32 bytes) without
    /// allocating an array for it.
    static func writeLeafHash(of data: [UInt8], into output: UnsafeMutableRawBufferPointer) {
        var hasher = SHA256()
        withUnsafeBytes(of: UInt8(0x00)) { hasher.update(bufferPointer: $0) }
        data.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        hasher.finalize().withUnsafeBytes { output.copyMemory(from: $0) }
    }

    /// The hash of an interior node: `SHA-256(0x01 ‖ left ‖ right)`.
    ///
    /// The inputs are hashed as given; callers that accept hashes from outside check their length.
    public static func nodeHash(left: [UInt8], right: [UInt8]) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: hashByteCount)
        left.withUnsafeBytes { leftBytes in
            right.withUnsafeBytes { rightBytes in
                output.withUnsafeMutableBytes { writeNodeHash(left: leftBytes, right: rightBytes, into: $0) }
            }
        }
        return output
    }

    /// Writes `SHA-256(0x01 ‖ left ‖ right)` into `output` (32 bytes) without allocating.
    static func writeNodeHash(
        left: UnsafeRawBufferPointer, right: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer
    ) {
        // One contiguous 65-byte input and a single update: swift-crypto's per-update overhead
        // (a class-boxed context with exclusivity checks) is comparable to hashing 65 bytes.
        withUnsafeTemporaryAllocation(byteCount: 1 + left.count + right.count, alignment: 1) { input in
            input[0] = 0x01
            UnsafeMutableRawBufferPointer(rebasing: input[1...]).copyMemory(from: left)
            UnsafeMutableRawBufferPointer(rebasing: input[(1 + left.count)...]).copyMemory(from: right)
            var hasher = SHA256()
            hasher.update(bufferPointer: UnsafeRawBufferPointer(input))
            hasher.finalize().withUnsafeBytes { output.copyMemory(from: $0) }
        }
    }
}
