import OSGCore
import OSGDomain
import Testing

@Suite("Preemption with notice: set-asides reclaim lent GPUs, standard work displaces preemptible work only")
struct PreemptionTests {
    /// One 8-GPU node asking 0.5, a pool holding half the fleet at 1.0, a granted student, and
    /// a preemptible job borrowing the whole node (the pool's idle half is lent).
    func lentPool(notice: Int64) throws -> (driver: Driver, borrower: Lease) {
        var driver = Driver(notice: notice)
        try driver.run(.registerNode(pricedNode("n1", operator: "alice", ask: 500_000)), by: "alice")
        try driver.run(.definePool(SetAsidePool(name: "students", sharePPM: 500_000, pricePerGPUHour: MicroCredits(1_000_000))), by: governance)
        try driver.run(.grantSetAside(SetAsideGrant(pool: "students", tenantID: "s1", quotaGPUSeconds: 1_000_000, expires: t0.adding(seconds: 864_000))), by: governance)
        for tenant in ["p1", "s1", "t3"] {
            try driver.run(.deposit(tenantID: tenant, amount: MicroCredits(100 * MicroCredits.perCredit)), by: governance)
        }
        try driver.run(.submitJob(spec: timedSpec("borrow", gpus: 8, duration: 7200, jobClass: .preemptible), pool: nil), by: "p1")
        let borrower = try #require(leaseStarts(try driver.run(.clear, by: governance)).first)
        #expect(borrower.allocations == [NodeAllocation(nodeID: "n1", gpus: 8)], "idle pool capacity is lent to preemptible work")
        return (driver, borrower)
    }

    @Test("a pool job reclaims lent GPUs: notice at the first clearing, victim preempted at the deadline, the job starts on the held GPUs")
    func reclaimWithNotice() throws {
        var (driver, borrower) = try lentPool(notice: 120)
        let studentJob = try #require(queuedID(try driver.run(.submitJob(spec: timedSpec("thesis", gpus: 4, maxPrice: 1_000_000, jobClass: .setAside), pool: "students"), by: "s1")))
        let decided = try driver.run(.clear, by: governance, after: 10)
        let notice = try #require(notices(decided).first)
        #expect(notice.orderID == studentJob && notice.victims == [borrower.id])
        #expect(notice.deadline == driver.time.adding(seconds: 120))
        #expect(driver.state.waitingReasons[studentJob] == "awaiting_preemption")
        #expect(driver.state.leases[borrower.id]?.end == nil, "the victim runs through its notice")

        // A standard job arriving meanwhile cannot take the held GPUs, nor is the victim ended early.
        let standard = try #require(queuedID(try driver.run(.submitJob(spec: timedSpec("web", gpus: 4), pool: nil), by: "t3", after: 50)))
        let early = try driver.run(.clear, by: governance, after: 10)
        #expect(leaseStarts(early).isEmpty && leaseEnds(early).isEmpty)

        // At the deadline (a tick, with the node alive) the victim ends as preempted and is requeued.
        try driver.run(.heartbeat(nodeIDs: ["n1"]), by: "alice", after: 59)
        let tick = try driver.run(.tick, by: governance, after: 1)
        #expect(driver.time == notice.deadline)
        let end = try #require(leaseEnds(tick)[borrower.id])
        #expect(end.reason == .preempted && end.requeued)
        let elapsed = borrower.start.seconds(until: driver.time)
        #expect(end.paid == MicroCredits((8 * borrower.pricePerGPUHour.rawValue * elapsed + 3599) / 3600), "paid for the time it ran")
        #expect(driver.state.escrows[borrower.id] == nil, "the rest of its escrow is released")
        #expect(driver.state.availableFunds(of: "p1") == MicroCredits(100 * MicroCredits.perCredit - end.paid.rawValue))
        let victimOrder = try #require(driver.state.orders[borrower.orderID])
        #expect(victimOrder.status == .pending && driver.state.queue.contains(victimOrder.id))
        #expect(victimOrder.submitted == t0.adding(seconds: 7), "requeued with its original arrival time")

        // The next clearing starts the pool job on the held GPUs at the pool price; the standard
        // job takes the other half; the borrower waits.
        let next = try driver.run(.clear, by: governance)
        let started = leaseStarts(next)
        let pool = try #require(started.first { $0.orderID == studentJob })
        #expect(pool.allocations == [NodeAllocation(nodeID: "n1", gpus: 4)] && pool.pricePerGPUHour == MicroCredits(1_000_000))
        #expect(started.contains { $0.orderID == standard })
        #expect(driver.state.queue == [victimOrder.id])
        #expect(driver.state.preemptions.isEmpty)
        #expect(driver.state.ledger.checkInvariants().isEmpty)
    }

