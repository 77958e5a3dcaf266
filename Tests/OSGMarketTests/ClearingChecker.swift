import OSGCarbon
import OSGDomain
import OSGMarket
import Yams

/// An independent check of a clearing's output against DESIGN.md §4 and docs/MARKET.md.
///
/// Deliberately written apart from the engine: it reads the output JSON text (not the
/// engine's types), and decides whether an order fits by brute force over all nodes.
///
/// Every violation is a line `[kind] message`; ``kind(of:)`` reads the kind back, so tests can
/// ask for a particular kind and summaries can count them. The kinds:
///
/// - `shape`, `orders`: the output is not the contract JSON, or an order is missing or twice;
/// - `placement`: a placement breaks the spec (node count, per-node GPUs, region, model, VRAM,
///   CPU, memory, disk, jurisdiction, operator, carbon) or names an unknown node;
/// - `price`: max_price ≥ price ≥ every ask (open), price = pool price (set-aside);
/// - `ceiling`: a set-aside order on a node asking more than its pool's ceiling;
/// - `gpus_overcommitted`, `cores_overcommitted`, `memory_overcommitted`,
///   `disk_overcommitted`: summed over every placement on a node, more than the node has;
/// - `pool_share`, `open_budget`: a pool above its reserved GPUs, standard open work on them;
/// - `pool_overdrawn`: a pool's subsidies add up to more than its funding;
/// - `reason_wrong`: an unplaced reason that is false on its face (pool reasons, budgets);
/// - `static_reason_due`: a dynamic reason for an order no node of the snapshot could take;
/// - `wrong_static_reason`: a static reason that is not the first filter of the cascade that
///   leaves no node (or a static reason for an order that fits the snapshot);
/// - `work_conservation`: unplaced, not for a budget, while it fits alone on what is left;
/// - `pool_unfunded_unjustified`: `pool_unfunded` while a node set that fits it alone at the
///   end needs a subsidy within the funding left at the end;
/// - `pool_unfunded_floor`: `pool_unfunded` while a node set that would fit it with the
///   open-market placements removed needs a subsidy within the funding left at the end
///   (set-aside orders are served before every open order, so it was free when it was served);
/// - `set_aside_floor_broken`: a set-aside order left unplaced (not for its pool's share or
///   funding, nor a static reason) while a node set would fit it with the open-market
///   placements removed.
struct ClearingChecker {
    struct Placed {
        var order: String
        var nodes: [(node: String, gpus: Int)]
        var priceMicroCredits: Int64
    }

    /// What placements take from a node: GPUs, cores, memory and disk.
    struct Load {
        var gpus = 0
        var cpu = 0
        var memory = 0
        var disk = 0

        mutating func add(_ spec: JobSpec, gpus: Int) {
            self.gpus += gpus
            cpu += spec.resources.cpuCores
            memory += spec.resources.memoryGiB
            disk += spec.resources.diskGiB
        }

        static func - (lhs: Load, rhs: Load) -> Load {
            Load(gpus: lhs.gpus - rhs.gpus, cpu: lhs.cpu - rhs.cpu, memory: lhs.memory - rhs.memory, disk: lhs.disk - rhs.disk)
        }
    }

    /// What a node has left: its snapshot figures minus a load. `disk == nil`: the node does
    /// not state its disk, which is then unlimited.
    struct Room {
        var gpus: Int
        var cpu: Int
        var memory: Int
        var disk: Int?

        init(_ node: MarketNode, minus load: Load = Load()) {
            gpus = node.freeGPUs - load.gpus
            cpu = node.cpuCores - load.cpu
            memory = node.memoryGiB - load.memory
            disk = node.diskGiB.map { $0 - load.disk }
        }

        /// Whether one node of `spec` (its per-node GPUs, cores, memory and disk) fits here.
        func holds(_ spec: JobSpec) -> Bool {
            gpus >= spec.resources.gpu.countPerNode && cpu >= spec.resources.cpuCores && memory >= spec.resources.memoryGiB
                && (disk.map { $0 >= spec.resources.diskGiB } ?? true)
        }
    }

