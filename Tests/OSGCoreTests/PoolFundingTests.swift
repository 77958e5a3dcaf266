import OSGDomain
import OSGLedger
import OSGMarket
import Testing
@testable import OSGCore

/// Credits as micro-credits.
private func credits(_ whole: Int64, _ hundredths: Int64 = 0) -> MicroCredits {
    MicroCredits(whole * MicroCredits.perCredit + hundredths * 10_000)
}

@Suite("Set-aside pools paid for in the open: ceilings in the log, funding in the ledger, subsidies in the escrow")
struct PoolFundingTests {
    static let pool = SetAsidePool(name: "students", sharePPM: 500_000, pricePerGPUHour: credits(0, 50), ceilingPerGPUHour: credits(3))

    /// One 8-GPU node of `alice` asking 2.00, the pool `students` at 0.50 with ceiling 3.00 funded
    /// with `funding` credits, and a pending 4-GPU set-aside job of `s1` (max_duration 2 h).
    func fundedPool(funding: Int64, tenantCredits: Int64 = 100) throws -> (driver: Driver, orderID: String) {
        var driver = Driver()
        try driver.run(.registerNode(pricedNode("n1", operator: "alice", ask: credits(2).rawValue)), by: "alice")
        #expect(try driver.run(.definePool(Self.pool), by: governance) == [.poolDefined(name: "students")])
        if funding > 0 {
            #expect(try driver.run(.fundPool(name: "students", amount: credits(funding)), by: governance) == [.poolFunded(name: "students", amount: credits(funding))])
        }
        try driver.run(.grantSetAside(SetAsideGrant(pool: "students", tenantID: "s1", quotaGPUSeconds: 1_000_000, expires: t0.adding(seconds: 864_000))), by: governance)
        try driver.run(.deposit(tenantID: "s1", amount: credits(tenantCredits)), by: governance)
        let spec = timedSpec("thesis", gpus: 4, duration: 3600, maxDuration: 7200, maxPrice: credits(1).rawValue, jobClass: .setAside)
        let orderID = try #require(queuedID(try driver.run(.submitJob(spec: spec, pool: "students"), by: "s1")))
        return (driver, orderID)
    }

    /// Starts `orderID`'s lease on 4 GPUs of n1 at the pool's price, as a clearing would once it
    /// clears with ``CoordinatorState/fundedClearingPools()``.
    func start(_ orderID: String, in driver: inout Driver) -> Lease? {
        guard case .leaseStarted(let lease)? = driver.state.startLease(
            "lease-test-0", orderID: orderID, allocations: [NodeAllocation(nodeID: "n1", gpus: 4)], price: credits(0, 50), at: driver.time)
        else { return nil }
        driver.state.dequeue { $0 == orderID }
        return lease
    }

    func balance(_ holder: String, in state: CoordinatorState) -> Account? {
        state.accountIDs[holder].flatMap { state.ledger.account($0) }
    }

    // MARK: Pools and their funding

    @Test("a pool keeps its ceiling, which may not be below its price; funding is governance's, for known pools, above 0")
    func definitionAndFunding() throws {
        var driver = Driver()
        let low = SetAsidePool(name: "civic", sharePPM: 100_000, pricePerGPUHour: credits(1), ceilingPerGPUHour: credits(0, 99))
        #expect(rejection(try driver.run(.definePool(low), by: governance)) == .ceilingBelowPrice)
        var withFunding = Self.pool
        withFunding.funding = credits(1_000)
        try driver.run(.definePool(withFunding), by: governance)
        #expect(driver.state.pools["students"] == Self.pool, "the ceiling is kept, a funding figure never is")
        #expect(driver.state.poolAccountID("students") == nil, "defining a pool opens no account")

        #expect(rejection(try driver.run(.fundPool(name: "students", amount: credits(5)), by: "mallory")) == .notGovernance)
        #expect(rejection(try driver.run(.fundPool(name: "nobody", amount: credits(5)), by: governance)) == .unknownPool)
        #expect(rejection(try driver.run(.fundPool(name: "students", amount: .zero), by: governance)) == .invalidAmount)
        #expect(rejection(try driver.run(.fundPool(name: "students", amount: MicroCredits(-1)), by: governance)) == .invalidAmount)
        #expect(driver.state.poolAccountID("students") == nil, "refusals open no account")
        #expect(rejection(try driver.run(.deposit(tenantID: CoordinatorState.poolAccountHolder("students"), amount: credits(5)), by: governance)) == .invalidAmount,
                "a deposit cannot reach a pool's account")

