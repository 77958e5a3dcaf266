import OSGDomain
import OSGLedger

/// Set-aside pools paid for in the open: each pool's funding is a ledger account.
///
/// - Governance fills a pool's funding account with `fundPool` (external → pool), logged like
///   a deposit. The account is created on first use, numbered like every other account
///   (`CoordinatorState+Money`), and listed in the published balances as ``poolAccountHolder(_:)``
///   (`@pool:<name>`, a holder no participant key can be).
/// - A pool with a ceiling clears with `funding` = its account's available credits (posted
///   minus pending): ``fundedClearingPools()``. A pool without one clears
///   ``SetAsidePool/withoutSubsidy`` (its nodes ask at most its price; it needs no funding).
/// - When a lease of a set-aside job starts, the tenant's escrow is at the lease's price (the
///   pool's price) and, for every node whose operator asks more, a pending transfer pool →
///   operator of the difference for the job's whole `max_duration` joins the same linked chain
///   (``subsidyParts(for:maxDurationSeconds:)``): a pool that cannot cover it keeps the lease
///   from starting, and nothing is held. Settlement posts each part at its own price for the
///   time used and releases the rest, so the operator is paid its ask, the tenant pays the pool's
///   price and the pool the difference.
extension CoordinatorState {
    /// The holder name of `pool`'s funding account in ``accountIDs`` and the published
    /// balances. Participants are keys (hex), so an `@` name cannot be one of them.
    public static func poolAccountHolder(_ pool: String) -> String { "@pool:" + pool }

    /// The ledger account of `pool`'s funding, if it has one (a pool never funded has none).
    public func poolAccountID(_ pool: String) -> UInt64? {
        guard let id = accountIDs[Self.poolAccountHolder(pool)], ledger.account(id)?.code == .setAsidePool else { return nil }
        return id
    }

    /// Credits left in `pool`'s funding account: posted minus reserved by running leases.
    public func poolFunding(of pool: String) -> MicroCredits {
        guard let id = poolAccountID(pool), let account = ledger.account(id) else { return .zero }
        return MicroCredits(Int64(clamping: account.availableMicroCredits))
    }

    /// The state's pools, sorted by name, as every engine pass of a clearing and its carbon
    /// step get them: a pool with a ceiling with its funding account's available credits as
    /// `funding`, so a set-aside order may use any node asking up to the ceiling while the
    /// funding lasts; a pool without one ``SetAsidePool/withoutSubsidy`` (its ceiling is its
    /// price, so it needs no funding). No operator is ever paid below its ask: a lease whose
    /// subsidy the ledger refuses does not start (`pool_unfunded`). ``askCeiling(of:)``
    /// (preemption, the head's reservation) agrees.
    public func fundedClearingPools() -> [SetAsidePool] {
        pools.values.sorted { $0.name < $1.name }.map { pool in
            guard pool.ceilingPerGPUHour != nil else { return pool.withoutSubsidy }
            var funded = pool
            funded.funding = poolFunding(of: pool.name)
            return funded
        }
    }

    /// `pool`'s funding account, created on first use; `nil` if its holder name is already
    /// another kind of account (never, unless a participant was given that name).
    mutating func openPoolAccount(_ pool: String) -> UInt64? {
        let id = accountID(for: Self.poolAccountHolder(pool), code: .setAsidePool)
        return ledger.account(id)?.code == .setAsidePool ? id : nil
    }

    // MARK: Commands

    mutating func fundPool(_ name: String, amount: MicroCredits, actor: String) -> [Event] {
        guard isGovernance(actor) else {
            return [.rejected(notGovernance("only governance funds set-aside pools"))]
        }
        guard pools[name] != nil else {
            return [.rejected(Rejection(.unknownPool, "no set-aside pool named \(name); define it first"))]
        }
        guard amount.rawValue > 0 else {
            return [.rejected(Rejection(.invalidAmount, "pool funding needs an amount above 0, got \(amount)"))]
        }
        guard let account = openPoolAccount(name) else {
            return [.rejected(Rejection(.invalidPool, "the funding account name of pool \(name) is taken by another account"))]
        }
        let result = ledger.apply(.transfer(TransferRequest(
            id: nextTransferID(), debitAccountID: Self.externalAccountID, creditAccountID: account,
            amountMicroCredits: UInt64(amount.rawValue), code: .deposit)))
        guard result.isApplied else {
            return [.rejected(Rejection(.invalidAmount, "the pool funding was refused by the ledger: \(result)"))]
        }
        money?.recordDeposit(UInt64(amount.rawValue))
        return [.poolFunded(name: name, amount: amount)]
    }

    // MARK: Leases

    /// One node's subsidy in a starting lease: what its operator asks above the lease's price.
    struct SubsidyPart: Hashable {
        /// Index of the allocation in the lease.
        var allocation: Int
        /// The operator's ask minus the lease's price, per GPU-hour.
        var pricePerGPUHour: MicroCredits
        /// Reserved for the whole `max_duration`, in micro-credits (more than 0).
        var amountMicroCredits: UInt64
    }

    /// The subsidies a starting lease of a set-aside job needs from its pool (empty for other
    /// jobs, and when every node asks at most the lease's price); `nil` when they do not fit
    /// 64 bits (no pool covers them).
    ///
    /// The total is ``ClearingEngine/subsidy(asks:poolPrice:gpusPerNode:maxDurationSeconds:)``'s:
    /// ⌈Σ (ask − price) × GPUs × max_duration ÷ 3600⌉, rounded once, so the pool holds exactly
    /// what the clearing took from its funding. It is split by node: each gets its exact share
    /// rounded down, and the micro-credits left (fewer than the nodes with a fraction) go one
    /// each to those nodes in allocation order.
    func subsidyParts(for lease: Lease, maxDurationSeconds: Int64) -> [SubsidyPart]? {
        guard orders[lease.orderID]?.pool != nil else { return [] }
        var numerators: [(allocation: Int, price: Int64, numerator: UInt128)] = []
        for (index, allocation) in lease.allocations.enumerated() {
            guard let ask = nodes[allocation.nodeID]?.node.askPerGPUHour, ask > lease.pricePerGPUHour else { continue }
            let excess = ask.rawValue - lease.pricePerGPUHour.rawValue
            let (gpuSeconds, overflow) = UInt128(max(0, allocation.gpus)).multipliedReportingOverflow(by: UInt128(max(0, maxDurationSeconds)))
            let (numerator, overflow2) = UInt128(excess).multipliedReportingOverflow(by: gpuSeconds)
            if overflow || overflow2 { return nil }
            numerators.append((index, excess, numerator))
        }
        var total: UInt128 = 0
        for item in numerators {
            let (sum, overflow) = total.addingReportingOverflow(item.numerator)
            if overflow { return nil }
            total = sum
        }
        let rounded = total / 3_600 + (total % 3_600 > 0 ? 1 : 0)
        var left = rounded - numerators.reduce(UInt128(0)) { $0 + $1.numerator / 3_600 }
        var parts: [SubsidyPart] = []
        for item in numerators {
            var amount = item.numerator / 3_600
            if left > 0, item.numerator % 3_600 > 0 {
                amount += 1
                left -= 1
            }
            guard amount > 0 else { continue }
            guard amount <= UInt128(Int64.max) else { return nil }
            parts.append(SubsidyPart(allocation: item.allocation, pricePerGPUHour: MicroCredits(item.price), amountMicroCredits: UInt64(amount)))
        }
        assert(left == 0, "the parts add up to the rounded total")
        return parts
    }
}
