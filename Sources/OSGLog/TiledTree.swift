/// Recomputes tree hashes from tiles alone, as a mirror, witness or auditor does after fetching
/// them: the root of any size, and the hash of any full subtree.
///
/// Tiles are supplied by a closure so the caller decides where they come from (memory, a
/// directory, HTTP). Each tile's length is checked against its width.
///
/// ```swift
/// let tiled = TiledTree(treeSize: checkpoint.size) { tile in try fetch(tile.path) }
/// let root = try tiled.rootHash()
/// ```
public struct TiledTree<Failure: Error> {
    /// The tree size the tiles describe.
    public let treeSize: UInt64
    private let fetch: (TileCoordinate) throws(Failure) -> [UInt8]

    /// Creates a reader for the tree of `treeSize` leaves.
    public init(treeSize: UInt64, fetch: @escaping (TileCoordinate) throws(Failure) -> [UInt8]) {
        self.treeSize = treeSize
        self.fetch = fetch
    }

    /// The RFC 6962 root hash of the tree, computed from its tiles.
    ///
    /// - Throws: the fetch closure's error, or ``LogFormatError`` for a tile of the wrong length.
    public func rootHash() throws -> [UInt8] {
        try rootHash(size: treeSize)
    }

    /// The RFC 6962 root hash the tree had at `size` leaves (`size <= treeSize`), computed from
    /// the tiles of the tree at ``treeSize``: every full subtree of the smaller tree is also one
    /// of the larger. Comparing it with an earlier checkpoint's root checks that the log only
    /// grew (a consistency check without a proof, for a client that holds the tiles anyway).
    ///
    /// - Precondition: `size <= treeSize`.
    public func rootHash(size: UInt64) throws -> [UInt8] {
        precondition(size <= treeSize, "size \(size) is beyond the tiled tree of \(treeSize)")
        guard size > 0 else { return RFC6962.emptyTreeRootHash }
        var hash = [UInt8]()
        var remaining = size
        while remaining != 0 {
            let level = remaining.trailingZeroBitCount
            remaining &= remaining - 1
            let node = try fullSubtreeHash(level: level, index: remaining >> UInt64(level))
            hash = hash.isEmpty ? node : RFC6962.nodeHash(left: node, right: hash)
        }
        return hash
    }

    /// The hash of the full subtree of `2^level` leaves starting at leaf `index << level`.
    ///
    /// It is the Merkle hash of `2^(level mod 8)` consecutive hashes of one tile at tile level
    /// `level / 8`.
    public func fullSubtreeHash(level: Int, index: UInt64) throws -> [UInt8] {
        let tileLevel = level / TileCoordinate.height
        let levelsInsideTile = level % TileCoordinate.height
        let firstHash = index << UInt64(levelsInsideTile)
        let tile = TileCoordinate.containing(level: tileLevel, hashIndex: firstHash, treeSize: treeSize)
        let contents = try fetch(tile)
        guard contents.count == tile.width * RFC6962.hashByteCount else {
            throw LogFormatError(.badTile, field: tile.path,
                                 "expected \(tile.width) hashes (\(tile.width * 32) bytes), got \(contents.count) bytes")
        }
        let offset = Int(firstHash - tile.index * UInt64(TileCoordinate.fullWidth))
        var hashes = (0..<(1 << levelsInsideTile)).map { position in
            let start = (offset + position) * RFC6962.hashByteCount
            return Array(contents[start..<(start + RFC6962.hashByteCount)])
        }
        while hashes.count > 1 {
            hashes = stride(from: 0, to: hashes.count, by: 2).map { RFC6962.nodeHash(left: hashes[$0], right: hashes[$0 + 1]) }
        }
        return hashes[0]
    }
}
