extension MerkleTree {
    /// The contents of a tile: the concatenated 32-byte hashes it holds.
    ///
    /// Because the tree stores every level contiguously, this is one slice of tree level `8·L`.
    ///
    /// - Throws: ``MerkleTreeError`` when the tile's hashes are not all complete in the tree yet.
    public func tileContents(_ tile: TileCoordinate) throws(MerkleTreeError) -> [UInt8] {
        let treeLevel = tile.level * TileCoordinate.height
        let first = tile.index * UInt64(TileCoordinate.fullWidth)
        let end = first + UInt64(tile.width)
        guard end <= storedHashCount(level: treeLevel) else {
            throw MerkleTreeError(.sizeBeyondTree,
                                  "\(tile.path) needs \(end) hashes at tree level \(treeLevel); the tree has \(storedHashCount(level: treeLevel))")
        }
        return storedHashes(level: treeLevel, range: first..<end)
    }
}
