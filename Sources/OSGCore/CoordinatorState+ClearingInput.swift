import OSGCarbon
import OSGDomain
import OSGMarket

/// What one clearing of the state machine feeds its engine(s): the free capacity (GPUs, and
/// each node's CPU cores, memory and disk), the orders, the carbon step's decisions, and the
/// set-aside budgets judged over the whole fleet.
struct ClearingInput {
    /// Free GPUs of every registered node by its index in ``CoordinatorState/sortedNodeIDs``
    /// (0 when offline), after leases, lockups, preemption holds and ``deduct(_:in:)``.
    var freeByNode: [Int]
    /// CPU cores, memory and disk every registered node still offers, by the same index: its
    /// size minus what running leases, preemption holds and ``deduct(_:in:)`` take.
    var freeHost: [HostUse]
    /// Orders that clear now (funded, not waiting on a preemption, not deferred for carbon).
    var orders: [MarketOrder]
    /// Flexible orders the carbon step defers.
    var deferred: [UnplacedOrder]
    /// The carbon step's zone preferences.
    var preferredZones: [String: [String]]
    /// Each node's carbon intensity now (gCO2-eq per kWh × 10⁶; -1: none), by the same index,
    /// for the kept engine; `nil` without recorded series.
    var carbonByNode: [Int64]?
    /// Orders whose tenant cannot cover their maximum cost.
    var unfunded: [String]
    /// Set-aside and standard budgets left.
    var budgets: MarketBudgets
    /// Every registered node as the clearing read it, by the same index.
    var fleet: FleetView

    /// Takes `placements`' GPUs, and each order's per-node cores, memory and disk, out of the
    /// free capacity of `state`'s nodes.
    mutating func deduct(_ placements: [MarketPlacement], in state: CoordinatorState) {
        state.deduct(placements, gpus: &freeByNode, host: &freeHost)
    }

    /// ``freeByNode`` and ``freeHost`` with each node of `limits` offering at most those figures.
    func free(limitedTo limits: [String: NodeFigures], in state: CoordinatorState) -> (gpus: [Int], host: [HostUse]) {
        var free = freeByNode
        var host = freeHost
        for (nodeID, limit) in limits {
            guard let index = state.nodeIndex(of: nodeID) else { continue }
            free[index] = min(free[index], limit.gpus)
            host[index] = host[index].limited(to: limit.host)
        }
        return (free, host)
    }
}

/// GPUs the set-aside pools and standard open work may still take (docs/MARKET.md,
/// "Set-aside pools"): each pool holds at most floor(share × fleet GPUs), standard open work at
/// most the rest, counting running leases and pending preemptions; preemptible work is unbounded.
struct MarketBudgets {
    var poolRemaining: [String: Int]
    var standardRemaining: Int

    /// Whether `order` fits its budget.
    func admits(_ order: Order) -> Bool {
        if let pool = order.pool { return (poolRemaining[pool] ?? 0) >= order.spec.totalGPUs }
        if order.spec.jobClass == .standard { return standardRemaining >= order.spec.totalGPUs }
        return true
    }

    /// Counts `order`'s GPUs against its budget.
    mutating func spend(_ order: Order) {
        if let pool = order.pool {
            poolRemaining[pool] = max(0, (poolRemaining[pool] ?? 0) - order.spec.totalGPUs)
        } else if order.spec.jobClass == .standard {
            standardRemaining = max(0, standardRemaining - order.spec.totalGPUs)
        }
    }

    /// The budgets after `placements`.
    func spending(_ placements: [MarketPlacement], orders: [String: Order]) -> MarketBudgets {
        var budgets = self
        for placement in placements { if let order = orders[placement.orderID] { budgets.spend(order) } }
        return budgets
    }
}

/// One engine pass of a clearing, with the state's budgets, fair-share standings and carbon
/// preferences.
struct ClearingRun {
    /// The state's pools as every engine pass gets them (``CoordinatorState/fundedClearingPools()``):
    /// with their ceilings and the credits left in their funding accounts.
    let pools: [SetAsidePool]
    var budgets: MarketBudgets
    let tenants: [TenantStanding]
    let preferredZones: [String: [String]]
    let time: Timestamp
    /// The last recorded pass's orders in the order it served them, each as its position in
    /// the orders that pass cleared.
    var serviceOrder: [Int32] = []
    /// By position in the orders the last recorded pass cleared: the order's place in
    /// ``serviceOrder``, or -1 when it was not served (not admitted).
    var servicePosition: [Int32] = []
    /// The last recorded pass's ``ClearingEngine/resultInputs``: the position of each of its
    /// placements and unplaced orders in the orders it cleared.
    var resultInputs: (placements: [Int32], unplaced: [Int32]) = ([], [])

