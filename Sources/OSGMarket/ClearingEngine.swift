import OSGDomain

/// A deterministic frequent-batch-auction clearing over a fleet's free capacity.
///
/// Create one from the nodes and pools of a snapshot, then call ``clear(_:)`` with a batch of
/// orders; the engine keeps the free capacity and the pools' use between batches, so a
/// caller can clear many batches against a shrinking fleet. The rules are published in
/// docs/MARKET.md:
///
/// 1. Orders are sorted by id, then taken in priority order (``OrderPriority``): set-aside
///    orders first; within each group, orders that have waited longer than
///    ``starvationAfterSeconds`` (aging, when ``clear(_:now:)`` is given a time) first, by
///    earlier `submitted`, then lower id; the others by higher `max_price`, standard before
///    preemptible, lower weighted dominant share of the tenant (when the engine has fair share
///    on, updated as orders are placed), earlier `submitted`, lower id.
/// 2. Each order takes the cheapest nodes that meet every constraint: ask ascending, then the
///    fewest free GPUs that still fit (best fit), then node id. A gang takes `nodes` distinct
///    nodes in one region, each with the full per-node count, choosing the region with the
///    lowest price, then the lowest total ask, then its name.
/// 3. An open order pays the highest ask among its nodes (never above its max_price, never
///    below an ask it uses). A set-aside order pays its pool's price and uses only nodes
///    asking at most that price.
/// 4. Each pool may hold at most floor(share × GPUs) GPUs; standard open orders together may
///    hold at most the GPUs not reserved; preemptible open orders may also use reserved GPUs
///    the pools leave idle (a loan the pools reclaim by preemption).
///
/// ```swift
/// var engine = ClearingEngine(nodes: snapshot.nodes, pools: snapshot.pools, tenants: snapshot.tenants)
/// let result = engine.clear(snapshot.orders, now: snapshot.now)
/// ```
public struct ClearingEngine: Sendable {
    var table: NodeTable
    /// GPUs free now, per node (table order).
    var freeGPUs: [Int]
    /// Live free capacity.
    var index: FreeCapacityIndex
    /// Cores, memory and disk free now, per node (table order): placements take from them.
    var host: HostCapacity
    /// Cores, memory and disk at the start of the clearing, for telling "taken" from "never fitted".
    var snapshotHost: HostCapacity
    /// The snapshot's node figures packed per (model, region) slot for the diagnosis; built on
    /// first use, updated node by node when a pass starts, dropped when carbon figures change.
    var diagnosisRecords: [DiagnosisRecords]?
    /// Each node's place among its slot's records (``FreeCapacityIndex/offsetsInSlots(nodeCount:)``);
    /// empty until a pass updates kept records.
    var diagnosisOffsets: [Int32] = []
    /// Static verdicts of single-node orders by requirement without the price (furthest filter
    /// passed), for the life of the snapshot; dropped when a pass starts.
    var staticVerdicts: [OrderRequirement: Int] = [:]
    /// Capacity as in the snapshot, for telling "taken" from "never fitted" (reset by
    /// ``startClearing(freeGPUs:pools:tenants:)``).
    var snapshotIndex: FreeCapacityIndex
    /// Free GPUs in the snapshot.
    public internal(set) var totalGPUs: Int
    /// GPUs reserved for all pools together.
    public internal(set) var reservedGPUs: Int
    /// True once ``startClearing(freeGPUs:pools:tenants:)`` ran: nodes with no free GPUs in the
    /// pass's snapshot then count as absent, as if the engine had been built without them.
    var emptyNodesAbsent = false
    /// True from a node's insertion (``insert(_:)``) until the next pass starts: the engine
    /// must not clear before then.
    var awaitingPassStart = false
    /// Per model code, the nodes with free GPUs in the pass's snapshot (when ``emptyNodesAbsent``).
    var presentNodesByModel: [Int] = []
    /// Per (model, region) slot, the nodes with free GPUs in the pass's snapshot (when ``emptyNodesAbsent``).
    var presentNodesBySlot: [Int] = []
    var pools: [String: PoolState]
    /// GPUs held by standard open orders.
    var standardOpenGPUs = 0
    var selectorModels: [GPUSelector: [Int32]] = [:]
    let allRegions: [Int32]
    var gangScratch: [GangCandidate] = []
    var gangBest: [GangCandidate] = []
    /// Order id → grid zones to try first, in order (set by the carbon step; empty without
    /// carbon data).
    var preferredZones: [String: [String]] = [:]
    /// Tenants' usage and weights; `nil`: the fair-share step is off.
    var fairShare: FairShareLedger?
    /// Orders that have waited longer than this (now − submitted, in seconds) are promoted to
    /// the front of their group (set-aside or open) and served by arrival.
    public var starvationAfterSeconds: Int64 = ClearingEngine.defaultStarvationAfterSeconds
    /// When true, ``serviceOrder`` records every admitted order as it is served.
    public var recordsServiceOrder = false
    /// Admitted orders in the order the clearing served them, each as its position in the
    /// orders given to ``clear(_:now:)`` (only when ``recordsServiceOrder``): positions, not
    /// ids, so that a caller relates them to its orders without looking ids up.
    public internal(set) var serviceOrder: [Int32] = []
    /// With ``recordsServiceOrder``: the position, in the orders given to ``clear(_:now:)``,
    /// of each of its result's placements and of each of its unplaced orders, in the result's
    /// order (so a caller splits the result by position without looking ids up).
    public internal(set) var resultInputs: (placements: [Int32], unplaced: [Int32]) = ([], [])

