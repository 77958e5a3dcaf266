import OSGDomain
import OSGLedger

/// Collateral, node faults and slashing, under a genesis with ``MoneyRules`` (docs/LEDGER.md,
/// "Collateral and slashing").
///
/// - Registering a node with a stake moves the stake from its operator's available credits into
///   the node's collateral account (`@collateral:<node>`); a registration the operator cannot
///   cover is refused (`insufficient_funds`).
/// - Withdrawing the node starts its cooling-off: the collateral left returns to the operator at
///   the first tick at or after withdrawal + ``MoneyRules/collateralCoolingOffSeconds``. The node
///   id cannot be registered again meanwhile.
/// - A lease lost to a node fault (`node_lost`, `node_withdrawn`, `node_fault`) costs its payers
///   nothing: its open escrow is released and whatever usage reports had already paid is paid
///   back by the operators who received it, as far as their available credits go. The faulty
///   node's collateral is then slashed by ``MoneyRules/slash(collateral:fault:)``; the slash pays
///   what the payers could not get back (pro rata, largest remainder) and the rest goes to the
///   treasury. A node that goes silent with nothing running harms nobody and is not slashed.
extension CoordinatorState {
    /// The holder name of a node's collateral account (no participant key starts with `@`).
    public static func collateralAccountHolder(_ nodeID: String) -> String { "@collateral:" + nodeID }

    /// The collateral locked for `nodeID` now (its stake less what slashes took; 0 without rules).
    public func lockedCollateral(of nodeID: String) -> MicroCredits {
        guard let entry = money?.collateral[nodeID] ?? money?.coolingOff[nodeID], let id = entry.accountID,
              let account = ledger.account(id) else { return .zero }
        return MicroCredits(Int64(clamping: account.availableMicroCredits))
    }

    /// Why registering `node` would be refused for its collateral, or `nil`.
    func collateralRejection(_ node: ComputeNode) -> Rejection? {
        guard genesis.money != nil else { return nil }
        if let cooling = money?.coolingOff[node.id] {
            return Rejection(.duplicateNode, "node id \(node.id) was withdrawn and its collateral returns at \(cooling.releaseAt.map(\.description) ?? "?"); choose another id until then")
        }
        guard node.stake.rawValue > 0 else { return nil }
        let available = availableFunds(of: node.operatorID)
        guard available >= node.stake else {
            return Rejection(.insufficientFunds, "registering node \(node.id) locks its stake of \(node.stake) credits as collateral, and the operator has \(available) available")
        }
        return nil
    }

    /// Locks `node`'s stake in its collateral account (the registration passed ``collateralRejection(_:)``).
    mutating func lockCollateral(of node: ComputeNode) {
        guard genesis.money != nil else { return }
        var entry = MoneyBook.NodeCollateral(operatorID: node.operatorID, accountID: nil, lockedMicroCredits: UInt64(max(0, node.stake.rawValue)))
        if node.stake.rawValue > 0 {
            let operatorAccount = accountID(for: node.operatorID, code: .operator)
            let collateral = accountID(for: Self.collateralAccountHolder(node.id), code: .collateral)
            pay(from: operatorAccount, to: collateral, UInt64(node.stake.rawValue), code: .stake)
            entry.accountID = collateral
        }
        money!.collateral[node.id] = entry
    }

    /// Starts the cooling-off of a withdrawn node's collateral (nothing to keep when none is left).
    mutating func startCoolingOff(of nodeID: String, at time: Timestamp) {
        guard let rules = genesis.money, var entry = money?.collateral.removeValue(forKey: nodeID) else { return }
        guard availableMicroCredits(ofAccount: entry.accountID) > 0 else { return }
        entry.releaseAt = time.adding(seconds: rules.collateralCoolingOffSeconds)
        money!.coolingOff[nodeID] = entry
    }

