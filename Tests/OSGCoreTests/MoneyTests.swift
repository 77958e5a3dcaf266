import Crypto
import Foundation
import OSGDomain
import OSGLedger
import Testing
@testable import OSGCore

/// A participant id (hex Ed25519 public key) derived from `seed`, the same on every run.
func participantID(_ seed: UInt8) -> String {
    let key = try! Curve25519.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: seed, count: 32))
    return Identity(publicKey: key.publicKey).id
}

/// Credits as micro-credits.
private func credits(_ whole: Int64, micro: Int64 = 0) -> MicroCredits { MicroCredits(whole * MicroCredits.perCredit + micro) }

/// Rules with round figures: a 5 % fee, an hour of cooling-off, 10 % of the collateral per fault
/// (1 to 50 credits), escalating within a day.
let testMoneyRules = MoneyRules(
    protocolFeeBasisPoints: 500, collateralCoolingOffSeconds: 3_600, slashBasisPoints: 1_000,
    slashMinimum: MicroCredits(MicroCredits.perCredit), slashCap: MicroCredits(50 * MicroCredits.perCredit), faultWindowSeconds: 86_400)

extension Driver {
    /// A driver under `rules` (heartbeat timeout 60 s).
    init(money rules: MoneyRules) {
        let genesis = Genesis(governanceID: governance, heartbeatTimeoutSeconds: 60, money: rules)
        log = CommandLog(genesis: genesis)
        state = CoordinatorState(genesis: genesis)
        time = t0
    }
}

@Suite("Money in the core: collateral, slashing and compensation, the protocol fee, transfers and withdrawals")
struct MoneyTests {
    let alice = participantID(1), bob = participantID(2), tenant = participantID(3)

    func available(_ id: String, _ driver: Driver) -> MicroCredits { driver.state.availableFunds(of: id) }

    /// A state with `alice`'s node n1 (8 GPUs at 1.50, stake `stake`) and `tenant` funded with 1,000.
    func market(stake: Int64 = 100) throws -> Driver {
        var driver = Driver(money: testMoneyRules)
        try driver.run(.deposit(tenantID: alice, amount: credits(200)), by: governance)
        try driver.run(.deposit(tenantID: tenant, amount: credits(1_000)), by: governance)
        var n1 = node("n1", operator: alice)
        n1.stake = credits(stake)
        #expect(try driver.run(.registerNode(n1), by: alice) == [.nodeRegistered(nodeID: "n1")])
        return driver
    }

    /// Submits a 2-GPU job of `tenant` (max 2 h at up to 2.00) and clears: the started lease.
    func startJob(_ driver: inout Driver) throws -> Lease {
        let job = timedSpec("train", gpus: 2, duration: 3_600, maxDuration: 7_200)
        _ = try #require(queuedID(try driver.run(.submitJob(spec: job, pool: nil), by: tenant)))
        let events = try driver.run(.clear, by: governance)
        let started = events.compactMap { if case .leaseStarted(let lease) = $0 { lease } else { nil } }
        return try #require(started.first, "the job starts: \(events)")
    }

    // MARK: Collateral

    @Test("registering locks the stake as collateral; a stake the operator cannot cover is refused and nothing is registered")
    func collateralLocks() throws {
        var driver = Driver(money: testMoneyRules)
        var n1 = node("n1", operator: alice)
        n1.stake = credits(100)
        #expect(rejection(try driver.run(.registerNode(n1), by: alice)) == .insufficientFunds)
        #expect(driver.state.rejection(of: .registerNode(n1), actor: alice, at: driver.time)?.code == .insufficientFunds, "refused at the door too")
        #expect(driver.state.nodes.isEmpty)
        try driver.run(.deposit(tenantID: alice, amount: credits(150)), by: governance)
        try driver.run(.registerNode(n1), by: alice)
        #expect(available(alice, driver) == credits(50))
        #expect(driver.state.lockedCollateral(of: "n1") == credits(100))
        #expect(driver.state.published.balances.contains { $0.holder == "@collateral:n1" && $0.postedMicroCredits == credits(100).rawValue })
        #expect(driver.state.collateralTotals(ofOperator: alice).locked == Int128(credits(100).rawValue))
        // A node without a stake locks nothing and opens no account.
        try driver.run(.registerNode(node("n2", operator: alice)), by: alice)
        #expect(driver.state.accountIDs[CoordinatorState.collateralAccountHolder("n2")] == nil)
        #expect(available(alice, driver) == credits(50))
    }