        try driver.run(.fundPool(name: "students", amount: credits(20)), by: governance)
        try driver.run(.fundPool(name: "students", amount: credits(0, 50)), by: governance)
        let account = try #require(driver.state.poolAccountID("students").flatMap { driver.state.ledger.account($0) })
        #expect(account.code == .setAsidePool && account.flags == .debitsMustNotExceedCredits)
        #expect(driver.state.poolFunding(of: "students") == credits(20, 50))
        #expect(driver.state.published.balances.contains { $0.holder == "@pool:students" && $0.availableMicroCredits == credits(20, 50).rawValue })
        #expect(driver.state.ledger.checkInvariants().isEmpty)
    }

    @Test("the clearing's pools: sorted, a ceiling with the account's available credits, no ceiling without subsidy")
    func clearingPools() throws {
        var driver = Driver()
        let civic = SetAsidePool(name: "civic", sharePPM: 100_000, pricePerGPUHour: credits(1))
        try driver.run(.definePool(Self.pool), by: governance)
        try driver.run(.definePool(civic), by: governance)
        try driver.run(.fundPool(name: "civic", amount: credits(7)), by: governance)
        var expectedStudents = Self.pool
        expectedStudents.funding = .zero
        #expect(driver.state.fundedClearingPools() == [civic.withoutSubsidy, expectedStudents])
        try driver.run(.fundPool(name: "students", amount: credits(9)), by: governance)
        expectedStudents.funding = credits(9)
        #expect(driver.state.fundedClearingPools() == [civic.withoutSubsidy, expectedStudents])
    }

    // MARK: Leases

    @Test("a set-aside job on a node asking 2.00 above a 0.50 pool price: the operator gets its ask, the tenant pays 0.50, the pool the difference")
    func subsidisedLease() throws {
        var (driver, orderID) = try fundedPool(funding: 20)
        let tenantBefore = driver.state.availableFunds(of: "s1")
        let lease = try #require(start(orderID, in: &driver))
        // Held for max_duration (2 h × 4 GPUs): the tenant 0.50 → 4.00, the pool 1.50 → 12.00.
        let parts = try #require(driver.state.escrows[lease.id])
        #expect(parts.map(\.amountMicroCredits) == [UInt64(credits(4).rawValue), UInt64(credits(12).rawValue)])
        #expect(parts.map(\.pricePerGPUHour) == [nil, credits(1, 50)])
        #expect(driver.state.ledger.record(parts[1].transferID)?.code == .poolSubsidy)
        #expect(driver.state.availableFunds(of: "s1").rawValue == tenantBefore.rawValue - credits(4).rawValue)
        #expect(driver.state.poolFunding(of: "students") == credits(8))
        #expect(driver.state.fundedClearingPools().first?.funding == credits(8), "the next clearing sees what is left")

        // Half an hour reported, then the job completes after one hour: each part at its own price.
        let report = try driver.run(.reportUsage(leaseID: lease.id, through: lease.start.adding(seconds: 1800), counters: UsageCounters()), by: "alice", after: 1800)
        #expect(usageSettlements(report).first?.paid == credits(4), "1.00 from the tenant and 3.00 from the pool")
        let ended = try driver.run(.endLease(leaseID: lease.id, reason: .completed), by: "alice", after: 1800)
        #expect(leaseEnds(ended)[lease.id]?.paid == credits(4))
        #expect(driver.state.escrows[lease.id] == nil)

        let state = driver.state
        let operatorAccount = try #require(balance("alice", in: state))
        #expect(operatorAccount.postedBalanceMicroCredits == Int128(credits(8).rawValue), "2.00 × 4 GPUs × 1 h: the operator's ask")
        let tenant = try #require(balance("s1", in: state))
        #expect(tenant.postedBalanceMicroCredits == Int128(tenantBefore.rawValue - credits(2).rawValue), "0.50 × 4 GPUs × 1 h")
        #expect(tenant.debitsPendingMicroCredits == 0)
        let pool = try #require(state.poolAccountID("students").flatMap { state.ledger.account($0) })
        #expect(pool.postedBalanceMicroCredits == Int128(credits(14).rawValue), "1.50 × 4 GPUs × 1 h out of 20.00")
        #expect(pool.debitsPendingMicroCredits == 0)
        #expect(state.poolFunding(of: "students") == credits(14))
        #expect(state.ledger.checkInvariants().isEmpty, "every step sums to zero")
    }

    @Test("a lease that reaches max_duration pays both parts in full")
    func fullDuration() throws {
        var (driver, orderID) = try fundedPool(funding: 20)
        let lease = try #require(start(orderID, in: &driver))
        try driver.run(.heartbeat(nodeIDs: ["n1"]), by: "alice", after: 50)
        var ended: [Event] = []
        while leaseEnds(ended)[lease.id] == nil, driver.time < lease.start.adding(seconds: 7300) {
            try driver.run(.heartbeat(nodeIDs: ["n1"]), by: "alice", after: 50)
            ended = try driver.run(.tick, by: governance, after: 0)
        }
        #expect(leaseEnds(ended)[lease.id]?.reason == .maxDurationReached)
        #expect(balance("alice", in: driver.state)?.postedBalanceMicroCredits == Int128(credits(16).rawValue))
        #expect(driver.state.poolFunding(of: "students") == credits(8))
    }

    @Test("a pool that cannot cover the subsidy keeps the lease from starting, and nothing is held")
    func unfunded() throws {
        var (driver, orderID) = try fundedPool(funding: 5)
        let before = driver.state.ledger.accountsByID
        let lease = Lease(id: "lease-test-0", orderID: orderID, allocations: [NodeAllocation(nodeID: "n1", gpus: 4)], pricePerGPUHour: credits(0, 50), start: driver.time)
        let order = try #require(driver.state.orders[orderID])
        #expect(driver.state.reserveLeaseBudget(for: lease, tenantID: "s1", maxDurationSeconds: order.spec.maxDurationSeconds) == .poolUnfunded)
        let after = driver.state.ledger.accountsByID
        #expect(after.filter { account in before.contains { $0.id == account.id } } == before, "no balance moved")
        #expect(after.allSatisfy { $0.debitsPendingMicroCredits == 0 && $0.creditsPendingMicroCredits == 0 }, "nothing is held")
        #expect(driver.state.escrows.isEmpty)
        #expect(start(orderID, in: &driver) == nil)
        #expect(driver.state.orders[orderID]?.status == .pending && driver.state.runningLeaseOfOrder.isEmpty)
        #expect(driver.state.poolFunding(of: "students") == credits(5))

        // A pool never funded has nothing to pay with either.
        var (never, neverOrder) = try fundedPool(funding: 0)
        let neverLease = Lease(id: "lease-test-0", orderID: neverOrder, allocations: [NodeAllocation(nodeID: "n1", gpus: 4)], pricePerGPUHour: credits(0, 50), start: never.time)
        #expect(never.state.reserveLeaseBudget(for: neverLease, tenantID: "s1", maxDurationSeconds: 7200) == .poolUnfunded)
        #expect(never.state.poolFunding(of: "students") == .zero)

        // A tenant short of its own share is refused as such, whatever the pool holds.
        var (poor, poorOrder) = try fundedPool(funding: 20, tenantCredits: 1)
        let poorLease = Lease(id: "lease-test-0", orderID: poorOrder, allocations: [NodeAllocation(nodeID: "n1", gpus: 4)], pricePerGPUHour: credits(0, 50), start: poor.time)
        #expect(poor.state.reserveLeaseBudget(for: poorLease, tenantID: "s1", maxDurationSeconds: 7200) == .insufficientFunds)
        #expect(poor.state.poolFunding(of: "students") == credits(20))
        #expect(poor.state.ledger.checkInvariants().isEmpty)
    }

    @Test("subsidy parts add up to the clearing engine's rounded subsidy, split by node")
    func subsidySplit() throws {
        var driver = Driver()
        for (id, ask) in [("n1", 2_000_001), ("n2", 500_000), ("n3", 700_003)] as [(String, Int64)] {
            try driver.run(.registerNode(pricedNode(id, operator: "op-\(id)", ask: ask)), by: "op-\(id)")
        }
        try driver.run(.definePool(Self.pool), by: governance)
        try driver.run(.grantSetAside(SetAsideGrant(pool: "students", tenantID: "s1", quotaGPUSeconds: 1_000_000, expires: t0.adding(seconds: 864_000))), by: governance)
        let spec = timedSpec("gang", gpus: 3, duration: 61, maxDuration: 61, maxPrice: credits(1).rawValue, jobClass: .setAside, nodes: 3)
        let orderID = try #require(queuedID(try driver.run(.submitJob(spec: spec, pool: "students"), by: "s1")))
        let lease = Lease(id: "l", orderID: orderID, allocations: ["n1", "n2", "n3"].map { NodeAllocation(nodeID: $0, gpus: 3) },
                          pricePerGPUHour: credits(0, 50), start: driver.time)
        let parts = try #require(driver.state.subsidyParts(for: lease, maxDurationSeconds: 61))
        #expect(parts.map(\.allocation) == [0, 2], "a node asking at most the pool's price costs the pool nothing")
        #expect(parts.map(\.pricePerGPUHour) == [MicroCredits(1_500_001), MicroCredits(200_003)])
        let engine = ClearingEngine.subsidy(asks: [2_000_001, 500_000, 700_003], poolPrice: 500_000, gpusPerNode: 3, maxDurationSeconds: 61)
        #expect(parts.reduce(0) { $0 + Int64($1.amountMicroCredits) } == engine)
        // An open job's lease never draws on a pool.
        let open = try #require(queuedID(try driver.run(.submitJob(spec: timedSpec("open", gpus: 3), pool: nil), by: "t1")))
        #expect(driver.state.subsidyParts(for: Lease(id: "m", orderID: open, allocations: lease.allocations, pricePerGPUHour: credits(0, 50), start: driver.time),
                                          maxDurationSeconds: 61) == [])
    }

    @Test("seeded: a subsidised lease starts exactly when the pool covers the engine's subsidy; each node is paid its ask to the micro-credit", arguments: 0..<40)
    func seededSettlement(seed: Int) throws {
        var random = SplitMix64(seed: UInt64(seed) &* 104_729 &+ 17)
        var driver = Driver()
        let poolPrice = Int64.random(in: 100_000...1_000_000, using: &random)
        let nodeCount = Int.random(in: 1...3, using: &random)
        let gpus = Int.random(in: 1...8, using: &random)
        let asks = (0..<nodeCount).map { _ in Int64.random(in: 50_000...4_000_000, using: &random) }
        for (index, ask) in asks.enumerated() {
            try driver.run(.registerNode(pricedNode("n\(index)", operator: "op\(index)", ask: ask)), by: "op\(index)")
        }
        try driver.run(.definePool(SetAsidePool(name: "students", sharePPM: 500_000, pricePerGPUHour: MicroCredits(poolPrice),
                                                ceilingPerGPUHour: MicroCredits(5_000_000))), by: governance)
        let funding = Int64.random(in: 0...40_000_000, using: &random)
        if funding > 0 { try driver.run(.fundPool(name: "students", amount: MicroCredits(funding)), by: governance) }
        try driver.run(.grantSetAside(SetAsideGrant(pool: "students", tenantID: "s1", quotaGPUSeconds: 1_000_000_000, expires: t0.adding(seconds: 8_640_000))), by: governance)
        try driver.run(.deposit(tenantID: "s1", amount: credits(1_000)), by: governance)
        let maxDuration = Int64.random(in: 600...14_400, using: &random)
        let spec = timedSpec("gang", gpus: gpus, duration: maxDuration, maxDuration: maxDuration, maxPrice: poolPrice, jobClass: .setAside, nodes: nodeCount)
        let orderID = try #require(queuedID(try driver.run(.submitJob(spec: spec, pool: "students"), by: "s1")))
        let subsidy = ClearingEngine.subsidy(asks: asks, poolPrice: poolPrice, gpusPerNode: gpus, maxDurationSeconds: maxDuration)
        let started = driver.state.startLease("lease-p", orderID: orderID, allocations: (0..<nodeCount).map { NodeAllocation(nodeID: "n\($0)", gpus: gpus) },
                                              price: MicroCredits(poolPrice), at: driver.time)
        #expect((started != nil) == (subsidy <= funding), "subsidy \(subsidy), funding \(funding)")
        guard case .leaseStarted(let lease)? = started else {
            #expect(driver.state.ledger.accountsByID.allSatisfy { $0.debitsPendingMicroCredits == 0 }, "nothing is held")
            #expect(driver.state.poolFunding(of: "students") == MicroCredits(funding))
            return
        }
        driver.state.dequeue { $0 == orderID }
        #expect(driver.state.poolFunding(of: "students") == MicroCredits(funding - subsidy), "the pool holds exactly the engine's subsidy")

        // A few usage reports, then the end; every payment at each part's own price.
        let elapsed = Int64.random(in: 1...(maxDuration - 1), using: &random)
        var reported: Int64 = 0
        for _ in 0..<Int.random(in: 0...3, using: &random) {
            let step = Int64.random(in: 0...((elapsed - reported) / 2), using: &random)
            try driver.run(.reportUsage(leaseID: lease.id, through: lease.start.adding(seconds: reported + step), counters: UsageCounters()), by: "op0",
                           after: step)
            reported += step
        }
        try driver.run(.endLease(leaseID: lease.id, reason: .completed), by: "op0", after: elapsed - reported)
        let state = driver.state
        #expect(state.ledger.checkInvariants().isEmpty)
        #expect(state.ledger.accountsByID.allSatisfy { $0.debitsPendingMicroCredits == 0 && $0.creditsPendingMicroCredits == 0 })
        var poolPaid: Int64 = 0
        for (index, ask) in asks.enumerated() {
            let received = try #require(balance("op\(index)", in: state)).postedBalanceMicroCredits
            let due = Int128(CoordinatorState.cost(price: MicroCredits(max(ask, poolPrice)), gpus: gpus, seconds: elapsed))
            #expect(received >= due - 1 && received <= due + 1, "node \(index) asking \(ask) is paid its ask for \(elapsed) s")
            poolPaid += Int64(received) - Int64(CoordinatorState.cost(price: MicroCredits(poolPrice), gpus: gpus, seconds: elapsed))
        }
        #expect(state.poolFunding(of: "students") == MicroCredits(funding - poolPaid), "the pool pays the difference")
    }

    // MARK: The log, replay and snapshots

    @Test("a pool's ceiling and funding travel in the log: leaves round-trip, a pool without a ceiling keeps its old bytes")
    func leaves() throws {
        let plain = LogEntry(sequence: 1, time: t0, actor: "gov", command: .definePool(SetAsidePool(name: "students", sharePPM: 100_000, pricePerGPUHour: credits(0, 50))))
        // format, sequence, time, actor, tag, then name, share and price: nothing after them.
        #expect(plain.leafBytes.count == 1 + 8 + 8 + (2 + 3) + 1 + (2 + 8) + 8 + 8)
        #expect(Array(plain.leafBytes.suffix(16)) == [0, 0, 0, 0, 0, 1, 0x86, 0xA0, 0, 0, 0, 0, 0, 0x07, 0xA1, 0x20])
        let ceiling = LogEntry(sequence: 2, time: t0, actor: "gov", command: .definePool(Self.pool))
        #expect(ceiling.leafBytes.count == plain.leafBytes.count + 8)
        #expect(Array(ceiling.leafBytes.suffix(8)) == [0, 0, 0, 0, 0, 0x2D, 0xC6, 0xC0])
        let funding = LogEntry(sequence: 3, time: t0, actor: "gov", command: .fundPool(name: "students", amount: credits(20)))
        #expect(funding.leafBytes[1 + 8 + 8 + 2 + 3] == 17, "fundPool takes the next tag")
        for entry in [plain, ceiling, funding] { #expect(try LogEntry(leafBytes: entry.leafBytes) == entry) }
        var truncated = ceiling.leafBytes
        truncated.removeLast(3)
        #expect(throws: (any Error).self) { try LogEntry(leafBytes: truncated) }
    }

    @Test("an older log (no ceilings, no funding) makes no pool account and no priced escrow part")
    func olderLogsUnchanged() throws {
        var workload = CommandLogWorkload(seed: 3, operators: 4, nodesPerOperator: 3, tenants: 10)
        let entries = workload.entries(count: 3_000)
        for entry in entries {
            if case .definePool(let pool) = entry.command {
                #expect(pool.ceilingPerGPUHour == nil)
                #expect(entry.leafBytes.count == 1 + 8 + 8 + 2 + entry.actor.utf8.count + 1 + 2 + pool.name.utf8.count + 16)
            }
        }
        let state = workload.state
        #expect(!state.accountIDs.keys.contains { $0.hasPrefix("@pool:") })
        #expect(state.escrows.values.allSatisfy { $0.allSatisfy { $0.pricePerGPUHour == nil } })
        #expect(state.pools.values.allSatisfy { $0.ceilingPerGPUHour == nil && $0.funding == nil })
    }

    @Test("audit replay and snapshots give the same state: ceilings, pool accounts, priced escrow parts")
    func replayAndSnapshots() throws {
        var (driver, orderID) = try fundedPool(funding: 20)
        try driver.run(.clear, by: governance, after: 10)
        // Replaying the log (from its leaves, as an auditor does) gives the same state.
        var leafLog = CommandLog(genesis: driver.log.genesis)
        for entry in driver.log.entries {
            let decoded = try LogEntry(leafBytes: entry.leafBytes)
            _ = try leafLog.append(decoded.command, by: decoded.actor, at: decoded.time)
        }
        #expect(leafLog.replay().state.digest == driver.state.digest)
        #expect(try CommandLog.read(jsonLines: driver.log.jsonLines()).replay().state.digest == driver.state.digest)

        // A running subsidised lease survives a snapshot, both format versions.
        if driver.state.runningLeaseOfOrder[orderID] == nil { _ = try #require(start(orderID, in: &driver)) }
        let state = driver.state
        #expect(state.escrows.values.contains { $0.contains { $0.pricePerGPUHour != nil } })
        for version in StateSnapshot.readableFormatVersions {
            let bytes = try StateSnapshot.encode(state, formatVersion: version)
            let restored = try StateSnapshot.decode(bytes, genesis: state.genesis)
            #expect(restored.digest == state.digest)
            #expect(restored.pools == state.pools && restored.escrows == state.escrows)
            #expect(restored.fundedClearingPools() == state.fundedClearingPools())
        }
    }

    @Test("the clearing places a set-aside job on a node asking above its pool's price, funded from the pool")
    func throughTheClearing() throws {
        var (driver, orderID) = try fundedPool(funding: 20)
        let cleared = try driver.run(.clear, by: governance, after: 10)
        #expect(driver.state.waitingReasons[orderID] == nil)
        let lease = leaseStarts(cleared).first
        #expect(lease?.orderID == orderID && lease?.pricePerGPUHour == credits(0, 50))
        #expect(driver.state.poolFunding(of: "students") == credits(8))
        #expect(driver.log.replay().state.digest == driver.state.digest)
    }
}
