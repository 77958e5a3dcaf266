import OSGCore
import OSGDomain
import Testing

/// Random fleets and job streams driven through the state machine: clearings, completions,
/// ticks, ask changes, cancellations, pools and preemption, with every published market
/// property checked after every clearing.
struct MarketWorkload {
    var random: SplitMix64
    var driver: Driver
    let models = ["H100", "A100", "L40S", "RTX4090"]
    let regions = ["eu", "us-west"]
    let tenants = ["t1", "t2", "t3", "t4", "s1", "s2"]
    /// Node ids and operators.
    var fleet: [(id: String, op: String)] = []
    /// Each lease's price ceiling when it started: (max ask allowed, asks of its nodes then).
    var startChecks: [String: (ceiling: Int64, asks: [Int64])] = [:]

    init(seed: UInt64) {
        random = SplitMix64(seed: seed)
        driver = Driver(notice: [0, 60, 120][Int(seed % 3)])
    }

    mutating func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &random)] }

    mutating func setUp() throws {
        for index in 0..<Int.random(in: 3...10, using: &random) {
            let op = "op\(index % 3)"
            var made = pricedNode("n\(index)", operator: op, gpus: pick([2, 4, 8]), ask: Int64.random(in: 4...20, using: &random) * 100_000,
                                  zone: pick(["NO", "ES"]), region: pick(regions))
            made.gpuModel = GPUModel.named(pick(models))!
            try driver.run(.registerNode(made), by: op, after: 0)
            fleet.append((made.id, op))
        }
        try driver.run(.definePool(SetAsidePool(name: "students", sharePPM: Int.random(in: 100_000...400_000, using: &random), pricePerGPUHour: MicroCredits(1_200_000))), by: governance, after: 0)
        for tenant in ["s1", "s2"] {
            try driver.run(.grantSetAside(SetAsideGrant(pool: "students", tenantID: tenant, quotaGPUSeconds: 10_000_000, expires: t0.adding(seconds: 10_000_000))), by: governance, after: 0)
        }
        for tenant in tenants {
            try driver.run(.deposit(tenantID: tenant, amount: MicroCredits(Int64.random(in: 20...2_000, using: &random) * MicroCredits.perCredit)), by: governance, after: 0)
        }
    }

    mutating func submit() throws {
        let tenant = pick(tenants)
        let pooled = tenant.hasPrefix("s") && Bool.random(using: &random)
        let jobClass: JobClass = pooled ? .setAside : pick([.standard, .standard, .preemptible])
        let duration = Int64.random(in: 1...6, using: &random) * 1800
        var spec = timedSpec("j", gpus: pick([1, 2, 4, 8]), duration: duration, maxDuration: duration + Int64.random(in: 0...2, using: &random) * 1800,
                             maxPrice: Int64.random(in: 10...25, using: &random) * 100_000, jobClass: jobClass, nodes: pick([1, 1, 1, 2]))
        if Int.random(in: 0..<4, using: &random) == 0 { spec.resources.gpu.selector = .atLeast(GPUModel.named("A100")!) }
        if Int.random(in: 0..<4, using: &random) == 0 { spec.placement.regions = [pick(regions)] }
        try driver.run(.submitJob(spec: spec, pool: pooled ? "students" : nil), by: tenant, after: Int64.random(in: 0...60, using: &random))
    }

    mutating func step() throws {
        switch Int.random(in: 0..<20, using: &random) {
        case 0..<7: try submit()
        case 7..<11:
            try clear()
        case 11..<14:
            // An operator reports a running job done.
            let running = driver.state.runningLeaseOfOrder.values.sorted()
            guard !running.isEmpty else { return }
            let lease = driver.state.leases[pick(running)]!
            let op = driver.state.nodes[lease.allocations[0].nodeID]!.node.operatorID
            try driver.run(.endLease(leaseID: lease.id, reason: .completed), by: op, after: Int64.random(in: 0...900, using: &random))
        case 14..<16:
            // Time passes; every node but sometimes one stays alive.
            let silent = Int.random(in: 0..<8, using: &random) == 0 ? pick(fleet).id : ""
            for op in ["op0", "op1", "op2"] {
                let ids = fleet.filter { $0.op == op && $0.id != silent && driver.state.nodes[$0.id] != nil }.map(\.id)
                if !ids.isEmpty { try driver.run(.heartbeat(nodeIDs: ids), by: op, after: 0) }
            }
            try driver.run(.tick, by: governance, after: Int64.random(in: 1...59, using: &random))
        case 16:
            let node = pick(fleet)
            try driver.run(.updateNodeAsk(nodeID: node.id, askPerGPUHour: MicroCredits(Int64.random(in: 4...20, using: &random) * 100_000)), by: node.op)
        case 17:
            guard let orderID = driver.state.queue.first else { return }
            try driver.run(.cancelJob(orderID: orderID), by: driver.state.orders[orderID]!.tenantID)
        default:
            try driver.run(.heartbeat(nodeIDs: fleet.filter { $0.op == "op0" && driver.state.nodes[$0.id] != nil }.map(\.id)), by: "op0", after: 0)
        }
    }

    /// Clears and checks every property of the clearing.
    mutating func clear() throws {
        let before = holdings()
        let events = try driver.run(.clear, by: governance, after: Int64.random(in: 1...120, using: &random))
        let state = driver.state
        // No node over-committed.
        for (nodeID, record) in state.nodes {
            let locked = state.lockups.values.filter { $0.nodeID == nodeID }.reduce(0) { $0 + $1.gpus }
            #expect((state.allocatedGPUs[nodeID] ?? 0) + locked <= record.node.gpuCount, "node \(nodeID) over-committed")
        }
        // Every started lease honours its spec: model, count per node, gang in one region, price.
        for lease in leaseStarts(events) {
            let order = state.orders[lease.orderID]!
            let spec = order.spec
            #expect(lease.allocations.count == spec.nodeCount && lease.allocations.allSatisfy { $0.gpus == spec.resources.gpu.countPerNode },
                    "gang all-or-nothing, full per-node count")
            let nodes = lease.allocations.map { state.nodes[$0.nodeID]!.node }
            #expect(Set(nodes.map(\.region)).count == 1, "a gang stays in one region")
            #expect(Set(lease.allocations.map(\.nodeID)).count == lease.allocations.count, "distinct nodes")
            for node in nodes {
                #expect(spec.resources.gpu.selector.accepts(node.gpuModel))
                #expect(spec.placement.regions.isEmpty || spec.placement.regions.contains(node.region))
                #expect(node.askPerGPUHour <= lease.pricePerGPUHour || order.pool != nil, "an open order pays at least every ask it uses")
            }
            if let pool = order.pool {
                #expect(lease.pricePerGPUHour == state.pools[pool]!.pricePerGPUHour, "set-aside orders pay their pool's price")
                #expect(nodes.allSatisfy { $0.askPerGPUHour <= lease.pricePerGPUHour })
            } else {
                #expect(lease.pricePerGPUHour <= spec.maxPricePerGPUHour && lease.pricePerGPUHour == nodes.map(\.askPerGPUHour).max()!)
            }
        }
        // The set-aside floor: a clearing never raises standard open work above the GPUs not
        // reserved, nor a pool above its reservation.
        let after = holdings()
        let fleet = state.nodes.values.filter(\.online).reduce(0) { $0 + $1.node.gpuCount }
        let reserved = state.pools.values.map { Int(Int64($0.sharePPM) * Int64(fleet) / 1_000_000) }.reduce(0, +)
        if after.standard > before.standard { #expect(after.standard <= fleet - reserved, "standard work kept off the set-aside floor") }
        for (pool, held) in after.pools where held > (before.pools[pool] ?? 0) {
            #expect(held <= Int(Int64(state.pools[pool]!.sharePPM) * Int64(fleet) / 1_000_000), "pool \(pool) within its share")
        }
    }

    /// GPUs held (running or awaiting a preemption) by standard open work and by each pool.
    func holdings() -> (standard: Int, pools: [String: Int]) {
        let state = driver.state
        var standard = 0
        var pools: [String: Int] = [:]
        func add(_ orderID: String, _ gpus: Int) {
            guard let order = state.orders[orderID] else { return }
            if let pool = order.pool { pools[pool, default: 0] += gpus } else if order.spec.jobClass == .standard { standard += gpus }
        }
        for (orderID, leaseID) in state.runningLeaseOfOrder { add(orderID, state.leases[leaseID]!.totalGPUs) }
        for notice in state.preemptions.values { add(notice.orderID, notice.allocations.reduce(0) { $0 + $1.gpus }) }
        return (standard, pools)
    }
}

