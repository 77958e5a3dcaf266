import OSGCore
import OSGDomain
import Testing

func leaseStarts(_ events: [Event]) -> [Lease] {
    events.compactMap { if case .leaseStarted(let lease) = $0 { lease } else { nil } }
}

@Suite("Clearings start leases; lease ends free capacity and requeue when they should")
struct MarketInCoreTests {
    /// Two operators' nodes in one region, and three jobs.
    func market() throws -> Driver {
        var driver = Driver()
        try driver.run(.registerNode(node("n1", operator: "alice", gpus: 8)), by: "alice")
        try driver.run(.registerNode(node("n2", operator: "bob", gpus: 4)), by: "bob")
        try driver.run(.submitJob(spec: spec("a", gpus: 4), pool: nil), by: "t1")  // job-2
        try driver.run(.submitJob(spec: spec("b", gpus: 4), pool: nil), by: "t2")  // job-3
        try driver.run(.submitJob(spec: spec("c", gpus: 8), pool: nil), by: "t3")  // job-4
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
        #expect(first.map(\.orderID) == ["job-2", "job-3"])
        #expect(driver.state.queue == ["job-4"])
        let lease = try #require(first.first { $0.allocations.contains { $0.nodeID == "n1" } })
        let operatorID = driver.state.nodes[lease.allocations[0].nodeID]!.node.operatorID
        #expect(rejection(try driver.run(.endLease(leaseID: lease.id, reason: .completed), by: "t9")) == .notAllowedToEnd)
        #expect(rejection(try driver.run(.endLease(leaseID: lease.id, reason: .nodeLost), by: operatorID)) == .notAllowedToEnd)
        let ended = try driver.run(.endLease(leaseID: lease.id, reason: .completed), by: operatorID)
        #expect(ended == [.leaseEnded(leaseID: lease.id, orderID: lease.orderID, reason: .completed, requeued: false)])
        #expect(driver.state.orders[lease.orderID]?.status == .completed)
        #expect(rejection(try driver.run(.endLease(leaseID: lease.id, reason: .completed), by: operatorID)) == .leaseAlreadyEnded)
        let next = leaseStarts(try driver.run(.clear, by: governance))
        #expect(next.map(\.orderID) == ["job-4"], "n1's freed GPUs serve the waiting 8-GPU job")
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
            #expect(events.contains(.leaseEnded(leaseID: lease.id, orderID: lease.orderID, reason: .nodeLost, requeued: true)))
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
        #expect(events.first == .leaseEnded(leaseID: lease.id, orderID: lease.orderID, reason: .cancelledByTenant, requeued: false))
        #expect(driver.state.orders[lease.orderID]?.status == .cancelled)
        if let other = leases.dropFirst().first {
            let nodeID = other.allocations[0].nodeID
            let op = driver.state.nodes[nodeID]!.node.operatorID
            let withdrawn = try driver.run(.withdrawNode(nodeID: nodeID), by: op)
            #expect(withdrawn.contains(.leaseEnded(leaseID: other.id, orderID: other.orderID, reason: .nodeWithdrawn, requeued: true)))
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
            #expect(events.contains(.leaseEnded(leaseID: lease.id, orderID: lease.orderID, reason: .maxDurationReached, requeued: false)))
        }
    }
}
