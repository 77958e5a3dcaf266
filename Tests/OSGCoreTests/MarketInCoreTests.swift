import OSGCore
import OSGDomain
import Testing

func leaseStarts(_ events: [Event]) -> [Lease] {
    events.compactMap { if case .leaseStarted(let lease) = $0 { lease } else { nil } }
}

/// Lease ends in `events`: lease id → (order, reason, requeued, paid).
func leaseEnds(_ events: [Event]) -> [String: (orderID: String, reason: LeaseEndReason, requeued: Bool, paid: MicroCredits)] {
    var ends: [String: (orderID: String, reason: LeaseEndReason, requeued: Bool, paid: MicroCredits)] = [:]
    for event in events {
        if case .leaseEnded(let leaseID, let orderID, let reason, let requeued, let paid) = event {
            ends[leaseID] = (orderID, reason, requeued, paid)
        }
    }
    return ends
}

@Suite("Clearings start leases; lease ends free capacity and requeue when they should")
struct MarketInCoreTests {
    /// Two operators' nodes in one region, and three jobs.
    func market() throws -> Driver {
        var driver = Driver()
        try driver.run(.registerNode(node("n1", operator: "alice", gpus: 8)), by: "alice")
        try driver.run(.registerNode(node("n2", operator: "bob", gpus: 4)), by: "bob")
        for tenant in ["t1", "t2", "t3"] {
            try driver.run(.deposit(tenantID: tenant, amount: MicroCredits(100 * MicroCredits.perCredit)), by: governance, after: 0)
        }
        try driver.run(.submitJob(spec: spec("a", gpus: 4), pool: nil), by: "t1")  // job-5
        try driver.run(.submitJob(spec: spec("b", gpus: 4), pool: nil), by: "t2")  // job-6
        try driver.run(.submitJob(spec: spec("c", gpus: 8), pool: nil), by: "t3")  // job-7
        return driver
    }

    @Test("a clearing places what fits, records why the rest waits, and never over-commits")
    func clearing() throws {
        var driver = try market()
        #expect(rejection(try driver.run(.clear, by: "t1")) == .notGovernance)
        let events = try driver.run(.clear, by: governance)
        let leases = leaseStarts(events)
        #expect(leases.count == 2 || leases.count == 3)
        for (nodeID, gpus) in driver.state.allocatedGPUs {
            #expect(gpus <= driver.state.nodes[nodeID]!.node.gpuCount)
        }
        #expect(driver.state.queue.count == 3 - leases.count)
        for waiting in driver.state.queue {
            #expect(driver.state.waitingReasons[waiting] != nil, "a waiting job says why")
        }
        for lease in leases {
            #expect(driver.state.orders[lease.orderID]?.status == .running)
            #expect(lease.pricePerGPUHour >= MicroCredits(1_500_000) && lease.pricePerGPUHour <= MicroCredits(2_000_000))
        }
        // A second clearing with nothing freed places nothing new.
        #expect(leaseStarts(try driver.run(.clear, by: governance)).isEmpty)
    }

    @Test("completion frees the GPUs for the next clearing; only the right parties end a lease")
    func completion() throws {
        var driver = try market()
        // By the published rules: job a (first to arrive) takes the best-fitting node n2 (4 GPUs),
        // job b takes 4 of n1's 8, and job c (8 GPUs) waits.
        let first = leaseStarts(try driver.run(.clear, by: governance))
        #expect(first.map(\.orderID) == ["job-5", "job-6"])
        #expect(driver.state.queue == ["job-7"])
        let lease = try #require(first.first { $0.allocations.contains { $0.nodeID == "n1" } })
        let operatorID = driver.state.nodes[lease.allocations[0].nodeID]!.node.operatorID
        #expect(rejection(try driver.run(.endLease(leaseID: lease.id, reason: .completed), by: "t9")) == .notAllowedToEnd)
        #expect(rejection(try driver.run(.endLease(leaseID: lease.id, reason: .nodeLost), by: operatorID)) == .notAllowedToEnd)
        let ended = leaseEnds(try driver.run(.endLease(leaseID: lease.id, reason: .completed), by: operatorID, after: 1800))
        #expect(ended[lease.id]?.reason == .completed && ended[lease.id]?.requeued == false)
        // About half an hour of 4 GPUs at the lease price, rounded up to a micro-credit, paid to alice.
        let elapsed = lease.start.seconds(until: driver.time)
        #expect(ended[lease.id]?.paid == MicroCredits((4 * lease.pricePerGPUHour.rawValue * elapsed + 3599) / 3600))
        #expect(driver.state.availableFunds(of: operatorID) == ended[lease.id]?.paid)
        #expect(driver.state.orders[lease.orderID]?.status == .completed)
        #expect(rejection(try driver.run(.endLease(leaseID: lease.id, reason: .completed), by: operatorID)) == .leaseAlreadyEnded)
        let next = leaseStarts(try driver.run(.clear, by: governance))
        #expect(next.map(\.orderID) == ["job-7"], "n1's freed GPUs serve the waiting 8-GPU job")
        #expect(driver.state.allocatedGPUs["n1"] == 8)
    }

