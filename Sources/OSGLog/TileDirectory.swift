import Foundation

/// A directory laid out as a C2SP tlog-tiles prefix: `checkpoint`, `tile/<L>/<N>[.p/<W>]` and
/// `tile/entries/<N>[.p/<W>]`, ready for any static web server or mirror.
///
/// This is the only file in OSGLog that touches the file system; everything it writes is computed
/// by the pure types (``MerkleTree``, ``TileCoordinate``, ``EntryBundle``). Files are written
/// atomically (temporary file, then rename), so a reader never sees half a tile.
///
/// ```swift
/// let directory = TileDirectory(path: "/srv/osg/log")
/// try directory.writeTiles(of: tree, size: tree.size) { index in entries[Int(index)] }
/// try directory.writeCheckpoint(signedNote.formatted)
/// let root = try TiledTree(treeSize: tree.size) { try directory.readTile($0) }.rootHash()
/// ```
public struct TileDirectory: Sendable {
    /// The directory that plays the role of the log's URL prefix.
    public let path: String

    /// Creates a handle on `path` (nothing is created until something is written).
    public init(path: String) {
        self.path = path
    }

    /// Writes every tile and entry bundle of the tree at `size`, skipping full tiles and bundles
    /// that already exist (they are immutable). Partial ones are rewritten.
    ///
    /// - Parameters:
    ///   - tree: The tree holding at least `size` leaves.
    ///   - size: The tree size to publish (the size of the checkpoint about to be written).
    ///   - entry: The entry bytes of a leaf index, for the entry bundles.
    /// - Returns: The number of files written.
    @discardableResult
    public func writeTiles(of tree: MerkleTree, size: UInt64, entry: (UInt64) throws -> [UInt8]) throws -> Int {
        var written = 0
        for tile in TileCoordinate.tiles(forTreeSize: size) {
            let tilePath = url(tile.path)
            if tile.isPartial || !FileManager.default.fileExists(atPath: tilePath.path) {
                try write(try tree.tileContents(tile), to: tilePath)
                written += 1
            }
            guard tile.level == 0 else { continue }
            let bundlePath = url(tile.entriesPath)
            if tile.isPartial || !FileManager.default.fileExists(atPath: bundlePath.path) {
                let first = tile.index * UInt64(TileCoordinate.fullWidth)
                let entries = try (first..<(first + UInt64(tile.width))).map(entry)
                try write(try EntryBundle.encode(entries), to: bundlePath)
                written += 1
            }
        }
        return written
    }

    /// Writes the signed checkpoint note to `checkpoint`.
    public func writeCheckpoint(_ signedNote: String) throws {
        try write(Array(signedNote.utf8), to: url("checkpoint"))
    }

    /// Reads a hash tile.
    public func readTile(_ tile: TileCoordinate) throws -> [UInt8] {
        Array(try Data(contentsOf: url(tile.path)))
    }

    /// Reads and decodes an entry bundle.
    public func readEntries(_ tile: TileCoordinate) throws -> [[UInt8]] {
        try EntryBundle.decode(Array(try Data(contentsOf: url(tile.entriesPath))))
    }

    /// Reads the checkpoint note as written.
    public func readCheckpoint() throws -> [UInt8] {
        Array(try Data(contentsOf: url("checkpoint")))
    }

    private func url(_ relativePath: String) -> URL {
        URL(fileURLWithPath: path).appendingPathComponent(relativePath)
    }

    private func write(_ bytes: [UInt8], to file: URL) throws {
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: file, options: .atomic)
    }
}
