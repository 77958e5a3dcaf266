import OSGCore
import OSGDomain
import OSGLog

/// Publishes the command log as a C2SP transparency log in a directory: hash tiles, entry
/// bundles, the signed checkpoint, the published state at each checkpoint, the genesis and the
/// verifier key (layout: ``LogLayout``, docs/TRANSPARENCY_LOG.md).
///
/// Attach it after the durable append of the command-log store: every entry it is given must
/// already be durable there, because the store is what ``open(directory:signer:origin:store:state:policy:)``
/// rebuilds from after a crash.
///
/// Appends write the full tiles and bundles they complete; a checkpoint writes the partial ones
/// of its size, then its state. Crash safety: every file is written to a temporary name and
/// renamed; before the checkpoint is replaced, every file written since the previous one is
/// flushed to disk, and the checkpoint itself is flushed. So the files a published checkpoint names are always on
/// disk; files past it may be missing or stale after a crash, and opening rewrites them.
///
/// ```swift
/// let writer = try await TransparencyLogWriter.open(
///     directory: "osg-data/log", signer: signer, origin: "osg.example/log", store: store)
/// try await store.append(entries)                      // durable first
/// try await writer.append(entries, state: processor.state)
/// ```
public actor TransparencyLogWriter {
    /// The log's origin (also the signing key's name).
    public nonisolated let origin: String
    /// The verifier key of the checkpoint signer.
    public nonisolated let verifierKey: NoteVerifierKey
    private let signer: NoteSignerKey
    private let files: TransparencyLogFiles
    /// The writer's own thread: appending tiles and entry bundles writes files, which must not
    /// hold a thread of the cooperative pool that answers requests.
    private let executor = QueueExecutor(label: "openstargate.transparency-log")
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }
    private let policy: CheckpointPolicy
    private var log: TransparencyLog
    /// Files written since the last checkpoint, flushed before the next one.
    private var unflushed: Set<String> = []
    /// The current signed checkpoint.
    public private(set) var checkpointNote: SignedNote
    /// The tree size of ``checkpointNote``.
    private var publishedSize: UInt64
    /// The partial tiles and bundle written for each checkpoint published by this writer, oldest
    /// first: those no retained checkpoint needs are removed (``pruneStates()``), so partial
    /// files do not pile up, one set per checkpoint, for the log's whole life.
    private var partialsByCheckpoint: [(size: UInt64, paths: Set<String>)] = []

    /// When the writer publishes a new checkpoint.
    public struct CheckpointPolicy: Sendable {
        /// A new checkpoint (and state) is published once at least this many entries have been
        /// appended since the last one. 1 (the default) checkpoints after every append.
        public var minimumEntries: UInt64
        /// Published states kept on disk (the newest ones); older ones are removed.
        public var retainedStates: Int

        public init(minimumEntries: UInt64 = 1, retainedStates: Int = 16) {
            precondition(minimumEntries >= 1 && retainedStates >= 1, "a policy publishes and keeps something")
            self.minimumEntries = minimumEntries
            self.retainedStates = retainedStates
        }
    }

    private init(signer: NoteSignerKey, files: TransparencyLogFiles, policy: CheckpointPolicy, log: TransparencyLog, checkpointNote: SignedNote, publishedSize: UInt64) {
        self.publishedSize = publishedSize
        self.origin = log.origin
        self.signer = signer
        self.verifierKey = signer.verifierKey
        self.files = files
        self.policy = policy
        self.log = log
        self.checkpointNote = checkpointNote
    }

    /// The checkpoint of every entry appended so far (published or about to be).
    public var checkpoint: Checkpoint {
        log.checkpoint
    }

    /// The size of the last published checkpoint.
    public var publishedTreeSize: UInt64 {
        publishedSize
    }

    /// Opens (creating if needed) the log directory for the log in `store`, and brings it up
    /// to date: the tree is rebuilt from the store's entries, checked against the directory's
    /// checkpoint, and every file past that checkpoint is (re)written and a new checkpoint
    /// published if the store holds more entries.
    ///
    /// - Parameters:
    ///   - directory: The log directory (the coordinator serves it at `/log/`).
    ///   - signer: The checkpoint signing key; its name must be `origin`.
    ///   - origin: The log's origin, e.g. `osg.example.org/log`.
    ///   - store: The durable command log; it must have its genesis.
    ///   - state: The state after the store's last entry, if the caller has it (saves a replay).
    ///   - policy: When to publish checkpoints.
    /// - Throws: ``TransparencyLogError``: the directory belongs to another log (other origin,
    ///   genesis, key or history), is ahead of the store, or cannot be read or written.
    public static func open(
        directory: String, signer: NoteSignerKey, origin: String, store: some CommandLogStore,
        state: CoordinatorState? = nil, policy: CheckpointPolicy = CheckpointPolicy()
    ) async throws(TransparencyLogError) -> TransparencyLogWriter {
        guard signer.name == origin else {
            throw TransparencyLogError(.badKey, "the signing key is named \(signer.name); it must be named after the origin \(origin)")
        }
        do {
            _ = try Checkpoint(origin: origin, size: 0, rootHash: RFC6962.emptyTreeRootHash)
        } catch {
            throw TransparencyLogError(.badKey, "origin \(origin): \(error.message)")
        }
        let files = try io { () throws(TransparencyLogFiles.Failure) in try TransparencyLogFiles(root: directory) }
        let genesis: Genesis
        do {
            guard let stored = try await store.genesis() else {
                throw TransparencyLogError(.store, "the command-log store has no genesis yet; initialise it before publishing its log")
            }
            genesis = stored
        } catch let error as TransparencyLogError {
            throw error
        } catch {
            throw TransparencyLogError(.store, "reading the store's genesis: \(error)")
        }
        try writeOnce(CanonicalEncoding.bytes(of: genesis), to: LogLayout.genesis, in: files, what: "genesis")
        try writeOnce(Array((signer.verifierKey.description + "\n").utf8), to: LogLayout.verifierKey, in: files, what: "verifier key")

        let published = try readCheckpoint(in: files, verifier: signer.verifierKey, origin: origin)
        var log = TransparencyLog(origin: origin)
        var replayed = state == nil ? CoordinatorState(genesis: genesis) : nil
        var pending: [[UInt8]] = []
        var storeCount: UInt64 = 0
        let pageSize = 10_000
        while true {
            let page: [LogEntry]
            do {
                page = try await store.entries(from: storeCount, limit: pageSize)
            } catch {
                throw TransparencyLogError(.store, "reading entries from \(storeCount): \(error)")
            }
            for entry in page {
                if replayed != nil {
                    guard replayed!.accepts(entry) else {
                        throw TransparencyLogError(.store, "stored entry \(entry.sequence) is out of order or goes back in time")
                    }
                    _ = replayed!.apply(entry)
                }
                let leaf = entry.leafBytes
                if let published, storeCount < published.size {
                    log.restore(leaves: [leaf])
                } else {
                    pending.append(leaf)
                }
                storeCount += 1
            }
            if page.count < pageSize { break }
        }
        let current = state ?? replayed!
        guard current.nextSequence == storeCount else {
            throw TransparencyLogError(.notContiguous, "the state given has \(current.nextSequence) entries applied; the store holds \(storeCount)")
        }
        if let published {
            guard published.size <= storeCount else {
                throw TransparencyLogError(.aheadOfStore, "the published checkpoint has \(published.size) entries but the store only \(storeCount); the directory belongs to another store or the store lost entries")
            }
            guard log.tree.rootHash() == published.rootHash else {
                throw TransparencyLogError(.foreignDirectory, "the published checkpoint at size \(published.size) has root \(Base64.encode(published.rootHash)), but the store's first \(published.size) entries give \(Base64.encode(log.tree.rootHash())): the directory holds another history")
            }
        }
        let note: SignedNote
        do {
            note = try published.map { _ in try SignedNote(parsing: files.read(LogLayout.checkpoint) ?? []) }
                ?? log.signedCheckpoint(signer: signer)
        } catch {
            throw TransparencyLogError(.io, "re-reading the checkpoint: \(error)")
        }
        let writer = TransparencyLogWriter(signer: signer, files: files, policy: policy, log: log, checkpointNote: note, publishedSize: published?.size ?? 0)
        try await writer.catchUp(pending: pending, state: current, hadCheckpoint: published != nil)
        return writer
    }

    /// Appends entries that the command-log store has just made durable, writes the tiles and
    /// bundles they change and, when the policy says so, publishes `state` (the state after
    /// the last of them) and a new signed checkpoint.
    ///
    /// - Throws: ``TransparencyLogError`` when the entries do not continue the log, an entry is
    ///   too large for an entry bundle, or a file cannot be written. After an I/O error, open the
    ///   writer again: it recovers from the store.
    public func append(_ entries: [LogEntry], state: CoordinatorState) throws(TransparencyLogError) {
        try append(entries, leaves: entries.map(\.leafBytes), state: state)
    }

    /// ``append(_:state:)`` with the entries' leaves (`LogEntry.leafBytes`) already encoded, as
    /// the store's durable append had them: each entry is encoded once on the write path.
    ///
    /// - Precondition: `leaves[i]` is the canonical encoding of `entries[i]` (checked in debug
    ///   builds).
    public func append(_ entries: [LogEntry], leaves: [[UInt8]], state: CoordinatorState) throws(TransparencyLogError) {
        precondition(entries.count == leaves.count, "one leaf per entry")
        assert(zip(entries, leaves).allSatisfy { $0.leafBytes == $1 }, "leaves are the entries' canonical bytes")
        guard !entries.isEmpty else { return }
        for (offset, entry) in entries.enumerated() where entry.sequence != log.size + UInt64(offset) {
            throw TransparencyLogError(.notContiguous, "entry \(offset) of the batch has sequence \(entry.sequence), expected \(log.size + UInt64(offset))")
        }
        guard state.nextSequence == log.size + UInt64(entries.count) else {
            throw TransparencyLogError(.notContiguous, "the state has \(state.nextSequence) entries applied, the log would have \(log.size + UInt64(entries.count))")
        }
        try appendLeaves(leaves)
        if log.size - publishedSize >= policy.minimumEntries {
            try publishCheckpoint(state: state)
        }
    }

    /// Publishes `state` and a checkpoint of the current tree now, whatever the policy (for a
    /// coordinator that checkpoints on a timer, or at shutdown).
    ///
    /// - Precondition: `state` has exactly the log's entries applied.
    public func publishCheckpoint(state: CoordinatorState) throws(TransparencyLogError) {
        guard state.nextSequence == log.size else {
            throw TransparencyLogError(.notContiguous, "the state has \(state.nextSequence) entries applied, the log has \(log.size)")
        }
        let statePath = LogLayout.state(treeSize: log.size)
        let (note, partial) = try signedCheckpointAndPartialTiles()
        try Self.io { () throws(TransparencyLogFiles.Failure) in
            for file in partial {
                try files.write(file.bytes, to: file.path)
                unflushed.insert(file.path)
            }
            try files.write(CanonicalEncoding.bytes(of: state.published), to: statePath)
            unflushed.insert(statePath)
            try files.sync(unflushed.sorted())
            try files.writeDurably(Array(note.formatted.utf8), to: LogLayout.checkpoint)
        }
        unflushed.removeAll()
        checkpointNote = note
        publishedSize = log.size
        partialsByCheckpoint.append((log.size, Set(partial.map(\.path))))
        try pruneStates()
    }

    /// A signed checkpoint of the current tree and the partial tiles and bundle it covers.
    private func signedCheckpointAndPartialTiles() throws(TransparencyLogError) -> (SignedNote, [TransparencyLog.File]) {
        let note: SignedNote
        do {
            note = try log.signedCheckpoint(signer: signer)
        } catch {
            throw TransparencyLogError(.badKey, "signing the checkpoint: \(error)")
        }
        do {
            return (note, try log.partialFiles())
        } catch {
            throw TransparencyLogError(.entryTooLarge, "\(error.field): \(error.message)")
        }
    }

    // MARK: Checkpoints off the append path

    /// A signed checkpoint of the tree at one size, with the files it needs, prepared by
    /// ``prepareCheckpoint()`` and made durable by ``writePrepared(_:stateBytes:)`` outside the
    /// actor, so that appends go on while its state is encoded and its files are flushed.
    public struct PreparedCheckpoint: Sendable {
        /// The tree size it signs.
        public let size: UInt64
        let note: SignedNote
        let partial: [TransparencyLog.File]
        /// Files written by appends since the last checkpoint, to flush before it is published.
        let unflushed: [String]

        /// The signed checkpoint as it will be served.
        public var signedNote: SignedNote { note }

        /// The same checkpoint with witnesses' cosignature lines after the log's signature.
        public func adding(cosignatures: [NoteSignature]) throws -> PreparedCheckpoint {
            PreparedCheckpoint(size: size, note: try SignedNote(text: note.text, signatures: note.signatures + cosignatures), partial: partial, unflushed: unflushed)
        }
    }

    /// A consistency proof between two sizes of the log (for a witness).
    public func consistencyProof(from oldSize: UInt64, to newSize: UInt64) throws -> [[UInt8]] {
        try log.tree.consistencyProof(from: oldSize, to: newSize)
    }

    /// Signs a checkpoint of the current tree and takes over the files to flush for it.
    /// At most one prepared checkpoint may be outstanding; finish it with ``didPublish(_:)`` or
    /// ``didNotPublish(_:)``.
    public func prepareCheckpoint() throws(TransparencyLogError) -> PreparedCheckpoint {
        let (note, partial) = try signedCheckpointAndPartialTiles()
        let taken = unflushed.sorted()
        unflushed.removeAll()
        return PreparedCheckpoint(size: log.size, note: note, partial: partial, unflushed: taken)
    }

    /// Writes a prepared checkpoint's partial files and state (`stateBytes`, the canonical
    /// published state at its size), flushes them with every file written since the previous
    /// checkpoint, then replaces the checkpoint durably. Runs outside the actor: it touches
    /// only files that appends do not write (partial tiles are named by their width).
    public nonisolated func writePrepared(_ prepared: PreparedCheckpoint, stateBytes: [UInt8]) throws(TransparencyLogError) {
        let statePath = LogLayout.state(treeSize: prepared.size)
        try Self.io { () throws(TransparencyLogFiles.Failure) in
            for file in prepared.partial { try files.write(file.bytes, to: file.path) }
            try files.write(stateBytes, to: statePath)
            try files.sync(prepared.unflushed + prepared.partial.map(\.path) + [statePath])
            try files.writeDurably(Array(prepared.note.formatted.utf8), to: LogLayout.checkpoint)
        }
    }

    /// Records a checkpoint written by ``writePrepared(_:stateBytes:)`` as the published one.
    public func didPublish(_ prepared: PreparedCheckpoint) throws(TransparencyLogError) {
        checkpointNote = prepared.note
        publishedSize = prepared.size
        partialsByCheckpoint.append((prepared.size, Set(prepared.partial.map(\.path))))
        try pruneStates()
    }

    /// Gives back the files of a prepared checkpoint that could not be written: they are
    /// flushed with the next one.
    public func didNotPublish(_ prepared: PreparedCheckpoint) {
        unflushed.formUnion(prepared.unflushed)
    }

    // MARK: Internals

    private func catchUp(pending: [[UInt8]], state: CoordinatorState, hadCheckpoint: Bool) throws(TransparencyLogError) {
        guard !pending.isEmpty || !hadCheckpoint else { return }
        var start = 0
        while start < pending.count {
            let end = min(pending.count, start + 65_536)
            try appendLeaves(Array(pending[start..<end]))
            start = end
        }
        try publishCheckpoint(state: state)
    }

    private func appendLeaves(_ leaves: [[UInt8]]) throws(TransparencyLogError) {
        let changed: [TransparencyLog.File]
        do {
            changed = try log.append(leaves: leaves)
        } catch {
            throw TransparencyLogError(.entryTooLarge, "\(error.field): \(error.message)")
        }
        try Self.io { () throws(TransparencyLogFiles.Failure) in
            for file in changed {
                try files.write(file.bytes, to: file.path)
                unflushed.insert(file.path)
            }
        }
    }

    private func pruneStates() throws(TransparencyLogError) {
        let sizes = files.list(LogLayout.stateFolder)
            .compactMap { name -> UInt64? in name.hasSuffix(".json") ? UInt64(name.dropLast(5)) : nil }
            .sorted(by: >)
        for size in sizes.dropFirst(policy.retainedStates) {
            try Self.io { () throws(TransparencyLogFiles.Failure) in try files.remove(LogLayout.state(treeSize: size)) }
        }
        // Partial files of checkpoints older than the retained ones go too, unless a retained
        // checkpoint names the same file (a partial tile of a level that did not grow). A
        // client holding an older checkpoint falls back to the full tile, as C2SP tlog-tiles
        // lets it, once the tile is full; partials of the unfinished tile are kept for the
        // retained checkpoints.
        guard partialsByCheckpoint.count > policy.retainedStates else { return }
        let dropped = partialsByCheckpoint.prefix(partialsByCheckpoint.count - policy.retainedStates)
        partialsByCheckpoint.removeFirst(dropped.count)
        let kept = partialsByCheckpoint.reduce(into: Set<String>()) { $0.formUnion($1.paths) }
        for path in dropped.reduce(into: Set<String>(), { $0.formUnion($1.paths) }).subtracting(kept).sorted() {
            try Self.io { () throws(TransparencyLogFiles.Failure) in try files.remove(path) }
        }
    }

    private static func readCheckpoint(in files: TransparencyLogFiles, verifier: NoteVerifierKey, origin: String) throws(TransparencyLogError) -> Checkpoint? {
        guard let bytes = try io({ () throws(TransparencyLogFiles.Failure) in try files.read(LogLayout.checkpoint) }) else { return nil }
        do {
            let note = try SignedNote(parsing: bytes)
            guard note.verify(with: verifier).isVerified else {
                throw TransparencyLogError(.foreignDirectory, "the directory's checkpoint is not signed by \(verifier.description)")
            }
            let checkpoint = try Checkpoint(parsing: note.text)
            guard checkpoint.origin == origin else {
                throw TransparencyLogError(.foreignDirectory, "the directory's checkpoint is for origin \(checkpoint.origin), not \(origin)")
            }
            return checkpoint
        } catch let error as TransparencyLogError {
            throw error
        } catch {
            throw TransparencyLogError(.foreignDirectory, "the directory's checkpoint does not parse: \(error)")
        }
    }

    /// Writes a file that must never change; an existing file with other contents means the
    /// directory belongs to another log.
    private static func writeOnce(_ bytes: [UInt8], to path: String, in files: TransparencyLogFiles, what: String) throws(TransparencyLogError) {
        let existing = try io { () throws(TransparencyLogFiles.Failure) in try files.read(path) }
        if let existing {
            guard existing == bytes else {
                throw TransparencyLogError(.foreignDirectory, "\(files.path(path)) holds another \(what); a log directory serves one log (use a new directory and origin)")
            }
            return
        }
        try io { () throws(TransparencyLogFiles.Failure) in try files.writeDurably(bytes, to: path) }
    }

    private static func io<T>(_ body: () throws(TransparencyLogFiles.Failure) -> T) throws(TransparencyLogError) -> T {
        do {
            return try body()
        } catch {
            throw TransparencyLogError(.io, error.description)
        }
    }
}

/// Why the transparency-log writer could not open or append.
public typealias TransparencyLogError = CodedError<TransparencyLogErrorCode>

/// Stable codes of ``TransparencyLogError``.
public enum TransparencyLogErrorCode: String, Hashable, Sendable {
    /// The signing key is not named after the origin, or the origin is not valid.
    case badKey = "bad_key"
    /// The directory belongs to another log: other genesis, key, origin or history.
    case foreignDirectory = "foreign_directory"
    /// The directory's checkpoint is larger than the store's log.
    case aheadOfStore = "ahead_of_store"
    /// Entries or state do not continue the log.
    case notContiguous = "not_contiguous"
    /// An entry is longer than an entry bundle allows (65,535 bytes).
    case entryTooLarge = "entry_too_large"
    /// The command-log store could not be read.
    case store
    /// A file could not be read or written.
    case io
}
