import OSGCarbon
import OSGDomain

/// The optional carbon step of a clearing, run when the snapshot carries hourly carbon series
/// (docs/CARBON.md):
///
/// 1. A node without a `carbon_gco2_per_kwh` figure takes its zone's series value at `now`
///    (so capped orders can use it); a stated figure is kept.
/// 2. Each valid flexible order (`carbon.shift: true` with a deadline) is planned by
///    ``CarbonShiftPlanner`` over the zones of the nodes that could host it alone in this
///    snapshot (every constraint but the carbon cap, which the planner judges per hour).
///    A plan to start later leaves the order unplaced with
///    ``UnplacedReason/deferredForCleanerPower(start:zone:)``; a plan to start now makes the
///    engine try the allowed zones cleanest first (``CarbonShiftPlanner/zonesCleanestFirst(_:now:allowedZones:)``),
///    each by its usual cheapest-fit rules, then any node as usual.
/// 3. Everything else clears exactly as without carbon data.
struct CarbonShiftStep {
    /// Nodes with figures filled in from the series.
    var nodes: [MarketNode]
    /// Orders that still go to the engine.
    var orders: [MarketOrder]
    /// Orders deferred to a cleaner hour.
    var deferred: [UnplacedOrder]
    /// Order id → zones the engine tries first, in order.
    var preferredZones: [String: [String]]

    init(snapshot: MarketSnapshot, atlas: CarbonAtlas) {
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
        // Without a flexible order there is nothing to plan (and no scratch index to build).
        guard snapshot.orders.contains(where: { $0.spec.map { $0.carbon.shift && $0.deadline != nil } ?? false }) else {
            orders = snapshot.orders
            return
        }
        let planner = CarbonShiftPlanner(atlas: atlas)
        // A scratch engine only to compile requirements against the same node table.
        var scratch = ClearingEngine(nodes: nodes, pools: snapshot.pools)
        for order in snapshot.orders {
            guard let spec = order.spec, spec.carbon.shift, spec.deadline != nil,
                  case .success(var need) = scratch.admit(order)
            else {
                orders.append(order)
                continue
            }
            need.carbonCapMicro = -1
            var zones = Set<String>()
            for model in need.models {
                for node in scratch.table.nodesByModel[Int(model)]
                where need.passedFilters(node: Int(node), in: scratch.table, host: scratch.snapshotHost) == UnplacedReason.cascade.count {
                    zones.insert(scratch.zoneName(Int(node)))
                }
            }
            switch planner.plan(spec, now: snapshot.now, allowedZones: zones) {
            case .wait(let start, let zone, _, _, _):
                deferred.append(UnplacedOrder(orderID: order.id, reason: .deferredForCleanerPower(start: start, zone: zone)))
            case .startNow(let zone, _):
                if zone != nil { preferredZones[order.id] = planner.zonesCleanestFirst(spec, now: snapshot.now, allowedZones: zones) }
                orders.append(order)
            case .noStartUnderCap:
                orders.append(order)
            }
        }
    }
}

extension ClearingEngine {
    /// The zone name of a table node.
    func zoneName(_ node: Int) -> String { table.zoneNames[Int(table.zoneCode[node])] }

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
