import OSGCarbon
import OSGDomain

/// The optional carbon step of a clearing, run when the snapshot carries hourly carbon series
/// (docs/CARBON.md):
///
/// 1. A node without a `carbon_gco2_per_kwh` figure takes its zone's series value at `now`
///    (so capped orders can use it); a stated figure is kept.
/// 2. Each valid flexible order (`carbon.shift: true` with a deadline), in the snapshot's order,
///    is planned by the capacity-aware ``CarbonShiftPlanner/plan(_:gpus:now:allowedZones:freeNow:forecast:threshold:)``
///    over the zones of the nodes that could host it alone in this snapshot (every constraint
///    but the carbon cap, which the planner judges per hour). Free GPUs now per zone are those
///    nodes' free GPUs less what earlier flexible orders of this step were sent to start
///    there; the forecast is the caller's (the coordinator's: running leases until their
///    expected end) or, for a bare snapshot, today's free GPUs in every hour. A plan to wait
///    leaves the order unplaced with ``UnplacedReason/deferredForCleanerPower(start:zone:)``
///    and commits its slot to the forecast (the next order sees it taken); a plan to start
///    now makes the engine try the allowed zones cleanest first
///    (``CarbonShiftPlanner/zonesCleanestFirst(_:now:allowedZones:)``), each by its usual
///    cheapest-fit rules, then any node as usual.
/// 3. A set-aside order pays its pool's price wherever it runs, so it too tries the zones
///    cleanest first (every zone of the snapshot with a series, ranked per order in O(zones);
///    the engine's search skips a zone where it does not fit): cleaner at no cost to anyone's
///    price.
/// 4. Everything else clears exactly as without carbon data.
struct CarbonShiftStep {
    /// Nodes with figures filled in from the series.
    var nodes: [MarketNode]
    /// Orders that still go to the engine.
    var orders: [MarketOrder]
    /// Orders deferred to a cleaner hour.
    var deferred: [UnplacedOrder]
    /// Order id → zones the engine tries first, in order.
    var preferredZones: [String: [String]]

    init(snapshot: MarketSnapshot, atlas: CarbonAtlas, forecast: ZoneCapacityForecast? = nil,
         threshold: CarbonShiftPlanner.DeferralThreshold = .standard) {
        nodes = snapshot.nodes.map { node in
            var node = node
            if node.carbonMicroGCO2PerKWh == nil, let milligrams = atlas[node.zone]?.intensity(at: snapshot.now) {
                node.carbonMicroGCO2PerKWh = milligrams * 1000
            }
            return node
        }
        orders = []
        deferred = []
        preferredZones = [:]
        // Without a flexible or set-aside order there is nothing to plan (and no scratch index
        // to build).
        guard snapshot.orders.contains(where: { Self.isFlexible($0) || $0.pool != nil }) else {
            orders = snapshot.orders
            return
        }
        /// The zones of the snapshot's nodes that have a series: a set-aside order ranks them
        /// (O(zones) per order; the engine's zone search skips zones where it does not fit).
        let seriesZones = Set(nodes.lazy.map(\.zone).filter { atlas[$0] != nil })
        // A scratch engine only to compile flexible orders' requirements against the same node
        // table, built at the first flexible order.
        var scratch: ClearingEngine? = nil
        let nodes = nodes
        plan(snapshot.orders, now: snapshot.now, seriesZones: seriesZones, atlas: atlas, forecast: forecast ?? Self.freeNowForecast(snapshot),
             threshold: threshold, counted: nil) { (body: (inout ClearingEngine) -> Void) in
            if scratch == nil { scratch = ClearingEngine(nodes: nodes, pools: snapshot.pools) }
            body(&scratch!)
        }
    }