    @Test("a lost node's jobs are requeued with their lease ended as node_lost")
    func nodeLost() throws {
        var driver = try market()
        let leases = leaseStarts(try driver.run(.clear, by: governance))
        try driver.run(.heartbeat(nodeIDs: ["n2"]), by: "bob", after: 50)
        let events = try driver.run(.tick, by: governance, after: 30)  // n1 silent for 80 s
        let lostOnN1 = leases.filter { $0.allocations.contains { $0.nodeID == "n1" } }
        for lease in lostOnN1 {
            #expect(leaseEnds(events)[lease.id]?.reason == .nodeLost && leaseEnds(events)[lease.id]?.requeued == true)
            #expect(driver.state.queue.contains(lease.orderID))
            #expect(driver.state.orders[lease.orderID]?.status == .pending)
        }
        #expect(driver.state.allocatedGPUs["n1"] == nil)
    }

    @Test("cancelling a running job ends its lease; withdrawing a node requeues its jobs")
    func cancelAndWithdraw() throws {
        var driver = try market()
        let leases = leaseStarts(try driver.run(.clear, by: governance))
        let lease = try #require(leases.first)
        let tenant = driver.state.orders[lease.orderID]!.tenantID
        let events = try driver.run(.cancelJob(orderID: lease.orderID), by: tenant)
        #expect(leaseEnds(events)[lease.id]?.reason == .cancelledByTenant && leaseEnds(events)[lease.id]?.requeued == false)
        #expect(driver.state.orders[lease.orderID]?.status == .cancelled)
        if let other = leases.dropFirst().first {
            let nodeID = other.allocations[0].nodeID
            let op = driver.state.nodes[nodeID]!.node.operatorID
            let withdrawn = try driver.run(.withdrawNode(nodeID: nodeID), by: op)
            #expect(leaseEnds(withdrawn)[other.id]?.reason == .nodeWithdrawn && leaseEnds(withdrawn)[other.id]?.requeued == true)
            #expect(driver.state.queue.contains(other.orderID))
        }
    }

    @Test("a lease past its job's max_duration ends at the next tick")
    func maxDuration() throws {
        var driver = try market()
        let leases = leaseStarts(try driver.run(.clear, by: governance))
        for op in ["alice", "bob"] {
            try driver.run(.heartbeat(nodeIDs: driver.state.nodes.values.filter { $0.node.operatorID == op }.map(\.node.id).sorted()), by: op, after: 0)
        }
        // Keep the nodes alive while an hour passes.
        for _ in 0..<61 {
            try driver.run(.heartbeat(nodeIDs: ["n1"]), by: "alice", after: 59)
            try driver.run(.heartbeat(nodeIDs: ["n2"]), by: "bob", after: 0)
        }
        let events = try driver.run(.tick, by: governance, after: 1)
        for lease in leases {
            let end = leaseEnds(events)[lease.id]
            #expect(end?.reason == .maxDurationReached && end?.requeued == false)
            // A job that ran its whole max_duration pays its whole budget: 1 h × GPUs × price.
            #expect(end?.paid == MicroCredits(Int64(lease.totalGPUs) * lease.pricePerGPUHour.rawValue))
        }
    }

    @Test("money: escrow at lease start, payment for time used, the rest released, the ledger balanced")
    func money() throws {
        var driver = try market()
        let before = driver.state.availableFunds(of: "t1")
        let leases = leaseStarts(try driver.run(.clear, by: governance))
        let lease = try #require(leases.first { driver.state.orders[$0.orderID]?.tenantID == "t1" })
        // Budget reserved: price × 4 GPUs × 1 h.
        let budget = MicroCredits(4 * lease.pricePerGPUHour.rawValue)
        #expect(driver.state.availableFunds(of: "t1") == MicroCredits(before.rawValue - budget.rawValue))
        _ = try driver.run(.cancelJob(orderID: lease.orderID), by: "t1", after: 900)
        let elapsed = lease.start.seconds(until: driver.time)
        #expect(elapsed == 900)
        let paid = MicroCredits((4 * lease.pricePerGPUHour.rawValue * elapsed + 3599) / 3600)
        #expect(driver.state.availableFunds(of: "t1") == MicroCredits(before.rawValue - paid.rawValue))
        #expect(driver.state.ledger.checkInvariants().isEmpty)
        #expect(driver.state.escrows[lease.id] == nil)
    }

    @Test("a tenant who cannot cover a job's maximum cost waits with insufficient_funds")
    func insufficientFunds() throws {
        var driver = Driver()
        try driver.run(.registerNode(node("n1", operator: "alice", gpus: 8)), by: "alice")
        try driver.run(.deposit(tenantID: "poor", amount: MicroCredits(1_000_000)), by: governance)
        try driver.run(.submitJob(spec: spec("big", gpus: 4), pool: nil), by: "poor")  // max cost 8 credits
        #expect(leaseStarts(try driver.run(.clear, by: governance)).isEmpty)
        #expect(driver.state.waitingReasons["job-2"] == "insufficient_funds")
        #expect(rejection(try driver.run(.deposit(tenantID: "poor", amount: MicroCredits(7_000_000)), by: "poor")) == .notGovernance)
        try driver.run(.deposit(tenantID: "poor", amount: MicroCredits(7_000_000)), by: governance)
        #expect(leaseStarts(try driver.run(.clear, by: governance)).count == 1)
        #expect(driver.state.waitingReasons["job-2"] == nil)
    }
}
