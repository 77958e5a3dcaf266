import Metrics
import OSGRequestBodies
import Prometheus

/// The coordinator's metrics, recorded through swift-metrics into one Prometheus registry
/// that `/metrics` renders. Each server has its own registry (no global bootstrap), so tests
/// can run several servers in one process.
public final class ServerMetrics: Sendable {
    /// The registry `/metrics` renders.
    public let registry: PrometheusCollectorRegistry
    /// The swift-metrics factory writing into ``registry``.
    public let factory: PrometheusMetricsFactory

    /// Commands appended to the log.
    let commandsAppended: Metrics.Counter
    /// Store appends (one per group commit).
    let storeAppends: Metrics.Counter
    /// Commands per store append.
    let batchSize: Metrics.Recorder
    /// Time of one store append (durable write).
    let appendDuration: Metrics.Timer
    /// Observer calls that threw.
    let observerFailures: Metrics.Counter
    /// Requests refused by authentication.
    let authFailures: Metrics.Counter
    /// Requests refused by the rate limiter.
    let rateLimited: Metrics.Counter
    /// Commands refused at the door (the state would refuse them; nothing logged) and writes
    /// refused by an admission limit (funds, per-key caps, per-address budget).
    let refusedBeforeLogging: Metrics.Counter
    /// Entries in the log.
    let logLength: Metrics.Gauge

    public init() {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(1000),
        ]
        factory.defaultValueHistogramBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048]
        self.registry = registry
        self.factory = factory
        commandsAppended = Metrics.Counter(label: "osg_commands_appended_total", factory: factory)
        storeAppends = Metrics.Counter(label: "osg_store_appends_total", factory: factory)
        batchSize = Metrics.Recorder(label: "osg_commit_batch_commands", aggregate: true, factory: factory)
        appendDuration = Metrics.Timer(label: "osg_store_append_seconds", factory: factory)
        observerFailures = Metrics.Counter(label: "osg_observer_failures_total", factory: factory)
        authFailures = Metrics.Counter(label: "osg_auth_failures_total", factory: factory)
        rateLimited = Metrics.Counter(label: "osg_rate_limited_total", factory: factory)
        refusedBeforeLogging = Metrics.Counter(label: "osg_refused_before_logging_total", factory: factory)
        logLength = Metrics.Gauge(label: "osg_log_entries", factory: factory)
    }

    /// Counts one answered request by route pattern and status, and records its duration.
    func recordRequest(method: String, route: String, status: Int, nanoseconds: Int64) {
        let dimensions = [("method", method), ("route", route), ("status", String(status))]
        Metrics.Counter(label: "osg_http_requests_total", dimensions: dimensions, factory: factory).increment()
        Metrics.Timer(label: "osg_http_request_seconds", dimensions: [("method", method), ("route", route)], factory: factory)
            .recordNanoseconds(nanoseconds)
    }

    /// The Prometheus text exposition.
    func render() -> [UInt8] {
        registry.emitToBuffer()
    }
}
