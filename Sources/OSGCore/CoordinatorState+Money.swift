import OSGDomain
import OSGLedger

/// Money inside the state machine, kept in the double-entry ledger.
///
/// - Every participant who holds money gets a ledger account the first time it needs one,
///   numbered in order of first use (deterministic), with `debits_must_not_exceed_credits`.
/// - A deposit moves credits from the external account (the devnet faucet or an on-ramp).
/// - When a lease starts, its budget — price × GPUs × max_duration, per operator — is
///   reserved as pending transfers tenant → operator, all in one linked chain. A set-aside
///   job's chain also holds, for each node asking more than the pool's price, a pending
///   transfer pool → operator of the difference (`CoordinatorState+PoolFunding`).
/// - When a lease ends, each reservation is posted for the time used (its price × GPUs ×
///   elapsed seconds ÷ 3600, rounded up to a micro-credit, at most the reservation) and the
///   rest is released; a lease that reached max_duration pays its whole budget.
/// - A job is placed only if its tenant can cover the job's maximum cost
///   (max_price × GPUs × max_duration); otherwise it waits with `insufficient_funds`.
extension CoordinatorState {
    /// Ledger account of the protocol treasury.
    public static let treasuryAccountID: UInt64 = 1
    /// Ledger account that deposits come from.
    public static let externalAccountID: UInt64 = 2

    /// The first ledger operations of every coordinator: the treasury and external accounts.
    static var genesisLedgerOperations: [LedgerOperation] {
        [
            .createAccount(Account(id: treasuryAccountID, code: .treasury)),
            .createAccount(Account(id: externalAccountID, code: .external)),
        ]
    }

    /// Credits `participantID` can spend now (posted balance minus reservations).
    public func availableFunds(of participantID: String) -> MicroCredits {
        guard let accountID = accountIDs[participantID], let account = ledger.account(accountID) else { return .zero }
        return MicroCredits(Int64(clamping: account.availableMicroCredits))
    }

    /// The ledger account of `participantID`, created on first use.
    mutating func accountID(for participantID: String, code: AccountCode) -> UInt64 {
        if let existing = accountIDs[participantID] { return existing }
        let id = nextAccountID
        nextAccountID += 1
        let result = ledger.apply(.createAccount(Account(id: id, flags: .debitsMustNotExceedCredits, code: code)))
        precondition(result.isApplied, "a fresh account id is always free")
        accountIDs[participantID] = id
        return id
    }

    mutating func nextTransferID() -> UInt64 {
        transferCounter += 1
        return transferCounter
    }

    /// What paying `amount` of an escrow part to its operator moves on, under ``MoneyRules``:
    /// the protocol fee (operator → treasury) and, for a node with
    /// shares, each other holder's pro-rata part of the rest (operator → holder, largest
    /// remainder; ``CoordinatorState+Shares``). The operator has just received `amount`, so it
    /// always covers them. Records the node's income for its published valuation.
    ///
    /// The fee is cumulative per part, like the cost: after this payment the part has paid
    /// ``MoneyRules/fee(on:)`` of everything it has paid, so how often usage is reported never
    /// changes the fee (`part` is the part before this payment).
    mutating func settlementTransfers(paying amount: UInt64, of part: LeaseEscrowPart, at time: Timestamp) -> [LedgerEvent] {
        guard let rules = genesis.money, amount > 0, let escrow = ledger.record(part.transferID) else { return [] }
        let operatorAccount = escrow.creditAccountID
        var events: [LedgerEvent] = []
        let before = part.settledMicroCredits ?? 0
        let fee = rules.fee(on: before.addingSaturated(amount)) - rules.fee(on: before)
        if fee > 0 {
            money!.feesMicroCredits = money!.feesMicroCredits.addingSaturated(fee)
            events.append(.transfer(TransferRequest(id: nextTransferID(), debitAccountID: operatorAccount,
                                                    creditAccountID: Self.treasuryAccountID, amountMicroCredits: fee, code: .protocolFee)))
        }
        guard let nodeID = part.nodeID else { return events }
        money!.recordIncome(of: nodeID, Int64(clamping: amount), at: time)
        events += shareholderTransfers(of: nodeID, revenue: amount - fee, operatorAccount: operatorAccount)
        return events
    }

    // MARK: Commands