    @Test("a withdrawn node's collateral returns after the cooling-off period, not before; its id waits meanwhile")
    func coolingOff() throws {
        var driver = try market()
        try driver.run(.withdrawNode(nodeID: "n1"), by: alice)
        #expect(available(alice, driver) == credits(100))
        #expect(driver.state.collateralTotals(ofOperator: alice).coolingOff == Int128(credits(100).rawValue))
        var again = node("n1", operator: alice)
        again.stake = credits(10)
        #expect(rejection(try driver.run(.registerNode(again), by: alice)) == .duplicateNode)
        #expect(!(try driver.run(.tick, by: governance, after: 3_500)).contains { if case .collateralReturned = $0 { true } else { false } })
        #expect(available(alice, driver) == credits(100))
        let events = try driver.run(.tick, by: governance, after: 200)
        #expect(events.contains(.collateralReturned(nodeID: "n1", operatorID: alice, amount: credits(100))))
        #expect(available(alice, driver) == credits(200))
        #expect(driver.state.lockedCollateral(of: "n1") == .zero)
        try driver.run(.registerNode(again), by: alice)
        #expect(driver.state.lockedCollateral(of: "n1") == credits(10))
    }

    // MARK: Fee

    @Test("every settlement pays the protocol fee to the treasury: usage reports and the end, each rounded down")
    func protocolFee() throws {
        var driver = try market()
        let lease = try startJob(&driver)
        let operatorBefore = available(alice, driver)
        // Half an hour reported, then the end at 1 h: 2 GPUs × price × 1 h in all.
        try driver.run(.reportUsage(leaseID: lease.id, through: lease.start.adding(seconds: 1_800), counters: UsageCounters()), by: alice,
                       after: lease.start.seconds(until: driver.time) + 1_800 - lease.start.seconds(until: driver.time))
        let firstHalf = CoordinatorState.cost(price: lease.pricePerGPUHour, gpus: 2, seconds: 1_800)
        #expect(driver.state.money?.feesMicroCredits == firstHalf * 5 / 100)
        let end = lease.start.adding(seconds: 3_600)
        try driver.run(.endLease(leaseID: lease.id, reason: .completed, exitCode: 0), by: alice, after: driver.time.seconds(until: end))
        let total = CoordinatorState.cost(price: lease.pricePerGPUHour, gpus: 2, seconds: 3_600)
        // Cumulative per part: what one settlement at the end would have paid, however often reported.
        let fees = testMoneyRules.fee(on: total)
        #expect(driver.state.money?.feesMicroCredits == fees)
        #expect(driver.state.treasuryBalance == Int128(fees))
        #expect(available(alice, driver).rawValue - operatorBefore.rawValue == Int64(total - fees))
        #expect(available(tenant, driver) == MicroCredits(credits(1_000).rawValue - Int64(total)))
    }

    // MARK: Faults

    @Test("a node lost mid-lease: the tenant gets back everything, the operator pays back what it was paid, the collateral is slashed to the treasury")
    func nodeLost() throws {
        var driver = try market()
        let lease = try startJob(&driver)
        try driver.run(.heartbeat(nodeIDs: ["n1"]), by: alice, after: 50)
        try driver.run(.reportUsage(leaseID: lease.id, through: driver.time, counters: UsageCounters()), by: alice, after: 0)
        let paid = try #require(driver.state.leases[lease.id]?.usage?.settled)
        #expect(paid.rawValue > 0)
        // Silence past the heartbeat timeout: node_lost at the tick.
        let events = try driver.run(.tick, by: governance, after: 61)
        #expect(events.contains { if case .leaseEnded(lease.id, _, .nodeLost, true, .zero) = $0 { true } else { false } })
        #expect(available(tenant, driver) == credits(1_000), "the tenant paid nothing for the lost run")
        // 10 % of 100 credits, all to the treasury (the operator covered the tenant's loss itself).
        #expect(events.contains(.nodeSlashed(nodeID: "n1", fault: 1, slashed: credits(10), compensation: .zero)))
        #expect(driver.state.lockedCollateral(of: "n1") == credits(90))
        #expect(driver.state.money?.collateral["n1"]?.faults == 1)
        // The fee the lost run paid came back from the treasury with the refund.
        #expect(driver.state.treasuryBalance == Int128(credits(10).rawValue))
        #expect(driver.state.orders[lease.orderID]?.status == .pending, "the job is requeued")
    }

