/// An append-only RFC 6962 Merkle tree held in memory, with every level stored.
///
/// Level `h` is one contiguous byte array holding the hash of every *full* subtree of `2^h`
/// leaves, left to right (level 0 holds the leaf hashes). This is the layout of C2SP tlog tiles:
/// a tile is a slice of every eighth level. With it
/// - an append hashes the leaf and then at most one node per level it completes: amortised O(1);
/// - any full subtree hash is one array look-up, so inclusion and consistency proofs for any
///   past size are O(log n) look-ups;
/// - the subtrees on the right edge that are not full yet are never stored: they are folded on
///   demand from the at most log n full subtrees that cover them.
///
/// Memory is about 64 bytes per leaf (32 for the leaf hash, 32 for all levels above together).
///
/// ```swift
/// var tree = MerkleTree()
/// tree.append(entry: Array("first".utf8))
/// tree.append(entry: Array("second".utf8))
/// let root = tree.rootHash()
/// let proof = try tree.inclusionProof(index: 0, size: 2)
/// try MerkleProof.verifyInclusion(leafHash: tree.leafHash(at: 0), index: 0, size: 2, proof: proof, root: root)
/// ```
public struct MerkleTree: Sendable {
    private static let hashBytes = RFC6962.hashByteCount

    /// `levels[h]` holds the hashes of the full subtrees of `2^h` leaves, 32 bytes each.
    private var levels: [[UInt8]] = [[]]

    /// Number of leaves appended so far.
    public private(set) var size: UInt64 = 0

    /// Creates an empty tree.
    public init() {}

    /// Creates an empty tree with room for `leafCount` leaves, so a large build does not
    /// reallocate (and briefly double) its level arrays.
    public init(reservingCapacityFor leafCount: Int) {
        levels[0].reserveCapacity(leafCount * Self.hashBytes)
        var count = leafCount / 2
        while count > 0 {
            var level = [UInt8]()
            level.reserveCapacity(count * Self.hashBytes)
            levels.append(level)
            count /= 2
        }
    }

    /// Appends one log entry (hashed as an RFC 6962 leaf) and returns its index.
    @discardableResult
    public mutating func append(entry: [UInt8]) -> UInt64 {
        appendValidated(leafHash: RFC6962.leafHash(of: entry))
    }

    /// Appends a leaf by its RFC 6962 leaf hash and returns its index.
    ///
    /// - Throws: ``MerkleTreeError`` when `leafHash` is not 32 bytes.
    @discardableResult
    public mutating func append(leafHash: [UInt8]) throws(MerkleTreeError) -> UInt64 {
        guard leafHash.count == Self.hashBytes else {
            throw MerkleTreeError(
                .leafHashWrongLength, "a leaf hash must be 32 bytes, this one has \(leafHash.count)")
        }
        return appendValidated(leafHash: leafHash)
    }

    private mutating func appendValidated(leafHash: [UInt8]) -> UInt64 {
        let index = size
        levels[0].append(contentsOf: leafHash)
        size += 1
        // Every trailing one bit of the new size is a subtree this leaf just completed.
        var level = 0
        var completed = size
        while completed & 1 == 0 {
            if levels.count == level + 1 { levels.append([]) }
            let count = levels[level].count
            var parent = [UInt8](repeating: 0, count: Self.hashBytes)
            levels[level].withUnsafeBytes { children in
                let left = UnsafeRawBufferPointer(rebasing: children[(count - 2 * Self.hashBytes)..<(count - Self.hashBytes)])
                let right = UnsafeRawBufferPointer(rebasing: children[(count - Self.hashBytes)..<count])
                parent.withUnsafeMutableBytes { RFC6962.writeNodeHash(left: left, right: right, into: $0) }
            }
            levels[level + 1].append(contentsOf: parent)
            completed >>= 1
            level += 1
        }
        return index
    }

    /// The leaf hash of entry `index`.
    ///
    /// - Precondition: `index < size`.
    public func leafHash(at index: UInt64) -> [UInt8] {
        precondition(index < size, "leaf \(index) does not exist in a tree of size \(size)")
        return fullSubtreeHash(level: 0, index: index)
    }

    /// The hash of the full subtree of `2^level` leaves starting at leaf `index << level`.
    ///
    /// - Precondition: the subtree is complete in the current tree.
    public func fullSubtreeHash(level: Int, index: UInt64) -> [UInt8] {
        precondition(level < levels.count && index < size >> UInt64(level),
                     "subtree (level \(level), index \(index)) is not complete at size \(size)")
        let start = Int(index) * Self.hashBytes
        return Array(levels[level][start..<(start + Self.hashBytes)])
    }

    /// ``fullSubtreeHash(level:index:)`` as an inline ``MerkleHash`` (no allocation).
    ///
    /// - Precondition: the subtree is complete in the current tree.
    public func fullSubtreeMerkleHash(level: Int, index: UInt64) -> MerkleHash {
        precondition(level < levels.count && index < size >> UInt64(level),
                     "subtree (level \(level), index \(index)) is not complete at size \(size)")
        return levels[level].withUnsafeBytes { MerkleHash(loadingFrom: $0, offset: Int(index) * Self.hashBytes) }
    }

    /// The number of full subtree hashes stored at `level` (that is `size >> level`).
    public func storedHashCount(level: Int) -> UInt64 {
        level < levels.count ? UInt64(levels[level].count / Self.hashBytes) : 0
    }

