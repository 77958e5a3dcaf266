import OSGLog

/// The published log as a value: the Merkle tree over every leaf, and the leaves of the
/// rightmost (partial) entry bundle. Appending returns the full tiles and bundles completed, and
/// ``partialFiles()`` the partial ones of the current size, for the I/O layer to write; nothing
/// here touches the file system.
///
/// ```swift
/// var log = TransparencyLog(origin: "osg.example/log")
/// let files = try log.append(leaves: entries.map(\.leafBytes))   // full tiles and bundles
/// let partial = try log.partialFiles()                           // before a checkpoint
/// let note = try log.signedCheckpoint(signer: signer)            // the `checkpoint` file
/// ```
public struct TransparencyLog: Sendable {
    /// The log's origin: the first line of its checkpoints and the name of its signing key.
    public let origin: String
    /// The tree over every leaf appended so far.
    public private(set) var tree: MerkleTree
    /// Leaves of the rightmost entry bundle (fewer than 256; empty when the tree size is a
    /// multiple of 256).
    private var tailLeaves: [[UInt8]] = []

    /// One file to write: a path relative to the log directory and its contents.
    public struct File: Hashable, Sendable {
        public var path: String
        public var bytes: [UInt8]
    }

    /// An empty log.
    public init(origin: String) {
        self.origin = origin
        self.tree = MerkleTree()
    }

    /// Appends leaves that are already published (files written and made durable before the
    /// last checkpoint): the tree and the rightmost bundle are rebuilt, no file is produced.
    public mutating func restore(leaves: [[UInt8]]) {
        for leaf in leaves {
            tree.append(entry: leaf)
            tailLeaves.append(leaf)
            if tree.size % UInt64(TileCoordinate.fullWidth) == 0 { tailLeaves.removeAll(keepingCapacity: true) }
        }
    }

    /// Number of leaves.
    public var size: UInt64 { tree.size }

    /// Appends leaves and returns the full tiles and full entry bundles they completed (these
    /// never change again). Partial tiles are only needed for a size that gets a checkpoint:
    /// ``partialFiles()`` gives them when one is published.
    ///
    /// - Throws: ``LogFormatError`` when a leaf is longer than an entry bundle allows (65,535
    ///   bytes); the log is then unchanged.
    public mutating func append(leaves: [[UInt8]]) throws(LogFormatError) -> [File] {
        for (offset, leaf) in leaves.enumerated() where leaf.count > EntryBundle.maximumEntryByteCount {
            throw LogFormatError(.badEntryBundle, field: "leaf \(tree.size + UInt64(offset))",
                                 "\(leaf.count) bytes; a leaf is at most 65,535 bytes")
        }
        let oldSize = tree.size
        var files: [File] = []
        for leaf in leaves {
            tree.append(entry: leaf)
            tailLeaves.append(leaf)
            if tree.size % UInt64(TileCoordinate.fullWidth) == 0 {
                let tile = TileCoordinate(level: 0, index: tree.size / UInt64(TileCoordinate.fullWidth) - 1)
                files.append(File(path: tile.entriesPath, bytes: try EntryBundle.encode(tailLeaves)))
                tailLeaves.removeAll(keepingCapacity: true)
            }
        }
        for tile in TileCoordinate.tilesChanged(from: oldSize, to: tree.size) where !tile.isPartial {
            files.append(File(path: tile.path, bytes: contents(of: tile)))
        }
        return files
    }

    /// The partial tiles of every level and the partial entry bundle at the current size: with
    /// the full ones already written, everything a checkpoint of this size needs.
    public func partialFiles() throws(LogFormatError) -> [File] {
        var files: [File] = []
        if !tailLeaves.isEmpty {
            let tile = TileCoordinate(level: 0, index: tree.size / UInt64(TileCoordinate.fullWidth), width: tailLeaves.count)
            files.append(File(path: tile.entriesPath, bytes: try EntryBundle.encode(tailLeaves)))
        }
        for tile in TileCoordinate.tiles(forTreeSize: tree.size) where tile.isPartial {
            files.append(File(path: tile.path, bytes: contents(of: tile)))
        }
        return files
    }

    private func contents(of tile: TileCoordinate) -> [UInt8] {
        do {
            return try tree.tileContents(tile)
        } catch {
            preconditionFailure("a tile of the current size is complete in the tree: \(error)")
        }
    }

    /// The checkpoint of the log as it is now.
    public var checkpoint: Checkpoint {
        do {
            return try Checkpoint(origin: origin, size: tree.size, rootHash: tree.rootHash())
        } catch {
            preconditionFailure("the origin was checked when the writer was opened: \(error)")
        }
    }

    /// The checkpoint signed as a C2SP note by `signer` (whose name must be the origin).
    public func signedCheckpoint(signer: NoteSignerKey) throws(LogFormatError) -> SignedNote {
        try SignedNote.sign(text: checkpoint.text, with: [signer])
    }
}
