/// The market's money movements as pure functions that build ledger operations.
///
/// Each helper returns operations for the caller to apply, plus the state the market should
/// keep *if* they are applied (check the result: a failed linked chain changes nothing, so
/// keep the old state). Everything that must happen together is one linked chain.
///
/// Accounts, by ``AccountCode``: the external source (no flags); tenants, operators and owners
/// with `debits_must_not_exceed_credits` (nobody spends money they do not have); the treasury
/// (no flags).
///
/// ```swift
/// var ids = TransferIDSequence(startingAt: 1_000)
/// let deposit = MarketTransfers.deposit(id: ids.next(), externalAccountID: 1, tenantAccountID: 2, amountMicroCredits: 100)
/// let (open, escrow) = MarketTransfers.openEscrow(id: ids.next(), tenantAccountID: 2, operatorAccountID: 3,
///                                                 budgetMicroCredits: 60, timeoutSeconds: 3_600)
/// let (settle, escrowAfter) = MarketTransfers.settleInterval(escrow, costMicroCredits: 10,
///     fee: ProtocolFee(treasuryAccountID: 4, basisPoints: 500), owners: [], ids: &ids)
/// ```
public enum MarketTransfers {
    /// Money entering the market: external → tenant.
    public static func deposit(id: UInt64, externalAccountID: UInt64, tenantAccountID: UInt64, amountMicroCredits: UInt64) -> LedgerOperation {
        .transfer(TransferRequest(id: id, debitAccountID: externalAccountID, creditAccountID: tenantAccountID,
                                  amountMicroCredits: amountMicroCredits, code: .deposit))
    }

    /// Lease start: reserves the lease budget as a pending transfer tenant → operator. Fails
    /// with `exceeds_credits` when the tenant cannot cover it.
    public static func openEscrow(
        id: UInt64, tenantAccountID: UInt64, operatorAccountID: UInt64, budgetMicroCredits: UInt64, timeoutSeconds: UInt64
    ) -> (operation: LedgerOperation, escrow: LeaseEscrow) {
        let operation = LedgerOperation.transfer(TransferRequest(
            id: id, debitAccountID: tenantAccountID, creditAccountID: operatorAccountID,
            amountMicroCredits: budgetMicroCredits, isPending: true, timeoutSeconds: timeoutSeconds, code: .escrow))
        let escrow = LeaseEscrow(tenantAccountID: tenantAccountID, operatorAccountID: operatorAccountID,
                                 budgetMicroCredits: budgetMicroCredits, pendingTransferID: id, timeoutSeconds: timeoutSeconds)
        return (operation, escrow)
    }

    /// Streamed settlement of one interval, as one linked chain:
    /// 1. post `costMicroCredits` of the current pending escrow (the rest is released);
    /// 2. the protocol fee, operator → treasury (skipped when it rounds to 0);
    /// 3. the owners' pro-rata shares of cost − fee, operator → owner (largest remainder; the
    ///    operator's own share and zero amounts are skipped);
    /// 4. a new pending escrow tenant → operator for what is left of the budget (unless
    ///    `closing` or nothing is left) — so the unused part stays reserved.
    ///
    /// With `closing: true` this is the final settlement: what was not used is refunded by the
    /// partial post. A cost of 0 with `closing` voids the escrow (a full refund); a cost of 0
    /// otherwise needs no operation (returns an empty chain). A cost above what is reserved makes
    /// the chain fail with `amount_exceeds_pending`.
    public static func settleInterval(
        _ escrow: LeaseEscrow, costMicroCredits: UInt64, fee: ProtocolFee, owners: [ShareHolding],
        closing: Bool = false, ids: inout TransferIDSequence
    ) -> (operation: LedgerOperation, escrowAfter: LeaseEscrow) {
        guard let pendingID = escrow.pendingTransferID else {
            preconditionFailure("settling an escrow that is already closed")
        }
        if costMicroCredits == 0 {
            guard closing else { return (.linked([]), escrow) }
            return refund(escrow, ids: &ids)
        }
        var events: [LedgerEvent] = [.resolve(.post(id: ids.next(), pendingID: pendingID, amountMicroCredits: costMicroCredits))]
        let feeAmount = fee.feeMicroCredits(on: costMicroCredits)
        if feeAmount > 0 {
            events.append(.transfer(TransferRequest(id: ids.next(), debitAccountID: escrow.operatorAccountID,
                                                    creditAccountID: fee.treasuryAccountID, amountMicroCredits: feeAmount,
                                                    code: .protocolFee)))
        }
        for share in OwnershipRegistry.split(revenueMicroCredits: costMicroCredits - feeAmount, among: owners)
        where share.amountMicroCredits > 0 && share.accountID != escrow.operatorAccountID {
            events.append(.transfer(TransferRequest(id: ids.next(), debitAccountID: escrow.operatorAccountID,
                                                    creditAccountID: share.accountID, amountMicroCredits: share.amountMicroCredits,
                                                    code: .revenueShare)))
        }
        var after = escrow
        // Saturate: an over-budget cost fails in the ledger; the state is then discarded.
        after.settledMicroCredits = min(escrow.budgetMicroCredits, escrow.settledMicroCredits &+ costMicroCredits)
        let left = escrow.budgetMicroCredits - after.settledMicroCredits
        if !closing, left > 0 {
            let newID = ids.next()
            events.append(.transfer(TransferRequest(id: newID, debitAccountID: escrow.tenantAccountID,
                                                    creditAccountID: escrow.operatorAccountID, amountMicroCredits: left,
                                                    isPending: true, timeoutSeconds: escrow.timeoutSeconds, code: .escrow)))
            after.pendingTransferID = newID
        } else {
            after.pendingTransferID = nil
        }
        return (.linked(events), after)
    }

