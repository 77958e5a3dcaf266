import OSGCarbon
import OSGDomain
import OSGMarket
import Yams

/// An independent check of a clearing's output against DESIGN.md §4 and docs/MARKET.md.
///
/// Deliberately written apart from the engine: it reads the output JSON text (not the
/// engine's types), and decides whether an order fits by brute force over all nodes.
struct ClearingChecker {
    struct Placed {
        var order: String
        var nodes: [(node: String, gpus: Int)]
        var priceMicroCredits: Int64
    }

    let snapshot: MarketSnapshot
    var violations: [String] = []

    init(snapshot: MarketSnapshot) {
        var snapshot = snapshot
        // With carbon series, a node without a stated figure has its zone's value at `now`
        // (docs/CARBON.md): the cap is judged on that.
        if let atlas = snapshot.carbon {
            for index in snapshot.nodes.indices where snapshot.nodes[index].carbonMicroGCO2PerKWh == nil {
                let node = snapshot.nodes[index]
                snapshot.nodes[index].carbonMicroGCO2PerKWh = atlas[node.zone]?.intensity(at: snapshot.now).map { $0 * 1000 }
            }
        }
        self.snapshot = snapshot
    }

    /// Reads the contract JSON; every structural problem is a violation.
    static func parse(_ text: String) -> (placed: [Placed], unplaced: [(order: String, reason: String)])? {
        guard let root = try? Yams.compose(yaml: text), case .mapping(let top) = root,
              Set(top.keys.compactMap(\.string)) == ["placements", "unplaced"],
              case .sequence(let placements)? = top["placements"], case .sequence(let unplacedNodes)? = top["unplaced"]
        else { return nil }
        var placed: [Placed] = []
        for entry in placements {
            guard case .mapping(let fields) = entry, Set(fields.keys.compactMap(\.string)) == ["order", "nodes", "price"],
                  let order = fields["order"]?.string, case .sequence(let nodes)? = fields["nodes"],
                  case .scalar(let price)? = fields["price"], price.style == .plain,
                  let micro = try? MicroCredits(decimal: price.string)
            else { return nil }
            var grants: [(String, Int)] = []
            for node in nodes {
                guard case .mapping(let grant) = node, Set(grant.keys.compactMap(\.string)) == ["node", "gpus"],
                      let id = grant["node"]?.string, case .scalar(let gpus)? = grant["gpus"], gpus.style == .plain,
                      let count = Int(gpus.string)
                else { return nil }
                grants.append((id, count))
            }
            placed.append(Placed(order: order, nodes: grants, priceMicroCredits: micro.rawValue))
        }
        var unplaced: [(String, String)] = []
        for entry in unplacedNodes {
            guard case .mapping(let fields) = entry, let order = fields["order"]?.string,
                  let reason = fields["reason"]?.string, !reason.isEmpty,
                  Set(fields.keys.compactMap(\.string)) == (reason == "deferred_for_cleaner_power"
                      ? ["order", "reason", "planned_start", "zone"] : ["order", "reason"])
            else { return nil }
            unplaced.append((order, reason))
        }
        return (placed, unplaced)
    }

