import Foundation
import Logging
import OSGCore
import OSGStore
import Synchronization

/// Takes a snapshot of the state every ``interval`` log entries, without holding up the
/// single writer.
///
/// It follows the log as a ``CommandLogObserver``: when a snapshot is due it keeps a copy of
/// the state (a Swift value: the copy shares storage until the writer next changes it) and
/// returns at once; encoding runs on its own low-priority thread and the store write after it
/// (SQLite in short per-part transactions, PostgreSQL on its own connection). At most one
/// snapshot is in flight; one that fails is logged and counted, and the next is tried one
/// interval later.
final class Snapshotter: CommandLogObserver {
    let store: CoordinatorStore
    /// Entries between snapshots; 0 turns periodic snapshots off.
    let interval: UInt64
    /// Snapshots kept in the store.
    let keep: Int
    let metrics: SnapshotMetrics
    let logger: Logger

    private struct Progress {
        /// Entries covered by the last snapshot taken (or recovered from).
        var lastSequence: UInt64
        var inFlight: Task<Void, Never>?
    }

    private let progress: Mutex<Progress>

    /// Makes the calling thread yield to the writer and the request threads: encoding a
    /// snapshot may take seconds of CPU on a large state and is never urgent. (On Linux
    /// `setpriority(PRIO_PROCESS, 0, …)` sets the calling thread's nice value only.)
    private static func lowerThreadPriority() {
        #if os(Linux)
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)
        #endif
    }

    init(store: CoordinatorStore, interval: UInt64, keep: Int, lastSequence: UInt64, metrics: SnapshotMetrics, logger: Logger) {
        precondition(keep >= 1, "keep at least one snapshot")
        self.store = store
        self.interval = interval
        self.keep = keep
        self.metrics = metrics
        self.logger = logger
        progress = Mutex(Progress(lastSequence: lastSequence))
    }

    func didAppend(_ entries: [LogEntry], state: CoordinatorState) async throws {
        guard interval > 0 else { return }
        progress.withLock { progress in
            guard progress.inFlight == nil, state.nextSequence >= progress.lastSequence + interval else { return }
            progress.lastSequence = state.nextSequence
            progress.inFlight = Task.detached(priority: .utility) { [self] in
                await self.take(state)
                self.progress.withLock { $0.inFlight = nil }
            }
        }
    }

    /// Takes a snapshot of `state` now (at a clean stop), after any snapshot in flight.
    /// Returns the state's digest when the snapshot was encoded (it computes it anyway).
    @discardableResult
    func takeFinal(_ state: CoordinatorState) async -> String? {
        let inFlight = progress.withLock { $0.inFlight }
        await inFlight?.value
        let digest = await take(state)
        progress.withLock { $0.lastSequence = max($0.lastSequence, state.nextSequence) }
        return digest
    }

    /// Waits for the snapshot in flight, if any (tests).
    func waitForInFlight() async {
        let inFlight = progress.withLock { $0.inFlight }
        await inFlight?.value
    }

    /// Encodes and stores a snapshot of `state`; returns the state's digest if it was encoded.
    @discardableResult
    private func take(_ state: CoordinatorState) async -> String? {
        let sequence = state.nextSequence
        let started = ContinuousClock.now
        let encoded: Result<[UInt8], SnapshotError> = await withCheckedContinuation { continuation in
            let thread = Thread {
                Self.lowerThreadPriority()
                continuation.resume(returning: Result { () throws(SnapshotError) -> [UInt8] in try StateSnapshot.encode(state) })
            }
            thread.name = "openstargate.snapshot"
            thread.start()
        }
        let encodedAt = ContinuousClock.now
        let digest = (try? encoded.get()).flatMap { try? StateSnapshot.header(of: $0).digest }
        do {
            let bytes = try encoded.get()
            try await store.writeSnapshot(bytes, covering: sequence, keep: keep)
            let finished = ContinuousClock.now
            metrics.encodeDuration.recordNanoseconds((encodedAt - started).nanoseconds)
            metrics.writeDuration.recordNanoseconds((finished - encodedAt).nanoseconds)
            metrics.written.increment()
            metrics.lastBytes.record(Int64(bytes.count))
            metrics.lastSequence.record(Int64(sequence))
            logger.info("snapshot written", metadata: [
                "sequence": "\(sequence)", "bytes": "\(bytes.count)",
                "encode_duration": "\(encodedAt - started)", "write_duration": "\(finished - encodedAt)",
            ])
        } catch {
            metrics.failures.increment()
            logger.error("could not take a snapshot; recovery replays more of the log until one succeeds", metadata: [
                "sequence": "\(sequence)", "error": "\(error)",
            ])
        }
        return digest
    }
}