@Suite("Market properties inside the state machine, on random fleets and job streams")
struct MarketCorePropertyTests {
    @Test("no over-commitment, every constraint, gangs whole, floors kept, only preemptible work preempted, replayable", arguments: 0..<24)
    func properties(seed: Int) throws {
        var workload = MarketWorkload(seed: UInt64(seed) &* 7919 &+ 1)
        try workload.setUp()
        for _ in 0..<160 { try workload.step() }
        try workload.clear()
        let replay = workload.driver.log.replay()
        #expect(replay.state.digest == workload.driver.state.digest, "the same log gives the same state")
        for event in replay.events.joined() {
            if case .leaseEnded(_, let orderID, .preempted, let requeued, _) = event {
                #expect(replay.state.orders[orderID]?.spec.jobClass == .preemptible && requeued, "only preemptible work is preempted, and it is requeued")
            }
        }
    }

    @Test("the workloads exercise preemption, reservations and backfill")
    func coverage() throws {
        var noticed = 0, preempted = 0, reserved = 0, started = 0
        for seed in 0..<24 {
            var workload = MarketWorkload(seed: UInt64(seed) &* 7919 &+ 1)
            try workload.setUp()
            for _ in 0..<160 { try workload.step() }
            for event in workload.driver.log.replay().events.joined() {
                switch event {
                case .preemptionNoticed: noticed += 1
                case .leaseEnded(_, _, .preempted, _, _): preempted += 1
                case .headReserved: reserved += 1
                case .leaseStarted: started += 1
                default: break
                }
            }
        }
        #expect(noticed > 5 && preempted > 5 && reserved > 5 && started > 100, "noticed \(noticed), preempted \(preempted), reserved \(reserved), started \(started)")
    }
}