    /// The step over an engine that holds every node of the market, offline ones too, already
    /// started on this clearing's free figures and pools (the coordinator's kept engine): the
    /// same decisions as ``init(snapshot:atlas:forecast:threshold:)`` over the online nodes
    /// (``nodes`` stays empty: the engine holds them). `online[p]`: whether the node at engine
    /// position `p` is online.
    init(now: Timestamp, orders snapshotOrders: [MarketOrder], engine: inout ClearingEngine, online: [Bool], atlas: CarbonAtlas,
         forecast: ZoneCapacityForecast, threshold: CarbonShiftPlanner.DeferralThreshold = .standard) {
        precondition(online.count == engine.table.count, "one liveness per engine node")
        nodes = []
        orders = []
        deferred = []
        preferredZones = [:]
        guard snapshotOrders.contains(where: { Self.isFlexible($0) || $0.pool != nil }) else {
            orders = snapshotOrders
            return
        }
        // The zones of the online nodes, gathered by code (no string hashed per node).
        let table = engine.table
        var present = [Bool](repeating: false, count: table.zoneNames.count)
        for position in 0..<table.count where online[position] { present[Int(table.zoneCode[position])] = true }
        let seriesZones = Set(table.zoneNames.indices.filter { present[$0] && atlas[table.zoneNames[$0]] != nil }.map { table.zoneNames[$0] })
        plan(snapshotOrders, now: now, seriesZones: seriesZones, atlas: atlas, forecast: forecast, threshold: threshold,
             counted: online) { (body: (inout ClearingEngine) -> Void) in body(&engine) }
    }

    /// Steps 2 and 3 over `snapshotOrders`, with the engine `withEngine` lends (built on first
    /// use) and only its nodes whose position `counted` marks (`nil`: all).
    private mutating func plan(_ snapshotOrders: [MarketOrder], now: Timestamp, seriesZones: Set<String>, atlas: CarbonAtlas,
                               forecast initialForecast: ZoneCapacityForecast, threshold: CarbonShiftPlanner.DeferralThreshold,
                               counted: [Bool]?, withEngine: ((inout ClearingEngine) -> Void) -> Void) {
        let planner = CarbonShiftPlanner(atlas: atlas)
        var setAsideRanker = SetAsideZoneRanker(planner: planner, now: now, seriesZones: seriesZones)
        var forecast = initialForecast
        /// GPUs of each zone that earlier flexible orders of this step were sent to start in.
        var claimedNow: [String: Int] = [:]
        /// The counted nodes by zone and model, built at the first flexible order.
        var zoneNodes: ZoneNodes? = nil
        for order in snapshotOrders {
            guard let spec = order.spec, Self.isFlexible(order) || order.pool != nil else {
                orders.append(order)
                continue
            }
            guard Self.isFlexible(order) else {
                // Set-aside: cleanest zone first, at the pool's price.
                if let ranked = setAsideRanker.zones(for: spec) {
                    preferredZones[order.id] = ranked
                }
                orders.append(order)
                continue
            }
            var admitted: OrderRequirement? = nil
            var allowedZones: [String] = []
            /// GPUs free now in a zone on nodes that take the order, counted no further than `cap`.
            var roomNow: (_ zone: String, _ cap: Int) -> Int = { _, _ in 0 }
            withEngine { compiled in
                guard case .success(var need) = compiled.admit(order) else { return }
                need.carbonCapMicro = -1
                admitted = need
                if zoneNodes == nil { zoneNodes = ZoneNodes(compiled, counted: counted) }
                let zoneNodes = zoneNodes!
                // A node's zone is allowed when the node passes every filter but those on what is
                // free now (GPUs, cores, memory, disk); its free GPUs count as room now when it
                // passes those too.
                var placeable = need
                placeable.gpusPerNode = 0
                placeable.cpuCores = 0
                placeable.memoryGiB = 0
                placeable.diskGiB = 0
                let passed = UnplacedReason.cascade.count
                let table = compiled.table
                let host = compiled.snapshotHost
                for code in table.zoneNames.indices {
                    let allowed = need.models.contains { model in
                        zoneNodes.all(zone: code, model: model).contains { placeable.passedFilters(node: Int($0), in: table, host: host) == passed }
                    }
                    if allowed { allowedZones.append(table.zoneNames[code]) }
                }
                // Whether the room reaches `cap` is all the planner asks (it compares the room
                // less this step's claims with the order's GPUs), so a count stops there, and a
                // zone whose free GPUs in all cannot reach it is not read node by node.
                roomNow = { zone, cap in
                    guard let code = table.zoneCodes[zone].map(Int.init) else { return 0 }
                    let most = need.models.reduce(0) { $0 + zoneNodes.freeGPUs(zone: code, model: $1) }
                    guard most >= cap else { return most }
                    var room = 0
                    for model in need.models {
                        for entry in zoneNodes.withFreeGPUs(zone: code, model: model)
                        where need.passedFilters(node: Int(entry.node), in: table, host: host) == passed {
                            room += Int(entry.freeGPUs)
                            if room >= cap { return cap }
                        }
                    }
                    return room
                }
            }
            guard admitted != nil else {
                orders.append(order)
                continue
            }
            let zones = allowedZones
            let gpus = max(1, spec.resources.gpu.countPerNode * spec.nodeCount)
            let decision = planner.plan(spec, gpus: gpus, now: now, allowedZones: zones,
                                        freeNow: { roomNow($0, gpus + (claimedNow[$0] ?? 0)) - (claimedNow[$0] ?? 0) },
                                        forecast: forecast, threshold: threshold)
            switch decision {
            case .wait(let start, let zone, _, _, _):
                forecast.commit(zone: zone, gpus: gpus, fromSeconds: start.secondsSinceEpoch,
                                untilSeconds: start.secondsSinceEpoch + max(spec.durationSeconds, 1))
                deferred.append(UnplacedOrder(orderID: order.id, reason: .deferredForCleanerPower(start: start, zone: zone)))
            case .startNow(let zone, _):
                if let zone {
                    claimedNow[zone, default: 0] += gpus
                    preferredZones[order.id] = planner.zonesCleanestFirst(spec, now: now, allowedZones: zones)
                }
                orders.append(order)
            case .noStartUnderCap:
                orders.append(order)
            }
        }
    }