    /// Returns to their operators the collateral whose cooling-off ended by `time`, in node-id order.
    mutating func releaseCooledCollateral(at time: Timestamp) -> [Event] {
        guard let due = money?.coolingOff.filter({ ($0.value.releaseAt ?? time) <= time }), !due.isEmpty else { return [] }
        var events: [Event] = []
        for (nodeID, entry) in due.sorted(by: { $0.key < $1.key }) {
            money!.coolingOff[nodeID] = nil
            let amount = availableMicroCredits(ofAccount: entry.accountID)
            guard let collateral = entry.accountID, amount > 0 else { continue }
            let operatorAccount = accountID(for: entry.operatorID, code: .operator)
            pay(from: collateral, to: operatorAccount, amount, code: .collateralReturn)
            events.append(.collateralReturned(nodeID: nodeID, operatorID: entry.operatorID, amount: MicroCredits(Int64(clamping: amount))))
        }
        return events
    }

    private func availableMicroCredits(ofAccount id: UInt64?) -> UInt64 {
        guard let id, let account = ledger.account(id) else { return 0 }
        return UInt64(clamping: account.availableMicroCredits)
    }

    // MARK: Faults

    /// Ends the escrow of a lease lost to a node fault: releases what is still reserved and, for
    /// each part on a `faulty` node, pays back what usage reports had already paid for it — the
    /// treasury its fee, the operator the rest as far as its available credits go. Returns what
    /// each payer account (tenant or pool) could not get back: what the faulty nodes' operators
    /// could not cover, and everything paid for the healthy nodes of a gang (their operators did
    /// the work and keep it), for the slash to make good.
    mutating func refundFaultedLease(_ lease: Lease, faulty: Set<String>) -> [UInt64: UInt64] {
        guard let parts = escrows.removeValue(forKey: lease.id) else { return [:] }
        var losses: [UInt64: UInt64] = [:]
        for part in parts {
            guard let record = ledger.record(part.transferID) else {
                preconditionFailure("an escrow part's transfer \(part.transferID) is in the ledger")
            }
            let (payer, operatorAccount) = (record.debitAccountID, record.creditAccountID)
            let settled = part.settledMicroCredits ?? 0
            if settled < part.amountMicroCredits {
                let result = ledger.apply(.resolve(.void(id: nextTransferID(), pendingID: part.transferID)))
                precondition(result.isApplied, "an open escrow always voids: \(result)")
            }
            guard settled > 0 else { continue }
            guard part.nodeID.map(faulty.contains) ?? true else {
                losses[payer, default: 0] += settled
                continue
            }
            // The node's revenue from the lost lease is undone.
            if let nodeID = part.nodeID { money?.recordIncome(of: nodeID, -Int64(clamping: settled), at: lease.end?.at ?? lease.start) }
            let fee = genesis.money?.fee(on: settled) ?? 0
            if fee > 0 { pay(from: Self.treasuryAccountID, to: payer, fee, code: .faultRefund) }
            let owed = settled - fee
            let back = min(owed, availableMicroCredits(ofAccount: operatorAccount))
            if back > 0 { pay(from: operatorAccount, to: payer, back, code: .faultRefund) }
            if owed > back { losses[payer, default: 0] += owed - back }
        }
        return losses
    }

    /// Records a fault of `nodeID` that cost its leases, slashes its collateral by the rules and
    /// pays the slash to `losses` (what each payer account could not get back) first, the rest to
    /// the treasury. `losses` shrinks by what was paid, so a second faulty node pays only the rest.
    mutating func slashForFault(of nodeID: String, losses: inout [UInt64: UInt64], at time: Timestamp) -> [Event] {
        guard let rules = genesis.money, var entry = money?.collateral[nodeID] ?? money?.coolingOff[nodeID] else { return [] }
        let now = time.secondsSinceEpoch
        entry.recentFaults = entry.recentFaults.filter { now - $0 < rules.faultWindowSeconds } + [now]
        entry.faults += 1
        let penalty = rules.slash(collateral: availableMicroCredits(ofAccount: entry.accountID), fault: entry.recentFaults.count)
        var compensation: UInt64 = 0
        if penalty > 0, let collateral = entry.accountID {
            let owed = losses.filter { $0.value > 0 }
            let totalOwed = owed.values.reduce(UInt128(0)) { $0 + UInt128($1) }
            let payments: [(accountID: UInt64, amountMicroCredits: UInt64)] = totalOwed <= UInt128(penalty)
                ? owed.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
                : OwnershipRegistry.split(revenueMicroCredits: penalty, among: owed.map { ShareHolding(accountID: $0.key, shares: $0.value) })
            for payment in payments where payment.amountMicroCredits > 0 {
                pay(from: collateral, to: payment.accountID, payment.amountMicroCredits, code: .slashCompensation)
                losses[payment.accountID]! -= payment.amountMicroCredits
                compensation += payment.amountMicroCredits
            }
            if penalty > compensation { pay(from: collateral, to: Self.treasuryAccountID, penalty - compensation, code: .slash) }
            spreadSlash(penalty, of: nodeID, operatorID: entry.operatorID)
            entry.slashedMicroCredits += penalty
            money!.slashedMicroCredits += penalty
            money!.compensationMicroCredits += compensation
        }
        if money!.collateral[nodeID] != nil { money!.collateral[nodeID] = entry } else { money!.coolingOff[nodeID] = entry }
        return [.nodeSlashed(nodeID: nodeID, fault: entry.recentFaults.count, slashed: MicroCredits(Int64(clamping: penalty)),
                             compensation: MicroCredits(Int64(clamping: compensation)))]
    }