    /// A pass over what is left after `already` (placements of earlier passes of this clearing).
    init(input: ClearingInput, state: CoordinatorState, time: Timestamp, already: [MarketPlacement] = []) {
        pools = state.fundedClearingPools()
        budgets = input.budgets.spending(already, orders: state.orders)
        tenants = state.clearingTenantStandings(adding: already)
        preferredZones = input.preferredZones
        self.time = time
    }

    mutating func clear(_ orders: [MarketOrder], nodes: [MarketNode], recordServiceOrder: Bool = false) -> ClearingResult {
        var engine = ClearingEngine(nodes: nodes, pools: pools, tenants: tenants)
        return clear(orders, engine: &engine, recordServiceOrder: recordServiceOrder)
    }

    /// A pass on the kept engine, over the nodes with free GPUs in `free` and the cores, memory
    /// and disk in `host` (both by engine position).
    mutating func clear(_ orders: [MarketOrder], kept engine: inout ClearingEngine, free: [Int], host: EngineHostFigures,
                        recordServiceOrder: Bool = false) -> ClearingResult {
        engine.startClearing(freeGPUs: free, freeHost: host, pools: pools, tenants: tenants)
        return clear(orders, engine: &engine, recordServiceOrder: recordServiceOrder)
    }

    private mutating func clear(_ orders: [MarketOrder], engine: inout ClearingEngine, recordServiceOrder: Bool) -> ClearingResult {
        engine.limitBudgets(poolRemainingGPUs: budgets.poolRemaining, standardOpenRemainingGPUs: budgets.standardRemaining)
        engine.preferZones(preferredZones)
        engine.recordsServiceOrder = recordServiceOrder
        let result = engine.clear(orders, now: time)
        if recordServiceOrder {
            serviceOrder = engine.serviceOrder
            servicePosition = Array(repeating: -1, count: orders.count)
            for (place, input) in serviceOrder.enumerated() { servicePosition[Int(input)] = Int32(place) }
            resultInputs = engine.resultInputs
            assert(resultInputs.placements.map { orders[Int($0)].id } == result.placements.map(\.orderID)
                   && resultInputs.unplaced.map { orders[Int($0)].id } == result.unplaced.map(\.orderID),
                   "the engine numbers its result's orders by their positions in the orders cleared")
        }
        return result
    }
}

extension CoordinatorState {
    /// Takes `placements`' GPUs, and each order's per-node cores, memory and disk, out of
    /// `gpus` and `host` (free figures by index in ``sortedNodeIDs``).
    func deduct(_ placements: [MarketPlacement], gpus: inout [Int], host: inout [HostUse]) {
        for placement in placements {
            let need = HostUse(perNodeOf: orders[placement.orderID]!.spec)
            for grant in placement.grants {
                let index = nodeIndex(of: grant.nodeID)!
                gpus[index] -= grant.gpus
                host[index] -= need
                precondition(gpus[index] >= 0 && host[index].isNonNegative,
                             "placements never take more GPUs, cores, memory or disk than are free")
            }
        }
    }