    /// Set-aside orders' zones to try first at one instant over one set of zones: those of
    /// `seriesZones` a spec allows, cleanest first. The ranking reads only a job's carbon cap
    /// and expected run (``CarbonShiftPlanner/ZoneRankingKey``), so each such pair is ranked once.
    struct SetAsideZoneRanker {
        let planner: CarbonShiftPlanner
        let now: Timestamp
        let seriesZones: Set<String>
        private var rankedByKey: [CarbonShiftPlanner.ZoneRankingKey: [String]] = [:]

        init(planner: CarbonShiftPlanner, now: Timestamp, seriesZones: Set<String>) {
            self.planner = planner
            self.now = now
            self.seriesZones = seriesZones
        }

        /// The zones of `spec`'s order, cleanest first; `nil` when none.
        mutating func zones(for spec: JobSpec) -> [String]? {
            let key = CarbonShiftPlanner.ZoneRankingKey(spec)
            let ranked: [String]
            if let known = rankedByKey[key] {
                ranked = known
                assert(ranked == planner.zonesCleanestFirst(spec, now: now, allowedZones: seriesZones),
                       "jobs with the same cap and expected run rank the zones alike")
            } else {
                ranked = planner.zonesCleanestFirst(key, now: now, allowedZones: seriesZones)
                rankedByKey[key] = ranked
            }
            return ranked.isEmpty ? nil : ranked
        }
    }

    /// Whether an order is flexible in time: `carbon.shift` with a deadline.
    static func isFlexible(_ order: MarketOrder) -> Bool {
        order.spec.map { $0.carbon.shift && $0.deadline != nil } ?? false
    }

    /// The forecast a bare snapshot allows: each zone's free GPUs now, in every hour of the
    /// next week, nothing committed (the snapshot has no running leases to expect ends of).
    static func freeNowForecast(_ snapshot: MarketSnapshot) -> ZoneCapacityForecast {
        var forecast = ZoneCapacityForecast(firstHour: CarbonSeries.hour(containing: snapshot.now), hourCount: 7 * 24)
        var free: [String: Int] = [:]
        for node in snapshot.nodes { free[node.zone, default: 0] += node.freeGPUs }
        for (zone, gpus) in free { forecast.setCapacity(zone: zone, gpus: gpus) }
        return forecast
    }
}