    /// The concatenated hashes of the full subtrees at `level` with indices in `range`
    /// (32 bytes each): the raw material of a tile.
    ///
    /// - Precondition: every subtree in `range` is complete.
    public func storedHashes(level: Int, range: Range<UInt64>) -> [UInt8] {
        precondition(range.upperBound <= storedHashCount(level: level),
                     "level \(level) has \(storedHashCount(level: level)) hashes, asked up to \(range.upperBound)")
        let start = Int(range.lowerBound) * Self.hashBytes
        let end = Int(range.upperBound) * Self.hashBytes
        return Array(levels[level][start..<end])
    }

    /// The root hash of the tree as it is now.
    public func rootHash() -> [UInt8] {
        rangeHash(begin: 0, end: size)
    }

    /// The root hash the tree had when it held `size` leaves.
    ///
    /// - Throws: ``MerkleTreeError`` when `size` is beyond the tree.
    public func rootHash(size treeSize: UInt64) throws(MerkleTreeError) -> [UInt8] {
        try checkSize(treeSize)
        return rangeHash(begin: 0, end: treeSize)
    }

    /// The inclusion proof (RFC 6962 §2.1.1 audit path) for leaf `index` in the tree of `size`
    /// leaves, ordered from the leaf's sibling upwards.
    ///
    /// - Throws: ``MerkleTreeError`` when `size` is beyond the tree or `index` is not below it.
    public func inclusionProof(index: UInt64, size treeSize: UInt64) throws(MerkleTreeError) -> [[UInt8]] {
        try checkSize(treeSize)
        guard index < treeSize else {
            throw MerkleTreeError(.indexOutOfRange, "leaf \(index) is not below tree size \(treeSize)")
        }
        var siblingsFromTop = [[UInt8]]()
        siblingsFromTop.reserveCapacity(64)
        var begin: UInt64 = 0
        var end = treeSize
        while end - begin > 1 {
            let split = begin + Self.largestPowerOfTwo(below: end - begin)
            if index < split {
                siblingsFromTop.append(rangeHash(begin: split, end: end))
                end = split
            } else {
                siblingsFromTop.append(rangeHash(begin: begin, end: split))
                begin = split
            }
        }
        siblingsFromTop.reverse()
        return siblingsFromTop
    }

    /// The consistency proof (RFC 6962 §2.1.2) that the tree of `newSize` leaves extends the tree
    /// of `oldSize` leaves. Equal sizes give an empty proof.
    ///
    /// - Throws: ``MerkleTreeError`` when `newSize` is beyond the tree, or `oldSize` is 0 or
    ///   larger than `newSize`.
    public func consistencyProof(from oldSize: UInt64, to newSize: UInt64) throws(MerkleTreeError) -> [[UInt8]] {
        try checkSize(newSize)
        guard 0 < oldSize && oldSize <= newSize else {
            throw MerkleTreeError(
                .invalidSizes, "a consistency proof needs 0 < old size <= new size, got \(oldSize) and \(newSize)")
        }
        var nodesFromTop = [[UInt8]]()
        var begin: UInt64 = 0
        var end = newSize
        // Whether the verifier already knows the hash of [begin, end) as the old root
        // (RFC 6962 SUBPROOF's boolean).
        var oldRootCoversRange = true
        while oldSize != end {
            let split = begin + Self.largestPowerOfTwo(below: end - begin)
            if oldSize <= split {
                nodesFromTop.append(rangeHash(begin: split, end: end))
                end = split
            } else {
                nodesFromTop.append(rangeHash(begin: begin, end: split))
                begin = split
                oldRootCoversRange = false
            }
        }
        if !oldRootCoversRange {
            nodesFromTop.append(rangeHash(begin: begin, end: end))
        }
        nodesFromTop.reverse()
        return nodesFromTop
    }

    /// RFC 6962 MTH of the leaves `[begin, end)`, where `begin` is a multiple of the largest power
    /// of two not above `end - begin` (true of every subtree the RFC recursion visits).
    ///
    /// A full subtree is one look-up; a partial one folds the full subtrees covering it, right to
    /// left, which is exactly the RFC's split at the largest power of two.
    private func rangeHash(begin: UInt64, end: UInt64) -> [UInt8] {
        let count = end - begin
        if count == 0 { return RFC6962.emptyTreeRootHash }
        if count & (count - 1) == 0 {
            let level = count.trailingZeroBitCount
            return fullSubtreeHash(level: level, index: begin >> UInt64(level))
        }
        var hash = [UInt8]()
        var remaining = count
        while remaining != 0 {
            let level = remaining.trailingZeroBitCount
            remaining &= remaining - 1
            let start = begin + remaining  // the lower bits are to the right of this subtree
            let node = fullSubtreeHash(level: level, index: start >> UInt64(level))
            hash = hash.isEmpty ? node : RFC6962.nodeHash(left: node, right: hash)
        }
        return hash
    }

    private func checkSize(_ treeSize: UInt64) throws(MerkleTreeError) {
        guard treeSize <= size else {
            throw MerkleTreeError(.sizeBeyondTree, "asked for size \(treeSize) but the tree has \(size) leaves")
        }
    }

    /// The largest power of two strictly below `count` (count ≥ 2): RFC 6962's `k`.
    private static func largestPowerOfTwo(below count: UInt64) -> UInt64 {
        UInt64(1) << UInt64(UInt64.bitWidth - 1 - (count - 1).leadingZeroBitCount)
    }
}
