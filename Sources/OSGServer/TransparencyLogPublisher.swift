import Dispatch
import OSGCore
import OSGLog
import OSGStore
import OSGTransparency

/// Publishes the command log as it grows (DESIGN.md §6): the tiles and entry bundles of every
/// appended batch at once, and a signed checkpoint with the published state at most once per
/// `checkpointInterval`, so that a high command rate does not pay for a state summary per batch.
///
/// The writer waits for ``didAppend(_:state:)`` before it answers a batch, so a checkpoint is
/// kept off that path: the append only signs it and takes the published state (which costs
/// what is live, not the history); encoding the state, writing and flushing its files and
/// replacing the checkpoint run in a background task while later batches go on. One
/// checkpoint is in flight at a time; a failed one is reported by the next append and its
/// files are flushed with the next checkpoint.
///
/// The market timer appends a tick and a clearing every few seconds, so the last entries of a
/// burst are checkpointed soon after it; a clean stop publishes whatever is still pending.
public actor TransparencyLogPublisher: CommandLogObserver {
    private let writer: TransparencyLogWriter
    private let checkpointInterval: Duration
    /// Witnesses asked to cosign each background checkpoint before it is written.
    private let cosigner: CheckpointCosigner?
    private var lastCheckpoint: ContinuousClock.Instant?
    /// The checkpoint being written in the background, if any.
    private var inFlight: Task<Void, Never>?
    /// Why the last background checkpoint failed, until an append reports it.
    private var failure: TransparencyLogError?
    /// Set while an append prepares a checkpoint (between its awaits).
    private var preparing = false
    /// Set while ``publish(state:)`` runs: no background checkpoint starts meanwhile, so
    /// checkpoints are written in the order of their sizes.
    private var publishing = false

    /// Opens (or creates and catches up) the log directory for `store`.
    ///
    /// - Parameters:
    ///   - directory: the folder served at `/log/`.
    ///   - origin: the log's C2SP origin; the checkpoint key is named after it.
    ///   - seed: the 32-byte Ed25519 seed of the coordinator's key, which signs checkpoints.
    ///   - checkpointInterval: the shortest time between two checkpoints; `.zero` checkpoints
    ///     after every batch.
    ///   - cosigner: the witnesses asked to cosign each checkpoint before it is written, if any.
    public static func open(
        directory: String, origin: String, seed: [UInt8], store: some CommandLogStore, checkpointInterval: Duration,
        cosigner: CheckpointCosigner? = nil
    ) async throws -> TransparencyLogPublisher {
        let signer = try NoteSignerKey(name: origin, seed: seed)
        let writer = try await TransparencyLogWriter.open(
            directory: directory, signer: signer, origin: origin, store: store,
            policy: .init(minimumEntries: UInt64.max))
        return TransparencyLogPublisher(writer: writer, checkpointInterval: checkpointInterval, cosigner: cosigner)
    }

    private init(writer: TransparencyLogWriter, checkpointInterval: Duration, cosigner: CheckpointCosigner?) {
        self.writer = writer
        self.checkpointInterval = checkpointInterval
        self.cosigner = cosigner
    }

    /// The size of the last published checkpoint.
    public var publishedTreeSize: UInt64 {
        get async { await writer.publishedTreeSize }
    }

    public func didAppend(_ entries: [LogEntry], state: CoordinatorState) async throws {
        try await writer.append(entries, state: state)
        if let failure {
            self.failure = nil
            throw failure
        }
        guard inFlight == nil, !preparing, !publishing else { return }
        let now = ContinuousClock.now
        if let lastCheckpoint, now - lastCheckpoint < checkpointInterval { return }
        preparing = true
        defer { preparing = false }
        guard await writer.checkpoint.size > writer.publishedTreeSize else { return }
        let signed = try await writer.prepareCheckpoint()
        lastCheckpoint = now
        let writer = self.writer
        let cosigner = self.cosigner
        inFlight = Task.detached(priority: .utility) {
            var cosigned: TransparencyLogWriter.PreparedCheckpoint?
            if let cosigner {
                // The witnesses' cosignatures go into the checkpoint before it is served.
                let size = signed.size
                let lines = await cosigner.cosign(signed.signedNote, size: size) { old in try await writer.consistencyProof(from: old, to: size) }
                if !lines.isEmpty { cosigned = try? signed.adding(cosignatures: lines) }
            }
            let prepared = cosigned ?? signed
            let outcome: TransparencyLogError?
            do throws(TransparencyLogError) {
                // The published state is built here, off the writer, which awaits this observer
                // (built inline it stalled every write for as long as it took), and on a thread
                // of its own: encoding the whole state and flushing every file since the last
                // checkpoint on a thread of the cooperative pool took that thread from requests.
                try await Self.onCheckpointThread { () throws(TransparencyLogError) in
                    try writer.writePrepared(prepared, stateBytes: CanonicalEncoding.bytes(of: state.published))
                }
                try await writer.didPublish(prepared)
                outcome = nil
            } catch {
                await writer.didNotPublish(prepared)
                outcome = error
            }
            await self.finished(outcome)
        }
    }

    private static let checkpointQueue = DispatchQueue(label: "openstargate.checkpoint", qos: .utility)

    /// Runs `body` on the checkpoint queue, outside Swift's cooperative pool.
    private static func onCheckpointThread(_ body: @escaping @Sendable () throws(TransparencyLogError) -> Void) async throws(TransparencyLogError) {
        let result: Result<Void, TransparencyLogError> = await withCheckedContinuation { continuation in
            checkpointQueue.async { continuation.resume(returning: Result { () throws(TransparencyLogError) in try body() }) }
        }
        try result.get()
    }

    private func finished(_ outcome: TransparencyLogError?) {
        inFlight = nil
        if let outcome { failure = outcome }
    }

    /// Waits for the checkpoint being written in the background, if any.
    public func drain() async {
        await inFlight?.value
    }

    /// Publishes a checkpoint of everything appended so far, if anything is unpublished
    /// (after the one in flight, if any).
    public func publish(state: CoordinatorState) async throws {
        publishing = true
        defer { publishing = false }
        while preparing || inFlight != nil {
            if let inFlight { await inFlight.value } else { await Task.yield() }
        }
        if let failure {
            self.failure = nil
            throw failure
        }
        guard await writer.checkpoint.size > writer.publishedTreeSize else { return }
        try await writer.publishCheckpoint(state: state)
    }
}