    /// Every violation of the output `text` for this snapshot; empty when it is correct.
    mutating func check(_ text: String) -> [String] {
        guard let (placed, unplaced) = Self.parse(text) else { return ["output is not the contract JSON shape: \(text.prefix(200))"] }
        let orders = Dictionary(uniqueKeysWithValues: snapshot.orders.map { ($0.id, $0) })
        let nodes = Dictionary(uniqueKeysWithValues: snapshot.nodes.map { ($0.id, $0) })
        let pools = Dictionary(uniqueKeysWithValues: snapshot.pools.map { ($0.name, $0) })
        let total = snapshot.nodes.reduce(0) { $0 + $1.freeGPUs }
        let reserved = Dictionary(uniqueKeysWithValues: snapshot.pools.map { ($0.name, $0.sharePPM * total / 1_000_000) })
        let reservedTotal = reserved.values.reduce(0, +)

        // Every order exactly once.
        let seen = placed.map(\.order) + unplaced.map(\.order)
        if seen.count != Set(seen).count { fail("an order appears more than once") }
        if Set(seen) != Set(orders.keys) { fail("orders in output \(Set(seen).symmetricDifference(orders.keys)) differ from input") }

        var used: [String: Int] = [:]
        var poolUsed: [String: Int] = [:]
        var standardOpen = 0
        for placement in placed {
            guard let order = orders[placement.order] else { continue }
            guard let spec = order.spec else { fail("\(placement.order): placed with an invalid spec"); continue }
            let ids = placement.nodes.map(\.node)
            if ids.count != spec.nodeCount { fail("\(placement.order): \(ids.count) nodes for a gang of \(spec.nodeCount)") }
            if Set(ids).count != ids.count { fail("\(placement.order): a node twice") }
            var regions = Set<String>()
            for (id, gpus) in placement.nodes {
                guard let node = nodes[id] else { fail("\(placement.order): unknown node \(id)"); continue }
                used[id, default: 0] += gpus
                regions.insert(node.region)
                if gpus != spec.resources.gpu.countPerNode { fail("\(placement.order): \(gpus) GPUs on \(id), wants \(spec.resources.gpu.countPerNode)") }
                for problem in Self.mismatches(spec, node) { fail("\(placement.order) on \(id): \(problem)") }
                if node.askPerGPUHour.rawValue > placement.priceMicroCredits { fail("\(placement.order): price below the ask of \(id)") }
            }
            if regions.count > 1 { fail("\(placement.order): gang spans regions \(regions.sorted())") }
            if placement.priceMicroCredits > spec.maxPricePerGPUHour.rawValue { fail("\(placement.order): price above max_price") }
            if let poolName = order.pool {
                guard let pool = pools[poolName] else { fail("\(placement.order): placed in an unknown pool"); continue }
                if spec.jobClass != .setAside { fail("\(placement.order): pool order of class \(spec.jobClass)") }
                if placement.priceMicroCredits != pool.pricePerGPUHour.rawValue { fail("\(placement.order): set-aside price is not the pool's") }
                poolUsed[poolName, default: 0] += spec.totalGPUs
            } else {
                if spec.jobClass == .setAside { fail("\(placement.order): set-aside order without a pool placed") }
                if spec.jobClass == .standard { standardOpen += spec.totalGPUs }
            }
        }
        // No over-commitment; pools within their reservation; standard work off the reservation.
        for (id, gpus) in used where gpus > (nodes[id]?.freeGPUs ?? 0) { fail("node \(id) gives \(gpus) GPUs of \(nodes[id]?.freeGPUs ?? 0)") }
        for (name, gpus) in poolUsed where gpus > reserved[name]! { fail("pool \(name) holds \(gpus) GPUs of \(reserved[name]!) reserved") }
        if standardOpen > total - reservedTotal { fail("standard open orders hold \(standardOpen) GPUs, more than the \(total - reservedTotal) not reserved") }

        // Unplaced orders: the reason must be true, and nothing that fits may stay free.
        var freeAtEnd = Dictionary(uniqueKeysWithValues: snapshot.nodes.map { ($0.id, $0.freeGPUs) })
        for (id, gpus) in used { freeAtEnd[id, default: 0] -= gpus }
        let snapshotFree = Dictionary(uniqueKeysWithValues: snapshot.nodes.map { ($0.id, $0.freeGPUs) })
        for (id, reason) in unplaced {
            guard let order = orders[id] else { continue }
            guard let spec = order.spec else {
                if !reason.hasPrefix("invalid_spec: ") { fail("\(id): invalid spec reported as \(reason)") }
                continue
            }
            let pool = order.pool.flatMap { pools[$0] }
            switch reason {
            case "pool_unknown":
                if order.pool == nil || pool != nil { fail("\(id): pool_unknown but pool is \(order.pool ?? "absent")") }
                continue
            case "set_aside_needs_pool":
                if order.pool != nil || spec.jobClass != .setAside { fail("\(id): set_aside_needs_pool is wrong") }
                continue
            case "pool_needs_set_aside_class":
                if order.pool == nil || spec.jobClass == .setAside { fail("\(id): pool_needs_set_aside_class is wrong") }
                continue
            case "max_price_below_pool_price":
                if pool == nil || spec.maxPricePerGPUHour >= pool!.pricePerGPUHour { fail("\(id): max_price_below_pool_price is wrong") }
                continue
            case "deferred_for_cleaner_power":
                // A deliberate wait: only flexible orders, and only with carbon series in the snapshot.
                if !spec.carbon.shift || spec.deadline == nil || snapshot.carbon == nil {
                    fail("\(id): deferred_for_cleaner_power but the order is not flexible or the snapshot has no series")
                }
                continue
            default: break
            }
            if order.pool == nil && spec.jobClass == .setAside { fail("\(id): set-aside without pool reported as \(reason)"); continue }
            if order.pool != nil && (pool == nil || spec.jobClass != .setAside) { fail("\(id): bad pool order reported as \(reason)"); continue }
            let maxAsk = pool.map { min($0.pricePerGPUHour, spec.maxPricePerGPUHour) } ?? spec.maxPricePerGPUHour
            let fitsAtEnd = fits(spec, maxAsk: maxAsk, free: freeAtEnd)
            let fitsSnapshot = fits(spec, maxAsk: maxAsk, free: snapshotFree)
            switch reason {
            case "pool_exhausted":
                if pool == nil || poolUsed[order.pool!, default: 0] + spec.totalGPUs <= reserved[order.pool!]! {
                    fail("\(id): pool_exhausted but the pool has room")
                }
            case "set_aside_floor":
                if order.pool != nil || spec.jobClass != .standard || standardOpen + spec.totalGPUs <= total - reservedTotal {
                    fail("\(id): set_aside_floor but the open budget has room")
                }
            case "no_capacity":
                if fitsAtEnd { fail("\(id): no_capacity while nodes that fit it are free at the end") }
                if !fitsSnapshot { fail("\(id): no_capacity but nothing ever fitted (a static reason is due)") }
            default:
                if fitsSnapshot { fail("\(id): reason \(reason) but the snapshot had nodes that fit") }
            }
            if reason != "set_aside_floor" && reason != "pool_exhausted" && fitsAtEnd {
                fail("\(id): unplaced (\(reason)) while nodes that fit it alone are free at the end")
            }
        }
        return violations
    }