    let snapshot: MarketSnapshot
    var violations: [String] = []
    /// Orders reported `no_capacity` that the GPUs left at the end would take, but not the
    /// cores, memory or disk left: a statistic showing host resources bind (not a violation).
    var hostBound: [String] = []
    /// Set-aside placements that draw a subsidy (a statistic, not a violation).
    var subsidizedPlacements = 0

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

    /// The kind of a violation line (`cores_overcommitted` for `[cores_overcommitted] …`).
    static func kind(of violation: String) -> String {
        guard violation.hasPrefix("["), let end = violation.firstIndex(of: "]") else { return "?" }
        return String(violation[violation.index(after: violation.startIndex)..<end])
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
        guard let (placed, unplaced) = Self.parse(text) else { return ["[shape] output is not the contract JSON shape: \(text.prefix(200))"] }
        let orders = Dictionary(uniqueKeysWithValues: snapshot.orders.map { ($0.id, $0) })
        let nodes = Dictionary(uniqueKeysWithValues: snapshot.nodes.map { ($0.id, $0) })
        let pools = Dictionary(uniqueKeysWithValues: snapshot.pools.map { ($0.name, $0) })
        let total = snapshot.nodes.reduce(0) { $0 + $1.freeGPUs }
        let reserved = Dictionary(uniqueKeysWithValues: snapshot.pools.map { ($0.name, $0.sharePPM * total / 1_000_000) })
        let reservedTotal = reserved.values.reduce(0, +)

        // Every order exactly once.
        let seen = placed.map(\.order) + unplaced.map(\.order)
        if seen.count != Set(seen).count { fail("orders", "an order appears more than once") }
        if Set(seen) != Set(orders.keys) { fail("orders", "orders in output \(Set(seen).symmetricDifference(orders.keys)) differ from input") }

        var used: [String: Load] = [:]
        var openUsed: [String: Load] = [:]
        var poolUsed: [String: Int] = [:]
        var poolSubsidy: [String: Int128] = [:]
        var standardOpen = 0
        for placement in placed {
            guard let order = orders[placement.order] else { continue }
            guard let spec = order.spec else { fail("placement", "\(placement.order): placed with an invalid spec"); continue }
            let ids = placement.nodes.map(\.node)
            if ids.count != spec.nodeCount { fail("placement", "\(placement.order): \(ids.count) nodes for a gang of \(spec.nodeCount)") }
            if Set(ids).count != ids.count { fail("placement", "\(placement.order): a node twice") }
            let pool = order.pool.flatMap { pools[$0] }
            var regions = Set<String>()
            var subsidyTerms: Int128 = 0
            for (id, gpus) in placement.nodes {
                guard let node = nodes[id] else { fail("placement", "\(placement.order): unknown node \(id)"); continue }
                used[id, default: Load()].add(spec, gpus: gpus)
                if order.pool == nil { openUsed[id, default: Load()].add(spec, gpus: gpus) }
                regions.insert(node.region)
                if gpus != spec.resources.gpu.countPerNode { fail("placement", "\(placement.order): \(gpus) GPUs on \(id), wants \(spec.resources.gpu.countPerNode)") }
                for problem in Self.mismatches(spec, node) { fail("placement", "\(placement.order) on \(id): \(problem)") }
                if let pool {
                    // A set-aside order may use any node within its pool's ceiling; the pool's
                    // funding pays the operator the ask above the pool's price.
                    if let ceiling = pool.ceilingPerGPUHour, node.askPerGPUHour > ceiling {
                        fail("ceiling", "\(placement.order): \(id) asks \(node.askPerGPUHour), above pool \(pool.name)'s ceiling \(ceiling)")
                    }
                    subsidyTerms += Self.subsidyTerm(node, pool: pool, spec: spec)
                } else if node.askPerGPUHour.rawValue > placement.priceMicroCredits {
                    fail("price", "\(placement.order): price below the ask of \(id)")
                }
            }
            if regions.count > 1 { fail("placement", "\(placement.order): gang spans regions \(regions.sorted())") }
            if placement.priceMicroCredits > spec.maxPricePerGPUHour.rawValue { fail("price", "\(placement.order): price above max_price") }
            if let poolName = order.pool {
                guard let pool else { fail("placement", "\(placement.order): placed in an unknown pool"); continue }
                if spec.jobClass != .setAside { fail("placement", "\(placement.order): pool order of class \(spec.jobClass)") }
                if placement.priceMicroCredits != pool.pricePerGPUHour.rawValue { fail("price", "\(placement.order): set-aside price is not the pool's") }
                poolUsed[poolName, default: 0] += spec.totalGPUs
                poolSubsidy[poolName, default: 0] += Self.subsidy(terms: subsidyTerms)
                if subsidyTerms > 0 { subsidizedPlacements += 1 }
            } else {
                if spec.jobClass == .setAside { fail("placement", "\(placement.order): set-aside order without a pool placed") }
                if spec.jobClass == .standard { standardOpen += spec.totalGPUs }
            }
        }
        // No over-commitment of any host resource, summed over every placement on a node.
        for (id, load) in used.sorted(by: { $0.key < $1.key }) {
            guard let node = nodes[id] else { continue }
            if load.gpus > node.freeGPUs { fail("gpus_overcommitted", "node \(id) gives \(load.gpus) GPUs of \(node.freeGPUs)") }
            if load.cpu > node.cpuCores { fail("cores_overcommitted", "node \(id) gives \(load.cpu) cores of \(node.cpuCores)") }
            if load.memory > node.memoryGiB { fail("memory_overcommitted", "node \(id) gives \(load.memory) GiB of memory of \(node.memoryGiB)") }
            if let disk = node.diskGiB, load.disk > disk { fail("disk_overcommitted", "node \(id) gives \(load.disk) GiB of disk of \(disk)") }
        }
        // Pools within their reservation and funding; standard work off the reservation.
        for (name, gpus) in poolUsed.sorted(by: { $0.key < $1.key }) where gpus > reserved[name]! {
            fail("pool_share", "pool \(name) holds \(gpus) GPUs of \(reserved[name]!) reserved")
        }
        for (name, subsidy) in poolSubsidy.sorted(by: { $0.key < $1.key }) {
            if let funding = pools[name]?.funding, subsidy > Int128(funding.rawValue) {
                fail("pool_overdrawn", "pool \(name) pays subsidies of \(subsidy) micro-credits, more than its funding \(funding.rawValue)")
            }
        }
        if standardOpen > total - reservedTotal {
            fail("open_budget", "standard open orders hold \(standardOpen) GPUs, more than the \(total - reservedTotal) not reserved")
        }

        // What each node has left at the end, and what it would have without the open market.
        let snapshotRoom = Dictionary(uniqueKeysWithValues: snapshot.nodes.map { ($0.id, Room($0)) })
        let endRoom = Dictionary(uniqueKeysWithValues: snapshot.nodes.map { ($0.id, Room($0, minus: used[$0.id] ?? Load())) })
        let gpuOnlyRoom = Dictionary(uniqueKeysWithValues: snapshot.nodes.map { ($0.id, Room($0, minus: Load(gpus: used[$0.id]?.gpus ?? 0))) })
        let floorRoom = Dictionary(uniqueKeysWithValues: snapshot.nodes.map {
            ($0.id, Room($0, minus: (used[$0.id] ?? Load()) - (openUsed[$0.id] ?? Load())))
        })

        // Unplaced orders: the reason must be true, and nothing that fits may stay free.
        for (id, reason) in unplaced {
            guard let order = orders[id] else { continue }
            guard let spec = order.spec else {
                if !reason.hasPrefix("invalid_spec: ") { fail("reason_wrong", "\(id): invalid spec reported as \(reason)") }
                continue
            }
            let pool = order.pool.flatMap { pools[$0] }
            switch reason {
            case "pool_unknown":
                if order.pool == nil || pool != nil { fail("reason_wrong", "\(id): pool_unknown but pool is \(order.pool ?? "absent")") }
                continue
            case "set_aside_needs_pool":
                if order.pool != nil || spec.jobClass != .setAside { fail("reason_wrong", "\(id): set_aside_needs_pool is wrong") }
                continue
            case "pool_needs_set_aside_class":
                if order.pool == nil || spec.jobClass == .setAside { fail("reason_wrong", "\(id): pool_needs_set_aside_class is wrong") }
                continue
            case "max_price_below_pool_price":
                if pool == nil || spec.jobClass != .setAside || spec.maxPricePerGPUHour >= pool!.pricePerGPUHour {
                    fail("reason_wrong", "\(id): max_price_below_pool_price is wrong")
                }
                continue
            case "deferred_for_cleaner_power":
                // A deliberate wait: only flexible orders, and only with carbon series in the snapshot.
                if !spec.carbon.shift || spec.deadline == nil || snapshot.carbon == nil {
                    fail("reason_wrong", "\(id): deferred_for_cleaner_power but the order is not flexible or the snapshot has no series")
                }
                continue
            default: break
            }
            if order.pool == nil && spec.jobClass == .setAside { fail("reason_wrong", "\(id): set-aside without pool reported as \(reason)"); continue }
            if order.pool != nil && (pool == nil || spec.jobClass != .setAside) { fail("reason_wrong", "\(id): bad pool order reported as \(reason)"); continue }
            if let pool, spec.maxPricePerGPUHour < pool.pricePerGPUHour {
                fail("reason_wrong", "\(id): max_price below its pool's price reported as \(reason)")
                continue
            }
            // The most a node used by this order may ask: the pool's ceiling for a set-aside
            // order (nil: any ask), its max_price for an open one.
            let maxAsk: MicroCredits? = if let pool { pool.ceilingPerGPUHour } else { spec.maxPricePerGPUHour }
            let fitsAtEnd = fits(spec, maxAsk: maxAsk, room: endRoom)
            let fitsSnapshot = fits(spec, maxAsk: maxAsk, room: snapshotRoom)
            switch reason {
            case "pool_exhausted":
                if pool == nil || poolUsed[order.pool!, default: 0] + spec.totalGPUs <= reserved[order.pool!]! {
                    fail("reason_wrong", "\(id): pool_exhausted but the pool has room")
                }
            case "set_aside_floor":
                if order.pool != nil || spec.jobClass != .standard || standardOpen + spec.totalGPUs <= total - reservedTotal {
                    fail("reason_wrong", "\(id): set_aside_floor but the open budget has room")
                }
            case "pool_unfunded":
                guard let pool, let funding = pool.funding else {
                    fail("reason_wrong", "\(id): pool_unfunded but its pool \(order.pool ?? "-") has no funding limit")
                    break
                }
                if spec.totalGPUs > reserved[pool.name]! {
                    fail("reason_wrong", "\(id): pool_unfunded but \(spec.totalGPUs) GPUs are beyond the pool's share \(reserved[pool.name]!) (pool_exhausted)")
                }
                let left = Int128(funding.rawValue) - (poolSubsidy[pool.name] ?? 0)
                if let (subsidy, nodes) = cheapestSubsidy(spec, pool: pool, room: endRoom), subsidy <= left {
                    fail("pool_unfunded_unjustified",
                         "\(id): pool_unfunded while \(nodes) fit it at the end for a subsidy of \(subsidy), within the \(left) left in pool \(pool.name)")
                } else if let (subsidy, nodes) = cheapestSubsidy(spec, pool: pool, room: floorRoom), subsidy <= left {
                    fail("pool_unfunded_floor",
                         "\(id): pool_unfunded while \(nodes) would fit it without the open market's placements for a subsidy of \(subsidy), within the \(left) left in pool \(pool.name)")
                }
            case "no_capacity":
                if !fitsAtEnd && fits(spec, maxAsk: maxAsk, room: gpuOnlyRoom) { hostBound.append(id) }
            default:
                // A static reason: the first filter of the cascade after which no node remains.
                if fitsSnapshot {
                    fail("wrong_static_reason", "\(id): reason \(reason) but the snapshot had nodes that fit")
                } else {
                    let due = staticReasons(spec, pool: pool)
                    if !due.contains(reason) { fail("wrong_static_reason", "\(id): reason \(reason), the cascade gives \(due.sorted())") }
                }
            }
            if ["pool_exhausted", "set_aside_floor", "pool_unfunded", "no_capacity"].contains(reason) && !fitsSnapshot {
                fail("static_reason_due", "\(id): \(reason) but nothing in the snapshot ever fitted (\(staticReasons(spec, pool: pool).sorted()) is due)")
            }
            if !["set_aside_floor", "pool_exhausted", "pool_unfunded"].contains(reason) && fitsAtEnd {
                fail("work_conservation", "\(id): unplaced (\(reason)) while nodes that fit it alone are free at the end: \(fittingNodes(spec, maxAsk: maxAsk, room: endRoom))")
            }
            // The set-aside floor is hard: open-market work never keeps a set-aside order out.
            if pool != nil && !["pool_exhausted", "pool_unfunded"].contains(reason) && !fitsAtEnd
                && fits(spec, maxAsk: maxAsk, room: floorRoom) {
                fail("set_aside_floor_broken",
                     "\(id): set-aside order unplaced (\(reason)) while \(fittingNodes(spec, maxAsk: maxAsk, room: floorRoom)) would fit it without the open market's placements")
            }
        }
        return violations
    }