    /// The capacity, orders and budgets of a clearing at `time`. Mutating only for the kept
    /// engine (derived state), which the carbon step borrows when a flexible order waits.
    mutating func clearingInput(at time: Timestamp) -> ClearingInput {
        let holds = preemptionHolds()
        let cache = fleet
        let view = cache.view
        // Every node's size, less what running leases (kept by index in the fleet), lockups and
        // pending preemptions hold.
        var gpusLeft = view.gpuCount
        var freeHost = view.size
        // Over raw buffers: these loops run over every node at every clearing, and element
        // writes through the arrays checked their uniqueness each time.
        gpusLeft.withUnsafeMutableBufferPointer { gpus in
            cache.heldGPUs.withUnsafeBufferPointer { held in
                for index in gpus.indices { gpus[index] -= held[index] }
            }
        }
        freeHost.withUnsafeMutableBufferPointer { host in
            cache.heldHost.withUnsafeBufferPointer { held in
                for index in host.indices { host[index] -= held[index] }
            }
        }
        for (nodeID, hold) in holds {
            guard let index = cache.index(of: nodeID) else { continue }
            gpusLeft[index] -= hold.gpus
            freeHost[index] -= hold.host
        }
        // The fleet: online GPUs not under lockups.
        var fleetGPUs = 0
        for lockup in lockups.values {
            guard let index = cache.index(of: lockup.nodeID) else { continue }
            gpusLeft[index] -= lockup.gpus
            if view.online[index] { fleetGPUs -= lockup.gpus }
        }
        var freeByNode = Array(repeating: 0, count: view.count)
        freeByNode.withUnsafeMutableBufferPointer { free in
            freeHost.withUnsafeMutableBufferPointer { host in
                for index in free.indices {
                    assert(host[index].isNonNegative, "running leases and preemption holds never take more than a node's cores, memory or disk")
                    // Offline nodes hold no leases (they end when a node is lost); their GPUs are 0.
                    host[index] = host[index].atLeastZero
                    guard view.online[index] else { continue }
                    fleetGPUs += view.gpuCount[index]
                    free[index] = max(0, gpusLeft[index])
                }
            }
        }
        assert(freeByNode.indices.allSatisfy { index in
            let record = nodes[sortedNodeIDs[index]]!
            let free = freeFigures(of: record.node, holds: holds)
            return freeHost[index] == free.host.atLeastZero && freeByNode[index] == (record.online ? max(0, free.gpus) : 0)
        }, "the free figures from the kept fleet are those read node by node")
        // Jobs whose tenant cannot cover their maximum cost wait; so do jobs waiting on a preemption.
        var unfunded: [String] = []
        var marketOrders: [MarketOrder] = []
        marketOrders.reserveCapacity(queue.count)
        // Funds read once per tenant (nothing in this loop moves money), and each order read in
        // place: this loop runs over the whole queue at every clearing.
        var fundsOfTenant: [String: MicroCredits] = [:]
        // The queue's market orders, read by place (built the first time; taken out of the
        // state while filled in, so that its buffer is not copied).
        var kept = queuedMarketOrders.count == queue.count ? queuedMarketOrders : Array(repeating: nil, count: queue.count)
        queuedMarketOrders = []
        for (place, orderID) in queue.enumerated() where preemptions.isEmpty || preemptions[orderID] == nil {
            let market: MarketOrder
            if let known = kept[place] {
                market = known
                assert(orders[orderID].map(freshMarketOrder(of:)) == known, "a kept market order is the one its order gives now")
            } else {
                guard let position = orders.index(forKey: orderID) else { continue }
                market = freshMarketOrder(of: orders.values[position])
                kept[place] = market
            }
            let tenantID = market.tenantID
            let funds: MicroCredits
            if let known = fundsOfTenant[tenantID] {
                funds = known
            } else {
                funds = availableFunds(of: tenantID)
                fundsOfTenant[tenantID] = funds
            }
            // The market spec differs from the job's only in its excluded operators: same cost.
            let maxCost = market.validSpec!.spec.maxCost
            assert(maxCost == orders[orderID]?.spec.maxCost, "a market order costs what its job costs")
            if funds < maxCost {
                unfunded.append(orderID)
                continue
            }
            marketOrders.append(market)
        }
        queuedMarketOrders = kept
        let atlas = keptCarbonAtlas()
        // A flexible order needs the whole carbon step: it borrows the kept engine, started on
        // this clearing's free figures (every online node, the full ones with 0 GPUs free, since
        // a flexible order may be planned for a zone whose nodes are full now). The passes then
        // clear on the kept engine too, given each node's carbon figure.
        let flexibleWaits = atlas != nil && marketOrders.contains(where: MarketClearing.isFlexibleInTime)
        var input = ClearingInput(freeByNode: freeByNode, freeHost: freeHost, orders: marketOrders, deferred: [], preferredZones: [:], carbonByNode: nil,
                                  unfunded: unfunded, budgets: marketBudgets(fleetGPUs: fleetGPUs), fleet: view)
        guard let atlas else { return input }
        let carbonOfZone = view.zones.map { carbonMicro(zone: $0, at: time) ?? -1 }
        input.carbonByNode = view.zoneOfNode.map { carbonOfZone[Int($0)] }
        if flexibleWaits {
            let step = keptCarbonStep(input, orders: marketOrders, online: view.online, atlas: atlas, at: time)
            assert(CarbonStepDecisions(step) == scratchCarbonStep(free: freeByNode, host: freeHost, orders: marketOrders, atlas: atlas, at: time),
                   "the carbon step on the kept engine decides what it decides on a scratch engine of the online nodes")
            input.orders = step.orders
            input.deferred = step.deferred
            input.preferredZones = step.preferredZones
        } else {
            // The zones of the nodes with free GPUs, for the set-aside orders' preferences.
            var present = Array(repeating: false, count: view.zones.count)
            for index in 0..<view.count where freeByNode[index] > 0 { present[Int(view.zoneOfNode[index])] = true }
            let zones = Set(view.zones.indices.filter { present[$0] }.map { view.zones[$0] })
            input.preferredZones = MarketClearing.setAsideZonePreferences(now: time, orders: marketOrders, zones: zones, atlas: atlas)
        }
        return input
    }