    @Test("with no notice period the pool job starts in the first clearing after it arrives")
    func reclaimAtOnce() throws {
        var (driver, borrower) = try lentPool(notice: 0)
        let studentJob = try #require(queuedID(try driver.run(.submitJob(spec: timedSpec("thesis", gpus: 4, maxPrice: 1_000_000, jobClass: .setAside), pool: "students"), by: "s1")))
        let events = try driver.run(.clear, by: governance, after: 30)
        #expect(notices(events).map(\.victims) == [[borrower.id]])
        #expect(leaseEnds(events)[borrower.id]?.reason == .preempted)
        #expect(leaseStarts(events).map(\.orderID) == [studentJob])
        #expect(driver.state.orders[studentJob]?.status == .running)
        #expect(driver.state.waitingReasons[borrower.orderID] == "preempted")
    }

    @Test("a pool at its floor does not preempt; standard work never preempts standard or set-aside work; preemptible work preempts nothing")
    func whoMayPreempt() throws {
        var driver = Driver(notice: 0)
        try driver.run(.registerNode(pricedNode("n1", operator: "alice", ask: 500_000)), by: "alice")
        try driver.run(.definePool(SetAsidePool(name: "students", sharePPM: 500_000, pricePerGPUHour: MicroCredits(1_000_000))), by: governance)
        try driver.run(.grantSetAside(SetAsideGrant(pool: "students", tenantID: "s1", quotaGPUSeconds: 1_000_000, expires: t0.adding(seconds: 864_000))), by: governance)
        for tenant in ["s1", "t1", "t2", "p1"] {
            try driver.run(.deposit(tenantID: tenant, amount: MicroCredits(100 * MicroCredits.perCredit)), by: governance)
        }
        try driver.run(.submitJob(spec: timedSpec("pool", gpus: 4, maxPrice: 1_000_000, jobClass: .setAside), pool: "students"), by: "s1")
        try driver.run(.submitJob(spec: timedSpec("std", gpus: 4), pool: nil), by: "t1")
        #expect(leaseStarts(try driver.run(.clear, by: governance)).count == 2)
        // The node is full of set-aside and standard work: nobody may displace it.
        try driver.run(.submitJob(spec: timedSpec("std2", gpus: 4, maxPrice: 3_000_000), pool: nil), by: "t2")
        try driver.run(.submitJob(spec: timedSpec("pre", gpus: 4, maxPrice: 3_000_000, jobClass: .preemptible), pool: nil), by: "p1")
        try driver.run(.submitJob(spec: timedSpec("pool2", gpus: 4, maxPrice: 1_000_000, jobClass: .setAside), pool: "students"), by: "s1")
        let events = try driver.run(.clear, by: governance)
        #expect(notices(events).isEmpty && leaseEnds(events).isEmpty && leaseStarts(events).isEmpty)
        #expect(driver.state.preemptions.isEmpty)
    }

    /// Two 8-GPU nodes: n1 holds two 4-GPU preemptible leases, n2 one 8-GPU preemptible lease.
    func twoNodes(secondAsk: Int64? = nil, n2Ask: Int64 = 1_500_000) throws -> (driver: Driver, onN1: [Lease], onN2: Lease) {
        var driver = Driver(notice: 0)
        try driver.run(.registerNode(pricedNode("n1", operator: "alice", ask: 1_500_000)), by: "alice")
        try driver.run(.registerNode(pricedNode("n2", operator: "bob", ask: n2Ask)), by: "bob")
        for tenant in ["p1", "p2", "p3", "t1", "t2"] {
            try driver.run(.deposit(tenantID: tenant, amount: MicroCredits(100 * MicroCredits.perCredit)), by: governance)
        }
        try driver.run(.submitJob(spec: timedSpec("a", gpus: 4, jobClass: .preemptible), pool: nil), by: "p1")
        let a = try #require(leaseStarts(try driver.run(.clear, by: governance)).first)
        if let secondAsk { try driver.run(.updateNodeAsk(nodeID: "n1", askPerGPUHour: MicroCredits(secondAsk)), by: "alice") }
        try driver.run(.submitJob(spec: timedSpec("b", gpus: 4, jobClass: .preemptible), pool: nil), by: "p2")
        let b = try #require(leaseStarts(try driver.run(.clear, by: governance)).first)
        try driver.run(.submitJob(spec: timedSpec("c", gpus: 8, jobClass: .preemptible), pool: nil), by: "p3")
        let c = try #require(leaseStarts(try driver.run(.clear, by: governance)).first)
        #expect(a.allocations[0].nodeID == "n1" && b.allocations[0].nodeID == "n1" && c.allocations[0].nodeID == "n2")
        return (driver, [a, b], c)
    }

    @Test("victims: fewest first, then the most recent start at equal price")
    func fewestThenMostRecent() throws {
        var (driver, onN1, onN2) = try twoNodes()
        try driver.run(.submitJob(spec: timedSpec("big", gpus: 8), pool: nil), by: "t1")
        let first = try driver.run(.clear, by: governance)
        #expect(notices(first).map(\.victims) == [[onN2.id]], "one victim on n2 beats two on n1")
        try driver.run(.submitJob(spec: timedSpec("half", gpus: 4), pool: nil), by: "t2")
        let second = try driver.run(.clear, by: governance)
        #expect(notices(second).map(\.victims) == [[onN1[1].id]], "equal price: the most recent start goes")
        #expect(leaseEnds(second)[onN1[1].id]?.reason == .preempted)
        #expect(driver.state.leases[onN1[0].id]?.end == nil)
    }