    // MARK: Fitting by brute force

    /// Whether one node of `spec` fits `node` with `room` left: every per-node constraint,
    /// an ask at most `maxAsk` (nil: any ask), and the GPUs, cores, memory and disk left.
    func eligible(_ spec: JobSpec, _ node: MarketNode, maxAsk: MicroCredits?, room: [String: Room]) -> Bool {
        if let maxAsk, node.askPerGPUHour > maxAsk { return false }
        guard let left = room[node.id], left.holds(spec) else { return false }
        return Self.mismatches(spec, node).isEmpty
    }

    /// The nodes that fit one node of `spec`, by region.
    func fittingByRegion(_ spec: JobSpec, maxAsk: MicroCredits?, room: [String: Room]) -> [String: [MarketNode]] {
        var perRegion: [String: [MarketNode]] = [:]
        for node in snapshot.nodes where eligible(spec, node, maxAsk: maxAsk, room: room) {
            perRegion[node.region, default: []].append(node)
        }
        return perRegion
    }

    /// Whether `spec` fits alone on `room`: `nodes` distinct nodes in one region.
    func fits(_ spec: JobSpec, maxAsk: MicroCredits?, room: [String: Room]) -> Bool {
        fittingByRegion(spec, maxAsk: maxAsk, room: room).values.contains { $0.count >= spec.nodeCount }
    }