    /// Refund of everything still reserved (lease cancelled or failed before use): voids the
    /// pending escrow.
    public static func refund(_ escrow: LeaseEscrow, ids: inout TransferIDSequence) -> (operation: LedgerOperation, escrowAfter: LeaseEscrow) {
        guard let pendingID = escrow.pendingTransferID else {
            preconditionFailure("refunding an escrow that is already closed")
        }
        var after = escrow
        after.pendingTransferID = nil
        return (.resolve(.void(id: ids.next(), pendingID: pendingID)), after)
    }

    /// Holds an operator's stake as collateral: a pending transfer operator → treasury that
    /// never expires.
    public static func holdStake(
        id: UInt64, operatorAccountID: UInt64, treasuryAccountID: UInt64, amountMicroCredits: UInt64
    ) -> (operation: LedgerOperation, stake: OperatorStake) {
        let operation = LedgerOperation.transfer(TransferRequest(
            id: id, debitAccountID: operatorAccountID, creditAccountID: treasuryAccountID,
            amountMicroCredits: amountMicroCredits, isPending: true, timeoutSeconds: 0, code: .stake))
        return (operation, OperatorStake(operatorAccountID: operatorAccountID, treasuryAccountID: treasuryAccountID,
                                         pendingTransferID: id, amountMicroCredits: amountMicroCredits))
    }

    /// Slashes a stake for a broken lease by the published ``SlashingRule``, as one linked chain:
    /// 1. post the penalty of the stake to the treasury (the rest of the stake is released);
    /// 2. pay the compensation treasury → affected tenant;
    /// 3. if `restake`, hold what is left of the stake again as a new pending transfer.
    ///
    /// A penalty of 0 needs no operation (empty chain, stake unchanged).
    public static func slash(
        _ stake: OperatorStake, rule: SlashingRule, brokenLeaseValueMicroCredits: UInt64, tenantAccountID: UInt64,
        restake: Bool = true, ids: inout TransferIDSequence
    ) -> (operation: LedgerOperation, outcome: SlashingRule.Outcome, stakeAfter: OperatorStake?) {
        let outcome = rule.outcome(stakeMicroCredits: stake.amountMicroCredits, brokenLeaseValueMicroCredits: brokenLeaseValueMicroCredits)
        guard outcome.penaltyMicroCredits > 0 else { return (.linked([]), outcome, stake) }
        var events: [LedgerEvent] = [.resolve(.post(id: ids.next(), pendingID: stake.pendingTransferID,
                                                    amountMicroCredits: outcome.penaltyMicroCredits))]
        if outcome.compensationMicroCredits > 0 {
            events.append(.transfer(TransferRequest(id: ids.next(), debitAccountID: stake.treasuryAccountID,
                                                    creditAccountID: tenantAccountID,
                                                    amountMicroCredits: outcome.compensationMicroCredits,
                                                    code: .slashCompensation)))
        }
        let left = stake.amountMicroCredits - outcome.penaltyMicroCredits
        var stakeAfter: OperatorStake?
        if restake, left > 0 {
            let (operation, newStake) = holdStake(id: ids.next(), operatorAccountID: stake.operatorAccountID,
                                                  treasuryAccountID: stake.treasuryAccountID, amountMicroCredits: left)
            guard case .transfer(let request) = operation else { preconditionFailure("holdStake builds a transfer") }
            events.append(.transfer(request))
            stakeAfter = newStake
        }
        return (.linked(events), outcome, stakeAfter)
    }
}
