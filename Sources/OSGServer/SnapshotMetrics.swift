import Metrics
import Prometheus

/// Metrics of snapshots and of the last recovery, in the server's registry.
struct SnapshotMetrics: Sendable {
    /// Snapshots written.
    let written: Metrics.Counter
    /// Snapshots that could not be encoded or written.
    let failures: Metrics.Counter
    /// Time to encode one snapshot (off the writer).
    let encodeDuration: Metrics.Timer
    /// Time to store one snapshot.
    let writeDuration: Metrics.Timer
    /// Size of the last snapshot, in bytes (every segment, new or reused).
    let lastBytes: Metrics.Gauge
    /// Bytes the last snapshot encoded and wrote (its new segments).
    let lastNewBytes: Metrics.Gauge
    /// Segments the last snapshot took over from the one before, unencoded.
    let lastSegmentsReused: Metrics.Gauge
    /// Entries covered by the last snapshot written.
    let lastSequence: Metrics.Gauge
    /// Entries covered by the snapshot the last start recovered from (0 when it replayed the whole log).
    let recoverySnapshotSequence: Metrics.Gauge
    /// Entries the last start replayed from the log after its snapshot.
    let recoveryEntriesReplayed: Metrics.Gauge
    /// Snapshots the last start skipped because they did not load.
    let recoverySnapshotsSkipped: Metrics.Gauge
    /// How long the last start took to recover, in milliseconds.
    let recoveryMilliseconds: Metrics.Gauge

    init(factory: PrometheusMetricsFactory) {
        written = Metrics.Counter(label: "osg_snapshots_written_total", factory: factory)
        failures = Metrics.Counter(label: "osg_snapshot_failures_total", factory: factory)
        encodeDuration = Metrics.Timer(label: "osg_snapshot_encode_seconds", factory: factory)
        writeDuration = Metrics.Timer(label: "osg_snapshot_write_seconds", factory: factory)
        lastBytes = Metrics.Gauge(label: "osg_snapshot_bytes", factory: factory)
        lastNewBytes = Metrics.Gauge(label: "osg_snapshot_new_bytes", factory: factory)
        lastSegmentsReused = Metrics.Gauge(label: "osg_snapshot_segments_reused", factory: factory)
        lastSequence = Metrics.Gauge(label: "osg_snapshot_sequence", factory: factory)
        recoverySnapshotSequence = Metrics.Gauge(label: "osg_recovery_snapshot_sequence", factory: factory)
        recoveryEntriesReplayed = Metrics.Gauge(label: "osg_recovery_entries_replayed", factory: factory)
        recoverySnapshotsSkipped = Metrics.Gauge(label: "osg_recovery_snapshots_skipped", factory: factory)
        recoveryMilliseconds = Metrics.Gauge(label: "osg_recovery_milliseconds", factory: factory)
    }
}