    /// A description of node sets that fit (for messages).
    func fittingNodes(_ spec: JobSpec, maxAsk: MicroCredits?, room: [String: Room]) -> String {
        fittingByRegion(spec, maxAsk: maxAsk, room: room).filter { $0.value.count >= spec.nodeCount }
            .sorted { $0.key < $1.key }.map { "\($0.key): \($0.value.map(\.id).sorted())" }.joined(separator: "; ")
    }

    /// The smallest subsidy with which `spec` fits alone on `room` under its pool's ceiling,
    /// with the nodes that give it; nil when no node set fits. The subsidy grows with each
    /// node's ask, so in every region the `nodes` cheapest fitting nodes are the best set.
    func cheapestSubsidy(_ spec: JobSpec, pool: SetAsidePool, room: [String: Room]) -> (Int128, [String])? {
        var best: (Int128, [String])?
        for (_, candidates) in fittingByRegion(spec, maxAsk: pool.ceilingPerGPUHour, room: room) where candidates.count >= spec.nodeCount {
            let chosen = candidates.map { (Self.subsidyTerm($0, pool: pool, spec: spec), $0.id) }.sorted { $0 < $1 }.prefix(spec.nodeCount)
            let subsidy = Self.subsidy(terms: chosen.reduce(Int128(0)) { $0 + $1.0 })
            if best == nil || subsidy < best!.0 { best = (subsidy, chosen.map(\.1)) }
        }
        return best
    }