    /// The carbon step of `input` (its free figures and carbon figures) on the kept engine.
    private mutating func keptCarbonStep(_ input: ClearingInput, orders: [MarketOrder], online: [Bool], atlas: CarbonAtlas,
                                         at time: Timestamp) -> CarbonStepOutcome {
        // Taken out of the state while it runs, so that the engine is not copied.
        var kept = keptMarketEngine ?? KeptMarketEngine(for: self)
        keptMarketEngine = nil
        kept.setCarbonFigures(input.carbonByNode)
        kept.engine.startClearing(freeGPUs: kept.engineOrder(input.freeByNode), freeHost: kept.engineOrder(input.freeHost),
                                  pools: fundedClearingPools(), tenants: nil)
        let onlineByPosition = kept.engineOrder(online.map { $0 ? 1 : 0 }).map { $0 == 1 }
        let step = MarketClearing.carbonStep(now: time, engine: &kept.engine, online: onlineByPosition, orders: orders, atlas: atlas,
                                             forecast: capacityForecast(now: time))
        keptMarketEngine = kept
        return step
    }

    /// The carbon step on a scratch engine of the online nodes (debug check of the kept one).
    private func scratchCarbonStep(free: [Int], host: [HostUse], orders: [MarketOrder], atlas: CarbonAtlas,
                                   at time: Timestamp) -> CarbonStepDecisions {
        let stepNodes = marketNodes(free: free, host: host, at: time, includingFull: true)
        return CarbonStepDecisions(MarketClearing.carbonStep(now: time, nodes: stepNodes, orders: orders, pools: fundedClearingPools(),
                                                             atlas: atlas, forecast: capacityForecast(now: time)))
    }

    /// The nodes with free GPUs in `free` (by index in ``sortedNodeIDs``) as the market sees
    /// them at `time`, offering the cores, memory and disk in `host` (same index), in id order
    /// (carbon figures from the recorded series). With `includingFull`, every online node, the
    /// full ones offering 0 GPUs.
    func marketNodes(free: [Int], host: [HostUse], at time: Timestamp, includingFull: Bool = false) -> [MarketNode] {
        let cache = fleet
        // Carbon figures per zone, read once per zone rather than once per node.
        let carbonOfZone = cache.view.zones.map { carbonMicro(zone: $0, at: time) }
        var marketNodes: [MarketNode] = []
        // By id: the engine sorts nodes again in byte order, which is cheap on input that is
        // already (nearly) in order.
        for index in 0..<cache.view.count where free[index] > 0 || (includingFull && free[index] >= 0 && cache.view.online[index]) {
            let node = cache.view.nodes[index]
            marketNodes.append(MarketNode(
                id: node.id, operatorID: node.operatorID, gpuModel: node.gpuModel, freeGPUs: free[index],
                vramGiB: node.vramGiB, cpuCores: host[index].cpuCores, memoryGiB: host[index].memoryGiB, diskGiB: host[index].diskGiB,
                region: node.region, jurisdiction: node.jurisdiction, zone: node.gridZone,
                askPerGPUHour: node.askPerGPUHour, carbonMicroGCO2PerKWh: carbonOfZone[Int(cache.view.zoneOfNode[index])]))
        }
        return marketNodes
    }

