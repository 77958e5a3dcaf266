/// A broken ledger invariant, found by ``DoubleEntryLedger/checkInvariants()``.
public struct LedgerInvariantViolation: Sendable, Hashable, CustomStringConvertible {
    /// What is broken, naming the account or the totals and the values.
    public let description: String
}

extension DoubleEntryLedger {
    /// Checks every invariant and returns what is broken (empty when all hold):
    /// - Σ debits_pending = Σ credits_pending and Σ debits_posted = Σ credits_posted (so the sum
    ///   of all balances is zero);
    /// - no flagged account is over its limit;
    /// - each account's pending balances equal the sum of its open pending transfers (nothing
    ///   pending beyond what was reserved);
    /// - every open pending transfer with a timeout has a deadline in the future.
    ///
    /// O(accounts + records): a decoded ledger is checked with it; debug builds check
    /// ``checkLiveInvariants()`` after every batch.
    public func checkInvariants() -> [LedgerInvariantViolation] {
        checkInvariants(openPendings: records.indices.lazy.filter { records[$0].kind == .pending && records[$0].pendingState == .open })
    }

    /// The same checks over the open pending transfers the ledger keeps an index of: O(accounts
    /// + open pendings), whatever the history. Runs after every batch in debug builds.
    public func checkLiveInvariants() -> [LedgerInvariantViolation] {
        var violations: [LedgerInvariantViolation] = []
        for index in openPendingIndices where !(Int(index) < records.count && records[Int(index)].kind == .pending && records[Int(index)].pendingState == .open) {
            violations.append(.init(description: "record \(index) is listed as an open pending transfer but is not one"))
        }
        return violations + checkInvariants(openPendings: openPendingIndices.lazy.map { Int($0) }.filter { $0 < records.count })
    }

    private func checkInvariants(openPendings: some Sequence<Int>) -> [LedgerInvariantViolation] {
        var violations: [LedgerInvariantViolation] = []
        var debitsPending: UInt128 = 0, debitsPosted: UInt128 = 0
        var creditsPending: UInt128 = 0, creditsPosted: UInt128 = 0
        for account in accounts {
            debitsPending += UInt128(account.debitsPendingMicroCredits)
            debitsPosted += UInt128(account.debitsPostedMicroCredits)
            creditsPending += UInt128(account.creditsPendingMicroCredits)
            creditsPosted += UInt128(account.creditsPostedMicroCredits)
            let debits = UInt128(account.debitsPendingMicroCredits) + UInt128(account.debitsPostedMicroCredits)
            let credits = UInt128(account.creditsPendingMicroCredits) + UInt128(account.creditsPostedMicroCredits)
            if account.flags.contains(.debitsMustNotExceedCredits), debits > UInt128(account.creditsPostedMicroCredits) {
                violations.append(.init(description: "account \(account.id): debits \(debits) exceed credits_posted \(account.creditsPostedMicroCredits)"))
            }
            if account.flags.contains(.creditsMustNotExceedDebits), credits > UInt128(account.debitsPostedMicroCredits) {
                violations.append(.init(description: "account \(account.id): credits \(credits) exceed debits_posted \(account.debitsPostedMicroCredits)"))
            }
        }
        if debitsPending != creditsPending {
            violations.append(.init(description: "Σ debits_pending \(debitsPending) ≠ Σ credits_pending \(creditsPending)"))
        }
        if debitsPosted != creditsPosted {
            violations.append(.init(description: "Σ debits_posted \(debitsPosted) ≠ Σ credits_posted \(creditsPosted)"))
        }
        var reservedDebits = Array(repeating: UInt128(0), count: accounts.count)
        var reservedCredits = Array(repeating: UInt128(0), count: accounts.count)
        for position in openPendings {
            let record = records[position]
            guard let debitIndex = accountIndexByID[record.debitAccountID],
                  let creditIndex = accountIndexByID[record.creditAccountID] else {
                violations.append(.init(description: "pending \(record.id) names a missing account"))
                continue
            }
            reservedDebits[Int(debitIndex)] += UInt128(record.amountMicroCredits)
            reservedCredits[Int(creditIndex)] += UInt128(record.amountMicroCredits)
            if record.timeoutSeconds > 0, record.timestampSeconds + record.timeoutSeconds <= nowSeconds {
                violations.append(.init(description: "pending \(record.id) is past its deadline but open"))
            }
        }
        for (index, account) in accounts.enumerated() {
            if reservedDebits[index] != UInt128(account.debitsPendingMicroCredits) {
                violations.append(.init(description: "account \(account.id): debits_pending \(account.debitsPendingMicroCredits) ≠ open pendings \(reservedDebits[index])"))
            }
            if reservedCredits[index] != UInt128(account.creditsPendingMicroCredits) {
                violations.append(.init(description: "account \(account.id): credits_pending \(account.creditsPendingMicroCredits) ≠ open pendings \(reservedCredits[index])"))
            }
        }
        return violations
    }
}
