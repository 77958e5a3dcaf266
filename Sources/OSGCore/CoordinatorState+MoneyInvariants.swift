import OSGDomain
import OSGLedger

/// The money invariants of docs/LEDGER.md ("Invariants"). Conservation is checked after every
/// entry in release builds too (it costs one account lookup); the rest in debug builds.
extension CoordinatorState {
    /// Credits are conserved: the external account has paid out exactly the deposits less the
    /// withdrawals paid, so the balances of every other account add up to that (the ledger keeps
    /// the sum of all balances at zero), and what pending withdrawals hold is still in the market.
    func checkMoneyConservation() {
        guard let money, let external = ledger.account(Self.externalAccountID) else { return }
        let net = Int128(external.creditsPostedMicroCredits) - Int128(external.debitsPostedMicroCredits)
        precondition(net == Int128(money.withdrawnMicroCredits) - Int128(money.depositedMicroCredits),
                     "credits are conserved: the external account's net \(net) is withdrawals \(money.withdrawnMicroCredits) less deposits \(money.depositedMicroCredits)")
    }

    /// Collateral, escrow and pending payouts are fully backed, and the book agrees with the ledger.
    func assertMoneyInvariants() {
        // Every check inside `assert`, so release builds skip the work too.
        guard let money else { return }
        assert(ledger.account(Self.externalAccountID)?.creditsPendingMicroCredits
               == money.withdrawals.values.filter { $0.status == .pending }.reduce(UInt64(0)) { $0 + UInt64($1.amount.rawValue) },
               "the external account's pending credits are exactly the pending withdrawals")
        assert(money.collateral.keys.allSatisfy { nodes[$0] != nil } && money.coolingOff.keys.allSatisfy { nodes[$0] == nil },
               "collateral is kept for registered nodes, cooling off only for withdrawn ones")
        assert((Array(money.collateral.values) + Array(money.coolingOff.values)).allSatisfy { entry in
            entry.accountID.map { ledger.account($0)?.code == .collateral && ledger.account($0)!.debitsPendingMicroCredits == 0 } ?? true
        }, "collateral sits in collateral accounts and nothing is reserved against it")
        assert(escrows.values.joined().allSatisfy { part in
            ledger.record(part.transferID).map { $0.kind == .pending || part.settledMicroCredits == part.amountMicroCredits } ?? false
        }, "every open escrow part is a pending transfer in the ledger")
    }
}