    /// What `node` offers now: its GPUs less running leases, lockups and `holds` (pending
    /// preemptions, ``preemptionHolds()``), its cores, memory and disk less running leases and
    /// holds. Negative only if an invariant broke: callers clamp or compare.
    func freeFigures(of node: ComputeNode, holds: [String: NodeFigures]) -> NodeFigures {
        let hold = holds.isEmpty ? nil : holds[node.id]
        return NodeFigures(gpus: node.gpuCount - (allocatedGPUs[node.id] ?? 0) - lockedGPUs(on: node.id) - (hold?.gpus ?? 0),
                           host: HostUse(sizeOf: node) - runningTotals.hostUse(on: node.id) - (hold?.host ?? .zero))
    }

    /// The index of `nodeID` in ``sortedNodeIDs``, or `nil` for an unknown node.
    func nodeIndex(of nodeID: String) -> Int? {
        var low = 0
        var high = sortedNodeIDs.count
        while low < high {
            let mid = (low + high) / 2
            if sortedNodeIDs[mid] < nodeID { low = mid + 1 } else { high = mid }
        }
        return low < sortedNodeIDs.count && sortedNodeIDs[low] == nodeID ? low : nil
    }

    /// Budgets over a fleet of `fleetGPUs` (online GPUs not locked up), less what running
    /// leases and pending preemptions of each pool and of standard open work hold.
    func marketBudgets(fleetGPUs: Int) -> MarketBudgets {
        var reserved: [String: Int] = [:]
        for pool in pools.values {
            let share = Int64(pool.sharePPM).multipliedFullWidth(by: Int64(fleetGPUs))
            reserved[pool.name] = Int(Int64(1_000_000).dividingFullWidth(share).quotient)
        }
        var standard = fleetGPUs - reserved.values.reduce(0, +)
        func hold(_ order: Order, _ gpus: Int) {
            if let pool = order.pool {
                reserved[pool, default: 0] -= gpus
            } else if order.spec.jobClass == .standard {
                standard -= gpus
            }
        }
        // Running leases, summed as they start and end (see ``RunningLeaseTotals``).
        for (pool, held) in runningTotals.byPool { reserved[pool, default: 0] -= held.gpus }
        standard -= runningTotals.standardGPUs
        for notice in preemptions.values {
            if let order = orders[notice.orderID] { hold(order, notice.allocations.reduce(0) { $0 + $1.gpus }) }
        }
        return MarketBudgets(poolRemaining: reserved.mapValues { max(0, $0) }, standardRemaining: max(0, standard))
    }
}

extension CoordinatorState {
    /// `order` as the market reads it (``marketSpec(of:)``), made afresh; ``queuedMarketOrders``
    /// keeps it while the order waits: an order's id, tenant, arrival, pool and spec never
    /// change after submission, so the kept one never goes stale, and a clearing copies no spec.
    func freshMarketOrder(of order: Order) -> MarketOrder {
        MarketOrder(id: order.id, tenantID: order.tenantID, submitted: order.submitted, pool: order.pool, spec: marketSpec(of: order))
    }

    /// The spec as the market reads it: the job's own, with its tenant among the excluded
    /// operators. A tenant's order is never placed on its own nodes (it would pay itself: the
    /// ledger refuses such an escrow, and a placement whose escrow is refused would block the
    /// node at every clearing), in the plain clearing, preemption and the head's reservation
    /// alike; when only its own nodes fit, it waits with `excluded_operator`.
    func marketSpec(of order: Order) -> JobSpec {
        guard !order.spec.placement.excludedOperators.contains(order.tenantID) else { return order.spec }
        var spec = order.spec
        spec.placement.excludedOperators.append(order.tenantID)
        return spec
    }
}

/// What the carbon step decides (its outcome without the nodes), comparable.
struct CarbonStepDecisions: Equatable {
    var orders: [String]
    var deferred: [UnplacedOrder]
    var preferredZones: [String: [String]]

    init(_ outcome: CarbonStepOutcome) {
        orders = outcome.orders.map(\.id)
        deferred = outcome.deferred
        preferredZones = outcome.preferredZones
    }
}

extension CoordinatorState {
    /// What `read` gives of the order `orderID`, read in place, or `nil` for an unknown order.
    /// A lookup through the subscript copies the whole order (its spec holds a dozen counted
    /// references): loops over the queue read through this instead.
    @inline(__always)
    func withOrder<T>(_ orderID: String, _ read: (Order) -> T) -> T? {
        guard let position = orders.index(forKey: orderID) else { return nil }
        return read(orders.values[position])
    }
}
