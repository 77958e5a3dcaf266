import OSGCore
import OSGDomain
import Testing

@Suite("Backfill around a reservation for the head of the queue")
struct BackfillTests {
    /// n1 (8 GPUs) running three 2-GPU jobs that end after 2, 3 and 4 hours (2 GPUs free);
    /// n2 (2 GPUs) running a 5-hour job; an 8-GPU job waiting at the head of the queue.
    func busyNode() throws -> (driver: Driver, running: [Lease], big: String) {
        var driver = Driver(notice: 120)
        try driver.run(.registerNode(pricedNode("n1", operator: "alice", ask: 1_500_000)), by: "alice")
        try driver.run(.registerNode(pricedNode("n2", operator: "bob", gpus: 2, ask: 1_500_000)), by: "bob")
        for tenant in ["t1", "big", "small"] {
            try driver.run(.deposit(tenantID: tenant, amount: MicroCredits(1_000 * MicroCredits.perCredit)), by: governance)
        }
        try driver.run(.submitJob(spec: timedSpec("a5", gpus: 2, duration: 5 * 3600, maxPrice: 1_600_000), pool: nil), by: "t1")
        var running = leaseStarts(try driver.run(.clear, by: governance))
        #expect(running.first?.allocations == [NodeAllocation(nodeID: "n2", gpus: 2)])
        for hours in 2...4 {
            try driver.run(.submitJob(spec: timedSpec("a\(hours)", gpus: 2, duration: Int64(hours) * 3600, maxPrice: 1_600_000), pool: nil), by: "t1")
        }
        running += leaseStarts(try driver.run(.clear, by: governance))
        #expect(running.count == 4 && driver.state.allocatedGPUs["n1"] == 6)
        let big = try #require(queuedID(try driver.run(.submitJob(spec: timedSpec("big", gpus: 8, duration: 3600), pool: nil), by: "big")))
        return (driver, running, big)
    }

    @Test("the head gets a reservation at the expected end of the leases in its way")
    func reservation() throws {
        var (driver, running, big) = try busyNode()
        let events = try driver.run(.clear, by: governance)
        let reserved = try #require(headReservations(events).first)
        #expect(reserved.orderID == big && reserved.nodeIDs == ["n1"])
        let latestOnN1 = running.filter { $0.allocations[0].nodeID == "n1" }
            .map { $0.start.adding(seconds: driver.state.orders[$0.orderID]!.spec.durationSeconds) }.max()!
        #expect(reserved.start == latestOnN1)
        #expect(driver.state.headReservation?.orderID == big)
    }

    @Test("a stream of small long jobs does not starve the big one; a short job backfills; the reserved start never moves later")
    func noStarvation() throws {
        var (driver, running, big) = try busyNode()
        var reservedStarts: [Timestamp] = []
        var clearTimes: [Timestamp] = []
        var backfilled: String?
        var bigStarted: Timestamp?
        // Every hour a long (5 h) small job arrives, and in the first hour a short one (at most
        // 1 h) that ends before the reserved start; jobs complete when their duration is up.
        for hour in 0..<6 {
            if hour == 0 {
                try driver.run(.submitJob(spec: timedSpec("short", gpus: 2, duration: 1800, maxDuration: 3600), pool: nil), by: "small")
            }
            try driver.run(.submitJob(spec: timedSpec("long\(hour)", gpus: 2, duration: 5 * 3600), pool: nil), by: "small")
            let events = try driver.run(.clear, by: governance)
            clearTimes.append(driver.time)
            reservedStarts += headReservations(events).filter { $0.orderID == big }.map(\.start)
            for lease in leaseStarts(events) {
                let name = driver.state.orders[lease.orderID]!.spec.name
                if name == "short" { backfilled = lease.allocations[0].nodeID; running.append(lease) }
                if lease.orderID == big { bigStarted = driver.time }
                if name.hasPrefix("long") {
                    #expect(lease.allocations[0].nodeID != "n1" || bigStarted != nil, "a long job never takes the reserved GPUs")
                }
            }
            if bigStarted != nil { break }
            // An hour passes; operators report the jobs that ran their duration as completed.
            driver.time = driver.time.adding(seconds: 3600)
            for lease in running where driver.state.leases[lease.id]?.end == nil {
                let spec = driver.state.orders[lease.orderID]!.spec
                if lease.start.adding(seconds: spec.durationSeconds) <= driver.time {
                    let op = driver.state.nodes[lease.allocations[0].nodeID]!.node.operatorID
                    try driver.run(.endLease(leaseID: lease.id, reason: .completed), by: op, after: 0)
                }
            }
        }
        #expect(backfilled == "n1", "the short job used the reserved node's free GPUs")
        let started = try #require(bigStarted)
        let first = try #require(reservedStarts.first)
        #expect(started == clearTimes.first { $0 >= first }, "the head starts in the first clearing at or after its first reserved start")
        #expect(zip(reservedStarts, reservedStarts.dropFirst()).allSatisfy { $0.1 <= $0.0 }, "backfill never delays the reserved start")
    }

    @Test("an order kept off the reserved GPUs says so")
    func behindReservation() throws {
        var (driver, _, _) = try busyNode()
        let long = try #require(queuedID(try driver.run(.submitJob(spec: timedSpec("long", gpus: 2, duration: 5 * 3600), pool: nil), by: "small")))
        #expect(leaseStarts(try driver.run(.clear, by: governance)).isEmpty)
        #expect(driver.state.waitingReasons[long] == "behind_reservation")
    }

    @Test("a gang's reservation waits for its last node in the region that frees up first")
    func gangReservation() throws {
        var driver = Driver(notice: 120)
        for (id, region) in [("e1", "eu"), ("e2", "eu"), ("w1", "us-west"), ("w2", "us-west")] {
            try driver.run(.registerNode(pricedNode(id, operator: "alice", gpus: 4, ask: 1_500_000, region: region)), by: "alice")
        }
        for tenant in ["t1", "t2"] {
            try driver.run(.deposit(tenantID: tenant, amount: MicroCredits(1_000 * MicroCredits.perCredit)), by: governance)
        }
        // eu frees up after 1 h and 3 h, us-west after 2 h and 2 h: us-west is ready first.
        for (hours, region) in [(1, "eu"), (3, "eu"), (2, "us-west"), (2, "us-west")] {
            var spec = timedSpec("r\(hours)", gpus: 4, duration: Int64(hours) * 3600)
            spec.placement = Placement(regions: [region])
            try driver.run(.submitJob(spec: spec, pool: nil), by: "t1")
            #expect(leaseStarts(try driver.run(.clear, by: governance, after: 0)).count == 1)
        }
        let gang = try #require(queuedID(try driver.run(.submitJob(spec: timedSpec("gang", gpus: 4, nodes: 2), pool: nil), by: "t2")))
        let reserved = try #require(headReservations(try driver.run(.clear, by: governance)).first)
        #expect(reserved.orderID == gang && reserved.nodeIDs == ["w1", "w2"])
        let latestWest = driver.state.leases.values.filter { $0.allocations[0].nodeID.hasPrefix("w") }
            .map { $0.start.adding(seconds: 7200) }.max()!
        #expect(reserved.start == latestWest)
    }
}