    /// One node's part of a set-aside placement's subsidy, in micro-credit·seconds per hour:
    /// max(0, ask − pool price) × GPUs per node × max_duration seconds. Exact in 128 bits.
    static func subsidyTerm(_ node: MarketNode, pool: SetAsidePool, spec: JobSpec) -> Int128 {
        let above = max(0, Int128(node.askPerGPUHour.rawValue) - Int128(pool.pricePerGPUHour.rawValue))
        return above * Int128(spec.resources.gpu.countPerNode) * Int128(spec.maxDurationSeconds)
    }

    /// A placement's subsidy in micro-credits: its terms / 3600 s, rounded up.
    static func subsidy(terms: Int128) -> Int128 { (terms + 3_599) / 3_600 }

    // MARK: The static cascade

    /// One filter of the static cascade: the reason it gives, and whether a node passes it.
    typealias Filter = (reason: String, passes: (MarketNode) -> Bool)

    /// The filters of the static cascade (docs/MARKET.md, "Reasons for unplaced orders"), in
    /// order, each with the reason it gives when no node passes it and the ones before it.
    static func cascade(_ spec: JobSpec, pool: SetAsidePool?) -> [Filter] {
        let gpu = spec.resources.gpu
        let placement = spec.placement
        // Set-aside orders: asks up to the pool's ceiling (none: any ask); open: max_price.
        let price: Filter = if let pool {
            ("pool_ceiling_below_asks", { node in pool.ceilingPerGPUHour.map { node.askPerGPUHour <= $0 } ?? true })
        } else {
            ("max_price_below_asks", { $0.askPerGPUHour <= spec.maxPricePerGPUHour })
        }
        return [
            ("no_node_matches_model", { gpu.selector.accepts($0.gpuModel) }),
            ("region", { placement.regions.isEmpty || placement.regions.contains($0.region) }),
            ("jurisdiction", { placement.jurisdictions.isEmpty || placement.jurisdictions.contains($0.jurisdiction) }),
            ("gpu_count", { $0.freeGPUs >= gpu.countPerNode }),
            ("vram", { node in gpu.minVRAMGiB.map { node.vramGiB >= $0 } ?? true }),
            ("cpu", { $0.cpuCores >= spec.resources.cpuCores }),
            ("memory", { $0.memoryGiB >= spec.resources.memoryGiB }),
            ("disk", { node in node.diskGiB.map { $0 >= spec.resources.diskGiB } ?? true }),
            ("excluded_operator", { !placement.excludedOperators.contains($0.operatorID) }),
            ("carbon_cap", { node in
                guard let cap = spec.carbon.maxGCO2PerKWh else { return true }
                guard let carbon = node.carbonMicroGCO2PerKWh else { return false }
                return carbon <= Int64(cap) * 1_000_000
            }),
            price,
        ]
    }

    /// The static reason for an order that no node set of the snapshot can take; a set
    /// because a node with no free GPUs may count as present (it fails `gpu_count`) or absent.
    func staticReasons(_ spec: JobSpec, pool: SetAsidePool?) -> Set<String> {
        let filters = Self.cascade(spec, pool: pool)
        var reasons = Set<String>()
        for candidates in [snapshot.nodes, snapshot.nodes.filter { $0.freeGPUs > 0 }] {
            var left = candidates
            var reason = "gang_no_region_with_enough_nodes"
            for filter in filters {
                left = left.filter(filter.passes)
                if left.isEmpty { reason = filter.reason; break }
            }
            reasons.insert(reason)
        }
        return reasons
    }

    /// The spec's per-node constraints that `node` breaks (price and free resources aside).
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

    private mutating func fail(_ kind: String, _ message: String) { violations.append("[\(kind)] \(message)") }
}
