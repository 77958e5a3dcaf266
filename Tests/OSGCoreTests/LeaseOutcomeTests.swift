import OSGCore
import OSGDomain
import Testing

/// A job's own failure is not a node's fault: who pays, and whether the job runs again.
@Suite("Lease ends reported by the agent: the job's failure, the node's fault, exit codes, retries")
struct LeaseOutcomeTests {
    /// alice's node at 1.5 credits per GPU-hour, a funded tenant, and one 2-GPU job running on it.
    func running(retries: Int = 0) throws -> (Driver, Lease) {
        var driver = Driver()
        try driver.run(.registerNode(pricedNode("n1", operator: "alice", ask: 1_500_000)), by: "alice")
        try driver.run(.deposit(tenantID: "t1", amount: MicroCredits(1_000 * MicroCredits.perCredit)), by: governance)
        var job = timedSpec("job", gpus: 2, duration: 3_600, maxPrice: 2_000_000)
        job.retries = retries == 0 ? nil : retries
        try driver.run(.submitJob(spec: job, pool: nil), by: "t1")
        let lease = try #require(leaseStarts(try driver.run(.clear, by: governance)).first)
        return (driver, lease)
    }

    func ended(_ events: [Event]) -> (reason: LeaseEndReason, requeued: Bool, paid: MicroCredits)? {
        for case .leaseEnded(_, _, let reason, let requeued, let paid) in events { return (reason, requeued, paid) }
        return nil
    }

    @Test("a failed job pays for the time it ran, is not requeued, and keeps its exit code")
    func failedJobPaysAndStops() throws {
        var (driver, lease) = try running()
        let funds = driver.state.availableFunds(of: "t1")
        let escrowed = lease.escrowTotal(in: driver.state)
        #expect(escrowed > 0)
        let events = try driver.run(.endLease(leaseID: lease.id, reason: .jobFailed, exitCode: 3), by: "alice", after: 1_800)
        let end = try #require(ended(events))
        #expect(end.reason == .jobFailed && !end.requeued)
        // 2 GPUs × 1,801 s × 1.5 credits per GPU-hour, rounded up (lease started one second before).
        let seconds = lease.start.seconds(until: driver.time)
        #expect(end.paid.rawValue == (2 * seconds * 1_500_000 + 3_599) / 3_600)
        #expect(driver.state.availableFunds(of: "t1").rawValue == funds.rawValue + (escrowed - end.paid.rawValue))
        #expect(driver.state.orders[lease.orderID]?.status == .failed)
        #expect(driver.state.orders[lease.orderID]?.failedRuns == 1)
        #expect(driver.state.leases[lease.id]?.end == LeaseEnd(at: driver.time, reason: .jobFailed, exitCode: 3))
        #expect(driver.state.queue.isEmpty)
    }

    @Test("retries: a failed job runs again while its spec allows, then fails for good")
    func retries() throws {
        var (driver, lease) = try running(retries: 2)
        var current = lease
        for run in 1...3 {
            let end = try #require(ended(try driver.run(.endLease(leaseID: current.id, reason: .jobFailed, exitCode: 1), by: "alice", after: 60)))
            #expect(end.requeued == (run <= 2), "run \(run)")
            #expect(driver.state.orders[lease.orderID]?.failedRuns == run)
            guard run <= 2 else { break }
            #expect(driver.state.orders[lease.orderID]?.status == .pending)
            current = try #require(leaseStarts(try driver.run(.clear, by: governance)).first)
            #expect(current.orderID == lease.orderID && current.id != lease.id)
        }
        #expect(driver.state.orders[lease.orderID]?.status == .failed)
    }

    @Test("a node fault requeues the job whatever its retries, like a lost node")
    func nodeFaultRequeues() throws {
        var (driver, lease) = try running()
        let end = try #require(ended(try driver.run(.endLease(leaseID: lease.id, reason: .nodeFault), by: "alice", after: 600)))
        #expect(end.reason == .nodeFault && end.requeued)
        #expect(driver.state.orders[lease.orderID]?.status == .pending)
        #expect(driver.state.orders[lease.orderID]?.failedRuns == nil, "the node's fault is not the job's")
        #expect(driver.state.queue == [lease.orderID])
    }

    @Test("who may report what: operators of the lease's nodes only; exit codes fit their reason")
    func refusals() throws {
        var (driver, lease) = try running()
        for (reason, actor) in [(LeaseEndReason.jobFailed, "t1"), (.nodeFault, "t1"), (.jobFailed, "mallory"), (.nodeFault, "bob")] {
            #expect(rejection(try driver.run(.endLease(leaseID: lease.id, reason: reason, exitCode: reason == .jobFailed ? 1 : nil), by: actor)) == .notAllowedToEnd)
        }
        for (reason, code) in [(LeaseEndReason.completed, 3), (.jobFailed, 0), (.nodeFault, 1), (.nodeWithdrawn, 0), (.jobFailed, 256), (.jobFailed, -2)] {
            #expect(rejection(try driver.run(.endLease(leaseID: lease.id, reason: reason, exitCode: code), by: "alice")) == .invalidExitCode,
                    "\(reason) with \(code)")
        }
        #expect(driver.state.leases[lease.id]?.end == nil, "refusals change nothing")
        #expect(try ended(driver.run(.endLease(leaseID: lease.id, reason: .completed, exitCode: 0), by: "alice"))?.reason == .completed)
        #expect(driver.state.leases[lease.id]?.end?.exitCode == 0)
    }

    @Test("the same log replays to the same state, exit codes and failed runs included")
    func replay() throws {
        var (driver, lease) = try running(retries: 1)
        try driver.run(.endLease(leaseID: lease.id, reason: .jobFailed, exitCode: 139), by: "alice", after: 30)
        var replayed = CoordinatorState(genesis: driver.log.genesis)
        for entry in driver.log.entries {
            let decoded = try LogEntry(leafBytes: entry.leafBytes)
            _ = replayed.apply(decoded)
        }
        #expect(replayed.digest == driver.state.digest)
        #expect(replayed.orders[lease.orderID]?.failedRuns == 1)
    }
}

extension Lease {
    /// What the lease's escrow held in all.
    func escrowTotal(in state: CoordinatorState) -> Int64 {
        Int64(state.escrows[id]?.reduce(0) { $0 + $1.amountMicroCredits } ?? 0)
    }
}