    /// Whether `spec` fits the nodes with `free` GPUs: `nodes` distinct nodes in one region.
    func fits(_ spec: JobSpec, maxAsk: MicroCredits, free: [String: Int]) -> Bool {
        var perRegion: [String: Int] = [:]
        for node in snapshot.nodes
        where free[node.id, default: 0] >= spec.resources.gpu.countPerNode && node.askPerGPUHour <= maxAsk
            && Self.mismatches(spec, node).isEmpty {
            perRegion[node.region, default: 0] += 1
        }
        return perRegion.values.contains { $0 >= spec.nodeCount }
    }

    /// The spec's per-node constraints that `node` breaks (price and free GPUs aside).
    static func mismatches(_ spec: JobSpec, _ node: MarketNode) -> [String] {
        var problems: [String] = []
        let gpu = spec.resources.gpu
        if !gpu.selector.accepts(node.gpuModel) { problems.append("model \(node.gpuModel) not \(gpu.selector)") }
        if let vram = gpu.minVRAMGiB, node.vramGiB < vram { problems.append("vram") }
        if node.cpuCores < spec.resources.cpuCores { problems.append("cpu") }
        if node.memoryGiB < spec.resources.memoryGiB { problems.append("memory") }
        if let disk = node.diskGiB, disk < spec.resources.diskGiB { problems.append("disk") }
        if !spec.placement.regions.isEmpty && !spec.placement.regions.contains(node.region) { problems.append("region") }
        if !spec.placement.jurisdictions.isEmpty && !spec.placement.jurisdictions.contains(node.jurisdiction) { problems.append("jurisdiction") }
        if spec.placement.excludedOperators.contains(node.operatorID) { problems.append("excluded operator") }
        if let cap = spec.carbon.maxGCO2PerKWh {
            guard let carbon = node.carbonMicroGCO2PerKWh, carbon <= Int64(cap) * 1_000_000 else {
                problems.append("carbon")
                return problems
            }
        }
        return problems
    }

    private mutating func fail(_ message: String) { violations.append(message) }
}
