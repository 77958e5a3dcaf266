import Logging

/// How a coordinator's start recovered its state: logged at start and exposed as metrics
/// (`osg_recovery_*`).
public struct RecoveryOutcome: Sendable {
    /// Entries covered by the snapshot recovery started from; `nil` when it replayed the whole log.
    public var snapshotSequence: UInt64?
    /// Entries replayed from the log after the snapshot.
    public var entriesReplayed: UInt64
    /// Snapshots skipped because they did not load, each with why.
    public var skippedSnapshots: [String]
    /// Entries in the recovered log.
    public var logLength: UInt64
    /// Time to recover and check the state.
    public var duration: Duration

    init(_ report: SnapshotRecovery.Report, logLength: UInt64) {
        snapshotSequence = report.snapshotSequence
        entriesReplayed = report.entriesReplayed
        skippedSnapshots = report.skipped
        self.logLength = logLength
        duration = report.duration
    }

    var logMetadata: Logger.Metadata {
        [
            "snapshot_sequence": snapshotSequence.map { "\($0)" } ?? "none",
            "entries_replayed": "\(entriesReplayed)", "log_entries": "\(logLength)",
            "snapshots_skipped": "\(skippedSnapshots.count)", "duration": "\(duration)",
        ]
    }

    func record(in metrics: SnapshotMetrics) {
        metrics.recoverySnapshotSequence.record(Int64(snapshotSequence ?? 0))
        metrics.recoveryEntriesReplayed.record(Int64(entriesReplayed))
        metrics.recoverySnapshotsSkipped.record(Int64(skippedSnapshots.count))
        metrics.recoveryMilliseconds.record(duration.nanoseconds / 1_000_000)
    }
}
