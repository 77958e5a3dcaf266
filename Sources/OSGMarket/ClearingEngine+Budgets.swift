import OSGCarbon
import OSGDomain

/// Hooks for a caller that runs clearings over a fleet with work already running (the
/// coordinator's state machine): budgets that count running leases, and the carbon step's
/// zone preferences. `osg market clear` uses neither (a snapshot has no running leases).
extension ClearingEngine {
    /// Replaces the set-aside budgets derived from this engine's free GPUs with what remains
    /// of budgets judged over the whole fleet.
    ///
    /// A snapshot's pools reserve floor(share × free GPUs); a coordinator whose leases
    /// already hold GPUs must judge the floor over all GPUs and subtract what each pool (and
    /// standard open work) already holds, or every clearing would hand standard work another
    /// share of what is left. Preemptible open orders stay unbounded.
    ///
    /// - Parameters:
    ///   - poolRemainingGPUs: per pool, the GPUs its set-aside orders may still take
    ///     (pools not named keep their snapshot budget).
    ///   - standardOpenRemainingGPUs: the GPUs standard open orders together may still take.
    public mutating func limitBudgets(poolRemainingGPUs: [String: Int], standardOpenRemainingGPUs: Int) {
        precondition(poolRemainingGPUs.values.allSatisfy { $0 >= 0 } && standardOpenRemainingGPUs >= 0,
                     "remaining budgets are never negative")
        for (name, remaining) in poolRemainingGPUs where pools[name] != nil {
            pools[name]!.reservedGPUs = remaining
            pools[name]!.usedGPUs = 0
        }
        // The standard check is `standardOpenGPUs + gpus <= totalGPUs - reservedGPUs`.
        standardOpenGPUs = (totalGPUs - reservedGPUs) - standardOpenRemainingGPUs
    }

    /// Sets the zones each order tries first (from ``MarketClearing/carbonStep(now:nodes:orders:pools:atlas:)``).
    public mutating func preferZones(_ zones: [String: [String]]) {
        preferredZones = zones
    }
}

/// The outcome of the carbon step before an engine runs: nodes with carbon figures filled in
/// from the series, the orders that go to the engine, the orders deferred to a cleaner hour,
/// and the zones to try first per order (docs/CARBON.md, "In the market").
public struct CarbonStepOutcome: Sendable {
    /// Nodes, each without a stated figure given its zone's intensity at `now`.
    public var nodes: [MarketNode]
    /// Orders that clear now.
    public var orders: [MarketOrder]
    /// Flexible orders waiting on purpose, with reason `deferred_for_cleaner_power`.
    public var deferred: [UnplacedOrder]
    /// Order id → allowed zones cleanest first (only orders that start now with a preference).
    public var preferredZones: [String: [String]]
}

extension MarketClearing {
    /// Runs the carbon step exactly as `osg market clear` does for a snapshot with a `carbon`
    /// object, without clearing: the coordinator runs it, then its own engine(s). `forecast` is
    /// the capacity per zone and hour the coordinator expects (running leases until their
    /// expected end); without one, free GPUs now stand for every hour.
    public static func carbonStep(
        now: Timestamp, nodes: [MarketNode], orders: [MarketOrder], pools: [SetAsidePool], atlas: CarbonAtlas,
        forecast: ZoneCapacityForecast? = nil
    ) -> CarbonStepOutcome {
        let snapshot = MarketSnapshot(now: now, nodes: nodes, orders: orders, pools: pools, carbon: atlas)
        let step = CarbonShiftStep(snapshot: snapshot, atlas: atlas, forecast: forecast)
        return CarbonStepOutcome(nodes: step.nodes, orders: step.orders, deferred: step.deferred, preferredZones: step.preferredZones)
    }

    /// The carbon step over an engine that holds every node, offline ones too, already started
    /// on this clearing's free figures, carbon figures and pools (the coordinator's kept
    /// engine; `online[p]` says whether the node at engine position `p` is online): the same
    /// orders, deferrals and zone preferences as ``carbonStep(now:nodes:orders:pools:atlas:forecast:)``
    /// over the online nodes, without building a scratch engine. The outcome's `nodes` is empty.
    public static func carbonStep(
        now: Timestamp, engine: inout ClearingEngine, online: [Bool], orders: [MarketOrder], atlas: CarbonAtlas,
        forecast: ZoneCapacityForecast
    ) -> CarbonStepOutcome {
        let step = CarbonShiftStep(now: now, orders: orders, engine: &engine, online: online, atlas: atlas, forecast: forecast)
        return CarbonStepOutcome(nodes: [], orders: step.orders, deferred: step.deferred, preferredZones: step.preferredZones)
    }
}

extension MarketClearing {
    /// Whether `order` is flexible in time (`carbon.shift` with a deadline): the carbon step
    /// plans it, which needs the nodes (``carbonStep(now:nodes:orders:pools:atlas:forecast:)``).
    public static func isFlexibleInTime(_ order: MarketOrder) -> Bool { CarbonShiftStep.isFlexible(order) }

    /// The carbon step's zone preferences when no order is flexible in time: each set-aside
    /// order tries `zones` (those of the nodes with free GPUs) that have a series cleanest first
    /// — exactly what ``carbonStep(now:nodes:orders:pools:atlas:forecast:)`` gives such orders,
    /// without the nodes (their carbon figures are the series' values at `now`, and no order is
    /// deferred).
    public static func setAsideZonePreferences(now: Timestamp, orders: [MarketOrder], zones: Set<String>,
                                               atlas: CarbonAtlas) -> [String: [String]] {
        precondition(!orders.contains(where: isFlexibleInTime), "flexible orders need the whole carbon step")
        let seriesZones = zones.filter { atlas[$0] != nil }
        var ranker = CarbonShiftStep.SetAsideZoneRanker(planner: CarbonShiftPlanner(atlas: atlas), now: now, seriesZones: seriesZones)
        var preferredZones: [String: [String]] = [:]
        for order in orders where order.pool != nil {
            guard let spec = order.spec, let ranked = ranker.zones(for: spec) else { continue }
            preferredZones[order.id] = ranked
        }
        return preferredZones
    }
}
