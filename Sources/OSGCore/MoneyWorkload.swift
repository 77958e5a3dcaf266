import Crypto
import OSGDomain

/// A seeded stream of random commands that move money — deposits, node registrations with
/// stakes, heartbeats and silence, jobs, clearings, usage reports, lease ends of every kind
/// (faults included), withdrawals of nodes, credit transfers, withdrawals of credits and their
/// settlement, share issues and trades — applied one by one to a ``CoordinatorState`` under
/// money rules, with ``violations()`` checking the money invariants of docs/LEDGER.md after any
/// step. The property test and `osg bench money` drive it; one seed gives the same commands on
/// every machine.
///
/// ```swift
/// var workload = MoneyWorkload(seed: 7)
/// for _ in 0..<1_000 { workload.step(); precondition(workload.violations().isEmpty) }
/// ```
public struct MoneyWorkload: Sendable {
    /// The governance participant.
    public static let governanceID = "governance"
    /// The rules: a 3 % fee, 10 minutes of cooling-off, 20 % per fault (0.5 to 40 credits), a 1-hour window.
    public static let rules = MoneyRules(
        protocolFeeBasisPoints: 300, collateralCoolingOffSeconds: 600, slashBasisPoints: 2_000,
        slashMinimum: MicroCredits(500_000), slashCap: MicroCredits(40 * MicroCredits.perCredit), faultWindowSeconds: 3_600)
    /// The genesis of every run (heartbeat timeout 120 s).
    public static let genesis = Genesis(governanceID: governanceID, heartbeatTimeoutSeconds: 120, money: rules)

    /// The state after every step so far.
    public private(set) var state = CoordinatorState(genesis: genesis)
    /// Commands applied, and of them the ones the core refused.
    public private(set) var steps = 0
    public private(set) var refused = 0
    /// How often each command kind was generated.
    public private(set) var kinds: [String: Int] = [:]
    private var random: SplitMix64
    private var time = Timestamp(secondsSinceEpoch: 1_795_000_000)
    private let tenants: [String]
    private let operators: [String]
    /// Withdrawals requested and not yet settled (from the events), so neither picking one nor
    /// checking them costs the whole history.
    private var pendingWithdrawals: Set<String> = []

    /// A workload of 6 tenants and 3 operators (participants are keys derived from `seed`).
    public init(seed: UInt64) {
        random = SplitMix64(seed: seed)
        func key(_ index: Int) -> String {
            var bytes = [UInt8](repeating: 0, count: 32)
            var generator = SplitMix64(seed: seed &* 1_000 &+ UInt64(index))
            for offset in stride(from: 0, to: 32, by: 8) {
                withUnsafeBytes(of: generator.next().littleEndian) { bytes.replaceSubrange(offset..<offset + 8, with: $0) }
            }
            let signing = try! Curve25519.Signing.PrivateKey(rawRepresentation: bytes)
            return Identity(publicKey: signing.publicKey).id
        }
        tenants = (0..<6).map(key)
        operators = (6..<9).map(key)
    }

    /// Generates one random command, applies it and returns its entry.
    @discardableResult
    public mutating func step() -> LogEntry {
        let (command, actor) = nextCommand()
        time = time.adding(seconds: Int64(random.next(below: 20)))
        let entry = LogEntry(sequence: state.nextSequence, time: time, actor: actor, command: command)
        let events = state.apply(entry)
        for event in events {
            if case .withdrawalRequested(let id, _, _) = event { pendingWithdrawals.insert(id) }
            if case .withdrawalSettled(let id, _) = event { pendingWithdrawals.remove(id) }
        }
        steps += 1
        if case .rejected? = events.first { refused += 1 }
        return entry
    }

    private mutating func pick<T>(_ items: [T]) -> T? {
        items.isEmpty ? nil : items[Int(random.next(below: UInt64(items.count)))]
    }

    private mutating func credits(upTo whole: UInt64) -> MicroCredits {
        MicroCredits(Int64(1 + random.next(below: whole * UInt64(MicroCredits.perCredit))))
    }