    /// The default aging threshold: 24 hours.
    public static let defaultStarvationAfterSeconds: Int64 = 86_400

    /// A pool's reservation, use, prices and funding.
    struct PoolState: Sendable {
        var reservedGPUs: Int
        var usedGPUs: Int
        var priceMicroCredits: Int64
        /// The most the pool pays a node per GPU-hour (`Int64.max`: no ceiling).
        var ceilingMicroCredits: Int64
        /// Funding left for subsidies; `nil`: unlimited.
        var fundingMicroCredits: Int64?

        init(_ pool: SetAsidePool, reservedGPUs: Int) {
            self.reservedGPUs = reservedGPUs
            usedGPUs = 0
            priceMicroCredits = pool.pricePerGPUHour.rawValue
            ceilingMicroCredits = pool.ceilingPerGPUHour.map { max($0.rawValue, pool.pricePerGPUHour.rawValue) } ?? .max
            fundingMicroCredits = pool.funding?.rawValue
        }
    }

    /// Builds the index of free capacity.
    ///
    /// - Parameters:
    ///   - nodes: the fleet, in any order; ids must be unique (see ``MarketSnapshot/check()``).
    ///   - pools: set-aside pools; names unique, shares adding up to at most 100 %.
    ///   - tenants: tenants' weights and current usage for the fair-share step; `nil` turns
    ///     the step off (the priority is then exactly that of a snapshot without `tenants`),
    ///     `[]` turns it on with every tenant at weight 1 and no usage.
    public init(nodes: [MarketNode], pools: [SetAsidePool], tenants: [TenantStanding]? = nil) {
        table = NodeTable(nodes)
        precondition(table.count == Set(table.ids).count, "node ids must be unique; check the snapshot first")
        freeGPUs = table.snapshotFreeGPUs
        index = FreeCapacityIndex(table: table, freeGPUs: freeGPUs)
        snapshotIndex = index
        host = HostCapacity(table)
        snapshotHost = host
        let total = freeGPUs.reduce(0, +)
        totalGPUs = total
        (self.pools, reservedGPUs) = Self.poolStates(pools, totalGPUs: total)
        allRegions = (0..<table.regionNames.count).map { Int32($0) }
        fairShare = tenants.map { FairShareLedger(nodes: nodes, tenants: $0) }
    }

    /// Each pool's state at the start of a clearing over `totalGPUs` free GPUs, and the GPUs
    /// reserved for all of them: pool *p* reserves floor(share × total).
    static func poolStates(_ pools: [SetAsidePool], totalGPUs total: Int) -> (states: [String: PoolState], reserved: Int) {
        var states: [String: PoolState] = [:]
        var reserved = 0
        for pool in pools {
            let share = Int64(pool.sharePPM).multipliedFullWidth(by: Int64(total))
            let gpus = Int(Int64(1_000_000).dividingFullWidth(share).quotient)
            states[pool.name] = PoolState(pool, reservedGPUs: gpus)
            reserved += gpus
        }
        precondition(reserved <= total, "pool shares must add up to at most 100 %")
        return (states, reserved)
    }