    @Test("an operator that spent its earnings: the slash pays the tenant first; faults within the window escalate")
    func compensationAndEscalation() throws {
        var driver = try market(stake: 100)
        let lease = try startJob(&driver)
        try driver.run(.heartbeat(nodeIDs: ["n1"]), by: alice, after: 3_000)
        try driver.run(.reportUsage(leaseID: lease.id, through: driver.time, counters: UsageCounters()), by: alice, after: 0)
        let paid = UInt64(try #require(driver.state.leases[lease.id]?.usage?.settled).rawValue)
        // The operator moves everything it can spend elsewhere.
        try driver.run(.transferCredits(to: bob, amount: available(alice, driver)), by: alice)
        #expect(available(alice, driver) == .zero)
        let events = try driver.run(.endLease(leaseID: lease.id, reason: .nodeFault), by: alice)
        let slash = testMoneyRules.slash(collateral: 100_000_000, fault: 1)
        // The treasury pays back the fee it took; the slash covers what the operator no longer has.
        let owed = paid - testMoneyRules.fee(on: paid)
        #expect(events.contains(.nodeSlashed(nodeID: "n1", fault: 1, slashed: MicroCredits(Int64(slash)), compensation: MicroCredits(Int64(min(slash, owed))))))
        #expect(available(tenant, driver).rawValue == credits(1_000).rawValue - Int64(owed) + Int64(min(slash, owed)))
        #expect(available(tenant, driver) == credits(1_000), "made whole")
        // A second fault within the day slashes twice the fraction of what is left.
        try driver.run(.heartbeat(nodeIDs: ["n1"]), by: alice)
        let second = try startJob(&driver)
        let left = UInt64(driver.state.lockedCollateral(of: "n1").rawValue)
        let events2 = try driver.run(.endLease(leaseID: second.id, reason: .nodeFault), by: alice, after: 60)
        #expect(events2.contains(.nodeSlashed(nodeID: "n1", fault: 2, slashed: MicroCredits(Int64(testMoneyRules.slash(collateral: left, fault: 2))), compensation: .zero)))
        #expect(testMoneyRules.slash(collateral: left, fault: 2) == left * 2_000 / 10_000)
        #expect(driver.state.money?.collateral["n1"]?.faults == 2)
    }

    @Test("the job's own failure, a preemption or a completion slashes nobody")
    func noSlashWithoutFault() throws {
        var driver = try market()
        let lease = try startJob(&driver)
        let events = try driver.run(.endLease(leaseID: lease.id, reason: .jobFailed, exitCode: 3), by: alice, after: 600)
        #expect(!events.contains { if case .nodeSlashed = $0 { true } else { false } })
        #expect(driver.state.lockedCollateral(of: "n1") == credits(100))
        #expect(driver.state.money?.collateral["n1"]?.faults == 0)
        #expect(available(tenant, driver).rawValue < credits(1_000).rawValue, "a failed job pays for its time")
    }

    @Test("a node silent with nothing running is not slashed")
    func silentIdleNode() throws {
        var driver = try market()
        let events = try driver.run(.tick, by: governance, after: 120)
        #expect(events.contains { if case .nodeWentOffline = $0 { true } else { false } })
        #expect(driver.state.lockedCollateral(of: "n1") == credits(100))
    }

    // MARK: Transfers and withdrawals

    @Test("transfers: to any participant, never more than available, never zero, negative, to oneself or to a non-key")
    func transfers() throws {
        var driver = try market()
        #expect(rejection(try driver.run(.transferCredits(to: "bob", amount: credits(1)), by: tenant)) == .unknownAccount)
        #expect(rejection(try driver.run(.transferCredits(to: bob, amount: .zero), by: tenant)) == .invalidAmount)
        #expect(rejection(try driver.run(.transferCredits(to: bob, amount: MicroCredits(-5)), by: tenant)) == .invalidAmount)
        #expect(rejection(try driver.run(.transferCredits(to: tenant, amount: credits(1)), by: tenant)) == .sameAccount)
        #expect(rejection(try driver.run(.transferCredits(to: bob, amount: credits(1_001)), by: tenant)) == .insufficientFunds)
        #expect(rejection(try driver.run(.transferCredits(to: tenant, amount: credits(1)), by: bob)) == .insufficientFunds, "a key with no account has nothing")
        #expect(try driver.run(.transferCredits(to: bob, amount: credits(250, micro: 1)), by: tenant) == [.creditsTransferred(from: tenant, to: bob, amount: credits(250, micro: 1))])
        #expect(available(bob, driver) == credits(250, micro: 1))
        #expect(available(tenant, driver) == credits(749, micro: 999_999))
        #expect(driver.state.money?.transferredMicroCredits == UInt64(credits(250, micro: 1).rawValue))
    }

    @Test("withdrawals: held at once, paid out or voided by governance only, once")
    func withdrawals() throws {
        var driver = try market()
        #expect(rejection(try driver.run(.requestWithdrawal(amount: credits(1_001), reference: ""), by: tenant)) == .insufficientFunds)
        #expect(rejection(try driver.run(.requestWithdrawal(amount: credits(1), reference: "bad\nref"), by: tenant)) == .invalidReference)
        let requested = try driver.run(.requestWithdrawal(amount: credits(300), reference: "iban-ref-7"), by: tenant)
        guard case .withdrawalRequested(let first, tenant, credits(300))? = requested.first else { Issue.record("\(requested)"); return }
        #expect(available(tenant, driver) == credits(700))
        #expect(driver.state.accountBalances(of: tenant).pendingWithdrawals == credits(300))
        #expect(rejection(try driver.run(.settleWithdrawal(withdrawalID: first, paid: true), by: tenant)) == .notGovernance)
        #expect(rejection(try driver.run(.settleWithdrawal(withdrawalID: "wd-0", paid: true), by: governance)) == .unknownWithdrawal)
        try driver.run(.settleWithdrawal(withdrawalID: first, paid: false), by: governance)
        #expect(available(tenant, driver) == credits(1_000), "a voided withdrawal gives the credits back")
        #expect(rejection(try driver.run(.settleWithdrawal(withdrawalID: first, paid: true), by: governance)) == .withdrawalAlreadySettled)
        let second = try driver.run(.requestWithdrawal(amount: credits(400), reference: ""), by: tenant)
        guard case .withdrawalRequested(let id, _, _)? = second.first else { Issue.record("\(second)"); return }
        #expect(try driver.run(.settleWithdrawal(withdrawalID: id, paid: true), by: governance) == [.withdrawalSettled(withdrawalID: id, paid: true)])
        #expect(available(tenant, driver) == credits(600))
        #expect(driver.state.money?.withdrawnMicroCredits == UInt64(credits(400).rawValue))
        #expect(driver.state.money?.withdrawals[id]?.status == .paid)
    }

    @Test("a genesis without money rules keeps the old meaning: stakes declared, no fee, no transfers")
    func legacyGenesis() throws {
        var driver = Driver()
        var n1 = node("n1", operator: alice)
        n1.stake = credits(100)
        #expect(try driver.run(.registerNode(n1), by: alice) == [.nodeRegistered(nodeID: "n1")], "nothing to lock")
        #expect(driver.state.money == nil && driver.state.lockedCollateral(of: "n1") == .zero)
        try driver.run(.deposit(tenantID: tenant, amount: credits(10)), by: governance)
        #expect(rejection(try driver.run(.transferCredits(to: bob, amount: credits(1)), by: tenant)) == .notEnabled)
        #expect(rejection(try driver.run(.requestWithdrawal(amount: credits(1), reference: ""), by: tenant)) == .notEnabled)
        let legacy = Genesis(governanceID: governance, heartbeatTimeoutSeconds: 60)
        #expect(try JSONDecoder().decode(Genesis.self, from: JSONEncoder().encode(legacy)) == legacy)
        #expect(!String(decoding: try JSONEncoder().encode(legacy), as: UTF8.self).contains("money"), "an old genesis keeps its bytes")
    }

    @Test("money rules in the genesis: encoded, decoded, and refused when unsound")
    func rulesInGenesis() throws {
        let genesis = Genesis(governanceID: governance, heartbeatTimeoutSeconds: 60, money: testMoneyRules)
        #expect(try JSONDecoder().decode(Genesis.self, from: JSONEncoder().encode(genesis)) == genesis)
        var text = String(decoding: try JSONEncoder().encode(genesis), as: UTF8.self)
        text = text.replacingOccurrences(of: "\"protocolFeeBasisPoints\":500", with: "\"protocolFeeBasisPoints\":20001")
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Genesis.self, from: Data(text.utf8)) }
        #expect(MoneyRules(unchecked: -1, collateralCoolingOffSeconds: 0, slashBasisPoints: 0, slashMinimum: .zero, slashCap: .zero, faultWindowSeconds: 1).problems.count == 1)
        // The slash rule: the fraction, raised to the minimum, lowered to the cap, never above the collateral.
        #expect(testMoneyRules.slash(collateral: 100_000_000, fault: 1) == 10_000_000)
        #expect(testMoneyRules.slash(collateral: 5_000_000, fault: 1) == 1_000_000, "the minimum")
        #expect(testMoneyRules.slash(collateral: 500_000, fault: 1) == 500_000, "never more than the collateral")
        #expect(testMoneyRules.slash(collateral: 10_000_000_000, fault: 1) == 50_000_000, "the cap")
        #expect(testMoneyRules.slash(collateral: 100_000_000, fault: 20) == 50_000_000, "escalation stops at the cap and at 100 %")
        #expect(testMoneyRules.fee(on: 1_999) == 99)
    }

    @Test("the money commands survive the leaf codec and a replay, bit for bit")
    func replay() throws {
        var driver = try market()
        let lease = try startJob(&driver)
        try driver.run(.transferCredits(to: bob, amount: credits(5)), by: tenant)
        try driver.run(.requestWithdrawal(amount: credits(3), reference: "ref"), by: bob)
        try driver.run(.settleWithdrawal(withdrawalID: "wd-\(driver.log.entries.count - 1)", paid: true), by: governance)
        try driver.run(.endLease(leaseID: lease.id, reason: .nodeFault), by: alice, after: 900)
        try driver.run(.withdrawNode(nodeID: "n1"), by: alice)
        try driver.run(.tick, by: governance, after: 4_000)
        #expect(driver.state.money?.withdrawnMicroCredits == UInt64(credits(3).rawValue))
        let leaves = driver.log.entries.map(\.leafBytes)
        let decoded = try leaves.map { try LogEntry(leafBytes: $0) }
        #expect(decoded == driver.log.entries)
        #expect(driver.log.replay().state.digest == driver.state.digest)
        #expect(driver.state.ledger.checkInvariants().isEmpty)
    }

    // MARK: Shares

    @Test("shares: issued once by the operator, transferred by holders, each settlement split pro rata, a slash spread over holders")
    func shares() throws {
        var driver = try market()
        #expect(rejection(try driver.run(.issueShares(nodeID: "n1", shares: 1_000), by: bob)) == .notOwner)
        #expect(rejection(try driver.run(.issueShares(nodeID: "n1", shares: 0), by: alice)) == .invalidAmount)
        #expect(try driver.run(.issueShares(nodeID: "n1", shares: 1_000), by: alice) == [.sharesIssued(nodeID: "n1", shares: 1_000)])
        #expect(rejection(try driver.run(.issueShares(nodeID: "n1", shares: 5), by: alice)) == .sharesAlreadyIssued)
        #expect(rejection(try driver.run(.transferShares(nodeID: "n1", to: bob, shares: 1_001), by: alice)) == .insufficientShares)
        #expect(rejection(try driver.run(.transferShares(nodeID: "n1", to: "bob", shares: 1), by: alice)) == .unknownAccount)
        #expect(rejection(try driver.run(.transferShares(nodeID: "n2", to: bob, shares: 1), by: alice)) == .unknownNode)
        #expect(rejection(try driver.run(.transferShares(nodeID: "n1", to: alice, shares: 1), by: bob)) == .insufficientShares, "bob holds none")
        try driver.run(.transferShares(nodeID: "n1", to: bob, shares: 333), by: alice)
        #expect(driver.state.money?.shares["n1"]?.holders == [alice: 667, bob: 333])
        let lease = try startJob(&driver)
        let end = lease.start.adding(seconds: 3_600)
        try driver.run(.endLease(leaseID: lease.id, reason: .completed, exitCode: 0), by: alice, after: driver.time.seconds(until: end))
        let total = CoordinatorState.cost(price: lease.pricePerGPUHour, gpus: 2, seconds: 3_600)
        let kept = total - testMoneyRules.fee(on: total)
        let split = OwnershipRegistry.split(revenueMicroCredits: kept, among: [
            ShareHolding(accountID: driver.state.accountIDs[alice]!, shares: 667), ShareHolding(accountID: driver.state.accountIDs[bob]!, shares: 333)])
        let bobPart = try #require(split.first { $0.accountID == driver.state.accountIDs[bob] }).amountMicroCredits
        #expect(UInt64(available(bob, driver).rawValue) == bobPart)
        #expect(driver.state.money?.shares["n1"]?.earnings[bob] == bobPart)
        #expect(driver.state.money?.shares["n1"]?.earnings[alice] == kept - bobPart, "the parts add up to what the operator kept")
        // A fault: bob pays alice his third of the slash.
        let second = try startJob(&driver)
        let bobBefore = UInt64(available(bob, driver).rawValue)
        let collateral = UInt64(driver.state.lockedCollateral(of: "n1").rawValue)
        try driver.run(.endLease(leaseID: second.id, reason: .nodeFault), by: alice, after: 1)
        let slash = testMoneyRules.slash(collateral: collateral, fault: 1)
        let bobShare = try #require(OwnershipRegistry.split(revenueMicroCredits: slash, among: [
            ShareHolding(accountID: driver.state.accountIDs[alice]!, shares: 667), ShareHolding(accountID: driver.state.accountIDs[bob]!, shares: 333),
        ]).first { $0.accountID == driver.state.accountIDs[bob] }).amountMicroCredits
        #expect(UInt64(available(bob, driver).rawValue) == bobBefore - min(bobShare, bobBefore))
        // The node's withdrawal ends its shares.
        try driver.run(.withdrawNode(nodeID: "n1"), by: alice)
        #expect(driver.state.money?.shares["n1"] == nil)
    }

    // MARK: Valuations

    @Test("a valuation: revenue per installed GPU-hour, utilisation and uptime over 7 and 30 days, faults and shares")
    func valuation() throws {
        var driver = try market()
        let registered = driver.time
        let lease = try startJob(&driver)
        // Heartbeats every 50 s for two hours; the job runs the first hour.
        var ended = false
        for _ in 0..<144 {
            try driver.run(.heartbeat(nodeIDs: ["n1"]), by: alice, after: 50)
            if !ended, lease.start.seconds(until: driver.time) >= 3_600 {
                try driver.run(.endLease(leaseID: lease.id, reason: .completed, exitCode: 0), by: alice, after: 0)
                ended = true
            }
        }
        let value = try #require(driver.state.valuation(of: "n1"))
        let week = try #require(value.windows.first { $0.days == 7 })
        let seconds = registered.seconds(until: driver.time)
        #expect(week.seconds == seconds)
        let leaseSeconds = try #require(driver.state.leases[lease.id]?.end).at.secondsSinceEpoch - lease.start.secondsSinceEpoch
        #expect(week.utilisationPPM == Int64(Int128(2 * leaseSeconds) * 1_000_000 / Int128(8 * seconds)))
        let revenue = Int64(CoordinatorState.cost(price: lease.pricePerGPUHour, gpus: 2, seconds: leaseSeconds))
        #expect(week.revenueMicroCredits == revenue)
        #expect(week.revenuePerGPUHourMicroCredits == Int64(Int128(revenue) * 3_600 / Int128(8 * seconds)))
        #expect(week.uptimePPM == 1_000_000, "online the whole time")
        #expect(value.windows.first { $0.days == 30 }?.revenueMicroCredits == revenue)
        #expect(value.collateralMicroCredits == credits(100).rawValue && value.faults == 0)
        // Silence: the node goes offline at its last heartbeat; uptime falls accordingly.
        try driver.run(.tick, by: governance, after: 3_600)
        let later = try #require(driver.state.valuation(of: "n1")?.windows.first { $0.days == 7 })
        #expect(later.uptimePPM < 1_000_000 && later.uptimePPM > 600_000, "\(later)")
        #expect(driver.state.published.money?.valuations.map(\.nodeID) == ["n1"])
        #expect(driver.state.published == driver.state.publishedByFullPass)
    }

    @Test("day buckets: an interval is spread over the UTC days it covers; old days are dropped")
    func daySpread() {
        var days: [Int64: Int64] = [:]
        days.spread(from: 86_400 * 10 - 100, to: 86_400 * 11 + 50, weight: 2)
        #expect(days == [9: 200, 10: 172_800, 11: 100])
        var income = MoneyBook.NodeIncome()
        income.revenueByDay = [1: 5, 40: 7]
        income.prune(before: 10)
        #expect(income.revenueByDay == [40: 7])
        #expect(Int64(-1).floorDivided(by: 86_400) == -1 && Int64(86_399).floorDivided(by: 86_400) == 0)
    }

    @Test("the fee does not depend on how often usage is reported, to the micro-credit")
    func feeIndependentOfReports() throws {
        var paidFees: [UInt64] = []
        for reports in [0, 1, 7, 59] {
            var driver = try market()
            let lease = try startJob(&driver)
            // Reports at odd seconds, so every interval's cost has a remainder.
            for index in 0..<reports {
                let through = lease.start.adding(seconds: Int64(3_599 * (index + 1) / (reports + 1)) | 1)
                try driver.run(.heartbeat(nodeIDs: ["n1"]), by: alice, after: max(0, driver.time.seconds(until: through)))
                try driver.run(.reportUsage(leaseID: lease.id, through: through, counters: UsageCounters()), by: alice, after: 0)
            }
            try driver.run(.endLease(leaseID: lease.id, reason: .completed, exitCode: 0), by: alice,
                           after: driver.time.seconds(until: lease.start.adding(seconds: 3_599)))
            paidFees.append(driver.state.money!.feesMicroCredits)
        }
        #expect(Set(paidFees).count == 1, "\(paidFees)")
    }

    @Test("a gang lease lost to one node's fault: the healthy node's operator keeps its pay, the faulty node's collateral makes the tenant whole")
    func gangFault() throws {
        var driver = try market(stake: 100)
        try driver.run(.deposit(tenantID: bob, amount: credits(10)), by: governance)
        try driver.run(.registerNode(node("m1", operator: bob)), by: bob)
        let job = timedSpec("gang", gpus: 8, duration: 3_600, maxDuration: 7_200, nodes: 2)
        _ = try #require(queuedID(try driver.run(.submitJob(spec: job, pool: nil), by: tenant)))
        let started = try driver.run(.clear, by: governance).compactMap { if case .leaseStarted(let lease) = $0 { lease } else { nil } }
        let lease = try #require(started.first)
        #expect(Set(lease.allocations.map(\.nodeID)) == ["n1", "m1"])
        try driver.run(.heartbeat(nodeIDs: ["n1"]), by: alice, after: 40)
        try driver.run(.heartbeat(nodeIDs: ["m1"]), by: bob, after: 0)
        try driver.run(.reportUsage(leaseID: lease.id, through: driver.time, counters: UsageCounters()), by: alice, after: 0)
        let bobEarned = available(bob, driver)
        #expect(bobEarned > credits(10))
        let events = try driver.run(.endLease(leaseID: lease.id, reason: .nodeFault), by: alice, after: 1)
        #expect(events.contains { if case .nodeSlashed("n1", 1, _, let compensation) = $0 { compensation.rawValue > 0 } else { false } })
        #expect(!events.contains { if case .nodeSlashed("m1", _, _, _) = $0 { true } else { false } }, "the healthy node is not slashed")
        #expect(available(bob, driver) == bobEarned, "the healthy node's operator keeps what it earned")
        #expect(available(tenant, driver) == credits(1_000), "the tenant is made whole")
    }

    @Test("the audit's comparison names a published money figure that does not follow from the log")
    func auditNamesMoney() throws {
        var driver = try market()
        let lease = try startJob(&driver)
        try driver.run(.issueShares(nodeID: "n1", shares: 10), by: alice)
        try driver.run(.endLease(leaseID: lease.id, reason: .completed, exitCode: 0), by: alice, after: 3_600)
        let recomputed = driver.log.replay().state.published
        #expect(driver.state.published.firstDifference(from: recomputed) == nil)
        var forged = driver.state.published
        forged.money?.feesMicroCredits += 1
        #expect(forged.firstDifference(from: recomputed)?.field == "money.fees")
        forged = driver.state.published
        forged.money?.valuations[0].windows[0].revenueMicroCredits -= 1
        #expect(forged.firstDifference(from: recomputed)?.field.hasPrefix("money.valuations[n1]") == true,
                "\(String(describing: forged.firstDifference(from: recomputed)))")
    }
}