    @Test("victims: the lowest price goes before the most recent start")
    func lowestPriceFirst() throws {
        var (driver, onN1, _) = try twoNodes(secondAsk: 1_800_000, n2Ask: 1_900_000)
        #expect(onN1[1].pricePerGPUHour == MicroCredits(1_800_000))
        try driver.run(.submitJob(spec: timedSpec("half", gpus: 4), pool: nil), by: "t2")
        let events = try driver.run(.clear, by: governance)
        #expect(notices(events).map(\.victims) == [[onN1[0].id]])
    }

    @Test("a cancelled job's pending preemption is withdrawn and its victims keep running")
    func withdrawn() throws {
        var (driver, borrower) = try lentPool(notice: 300)
        let studentJob = try #require(queuedID(try driver.run(.submitJob(spec: timedSpec("thesis", gpus: 4, maxPrice: 1_000_000, jobClass: .setAside), pool: "students"), by: "s1")))
        #expect(notices(try driver.run(.clear, by: governance)).count == 1)
        try driver.run(.cancelJob(orderID: studentJob), by: "s1")
        try driver.run(.heartbeat(nodeIDs: ["n1"]), by: "alice", after: 299)
        let events = try driver.run(.tick, by: governance, after: 1)
        #expect(events.contains(.preemptionWithdrawn(orderID: studentJob, reason: "job_not_pending")))
        #expect(leaseEnds(events).isEmpty && driver.state.leases[borrower.id]?.end == nil)
        #expect(driver.state.preemptions.isEmpty)
    }

    @Test("the notice period is part of the genesis; headers written before it existed read as the default")
    func genesisNotice() throws {
        let old = try CanonicalEncoding.decode(Genesis.self, from: Array(#"{"governanceID":"gov","heartbeatTimeoutSeconds":60}"#.utf8))
        #expect(old.preemptionNoticeSeconds == Genesis.defaultPreemptionNoticeSeconds)
        #expect(String(decoding: CanonicalEncoding.bytes(of: old), as: UTF8.self) == #"{"governanceID":"gov","heartbeatTimeoutSeconds":60}"#)
        let none = Genesis(governanceID: "gov", heartbeatTimeoutSeconds: 60, preemptionNoticeSeconds: 0)
        #expect(try CanonicalEncoding.decode(Genesis.self, from: CanonicalEncoding.bytes(of: none)) == none)
        #expect(throws: DecodingError.self) {
            try CanonicalEncoding.decode(Genesis.self, from: Array(#"{"governanceID":"gov","heartbeatTimeoutSeconds":60,"preemptionNoticeSeconds":-1}"#.utf8))
        }
    }

    @Test("a standard gang displaces preemptible leases in one region, all or nothing")
    func gang() throws {
        var driver = Driver(notice: 0)
        try driver.run(.registerNode(pricedNode("e1", operator: "alice", ask: 1_500_000, region: "eu")), by: "alice")
        try driver.run(.registerNode(pricedNode("e2", operator: "alice", ask: 1_500_000, region: "eu")), by: "alice")
        try driver.run(.registerNode(pricedNode("w1", operator: "bob", ask: 1_500_000, region: "us-west")), by: "bob")
        for tenant in ["p1", "t1"] {
            try driver.run(.deposit(tenantID: tenant, amount: MicroCredits(1_000 * MicroCredits.perCredit)), by: governance)
        }
        for name in ["a", "b", "c"] {
            try driver.run(.submitJob(spec: timedSpec(name, gpus: 8, jobClass: .preemptible), pool: nil), by: "p1")
        }
        let borrowed = leaseStarts(try driver.run(.clear, by: governance))
        #expect(borrowed.count == 3)
        // Two 8-GPU nodes in one region: only eu has two, so both eu leases go, the us-west one stays.
        let gangID = try #require(queuedID(try driver.run(.submitJob(spec: timedSpec("gang", gpus: 8, nodes: 2), pool: nil), by: "t1")))
        let events = try driver.run(.clear, by: governance)
        let euLeases = borrowed.filter { ["e1", "e2"].contains($0.allocations[0].nodeID) }.map(\.id).sorted()
        #expect(notices(events).map(\.victims) == [euLeases])
        let gang = try #require(leaseStarts(events).first { $0.orderID == gangID })
        #expect(gang.allocations == [NodeAllocation(nodeID: "e1", gpus: 8), NodeAllocation(nodeID: "e2", gpus: 8)])
        let west = try #require(borrowed.first { $0.allocations[0].nodeID == "w1" })
        #expect(driver.state.leases[west.id]?.end == nil)
        #expect(driver.state.queue.count == 2, "both displaced jobs wait, requeued")
    }
}