    /// A tenant's weighted dominant share now (after the placements so far), or `nil` when
    /// fair share is off. A tenant the engine has not seen holds nothing.
    public func weightedDominantShare(tenant: String) -> WeightedShare? {
        guard let fairShare else { return nil }
        guard let code = fairShare.tenantCodes[tenant] else { return .zero }
        return fairShare.share(code)
    }

    /// GPUs still free on `nodeID`, or `nil` for an unknown node.
    public func freeGPUs(nodeID: String) -> Int? {
        var low = 0
        var high = table.count
        while low < high {
            let mid = (low + high) / 2
            if table.ids[mid].utf8.lexicographicallyPrecedes(nodeID.utf8) { low = mid + 1 } else { high = mid }
        }
        return low < table.count && table.ids[low] == nodeID ? freeGPUs[low] : nil
    }

    /// GPUs a pool has placed so far, or `nil` for an unknown pool.
    public func usedGPUs(pool name: String) -> Int? { pools[name]?.usedGPUs }

    /// One admitted order waiting in a clearing's queue.
    struct QueueEntry {
        var priority: OrderPriority
        var requirement: OrderRequirement
        var pool: String?
        var id: String
        /// Fair-share code of the tenant; -1 when fair share is off.
        var tenant: Int32
        /// The order's position in the orders being cleared.
        var input: Int32
    }

    /// Clears one batch: places orders in priority order and reports every order once.
    ///
    /// The result does not depend on the order of `orders` (ids must be unique).
    ///
    /// - Parameters:
    ///   - orders: the batch.
    ///   - now: the clearing time, for aging: orders submitted more than
    ///     ``starvationAfterSeconds`` before it are promoted. `nil`: no aging.
    public mutating func clear(_ orders: [MarketOrder], now: Timestamp? = nil) -> ClearingResult {
        precondition(!awaitingPassStart, "an engine that took in a node starts a pass before it clears")
        var placements: [MarketPlacement] = []
        var unplaced: [UnplacedOrder] = []
        placements.reserveCapacity(orders.count)
        var queue: [QueueEntry] = []
        queue.reserveCapacity(orders.count)
        let cutoff = now.map { $0.secondsSinceEpoch &- max(0, starvationAfterSeconds) }
        precondition(orders.count <= Int(Int32.max), "a clearing's orders are numbered in 32 bits")
        if recordsServiceOrder {
            serviceOrder = []
            resultInputs = ([], [])
        }
        for (input, order) in orders.enumerated() {
            switch admit(order) {
            case .failure(let reason):
                unplaced.append(UnplacedOrder(orderID: order.id, reason: reason))
                if recordsServiceOrder { resultInputs.unplaced.append(Int32(input)) }
            case .success(let requirement):
                let tenant = fairShare?.code(order.tenantID) ?? -1
                queue.append(QueueEntry(priority: OrderPriority(order, agedBefore: cutoff), requirement: requirement,
                                        pool: order.pool, id: order.id, tenant: tenant, input: Int32(input)))
            }
        }
        // Ids are unique, so the priority is a total order and any sort gives the same queue:
        // positions are sorted on the priorities' integer keys (no reference counting; the
        // full priority breaks a tie of keys), and entries (large) are read in place, never
        // moved or copied.
        let keys = queue.map(\.priority.integerKey)
        var byPriority = Array(0..<Int32(queue.count))
        keys.withUnsafeBufferPointer { keys in
            queue.withUnsafeBufferPointer { queue in
                byPriority.sort { left, right in
                    let (leftKey, rightKey) = (keys[Int(left)], keys[Int(right)])
                    if leftKey != rightKey { return leftKey < rightKey }
                    return queue[Int(left)].priority < queue[Int(right)].priority
                }
            }
        }
        assert(zip(byPriority, byPriority.dropFirst()).allSatisfy { queue[Int($0)].priority < queue[Int($1)].priority },
               "the queue is served in priority order")
        var start = 0
        while start < byPriority.count {
            var end = start + 1
            if fairShare != nil {
                let first = keys[Int(byPriority[start])]
                while end < byPriority.count, keys[Int(byPriority[end])].sharesFairShareBucket(with: first) { end += 1 }
                assert(((start + 1)..<end).allSatisfy { queue[Int(byPriority[$0])].priority.sharesFairShareBucket(with: queue[Int(byPriority[start])].priority) }
                       && (end == byPriority.count || !queue[Int(byPriority[end])].priority.sharesFairShareBucket(with: queue[Int(byPriority[start])].priority)),
                       "the integer keys split the fair-share buckets as the priorities do")
            }
            if end - start == 1 {
                serve(queue[Int(byPriority[start])], placements: &placements, unplaced: &unplaced)
            } else {
                serveByFairShare(queue, positions: byPriority[start..<end].map { Int($0) }, placements: &placements, unplaced: &unplaced)
            }
            start = end
        }
        if recordsServiceOrder {
            Self.sortByID(&placements, with: &resultInputs.placements) { $0.orderID }
            Self.sortByID(&unplaced, with: &resultInputs.unplaced) { $0.orderID }
        } else {
            UTF8ByteOrder.sort(&placements) { $0.orderID }
            UTF8ByteOrder.sort(&unplaced) { $0.orderID }
        }
        assert(zip(unplaced, unplaced.dropFirst()).allSatisfy { UTF8ByteOrder.precedes($0.orderID, $1.orderID) }
               && zip(placements, placements.dropFirst()).allSatisfy { UTF8ByteOrder.precedes($0.orderID, $1.orderID) },
               "a clearing reports its orders in id byte order")
        return ClearingResult(placements: placements, unplaced: unplaced)
    }

