import OSGCore
import OSGDomain
import Testing

@Suite("Market statistics are derived from the state, exactly")
struct MarketStatisticsTests {
    @Test("queue times, acceptance, utilisation and price index of a small market")
    func smallMarket() throws {
        var driver = Driver()
        try driver.run(.registerNode(node("n1", operator: "alice", gpus: 8)), by: "alice")
        for tenant in ["t1", "t2"] {
            try driver.run(.deposit(tenantID: tenant, amount: MicroCredits(100 * MicroCredits.perCredit)), by: governance)
        }
        // Standard jobs are served before preemptible ones at the same price: a and c start
        // (after 10 s and 8 s), b waits for room.
        try driver.run(.submitJob(spec: spec("a", gpus: 4), pool: nil), by: "t1")
        try driver.run(.submitJob(spec: spec("b", gpus: 4, jobClass: .preemptible), pool: nil), by: "t2")
        try driver.run(.submitJob(spec: spec("c", gpus: 4), pool: nil), by: "t1")
        try driver.run(.clear, by: governance, after: 8)
        let stats = driver.state.statistics

        let any = try #require(stats.byResourceClass["any"])
        #expect(any.submitted == 3 && any.started == 2)
        #expect(any.acceptancePPM == 666_666)
        #expect(any.queueP50Seconds == 8 && any.queueP90Seconds == 10 && any.queueP99Seconds == 10)
        let standard = try #require(stats.byUserClass["standard"])
        #expect(standard.submitted == 2 && standard.started == 2 && standard.acceptancePPM == 1_000_000)
        #expect(standard.queueP50Seconds == 8)
        let preemptible = try #require(stats.byUserClass["preemptible"])
        #expect(preemptible.submitted == 1 && preemptible.started == 0 && preemptible.acceptancePPM == 0)
        #expect(preemptible.queueP50Seconds == nil)
        #expect(stats.onlineGPUs == 8 && stats.utilisationPPM == 1_000_000)
        #expect(stats.priceIndex["H100"] == MicroCredits(1_500_000))
    }

    @Test("statistics replay exactly: the same log gives the same figures")
    func replay() throws {
        var generator = CommandSequenceGenerator(seed: 17)
        let log = try generator.log(length: 400)
        #expect(log.replay().state.statistics == log.replay().state.statistics)
        let stats = log.replay().state.statistics
        #expect(stats.utilisationPPM >= 0 && stats.utilisationPPM <= 1_000_000)
        for group in stats.byResourceClass.values {
            #expect(group.started <= group.submitted)
            if let p50 = group.queueP50Seconds, let p99 = group.queueP99Seconds { #expect(p50 <= p99) }
        }
    }
}

@Suite("Public lockups")
struct LockupTests {
    @Test("a lockup takes GPUs off the open market until it lapses, and is listed")
    func lockups() throws {
        var driver = Driver()
        try driver.run(.registerNode(node("n1", operator: "alice", gpus: 8)), by: "alice")
        try driver.run(.deposit(tenantID: "t1", amount: MicroCredits(100 * MicroCredits.perCredit)), by: governance)
        let until = driver.time.adding(seconds: 50)
        #expect(rejection(try driver.run(.lockUp(nodeID: "n1", gpus: 4, holderID: "bigco", until: until), by: "mallory")) == .notOwner)
        #expect(rejection(try driver.run(.lockUp(nodeID: "n1", gpus: 9, holderID: "bigco", until: until), by: "alice")) == .invalidLockup)
        let recorded = try driver.run(.lockUp(nodeID: "n1", gpus: 6, holderID: "bigco", until: until), by: "alice")
        guard case .lockupRecorded(let lockup) = recorded.first else {
            Issue.record("expected a recorded lockup, got \(recorded)")
            return
        }
        #expect(lockup.holderID == "bigco" && lockup.gpus == 6 && lockup.until == until)
        #expect(driver.state.lockups.count == 1)
        // 2 GPUs remain open: a 4-GPU job waits, a 2-GPU job runs.
        try driver.run(.submitJob(spec: spec("four", gpus: 4), pool: nil), by: "t1")
        try driver.run(.submitJob(spec: spec("two", gpus: 2), pool: nil), by: "t1")
        let first = try driver.run(.clear, by: governance)
        #expect(leaseStarts(first).map(\.orderID) == ["job-6"])  // "two" (refused commands are logged too)
        try driver.run(.heartbeat(nodeIDs: ["n1"]), by: "alice", after: 40)
        let lapsed = try driver.run(.tick, by: governance, after: 10)
        #expect(lapsed.contains(.lockupEnded(lockupID: lockup.id)))
        #expect(driver.state.lockups.isEmpty)
        #expect(leaseStarts(try driver.run(.clear, by: governance)).map(\.orderID) == ["job-5"])  // "four"
    }
}