extension ClearingEngine {
    /// The engine's usual search restricted to each zone's nodes in turn; `nil` when no zone
    /// is given or none fits.
    mutating func searchPreferring(zones: [String]?, _ need: OrderRequirement) -> [Int]? {
        guard let zones else { return nil }
        for zone in zones {
            guard let code = table.zoneCodes[zone] else { continue }
            var zoned = need
            zoned.onlyZone = code
            // Only regions that hold a node of the zone can match.
            let zoneRegions = table.zoneRegions[Int(code)]
            zoned.regions = need.regions.filter { zoneRegions.contains($0) }
            if let nodes = search(zoned, in: index, host: host) { return nodes }
        }
        return nil
    }
}

/// The nodes a carbon step counts, grouped by grid zone code and GPU model code of the engine's
/// table, so that each flexible order asks only its accepted models' nodes zone by zone, and
/// stops at the first node that settles the answer, instead of reading every node per order.
///
/// Built once per step by a counting sort into flat arrays (no array per group to grow).
struct ZoneNodes {
    /// One counted node with free GPUs now.
    struct FreeNode {
        var node: Int32
        var freeGPUs: Int32
    }
    private let modelCount: Int
    /// Group (zone × models + model) → its range in ``allNodes``, then in ``freeNodes``.
    private let allStarts: [Int]
    private let freeStarts: [Int]
    /// Every counted node, grouped, in position order within each group.
    private let allNodes: [Int32]
    /// The counted nodes with free GPUs now, grouped, in position order within each group.
    private let freeNodes: [FreeNode]
    /// Group → the free GPUs of its nodes, in all.
    private let groupFreeGPUs: [Int]

    /// The groups of `engine`'s nodes that `counted` marks (`nil`: all), with their free GPUs now.
    init(_ engine: ClearingEngine, counted: [Bool]?) {
        let table = engine.table
        modelCount = table.models.count
        let groupCount = table.zoneNames.count * modelCount
        var group = [Int32](repeating: -1, count: table.count)
        var allCounts = [Int](repeating: 0, count: groupCount + 1)
        var freeCounts = [Int](repeating: 0, count: groupCount + 1)
        var freeGPUs = [Int](repeating: 0, count: groupCount)
        for node in 0..<table.count where counted?[node] ?? true {
            let index = Int(table.zoneCode[node]) * modelCount + Int(table.model[node])
            group[node] = Int32(index)
            allCounts[index + 1] += 1
            let free = engine.freeGPUs(at: node)
            guard free > 0 else { continue }
            freeCounts[index + 1] += 1
            freeGPUs[index] += free
        }
        for index in 0..<groupCount {
            allCounts[index + 1] += allCounts[index]
            freeCounts[index + 1] += freeCounts[index]
        }
        allStarts = allCounts
        freeStarts = freeCounts
        var allNext = allCounts
        var freeNext = freeCounts
        var allNodes = [Int32](repeating: 0, count: allCounts[groupCount])
        var freeNodes = [FreeNode](repeating: FreeNode(node: 0, freeGPUs: 0), count: freeCounts[groupCount])
        for node in 0..<table.count where group[node] >= 0 {
            let index = Int(group[node])
            allNodes[allNext[index]] = Int32(node)
            allNext[index] += 1
            let free = engine.freeGPUs(at: node)
            guard free > 0 else { continue }
            freeNodes[freeNext[index]] = FreeNode(node: Int32(node), freeGPUs: Int32(free))
            freeNext[index] += 1
        }
        self.allNodes = allNodes
        self.freeNodes = freeNodes
        groupFreeGPUs = freeGPUs
    }

    /// Every counted node of `zone` and `model` (codes).
    func all(zone: Int, model: Int32) -> ArraySlice<Int32> {
        let index = zone * modelCount + Int(model)
        return allNodes[allStarts[index]..<allStarts[index + 1]]
    }

    /// The counted nodes of `zone` and `model` with free GPUs now, with those GPUs.
    func withFreeGPUs(zone: Int, model: Int32) -> ArraySlice<FreeNode> {
        let index = zone * modelCount + Int(model)
        return freeNodes[freeStarts[index]..<freeStarts[index + 1]]
    }

    /// The free GPUs of the counted nodes of `zone` and `model`, in all.
    func freeGPUs(zone: Int, model: Int32) -> Int { groupFreeGPUs[zone * modelCount + Int(model)] }
}
