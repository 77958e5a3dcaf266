import Foundation
import Logging
import OSGCore
import OSGStore
import Synchronization

/// Takes a snapshot of the state every ``interval`` log entries, without holding up the
/// single writer, and incrementally: only what changed since the last snapshot is encoded and
/// written.
///
/// It follows the log as a ``CommandLogObserver``: when a snapshot is due it keeps a copy of
/// the state (a Swift value: the copy shares storage until the writer next changes it) and
/// returns at once. On its own low-priority thread it compares the copy with the state of the
/// last stored snapshot (``StateSegmenter``), encodes the fields and dictionary buckets that
/// changed, and stores those segments and then a manifest naming every segment, atomically
/// (SQLite in short transactions of about a MiB each, PostgreSQL on its own connection). At
/// most one snapshot is in flight; one that fails is logged and counted, the next is a full
/// one, tried one interval later.
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
        /// Builds each snapshot on the last one stored (its base).
        var segmenter: StateSegmenter
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

    /// - Parameters:
    ///   - lastSequence: entries covered by the snapshot recovery started from (0: none).
    ///   - base: that snapshot's state (as decoded, before the log after it was replayed) and
    ///     manifest, when it was segmented: the first snapshot then encodes only what changed
    ///     since. Without it the first snapshot encodes every segment.
    init(store: CoordinatorStore, interval: UInt64, keep: Int, lastSequence: UInt64, base: StateSegmenter.Base? = nil,
         metrics: SnapshotMetrics, logger: Logger) {
        precondition(keep >= 1, "keep at least one snapshot")
        precondition(base.map { $0.manifest.sequence == lastSequence } ?? true, "the base is the snapshot recovery started from")
        self.store = store
        self.interval = interval
        self.keep = keep
        self.metrics = metrics
        self.logger = logger
        progress = Mutex(Progress(lastSequence: lastSequence, segmenter: StateSegmenter(base: base)))
    }

    func didAppend(_ entries: [LogEntry], state: CoordinatorState) async throws {
        guard interval > 0 else { return }
        progress.withLock { progress in
            guard progress.inFlight == nil, state.nextSequence >= progress.lastSequence + interval else { return }
            progress.lastSequence = state.nextSequence
            progress.inFlight = Task.detached(priority: .utility) { [self] in
                await self.take(state, withDigest: false)
                self.progress.withLock { $0.inFlight = nil }
            }
        }
    }

    /// Takes a snapshot of `state` now (at a clean stop), after any snapshot in flight; its
    /// manifest records the state's digest. Returns the digest when the snapshot was encoded.
    @discardableResult
    func takeFinal(_ state: CoordinatorState) async -> String? {
        let inFlight = progress.withLock { $0.inFlight }
        await inFlight?.value
        let digest = await take(state, withDigest: true)
        progress.withLock { $0.lastSequence = max($0.lastSequence, state.nextSequence) }
        return digest
    }

    /// Waits for the snapshot in flight, if any (tests).
    func waitForInFlight() async {
        let inFlight = progress.withLock { $0.inFlight }
        await inFlight?.value
    }

    /// Encodes what changed in `state` since the base and stores it; returns the state's digest
    /// if it was computed (`withDigest`) and encoded.
    @discardableResult
    private func take(_ state: CoordinatorState, withDigest: Bool = false) async -> String? {
        let sequence = state.nextSequence
        let segmenter = progress.withLock { $0.segmenter }
        let started = ContinuousClock.now
        let encoded: Result<StateSegmenter.Output, SnapshotError> = await withCheckedContinuation { continuation in
            let thread = Thread {
                Self.lowerThreadPriority()
                continuation.resume(returning: Result { () throws(SnapshotError) -> StateSegmenter.Output in
                    try segmenter.encode(state, withDigest: withDigest)
                })
            }
            thread.name = "openstargate.snapshot"
            thread.start()
        }
        let encodedAt = ContinuousClock.now
        do {
            let output = try encoded.get()
            try await store.writeSegmentedSnapshot(
                manifest: output.manifest.bytes(), segmentHashes: output.manifest.segments.map(\.hash),
                newSegments: output.newSegments, covering: sequence, keep: keep)
            progress.withLock { $0.segmenter.base = StateSegmenter.Base(state: state, manifest: output.manifest) }
            let finished = ContinuousClock.now
            metrics.encodeDuration.recordNanoseconds((encodedAt - started).nanoseconds)
            metrics.writeDuration.recordNanoseconds((finished - encodedAt).nanoseconds)
            metrics.written.increment()
            metrics.lastBytes.record(Int64(output.totalBytes))
            metrics.lastNewBytes.record(Int64(output.newBytes))
            metrics.lastSegmentsReused.record(Int64(output.reusedSegments))
            metrics.lastSequence.record(Int64(sequence))
            logger.info("snapshot written", metadata: [
                "sequence": "\(sequence)", "bytes": "\(output.totalBytes)", "new_bytes": "\(output.newBytes)",
                "segments": "\(output.manifest.segments.count)", "segments_reused": "\(output.reusedSegments)",
                "encode_duration": "\(encodedAt - started)", "write_duration": "\(finished - encodedAt)",
            ])
            return output.manifest.digest
        } catch {
            // The next snapshot starts afresh: its base may not be stored as it was believed.
            progress.withLock { $0.segmenter.base = nil }
            metrics.failures.increment()
            logger.error("could not take a snapshot; recovery replays more of the log until one succeeds", metadata: [
                "sequence": "\(sequence)", "error": "\(error)",
            ])
            return withDigest ? (try? encoded.get())?.manifest.digest : nil
        }
    }
}
