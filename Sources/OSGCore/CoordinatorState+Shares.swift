import OSGDomain
import OSGLedger

/// Fractional ownership of nodes, under a genesis with ``MoneyRules`` (docs/LEDGER.md,
/// "Shares of a node").
///
/// - The operator of a node issues its shares once, a fixed count (`issueShares`), all first
///   held by the operator.
/// - A holder transfers shares to another participant with a signed `transferShares`.
/// - Every settlement of the node's leases splits what the operator keeps after the protocol
///   fee across the holders pro rata, by the largest-remainder rule of
///   ``OwnershipRegistry/split(revenueMicroCredits:among:)`` (ties to the smaller ledger account
///   id): the operator pays each other holder its part at once.
/// - A slash hits the holders pro rata: each other holder pays the operator its part of the
///   slash, as far as its available credits go.
/// - Holdings and each holder's earnings are public. A withdrawn node's shares end with it.
extension CoordinatorState {
    /// The most shares a node may have.
    public static let maximumShares: Int64 = 1_000_000_000_000

    func shareIssueRejection(nodeID: String, shares: Int64, actor: String) -> Rejection? {
        guard genesis.money != nil else { return Rejection(.notEnabled, "this coordinator's genesis predates shares") }
        if case .failure(let rejection) = ownedNode(nodeID, actor: actor) { return rejection }
        guard money?.shares[nodeID] == nil else {
            return Rejection(.sharesAlreadyIssued, "node \(nodeID) already has its \(money!.shares[nodeID]!.issued) shares; a node's count is fixed")
        }
        guard (1...Self.maximumShares).contains(shares) else {
            return Rejection(.invalidAmount, "a node issues 1 to \(Self.maximumShares) shares, got \(shares)")
        }
        return nil
    }

    mutating func issueShares(nodeID: String, shares: Int64, actor: String) -> [Event] {
        if let rejection = shareIssueRejection(nodeID: nodeID, shares: shares, actor: actor) { return [.rejected(rejection)] }
        money!.shares[nodeID] = MoneyBook.NodeShares(issued: shares, holders: [actor: shares])
        return [.sharesIssued(nodeID: nodeID, shares: shares)]
    }

    func shareTransferRejection(nodeID: String, to recipient: String, shares: Int64, actor: String) -> Rejection? {
        guard genesis.money != nil else { return Rejection(.notEnabled, "this coordinator's genesis predates shares") }
        guard let book = money?.shares[nodeID] else { return Rejection(.unknownNode, "node \(nodeID) has no shares") }
        guard shares > 0 else { return Rejection(.invalidAmount, "a share transfer moves at least 1 share, got \(shares)") }
        guard Identity(hex: recipient) != nil else {
            return Rejection(.unknownAccount, "\(recipient.prefix(80)) is not a participant: an account is a hex Ed25519 public key")
        }
        guard recipient != actor else { return Rejection(.sameAccount, "a share transfer goes to another account") }
        let held = book.holders[actor] ?? 0
        guard held >= shares else {
            return Rejection(.insufficientShares, "you hold \(held) shares of node \(nodeID), not \(shares)")
        }
        return nil
    }

    mutating func transferShares(nodeID: String, to recipient: String, shares: Int64, actor: String) -> [Event] {
        if let rejection = shareTransferRejection(nodeID: nodeID, to: recipient, shares: shares, actor: actor) { return [.rejected(rejection)] }
        var book = money!.shares[nodeID]!
        let left = book.holders[actor]! - shares
        book.holders[actor] = left > 0 ? left : nil
        book.holders[recipient, default: 0] += shares
        money!.shares[nodeID] = book
        return [.sharesTransferred(nodeID: nodeID, from: actor, to: recipient, shares: shares)]
    }

    /// The holders of `nodeID` as the ledger split sees them: their accounts and shares (each
    /// holder's account opens on first use, in holder order, so the numbering is deterministic).
    private mutating func shareholdings(of nodeID: String) -> [(holder: String, holding: ShareHolding)] {
        guard let book = money?.shares[nodeID] else { return [] }
        return book.holders.sorted { $0.key < $1.key }.map { holder, shares in
            (holder, ShareHolding(accountID: accountID(for: holder, code: .ownershipShare), shares: UInt64(shares)))
        }
    }

    /// The operator → holder transfers that split `revenue` of `nodeID` across its holders, and
    /// each holder's earnings recorded (the operator's own part stays with it).
    mutating func shareholderTransfers(of nodeID: String, revenue: UInt64, operatorAccount: UInt64) -> [LedgerEvent] {
        let holdings = shareholdings(of: nodeID)
        guard !holdings.isEmpty, revenue > 0 else { return [] }
        let holderOfAccount = Dictionary(uniqueKeysWithValues: holdings.map { ($0.holding.accountID, $0.holder) })
        var events: [LedgerEvent] = []
        for part in OwnershipRegistry.split(revenueMicroCredits: revenue, among: holdings.map(\.holding)) where part.amountMicroCredits > 0 {
            let holder = holderOfAccount[part.accountID]!
            money!.shares[nodeID]!.earnings[holder, default: 0] = money!.shares[nodeID]!.earnings[holder, default: 0].addingSaturated(part.amountMicroCredits)
            guard part.accountID != operatorAccount else { continue }
            events.append(.transfer(TransferRequest(id: nextTransferID(), debitAccountID: operatorAccount, creditAccountID: part.accountID,
                                                    amountMicroCredits: part.amountMicroCredits, code: .revenueShare)))
        }
        return events
    }

    /// Each holder of `nodeID` other than its operator pays the operator its pro-rata part of a
    /// `penalty` slashed from the node's collateral, as far as its available credits go.
    mutating func spreadSlash(_ penalty: UInt64, of nodeID: String, operatorID: String) {
        let holdings = shareholdings(of: nodeID)
        guard !holdings.isEmpty, penalty > 0 else { return }
        let operatorAccount = accountID(for: operatorID, code: .operator)
        for part in OwnershipRegistry.split(revenueMicroCredits: penalty, among: holdings.map(\.holding))
        where part.amountMicroCredits > 0 && part.accountID != operatorAccount {
            let amount = min(part.amountMicroCredits, UInt64(clamping: ledger.account(part.accountID)?.availableMicroCredits ?? 0))
            guard amount > 0 else { continue }
            pay(from: part.accountID, to: operatorAccount, amount, code: .slashShare)
        }
    }
}