    /// Places one order (or records why not) and adds a placement to its tenant's usage.
    mutating func serve(_ entry: QueueEntry, placements: inout [MarketPlacement], unplaced: inout [UnplacedOrder]) {
        if recordsServiceOrder { serviceOrder.append(entry.input) }
        switch place(entry.requirement, pool: entry.pool, preferredZones: preferredZones.isEmpty ? nil : preferredZones[entry.id]) {
        case .success(let (nodes, price, subsidy)):
            // The table is in node-id order: sorting positions sorts the grants by node id.
            let grants = nodes.sorted().map { NodeGrant(nodeID: table.ids[$0], gpus: entry.requirement.gpusPerNode) }
            assert(zip(grants, grants.dropFirst()).allSatisfy { UTF8ByteOrder.precedes($0.nodeID, $1.nodeID) }, "grants in node-id order")
            if recordsServiceOrder { resultInputs.placements.append(entry.input) }
            placements.append(MarketPlacement(orderID: entry.id, grants: grants, pricePerGPUHour: MicroCredits(price),
                                              poolSubsidy: MicroCredits(subsidy)))
            if entry.tenant >= 0 {
                let need = entry.requirement
                fairShare!.record(entry.tenant, gpus: need.gpusPerNode * need.nodeCount,
                                  cpuCores: need.cpuCores * need.nodeCount, memoryGiB: need.memoryGiB * need.nodeCount)
            }
        case .failure(let reason):
            if recordsServiceOrder { resultInputs.unplaced.append(entry.input) }
            unplaced.append(UnplacedOrder(orderID: entry.id, reason: reason))
        }
    }

    /// Sorts `items` by the byte order of their ids, moving each one's entry of `positions`
    /// (one per item) with it.
    private static func sortByID<Item>(_ items: inout [Item], with positions: inout [Int32], id: (Item) -> String) {
        precondition(items.count == positions.count, "one position per item")
        let order = UTF8ByteOrder.sortedPositions(of: items, by: id)
        items = order.map { items[$0] }
        positions = order.map { positions[$0] }
    }

