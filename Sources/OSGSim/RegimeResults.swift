import Foundation
import OSGCore
import OSGStore

/// Collects the regimes' metrics from concurrent workers (each regime is deterministic, so the
/// order they finish in does not matter).
public final class RegimeResults: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [RegimeMetrics?]
    private var logs: [RegimeLog?]

    /// Room for `count` regimes.
    public init(count: Int) {
        slots = Array(repeating: nil, count: count)
        logs = Array(repeating: nil, count: count)
    }

    /// Stores the metrics of regime `index`, and the coordinator's log of its run if it kept one.
    public func set(_ index: Int, _ metrics: RegimeMetrics, log: RegimeLog? = nil) {
        lock.lock()
        slots[index] = metrics
        logs[index] = log
        lock.unlock()
    }

    /// The kept log of regime `index`, if any.
    public func log(_ index: Int) -> RegimeLog? {
        lock.lock()
        defer { lock.unlock() }
        return logs[index]
    }

    /// Every regime's metrics, in index order (all must be set).
    public var values: [RegimeMetrics] {
        lock.lock()
        defer { lock.unlock() }
        return slots.map { $0! }
    }
}

/// The coordinator's log of an open regime's run: the in-memory store (genesis and every
/// entry) and the state after its last entry, to publish as a transparency log.
public struct RegimeLog: Sendable {
    public let store: InMemoryCommandLogStore
    public let state: CoordinatorState
}