    /// Who may deposit: governance (an on-ramp), or on a devnet whose genesis has a faucet
    /// (``FaucetRules``) a participant to itself, at most the faucet's amount per request and
    /// only while its available balance stays within the faucet's cap.
    func depositRejection(to tenantID: String, amount: MicroCredits, actor: String) -> Rejection? {
        if isGovernance(actor) { return nil }
        guard let faucet = genesis.faucet, actor == tenantID else {
            return notGovernance(genesis.faucet == nil
                ? "only governance (an on-ramp) records deposits; this log has no faucet"
                : "only governance records deposits to others; the faucet deposits to its requester only")
        }
        guard amount.rawValue > 0, amount <= faucet.maxPerRequest else {
            return Rejection(.invalidAmount, "the faucet gives 0 < amount <= \(faucet.maxPerRequest) credits per request, got \(amount)")
        }
        let balance = Int128(availableFunds(of: tenantID).rawValue)
        guard balance + Int128(amount.rawValue) <= Int128(faucet.balanceCap.rawValue) else {
            return Rejection(.faucetCap, "the faucet tops balances up to \(faucet.balanceCap) credits; this key holds \(availableFunds(of: tenantID))")
        }
        return nil
    }

    mutating func deposit(to tenantID: String, amount: MicroCredits, actor: String) -> [Event] {
        if let rejection = depositRejection(to: tenantID, amount: amount, actor: actor) { return [.rejected(rejection)] }
        guard amount.rawValue > 0, !tenantID.isEmpty else {
            return [.rejected(Rejection(.invalidAmount, "a deposit needs a tenant and an amount above 0, got \(amount)"))]
        }
        guard !tenantID.hasPrefix(Self.poolAccountHolder("")) else {
            return [.rejected(Rejection(.invalidAmount, "\(tenantID) names a pool's funding account, not a tenant; fund a pool with fundPool"))]
        }
        let account = accountID(for: tenantID, code: .tenant)
        let result = ledger.apply(.transfer(TransferRequest(
            id: nextTransferID(), debitAccountID: Self.externalAccountID, creditAccountID: account,
            amountMicroCredits: UInt64(amount.rawValue), code: .deposit)))
        guard result.isApplied else {
            return [.rejected(Rejection(.invalidAmount, "the deposit was refused by the ledger: \(result)"))]
        }
        money?.recordDeposit(UInt64(amount.rawValue))
        return [.fundsDeposited(tenantID: tenantID, amount: amount)]
    }

    // MARK: Leases

    /// Micro-credits for `gpus` GPUs at `price` per GPU-hour for `seconds`, rounded up; held at
    /// `UInt64.max` where that does not fit 64 bits (no account covers it, so the ledger refuses
    /// the reservation). Negative figures count as 0.
    ///
    /// Within the published bounds (price ≤ 10,000 credits, 64 GPUs, 90 days) the cost is at
    /// most 1.4 × 10^15 and the bound is never reached; it keeps a price from an older log (a
    /// pool's price, a node's ask above it) from trapping.
    static func cost(price: MicroCredits, gpus: Int, seconds: Int64) -> UInt64 {
        let (gpuSeconds, overflow) = UInt64(max(0, gpus)).multipliedReportingOverflow(by: UInt64(max(0, seconds)))
        let product = UInt64(max(0, price.rawValue)).multipliedFullWidth(by: gpuSeconds)
        // The quotient fits 64 bits only while the high word stays below the divisor.
        guard !overflow, product.high < 3600 else { return .max }
        let (quotient, remainder) = UInt64(3600).dividingFullWidth(product)
        return remainder > 0 ? quotient.addingSaturated(1) : quotient
    }