    /// Serves one bucket of orders that tie on group, price and class (none promoted): the
    /// tenant with the lowest weighted dominant share goes next, with its earliest order;
    /// ties on share go to the earlier order (submitted, then id). Shares are read afresh
    /// after each placement, so a tenant that just got GPUs moves back.
    ///
    /// `positions`: the bucket's entries in `queue`, in priority order.
    mutating func serveByFairShare(_ queue: [QueueEntry], positions: [Int], placements: inout [MarketPlacement], unplaced: inout [UnplacedOrder]) {
        // Ranks in the bucket grouped by tenant, each tenant's in priority order.
        var byTenant = Array(positions.indices)
        byTenant.sort {
            let (left, right) = (queue[positions[$0]].tenant, queue[positions[$1]].tenant)
            return left != right ? left < right : $0 < $1
        }
        var runs: [(next: Int, end: Int)] = []
        var heap = FairShareQueue(capacity: 16)
        var index = 0
        while index < byTenant.count {
            let tenant = queue[positions[byTenant[index]]].tenant
            var end = index + 1
            while end < byTenant.count, queue[positions[byTenant[end]]].tenant == tenant { end += 1 }
            heap.push(.init(share: fairShare!.share(tenant), position: byTenant[index], run: runs.count))
            runs.append((index, end))
            index = end
        }
        while let least = heap.popMin() {
            let position = positions[least.position]
            serve(queue[position], placements: &placements, unplaced: &unplaced)
            runs[least.run].next += 1
            let run = runs[least.run]
            if run.next < run.end {
                heap.push(.init(share: fairShare!.share(queue[position].tenant), position: byTenant[run.next], run: least.run))
            }
        }
    }

    /// Checks what can be checked without capacity and compiles the order's needs.
    mutating func admit(_ order: MarketOrder) -> Verdict<OrderRequirement> {
        // Read through the box: binding the spec itself would copy it.
        let box: ValidSpec
        switch order.request {
        case .invalid(let problems): return .failure(.invalidSpec(problems: problems))
        case .valid(let valid): box = valid
        }
        var maxAsk = box.spec.maxPricePerGPUHour.rawValue
        if let poolName = order.pool {
            guard let pool = pools[poolName] else { return .failure(.poolUnknown) }
            guard box.spec.jobClass == .setAside else { return .failure(.poolNeedsSetAsideClass) }
            guard maxAsk >= pool.priceMicroCredits else { return .failure(.maxPriceBelowPoolPrice) }
            // The tenant pays the pool's price; the pool pays a node up to its ceiling.
            maxAsk = pool.ceilingMicroCredits
        } else if box.spec.jobClass == .setAside {
            return .failure(.setAsideNeedsPool)
        }
        return .success(requirement(for: box, maxAskMicroCredits: maxAsk))
    }

    mutating func requirement(for box: ValidSpec, maxAskMicroCredits: Int64) -> OrderRequirement {
        // Every field is read through the box: a spec bound or passed by value is copied whole.
        let selector = box.spec.resources.gpu.selector
        let models: [Int32]
        if let cached = selectorModels[selector] {
            models = cached
        } else {
            models = table.models.indices.filter { selector.accepts(table.models[$0]) }.map { Int32($0) }
            selectorModels[selector] = models
        }
        let regionsRestricted = !box.spec.placement.regions.isEmpty
        let regions = regionsRestricted
            ? Set(box.spec.placement.regions.compactMap { table.regionCodes[$0] }).sorted() : allRegions
        return OrderRequirement(
            models: models,
            regions: regions,
            regionsRestricted: regionsRestricted,
            gpusPerNode: box.spec.resources.gpu.countPerNode,
            nodeCount: box.spec.nodeCount,
            minVRAMGiB: box.spec.resources.gpu.minVRAMGiB ?? 0,
            cpuCores: box.spec.resources.cpuCores,
            memoryGiB: box.spec.resources.memoryGiB,
            diskGiB: box.spec.resources.diskGiB,
            jurisdictionsRestricted: !box.spec.placement.jurisdictions.isEmpty,
            jurisdictions: box.spec.placement.jurisdictions.compactMap { table.jurisdictionCodes[$0] },
            excludedOperators: box.spec.placement.excludedOperators.compactMap { table.operatorCodes[$0] },
            carbonCapMicro: box.spec.carbon.maxGCO2PerKWh.map { Int64($0) * 1_000_000 } ?? -1,
            maxAskMicroCredits: maxAskMicroCredits,
            jobClass: box.spec.jobClass,
            maxDurationSeconds: box.spec.maxDurationSeconds
        )
    }

