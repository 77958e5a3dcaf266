extension TileCoordinate {
    /// The tiles whose contents change when a tree grows from `oldSize` to `newSize` leaves, by
    /// level then index: at each level, the tile that held the old rightmost hashes (now wider
    /// or full) and every tile after it. Full tiles are immutable once written, so these are
    /// exactly the files a writer must (re)write; the level 0 ones are also the entry bundles.
    ///
    /// ```swift
    /// TileCoordinate.tilesChanged(from: 250, to: 260)
    /// // [tile/0/000, tile/0/001.p/4, tile/1/000.p/1]
    /// ```
    ///
    /// - Precondition: `oldSize <= newSize`.
    public static func tilesChanged(from oldSize: UInt64, to newSize: UInt64) -> [TileCoordinate] {
        precondition(oldSize <= newSize, "a tree only grows: \(oldSize) to \(newSize)")
        var tiles = [TileCoordinate]()
        var level = 0
        while level < 64 {
            let shift = UInt64(level * height)
            guard shift < 64 else { break }
            let oldHashes = oldSize >> shift
            let newHashes = newSize >> shift
            guard newHashes > 0 else { break }
            if newHashes > oldHashes {
                let width = UInt64(fullWidth)
                for index in (oldHashes / width)...((newHashes - 1) / width) {
                    let count = min(width, newHashes - index * width)
                    tiles.append(TileCoordinate(level: level, index: index, width: Int(count)))
                }
            }
            level += 1
        }
        return tiles
    }
}