    private mutating func nextCommand() -> (Command, String) {
        let governance = Self.governanceID
        let roll = random.next(below: 100)
        let kind: String
        defer { kinds[kind, default: 0] += 1 }
        let nodeIDs = state.sortedNodeIDs
        let running = state.runningLeaseOfOrder.values.sorted()
        switch roll {
        case 0..<8:
            kind = "deposit"
            return (.deposit(tenantID: pick(tenants + operators)!, amount: credits(upTo: 400)), governance)
        case 8..<13:
            kind = "registerNode"
            let owner = pick(operators)!
            // Ids from a small set: a registered one is refused, a withdrawn one too while its
            // collateral cools off, and the accounts stay as few as a long-lived market's nodes.
            let id = "n\(random.next(below: 40))"
            let node = ComputeNode(
                id: id, operatorID: owner, gpuModel: GPUModel.named("A100")!, gpuCount: 1 + Int(random.next(below: 8)), vramGiB: 80,
                cpuCores: 64, memoryGiB: 512, diskGiB: 1_000, region: "eu", jurisdiction: "DE", gridZone: "DE",
                askPerGPUHour: MicroCredits(500_000 + Int64(random.next(below: 2_000_000))),
                stake: random.next(below: 3) == 0 ? .zero : credits(upTo: 150))
            return (.registerNode(node), nodeIDs.count >= 12 ? "someone-else" : owner)
        case 13..<15:
            kind = "withdrawNode"
            guard let id = pick(nodeIDs), let owner = state.nodes[id]?.node.operatorID else { return tick() }
            return (.withdrawNode(nodeID: id), owner)
        case 15..<30:
            kind = "heartbeat"
            let owner = pick(operators)!
            // Most of its nodes; one may stay silent and be lost.
            let mine = nodeIDs.filter { state.nodes[$0]?.node.operatorID == owner }
            let beating = mine.filter { _ in random.next(below: 6) != 0 }
            return (.heartbeat(nodeIDs: beating), owner)
        case 30..<42 where state.queue.count < 24:
            kind = "submitJob"
            let spec = JobSpec(
                name: "job", image: "ghcr.io/org/app:1",
                resources: ResourceRequest(gpu: GPURequest(selector: .any, countPerNode: 1 + Int(random.next(below: 4)))),
                durationSeconds: 600, maxDurationSeconds: 600 + Int64(random.next(below: 10_000)),
                maxPricePerGPUHour: MicroCredits(1_000_000 + Int64(random.next(below: 3_000_000))),
                jobClass: random.next(below: 4) == 0 ? .preemptible : .standard)
            return (.submitJob(spec: spec, pool: nil), pick(tenants)!)
        case 42..<45:
            kind = "cancelJob"
            guard let orderID = pick(state.queue + state.runningLeaseOfOrder.keys.sorted()), let tenant = state.orders[orderID]?.tenantID else { return tick() }
            return (.cancelJob(orderID: orderID), tenant)
        case 30..<53:
            // A clearing (also instead of a submission while the queue is long: a market's queue
            // drains; an unbounded one would measure the clearing, not the money).
            kind = "clear"
            return (.clear, governance)
        case 53..<61:
            kind = "tick"
            return tick()
        case 61..<67:
            kind = "endLease"
            guard let leaseID = pick(running), let lease = state.leases[leaseID],
                  let owner = state.nodes[lease.allocations[0].nodeID]?.node.operatorID else { return tick() }
            switch random.next(below: 5) {
            case 0: return (.endLease(leaseID: leaseID, reason: .completed, exitCode: 0), owner)
            case 1: return (.endLease(leaseID: leaseID, reason: .jobFailed, exitCode: 1), owner)
            case 2: return (.endLease(leaseID: leaseID, reason: .nodeFault), owner)
            case 3: return (.endLease(leaseID: leaseID, reason: .nodeWithdrawn), owner)
            default: return (.endLease(leaseID: leaseID, reason: .cancelledByTenant), state.orders[lease.orderID]?.tenantID ?? owner)
            }
        case 67..<75:
            kind = "reportUsage"
            guard let leaseID = pick(running), let lease = state.leases[leaseID],
                  let owner = state.nodes[lease.allocations[0].nodeID]?.node.operatorID else { return tick() }
            return (.reportUsage(leaseID: leaseID, through: time, counters: UsageCounters()), owner)
        case 75..<81:
            kind = "transferCredits"
            let everyone = tenants + operators
            return (.transferCredits(to: pick(everyone)!, amount: credits(upTo: 60)), pick(everyone)!)
        case 81..<85:
            kind = "requestWithdrawal"
            return (.requestWithdrawal(amount: credits(upTo: 80), reference: "ref"), pick(tenants + operators)!)
        case 85..<89:
            kind = "settleWithdrawal"
            guard let id = pick(pendingWithdrawals.sorted()) else { return tick() }
            return (.settleWithdrawal(withdrawalID: id, paid: random.next(below: 2) == 0), governance)
        case 89..<92:
            kind = "issueShares"
            guard let id = pick(nodeIDs), let owner = state.nodes[id]?.node.operatorID else { return tick() }
            return (.issueShares(nodeID: id, shares: 1 + Int64(random.next(below: 1_000))), owner)
        default:
            kind = "transferShares"
            let withShares = (state.money?.shares.keys.sorted()) ?? []
            guard let id = pick(withShares), let holders = state.money?.shares[id]?.holders.keys.sorted(), let from = pick(holders) else { return tick() }
            let shares = 1 + Int64(random.next(below: UInt64(max(1, state.money!.shares[id]!.holders[from]!))))
            return (.transferShares(nodeID: id, to: pick(tenants + operators)!, shares: shares), from)
        }
    }