    /// One posted transfer the caller has already checked the debit account can cover.
    mutating func pay(from debit: UInt64, to credit: UInt64, _ amount: UInt64, code: TransferCode) {
        let result = ledger.apply(.transfer(TransferRequest(
            id: nextTransferID(), debitAccountID: debit, creditAccountID: credit, amountMicroCredits: amount, code: code)))
        precondition(result.isApplied, "a transfer within the available balance applies: \(result)")
    }
}

extension LeaseEndReason {
    /// Whether the lease ended through a fault of a node (its payers are made whole, the node slashed).
    public var isNodeFault: Bool {
        switch self {
        case .nodeLost, .nodeWithdrawn, .nodeFault: true
        case .completed, .cancelledByTenant, .maxDurationReached, .preempted, .jobFailed, .inputFailed: false
        }
    }
}

extension CoordinatorState {
    /// One participant's balances, in micro-credits.
    public struct AccountBalances: Hashable, Sendable {
        /// Credits posted minus debits posted.
        public var posted: MicroCredits = .zero
        /// What it can spend now: posted minus everything reserved.
        public var available: MicroCredits = .zero
        /// Reserved by running leases' escrows.
        public var inEscrow: MicroCredits = .zero
        /// Held by its pending withdrawals.
        public var pendingWithdrawals: MicroCredits = .zero
    }

    /// `participantID`'s balances (all zero when it has no account).
    public func accountBalances(of participantID: String) -> AccountBalances {
        guard let id = accountIDs[participantID], let account = ledger.account(id) else { return AccountBalances() }
        let withdrawing = money?.withdrawals.values.lazy
            .filter { $0.accountHolder == participantID && $0.status == .pending }
            .reduce(Int64(0)) { $0.addingSaturated($1.amount.rawValue) } ?? 0
        let reserved = Int64(clamping: account.debitsPendingMicroCredits)
        return AccountBalances(posted: MicroCredits(Int64(clamping: account.postedBalanceMicroCredits)),
                               available: MicroCredits(Int64(clamping: account.availableMicroCredits)),
                               inEscrow: MicroCredits(max(0, reserved - withdrawing)), pendingWithdrawals: MicroCredits(withdrawing))
    }

    /// The collateral `operatorID` has locked on its registered nodes and cooling off on its
    /// withdrawn ones, in micro-credits (linear in the nodes).
    public func collateralTotals(ofOperator operatorID: String) -> (locked: Int128, coolingOff: Int128) {
        guard let money else { return (0, 0) }
        let sum = { (entries: [String: MoneyBook.NodeCollateral]) in
            entries.values.lazy.filter { $0.operatorID == operatorID }
                .reduce(Int128(0)) { $0 + Int128(self.availableMicroCredits(ofAccount: $1.accountID)) }
        }
        return (sum(money.collateral), sum(money.coolingOff))
    }

    /// Credits in the treasury: fees and what slashes did not pay to tenants.
    public var treasuryBalance: Int128 {
        ledger.account(Self.treasuryAccountID)?.postedBalanceMicroCredits ?? 0
    }
}
