import OSGCore
import OSGLog
import OSGStore
import OSGTransparency

/// Publishes the command log as it grows (DESIGN.md §6): the tiles and entry bundles of every
/// appended batch at once, and a signed checkpoint with the published state at most once per
/// `checkpointInterval`, so that a high command rate does not pay for a state summary per batch.
///
/// The market timer appends a tick and a clearing every few seconds, so the last entries of a
/// burst are checkpointed soon after it; a clean stop publishes whatever is still pending.
public actor TransparencyLogPublisher: CommandLogObserver {
    private let writer: TransparencyLogWriter
    private let checkpointInterval: Duration
    private var lastCheckpoint: ContinuousClock.Instant?

    /// Opens (or creates and catches up) the log directory for `store`.
    ///
    /// - Parameters:
    ///   - directory: the folder served at `/log/`.
    ///   - origin: the log's C2SP origin; the checkpoint key is named after it.
    ///   - seed: the 32-byte Ed25519 seed of the coordinator's key, which signs checkpoints.
    ///   - checkpointInterval: the shortest time between two checkpoints; `.zero` checkpoints
    ///     after every batch.
    public static func open(
        directory: String, origin: String, seed: [UInt8], store: some CommandLogStore, checkpointInterval: Duration
    ) async throws -> TransparencyLogPublisher {
        let signer = try NoteSignerKey(name: origin, seed: seed)
        let writer = try await TransparencyLogWriter.open(
            directory: directory, signer: signer, origin: origin, store: store,
            policy: .init(minimumEntries: UInt64.max))
        return TransparencyLogPublisher(writer: writer, checkpointInterval: checkpointInterval)
    }

    private init(writer: TransparencyLogWriter, checkpointInterval: Duration) {
        self.writer = writer
        self.checkpointInterval = checkpointInterval
    }

    /// The size of the last published checkpoint.
    public var publishedTreeSize: UInt64 {
        get async { await writer.publishedTreeSize }
    }

    public func didAppend(_ entries: [LogEntry], state: CoordinatorState) async throws {
        try await writer.append(entries, state: state)
        let now = ContinuousClock.now
        if let lastCheckpoint, now - lastCheckpoint < checkpointInterval { return }
        try await publish(state: state)
        lastCheckpoint = now
    }

    /// Publishes a checkpoint of everything appended so far, if anything is unpublished.
    public func publish(state: CoordinatorState) async throws {
        guard await writer.checkpoint.size > writer.publishedTreeSize else { return }
        try await writer.publishCheckpoint(state: state)
    }
}
