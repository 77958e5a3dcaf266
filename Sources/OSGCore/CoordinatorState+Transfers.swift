import OSGDomain
import OSGLedger

/// Credits that move between participants and out of the market, under a genesis with
/// ``MoneyRules`` (docs/LEDGER.md, "Transfers and withdrawals").
///
/// - `transferCredits` moves credits from the signer's available balance to another participant
///   (any valid participant key; its account opens on first use).
/// - `requestWithdrawal` holds credits as a pending transfer to the external account: they stop
///   being spendable at once. Governance then posts it when paid out (`settleWithdrawal` with
///   `paid: true`; the credits leave the market) or voids it (they come back).
extension CoordinatorState {
    /// The most characters a withdrawal's public payout reference may have.
    public static let maximumWithdrawalReferenceLength = 128

    func creditTransferRejection(to recipient: String, amount: MicroCredits, actor: String) -> Rejection? {
        guard genesis.money != nil else {
            return Rejection(.notEnabled, "this coordinator's genesis predates transfers; credits cannot move between participants here")
        }
        guard amount.rawValue > 0 else { return Rejection(.invalidAmount, "a transfer moves more than 0 credits, got \(amount)") }
        guard Identity(hex: recipient) != nil else {
            return Rejection(.unknownAccount, "\(recipient.prefix(80)) is not a participant: an account is a hex Ed25519 public key (osg keys new prints one)")
        }
        guard recipient != actor else { return Rejection(.sameAccount, "a transfer goes to another account, not back to its sender") }
        let available = availableFunds(of: actor)
        guard available >= amount else {
            return Rejection(.insufficientFunds, "the transfer of \(amount) credits needs that much available; this account has \(available)")
        }
        return nil
    }

    mutating func transferCredits(to recipient: String, amount: MicroCredits, actor: String) -> [Event] {
        if let rejection = creditTransferRejection(to: recipient, amount: amount, actor: actor) { return [.rejected(rejection)] }
        let from = accountID(for: actor, code: .tenant)
        let to = accountID(for: recipient, code: .tenant)
        let result = ledger.apply(.transfer(TransferRequest(
            id: nextTransferID(), debitAccountID: from, creditAccountID: to,
            amountMicroCredits: UInt64(amount.rawValue), code: .participantTransfer)))
        guard result.isApplied else {
            return [.rejected(Rejection(.insufficientFunds, "the ledger refused the transfer: \(result)"))]
        }
        money!.transferredMicroCredits = money!.transferredMicroCredits.addingSaturated(UInt64(amount.rawValue))
        return [.creditsTransferred(from: actor, to: recipient, amount: amount)]
    }

    func withdrawalRequestRejection(amount: MicroCredits, reference: String, actor: String) -> Rejection? {
        guard genesis.money != nil else {
            return Rejection(.notEnabled, "this coordinator's genesis predates withdrawals; credits cannot leave the market here")
        }
        guard amount.rawValue > 0 else { return Rejection(.invalidAmount, "a withdrawal takes out more than 0 credits, got \(amount)") }
        guard reference.count <= Self.maximumWithdrawalReferenceLength,
              reference.unicodeScalars.allSatisfy({ (0x20...0x7E).contains($0.value) }) else {
            return Rejection(.invalidReference, "the payout reference is public: at most \(Self.maximumWithdrawalReferenceLength) printable ASCII characters")
        }
        let available = availableFunds(of: actor)
        guard available >= amount else {
            return Rejection(.insufficientFunds, "the withdrawal of \(amount) credits needs that much available; this account has \(available)")
        }
        return nil
    }

    mutating func requestWithdrawal(amount: MicroCredits, reference: String, actor: String, at time: Timestamp, sequence: UInt64) -> [Event] {
        if let rejection = withdrawalRequestRejection(amount: amount, reference: reference, actor: actor) { return [.rejected(rejection)] }
        let transferID = nextTransferID()
        let result = ledger.apply(.transfer(TransferRequest(
            id: transferID, debitAccountID: accountID(for: actor, code: .tenant), creditAccountID: Self.externalAccountID,
            amountMicroCredits: UInt64(amount.rawValue), isPending: true, code: .withdrawal)))
        guard result.isApplied else {
            return [.rejected(Rejection(.insufficientFunds, "the ledger refused the withdrawal: \(result)"))]
        }
        let id = "wd-\(sequence)"
        money!.withdrawals[id] = MoneyBook.Withdrawal(id: id, accountHolder: actor, amount: amount, reference: reference,
                                                      requested: time, transferID: transferID, status: .pending)
        return [.withdrawalRequested(withdrawalID: id, holder: actor, amount: amount)]
    }

    func withdrawalSettlementRejection(_ withdrawalID: String, actor: String) -> Rejection? {
        guard isGovernance(actor) else {
            return notGovernance("only governance posts or voids withdrawals, as it pays them out")
        }
        guard let withdrawal = money?.withdrawals[withdrawalID] else {
            return Rejection(.unknownWithdrawal, "no withdrawal with id \(withdrawalID)")
        }
        guard withdrawal.status == .pending else {
            return Rejection(.withdrawalAlreadySettled, "withdrawal \(withdrawalID) is already \(withdrawal.status.rawValue)")
        }
        return nil
    }

    mutating func settleWithdrawal(_ withdrawalID: String, paid: Bool, actor: String, at time: Timestamp) -> [Event] {
        if let rejection = withdrawalSettlementRejection(withdrawalID, actor: actor) { return [.rejected(rejection)] }
        var withdrawal = money!.withdrawals[withdrawalID]!
        let resolution: PendingResolution = paid
            ? .post(id: nextTransferID(), pendingID: withdrawal.transferID, amountMicroCredits: UInt64(withdrawal.amount.rawValue))
            : .void(id: nextTransferID(), pendingID: withdrawal.transferID)
        let result = ledger.apply(.resolve(resolution))
        precondition(result.isApplied, "a pending withdrawal always posts or voids: \(result)")
        withdrawal.status = paid ? .paid : .voided
        withdrawal.settled = time
        money!.withdrawals[withdrawalID] = withdrawal
        if paid { money!.withdrawnMicroCredits = money!.withdrawnMicroCredits.addingSaturated(UInt64(withdrawal.amount.rawValue)) }
        return [.withdrawalSettled(withdrawalID: withdrawalID, paid: paid)]
    }
}
