import Foundation

/// Collects the regimes' metrics from concurrent workers (each regime is deterministic, so the
/// order they finish in does not matter).
public final class RegimeResults: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [RegimeMetrics?]

    /// Room for `count` regimes.
    public init(count: Int) { slots = Array(repeating: nil, count: count) }

    /// Stores the metrics of regime `index`.
    public func set(_ index: Int, _ metrics: RegimeMetrics) {
        lock.lock()
        slots[index] = metrics
        lock.unlock()
    }

    /// Every regime's metrics, in index order (all must be set).
    public var values: [RegimeMetrics] {
        lock.lock()
        defer { lock.unlock() }
        return slots.map { $0! }
    }
}
