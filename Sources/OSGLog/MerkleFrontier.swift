/// The right edge of an append-only RFC 6962 Merkle tree: the root of every log size, in
/// O(log n) memory.
///
/// It keeps one hash per set bit of ``size``: the roots of the full subtrees that tile the
/// leaves from left to right, largest first (a "compact range" from 0). Appending a leaf merges
/// the subtrees it completes, as a binary counter carries; the root folds them right to left,
/// which is RFC 6962's split at the largest power of two below the size. It answers no proofs
/// (``MerkleTree`` does, storing every level): it is for a run that needs only its log's root,
/// such as the simulator's.
///
/// ```swift
/// var frontier = MerkleFrontier()
/// frontier.append(entry: Array("first".utf8))
/// frontier.append(entry: Array("second".utf8))
/// let root = frontier.rootHash()   // MerkleTree's root over the same two entries
/// ```
public struct MerkleFrontier: Sendable {
    private static let hashBytes = RFC6962.hashByteCount
    /// One slot per bit of a 64-bit size, and one for the leaf being merged in.
    private static let slotCount = 65

    /// The frontier's hashes, 32 bytes each, largest subtree first; slots past
    /// `size.nonzeroBitCount` are scratch.
    private var slots = [UInt8](repeating: 0, count: slotCount * hashBytes)

    /// Number of leaves appended so far.
    public private(set) var size: UInt64 = 0

    /// Creates the frontier of an empty tree.
    public init() {}

    /// Appends one log entry (hashed as an RFC 6962 leaf) and returns its index.
    @discardableResult
    public mutating func append(entry: [UInt8]) -> UInt64 {
        // The leaf hash goes straight into the slot past the frontier's hashes.
        let slot = size.nonzeroBitCount * Self.hashBytes
        slots.withUnsafeMutableBytes { RFC6962.writeLeafHash(of: entry, into: UnsafeMutableRawBufferPointer(rebasing: $0[slot..<(slot + Self.hashBytes)])) }
        return appendPlaced()
    }

    /// Appends a leaf by its RFC 6962 leaf hash and returns its index.
    ///
    /// - Throws: ``MerkleTreeError`` when `leafHash` is not 32 bytes.
    @discardableResult
    public mutating func append(leafHash: [UInt8]) throws(MerkleTreeError) -> UInt64 {
        guard leafHash.count == Self.hashBytes else {
            throw MerkleTreeError(.leafHashWrongLength, "a leaf hash must be 32 bytes, this one has \(leafHash.count)")
        }
        return leafHash.withUnsafeBytes { appendValidated(leafHash: $0) }
    }

    private mutating func appendValidated(leafHash: UnsafeRawBufferPointer) -> UInt64 {
        let slot = size.nonzeroBitCount * Self.hashBytes
        slots.withUnsafeMutableBytes { UnsafeMutableRawBufferPointer(rebasing: $0[slot..<(slot + Self.hashBytes)]).copyMemory(from: leafHash) }
        return appendPlaced()
    }

    /// Appends the leaf whose hash is in the slot just past the frontier's hashes.
    private mutating func appendPlaced() -> UInt64 {
        precondition(size < UInt64.max, "a frontier holds fewer than 2^64 leaves")
        let index = size
        let bytes = Self.hashBytes
        slots.withUnsafeMutableBytes { buffer in
            var top = size.nonzeroBitCount
            // Each trailing one bit of the old size is a full subtree the new leaf's completes.
            var carry = size
            while carry & 1 == 1 {
                let left = UnsafeRawBufferPointer(rebasing: buffer[((top - 1) * bytes)..<(top * bytes)])
                let right = UnsafeRawBufferPointer(rebasing: buffer[(top * bytes)..<((top + 1) * bytes)])
                // writeNodeHash reads both inputs before it writes: the output may be `left`.
                RFC6962.writeNodeHash(left: left, right: right,
                                      into: UnsafeMutableRawBufferPointer(rebasing: buffer[((top - 1) * bytes)..<(top * bytes)]))
                top -= 1
                carry >>= 1
            }
        }
        size += 1
        return index
    }

    /// The root hash of the tree of ``size`` leaves (SHA-256 of nothing when empty).
    public func rootHash() -> [UInt8] {
        let count = size.nonzeroBitCount
        guard count > 0 else { return RFC6962.emptyTreeRootHash }
        let bytes = Self.hashBytes
        var root = Array(slots[((count - 1) * bytes)..<(count * bytes)])
        for slot in stride(from: count - 2, through: 0, by: -1) {
            root = slots.withUnsafeBytes { buffer in
                root.withUnsafeBytes { right in
                    var parent = [UInt8](repeating: 0, count: bytes)
                    parent.withUnsafeMutableBytes {
                        RFC6962.writeNodeHash(left: UnsafeRawBufferPointer(rebasing: buffer[(slot * bytes)..<((slot + 1) * bytes)]),
                                              right: right, into: $0)
                    }
                    return parent
                }
            }
        }
        return root
    }
}