    /// Reserves a starting lease's budget in one linked chain: per node, a pending transfer
    /// tenant → operator at the lease's price and, for a set-aside job on a node asking more,
    /// one pool → operator of the difference (``subsidyParts(for:maxDurationSeconds:)``).
    /// Returns why nothing was reserved, or `nil` when all was.
    mutating func reserveLeaseBudget(for lease: Lease, tenantID: String, maxDurationSeconds: Int64) -> BudgetRefusal? {
        let tenantAccount = accountID(for: tenantID, code: .tenant)
        // A pool's funding pays only subsidies, never a tenant's own share.
        guard ledger.account(tenantAccount)?.code != .setAsidePool else { return .insufficientFunds }
        var parts: [LeaseEscrowPart] = []
        var events: [LedgerEvent] = []
        var operatorAccounts: [UInt64] = []
        for allocation in lease.allocations {
            guard let operatorID = nodes[allocation.nodeID]?.node.operatorID else { return .insufficientFunds }
            let operatorAccount = accountID(for: operatorID, code: .operator)
            operatorAccounts.append(operatorAccount)
            let amount = Self.cost(price: lease.pricePerGPUHour, gpus: allocation.gpus, seconds: maxDurationSeconds)
            let transferID = nextTransferID()
            events.append(.transfer(TransferRequest(
                id: transferID, debitAccountID: tenantAccount, creditAccountID: operatorAccount,
                amountMicroCredits: amount, isPending: true, code: .escrow)))
            parts.append(LeaseEscrowPart(transferID: transferID, gpus: allocation.gpus, amountMicroCredits: amount,
                                         nodeID: genesis.money == nil ? nil : allocation.nodeID))
        }
        let tenantEvents = events.count
        guard let subsidies = subsidyParts(for: lease, maxDurationSeconds: maxDurationSeconds) else { return .poolUnfunded }
        if !subsidies.isEmpty {
            guard let pool = orders[lease.orderID]?.pool, let poolAccount = openPoolAccount(pool) else { return .poolUnfunded }
            for subsidy in subsidies {
                let allocation = lease.allocations[subsidy.allocation]
                let transferID = nextTransferID()
                events.append(.transfer(TransferRequest(
                    id: transferID, debitAccountID: poolAccount, creditAccountID: operatorAccounts[subsidy.allocation],
                    amountMicroCredits: subsidy.amountMicroCredits, isPending: true, code: .poolSubsidy)))
                parts.append(LeaseEscrowPart(transferID: transferID, gpus: allocation.gpus, amountMicroCredits: subsidy.amountMicroCredits,
                                             pricePerGPUHour: subsidy.pricePerGPUHour, nodeID: genesis.money == nil ? nil : allocation.nodeID))
            }
        }
        let result = ledger.apply(.linked(events))
        guard result.isApplied else {
            // The first event that failed on its own (the others say `linked_event_failed`) names who could not pay.
            if case .chain(let codes) = result,
               let failed = codes.firstIndex(where: { $0 != .ok && $0 != .linkedEventFailed }), failed >= tenantEvents {
                return .poolUnfunded
            }
            return .insufficientFunds
        }
        escrows[lease.id] = parts
        return nil
    }

    /// Settles an ending lease: pays for the time used, releases the rest. Returns the amount
    /// paid now: the total due less what usage reports already paid (`CoordinatorState+Usage`).
    mutating func settle(_ lease: Lease, at time: Timestamp, reason: LeaseEndReason) -> MicroCredits {
        guard let parts = escrows.removeValue(forKey: lease.id) else { return .zero }
        let elapsed = lease.start.seconds(until: time)
        var paid: UInt64 = 0
        for part in parts {
            let total = reason == .maxDurationReached
                ? part.amountMicroCredits
                : min(part.amountMicroCredits, Self.cost(price: part.pricePerGPUHour ?? lease.pricePerGPUHour, gpus: part.gpus, seconds: elapsed))
            let settled = part.settledMicroCredits ?? 0
            assert(total >= settled, "usage reports never pay more than the end settles")
            // A part that usage reports paid in full has no open pending transfer left.
            guard settled < part.amountMicroCredits else { continue }
            let used = total - settled
            let resolution: PendingResolution = used > 0
                ? .post(id: nextTransferID(), pendingID: part.transferID, amountMicroCredits: used)
                : .void(id: nextTransferID(), pendingID: part.transferID)
            let events: [LedgerEvent] = [.resolve(resolution)] + settlementTransfers(paying: used, of: part, at: time)
            let result = ledger.apply(.linked(events))
            precondition(result.isApplied, "an open escrow always resolves: \(result)")
            paid = paid.addingSaturated(used)
        }
        return MicroCredits(Int64(clamping: paid))
    }
}

/// One operator's share of a lease's reserved budget, paid by the tenant or, for a set-aside
/// job on a node asking more than the pool's price, by the pool.
public struct LeaseEscrowPart: Hashable, Sendable, Codable {
    /// The pending ledger transfer holding it.
    public var transferID: UInt64
    /// GPUs of the lease on that operator's node.
    public var gpus: Int
    /// The amount reserved.
    public var amountMicroCredits: UInt64
    /// Paid to the operator by usage reports so far (`nil` when none has); what is still
    /// reserved, `amountMicroCredits` minus this, is held by the pending transfer `transferID`.
    public var settledMicroCredits: UInt64? = nil
    /// The part's own price per GPU-hour, what it pays for the time used: a pool's part, the
    /// node's ask minus the pool's price. `nil`: the lease's price (every tenant's part; absent
    /// from the encoding then, so older snapshots and digests keep their bytes).
    public var pricePerGPUHour: MicroCredits? = nil
    /// The node the part pays for, under a genesis with money rules (its fee, its shareholders'
    /// split and its income figures); `nil` otherwise, absent from the encoding.
    public var nodeID: String? = nil
}

/// Why a starting lease's budget could not be reserved; its code is the order's waiting reason.
public enum BudgetRefusal: String, Hashable, Sendable {
    /// The tenant cannot cover its escrow.
    case insufficientFunds = "insufficient_funds"
    /// The set-aside pool's funding cannot cover what the lease's nodes ask above its price.
    case poolUnfunded = "pool_unfunded"

    /// The waiting reason code.
    public var code: String { rawValue }
}