    private mutating func tick() -> (Command, String) {
        time = time.adding(seconds: Int64(random.next(below: 200)))
        return (.tick, Self.governanceID)
    }

    /// The money invariants that do not hold now (empty when all do), each naming what broke:
    /// credits conserved (every balance but the external account adds up to deposits less paid
    /// withdrawals); no limited account below zero; each registered node's collateral account
    /// holding its stake less its slashes; each running lease's escrow fully reserved by open
    /// pending transfers; pending withdrawals fully held; shares adding up to the count issued.
    /// Costs what is live: accounts, nodes, running leases, withdrawals, shares.
    public func violations() -> [String] {
        var problems: [String] = []
        guard let money = state.money else { return ["no money book"] }
        let ledger = state.ledger
        var sum: Int128 = 0
        for (_, id) in state.accountIDs {
            guard let account = ledger.account(id) else { problems.append("account \(id) is missing"); continue }
            sum += account.postedBalanceMicroCredits
            if account.availableMicroCredits < 0 { problems.append("account \(id) is below zero: \(account.availableMicroCredits)") }
        }
        sum += ledger.account(CoordinatorState.treasuryAccountID)?.postedBalanceMicroCredits ?? 0
        if sum != Int128(money.depositedMicroCredits) - Int128(money.withdrawnMicroCredits) {
            problems.append("credits not conserved: balances add up to \(sum), deposits \(money.depositedMicroCredits) less withdrawals \(money.withdrawnMicroCredits)")
        }
        for (nodeID, entry) in money.collateral {
            let held = entry.accountID.flatMap { ledger.account($0)?.postedBalanceMicroCredits } ?? 0
            if held != Int128(entry.lockedMicroCredits) - Int128(entry.slashedMicroCredits) {
                problems.append("node \(nodeID): collateral \(held) is not its stake \(entry.lockedMicroCredits) less slashes \(entry.slashedMicroCredits)")
            }
        }
        for (leaseID, parts) in state.escrows {
            for part in parts where (part.settledMicroCredits ?? 0) < part.amountMicroCredits {
                guard let record = ledger.record(part.transferID), record.kind == .pending, record.pendingState == .open,
                      record.amountMicroCredits == part.amountMicroCredits - (part.settledMicroCredits ?? 0) else {
                    problems.append("lease \(leaseID): escrow part \(part.transferID) is not fully reserved")
                    continue
                }
            }
        }
        var pending: UInt64 = 0
        for id in pendingWithdrawals {
            guard let withdrawal = money.withdrawals[id], withdrawal.status == .pending else {
                problems.append("withdrawal \(id) was requested and never settled but is not pending")
                continue
            }
            pending += UInt64(withdrawal.amount.rawValue)
        }
        if ledger.account(CoordinatorState.externalAccountID)?.creditsPendingMicroCredits != pending {
            problems.append("pending withdrawals \(pending) are not what the external account holds pending")
        }
        for (nodeID, book) in money.shares where book.holders.values.reduce(0, +) != book.issued || book.holders.values.contains(where: { $0 <= 0 }) {
            problems.append("node \(nodeID): holdings \(book.holders) do not add up to \(book.issued) shares")
        }
        return problems
    }
}