    /// Places one admitted order, or says why not. On success: the nodes, the price and the
    /// subsidy its pool's funding pays (0 for open orders).
    mutating func place(_ need: OrderRequirement, pool: String?, preferredZones: [String]? = nil) -> Verdict<(nodes: [Int], price: Int64, subsidy: Int64)> {
        let gpus = need.totalGPUs
        let withinBudget: Bool
        if let pool {
            let state = pools[pool]!
            withinBudget = state.usedGPUs + gpus <= state.reservedGPUs
        } else if need.jobClass == .standard {
            withinBudget = standardOpenGPUs + gpus <= totalGPUs - reservedGPUs
        } else {
            withinBudget = true
        }
        if withinBudget, let nodes = searchPreferring(zones: preferredZones, need) ?? search(need, in: index, host: host) {
            var subsidy: Int64 = 0
            if let pool {
                // The pool pays each node its ask above the pool's price, out of its funding.
                let state = pools[pool]!
                subsidy = Self.subsidy(asks: nodes.map { table.askMicroCredits[$0] }, poolPrice: state.priceMicroCredits,
                                       gpusPerNode: need.gpusPerNode, maxDurationSeconds: need.maxDurationSeconds)
                if let funding = state.fundingMicroCredits, subsidy > funding { return .failure(.poolUnfunded) }
            }
            var price: Int64 = 0
            for node in nodes {
                price = max(price, table.askMicroCredits[node])
                take(node: node, need: need)
            }
            if let pool {
                pools[pool]!.usedGPUs += gpus
                if pools[pool]!.fundingMicroCredits != nil { pools[pool]!.fundingMicroCredits! -= subsidy }
                price = pools[pool]!.priceMicroCredits
            } else if need.jobClass == .standard {
                standardOpenGPUs += gpus
            }
            return .success((nodes, price, subsidy))
        }
        return .failure(diagnose(need, pool: pool, withinBudget: withinBudget))
    }

    /// An outcome that is either a value or the reason an order stays unplaced (a business
    /// verdict, not an error).
    enum Verdict<Value> {
        case success(Value)
        case failure(UnplacedReason)
    }

    /// Takes one node's share of a placed order from the node: its GPUs, cores, memory and disk.
    mutating func take(node: Int, need: OrderRequirement) {
        host.take(need, node: node)
        take(node: node, gpus: need.gpusPerNode)
    }

    /// What a set-aside placement costs its pool's funding, in micro-credits: for the job's
    /// whole `max_duration` (what the funding holds in escrow, as the tenant's escrow does),
    /// each node's ask above the pool's price on its GPUs, rounded up; `Int64.max` when that
    /// would not fit 64 bits (no funding covers it).
    public static func subsidy(asks: [Int64], poolPrice: Int64, gpusPerNode: Int, maxDurationSeconds: Int64) -> Int64 {
        var excess: Int64 = 0
        for ask in asks where ask > poolPrice {
            let (sum, overflow) = excess.addingReportingOverflow(ask - poolPrice)
            if overflow { return .max }
            excess = sum
        }
        guard excess > 0 else { return 0 }
        let (gpuSeconds, overflow) = Int64(gpusPerNode).multipliedReportingOverflow(by: max(0, maxDurationSeconds))
        if overflow { return .max }
        let product = excess.multipliedFullWidth(by: gpuSeconds)
        // The quotient fits 64 bits only while the high word stays below 3600 / 2.
        guard product.high < 1_800 else { return .max }
        let (quotient, remainder) = Int64(3_600).dividingFullWidth(product)
        return remainder > 0 ? quotient + 1 : quotient
    }

    /// Removes `gpus` from a node's free capacity.
    mutating func take(node: Int, gpus: Int) {
        let before = freeGPUs[node]
        precondition(before >= gpus, "a node never gives more GPUs than it has free")
        freeGPUs[node] = before - gpus
        let slot = index.slot(model: table.model[node], region: table.region[node])
        index.move(rank: table.rank[node], slot: slot, from: before, to: before - gpus)
    }
}
