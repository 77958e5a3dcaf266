@testable import OSGLedger
import Testing

/// Accounts: 1 unlimited (the source), 2 with debits_must_not_exceed_credits funded with 100,
/// 3 with credits_must_not_exceed_debits (took 40 of debits), 4 plain.
func fundedLedger() -> DoubleEntryLedger {
    var ledger = DoubleEntryLedger()
    let results = ledger.apply([
        .createAccount(Account(id: 1)),
        .createAccount(Account(id: 2, flags: .debitsMustNotExceedCredits)),
        .createAccount(Account(id: 3, flags: .creditsMustNotExceedDebits)),
        .createAccount(Account(id: 4)),
        .transfer(TransferRequest(id: 1, debitAccountID: 1, creditAccountID: 2, amountMicroCredits: 100)),
        .transfer(TransferRequest(id: 2, debitAccountID: 3, creditAccountID: 1, amountMicroCredits: 40)),
    ])
    precondition(results.allSatisfy { $0 == .single(.ok) })
    return ledger
}

func transfer(_ id: UInt64, _ debit: UInt64, _ credit: UInt64, _ amount: UInt64, pending: Bool = false, timeout: UInt64 = 0) -> LedgerOperation {
    .transfer(TransferRequest(id: id, debitAccountID: debit, creditAccountID: credit, amountMicroCredits: amount, isPending: pending, timeoutSeconds: timeout))
}

@Suite("Every result code, and the order in which the checks run")
struct ResultCodeTests {
    @Test("each transfer check gives its own code", arguments: [
        (transfer(1, 1, 2, 100), LedgerResultCode.exists),
        (transfer(1, 1, 2, 101), .existsWithDifferentFields),
        (transfer(1, 1, 2, 100, pending: true), .existsWithDifferentFields),
        (transfer(10, 9, 2, 5), .accountNotFound),
        (transfer(10, 2, 9, 5), .accountNotFound),
        (transfer(10, 4, 4, 5), .sameAccount),
        (transfer(10, 1, 4, 0), .amountZero),
        (transfer(10, 2, 4, 101), .exceedsCredits),
        (transfer(10, 2, 4, 100), .ok),
        (transfer(10, 1, 3, 41), .exceedsDebits),
        (transfer(10, 1, 3, 40), .ok),
        (transfer(10, 2, 4, 101, pending: true), .exceedsCredits),
    ])
    func transferCodes(operation: LedgerOperation, expected: LedgerResultCode) {
        var ledger = fundedLedger()
        #expect(ledger.apply(operation) == .single(expected))
        #expect(ledger.checkInvariants().isEmpty)
    }

    @Test("checks run in order: id, accounts, same account, amount, limits", arguments: [
        // An existing id wins over everything else, even a missing account.
        (transfer(1, 9, 9, 0), LedgerResultCode.existsWithDifferentFields),
        // A missing account wins over same-account, a zero amount and limits.
        (transfer(10, 9, 9, 0), .accountNotFound),
        (transfer(10, 2, 9, 1_000), .accountNotFound),
        // Same account wins over a zero amount.
        (transfer(10, 2, 2, 0), .sameAccount),
        // A zero amount wins over limits (2 → 3 breaks nothing with 0; 2 has credits 100).
        (transfer(10, 2, 3, 0), .amountZero),
        // Both limits broken: the debit side is checked first.
        (transfer(10, 2, 3, 1_000), .exceedsCredits),
    ])
    func checkOrder(operation: LedgerOperation, expected: LedgerResultCode) {
        var ledger = fundedLedger()
        #expect(ledger.apply(operation) == .single(expected))
    }

    @Test("post and void codes: exists, not found, already posted/voided, expired, amount")
    func pendingCodes() {
        var ledger = fundedLedger()
        #expect(ledger.apply(transfer(10, 2, 4, 60, pending: true, timeout: 30)) == .single(.ok))
        #expect(ledger.apply(transfer(11, 2, 4, 10, pending: true)) == .single(.ok))
        #expect(ledger.apply(transfer(12, 2, 4, 10, pending: true, timeout: 5)) == .single(.ok))
        // Reservations count against the limit: 60 + 10 + 10 of 100 are pending.
        #expect(ledger.apply(transfer(13, 2, 4, 21)) == .single(.exceedsCredits))
        #expect(ledger.apply(.resolve(.post(id: 20, pendingID: 999))) == .single(.pendingNotFound))
        // A posted transfer and a post record are not pending transfers.
        #expect(ledger.apply(.resolve(.void(id: 20, pendingID: 1))) == .single(.pendingNotFound))
        #expect(ledger.apply(.resolve(.post(id: 20, pendingID: 10, amountMicroCredits: 61))) == .single(.amountExceedsPending))
        #expect(ledger.apply(.resolve(.post(id: 20, pendingID: 10, amountMicroCredits: 0))) == .single(.amountZero))
        #expect(ledger.apply(.resolve(.post(id: 20, pendingID: 10, amountMicroCredits: 25))) == .single(.ok))
        #expect(ledger.apply(.resolve(.post(id: 20, pendingID: 10, amountMicroCredits: 25))) == .single(.exists))
        #expect(ledger.apply(.resolve(.post(id: 20, pendingID: 10))) == .single(.existsWithDifferentFields))
        #expect(ledger.apply(.resolve(.void(id: 20, pendingID: 10))) == .single(.existsWithDifferentFields))
        #expect(ledger.apply(.resolve(.post(id: 21, pendingID: 20))) == .single(.pendingNotFound))
        #expect(ledger.apply(.resolve(.void(id: 21, pendingID: 10))) == .single(.pendingAlreadyPosted))
        #expect(ledger.apply(.resolve(.void(id: 21, pendingID: 11))) == .single(.ok))
        #expect(ledger.apply(.resolve(.void(id: 21, pendingID: 11))) == .single(.exists))
        #expect(ledger.apply(.resolve(.post(id: 22, pendingID: 11))) == .single(.pendingAlreadyVoided))
        ledger.tick(nowSeconds: 5)
        #expect(ledger.apply(.resolve(.post(id: 22, pendingID: 12))) == .single(.pendingExpired))
        // A transfer id used by a post is taken.
        #expect(ledger.apply(transfer(20, 2, 4, 25)) == .single(.existsWithDifferentFields))
        let account2 = ledger.account(2)!
        #expect(account2.debitsPendingMicroCredits == 0)
        #expect(account2.debitsPostedMicroCredits == 25)
        #expect(ledger.account(4)!.creditsPostedMicroCredits == 25)
        #expect(ledger.checkInvariants().isEmpty)
    }

    @Test("check order for posts: id before pending state before amount")
    func pendingCheckOrder() {
        var ledger = fundedLedger()
        #expect(ledger.apply(transfer(10, 2, 4, 60, pending: true)) == .single(.ok))
        #expect(ledger.apply(.resolve(.void(id: 11, pendingID: 10))) == .single(.ok))
        // Already voided wins over an amount that exceeds the pending amount.
        #expect(ledger.apply(.resolve(.post(id: 12, pendingID: 10, amountMicroCredits: 1_000))) == .single(.pendingAlreadyVoided))
        // An existing id wins over a missing pending transfer.
        #expect(ledger.apply(.resolve(.post(id: 10, pendingID: 999))) == .single(.existsWithDifferentFields))
    }

    @Test("expiry happens at the tick where creation time + timeout ≤ now, not before")
    func expiryAtTick() {
        var ledger = fundedLedger()
        ledger.tick(nowSeconds: 100)
        #expect(ledger.apply(transfer(10, 2, 4, 60, pending: true, timeout: 10)) == .single(.ok))
        ledger.tick(nowSeconds: 109)
        #expect(ledger.account(2)!.debitsPendingMicroCredits == 60)
        #expect(ledger.apply(.tick(nowSeconds: 110)) == .single(.ok))
        #expect(ledger.account(2)!.debitsPendingMicroCredits == 0)
        #expect(ledger.apply(.resolve(.void(id: 11, pendingID: 10))) == .single(.pendingExpired))
        // Time does not go back.
        ledger.tick(nowSeconds: 50)
        #expect(ledger.nowSeconds == 110)
        #expect(ledger.checkInvariants().isEmpty)
    }

    @Test("expiry order is (deadline, id) whatever the creation order")
    func expiryOrder() {
        var ledger = fundedLedger()
        _ = ledger.apply([transfer(30, 2, 4, 1, pending: true, timeout: 5), transfer(20, 2, 4, 1, pending: true, timeout: 5),
                          transfer(10, 2, 4, 1, pending: true, timeout: 9)])
        ledger.tick(nowSeconds: 10)
        let expiries = ledger.history(of: 4).filter { $0.kind == .expirePending }.map(\.id)
        #expect(expiries == [20, 30, 10])
    }

    @Test("account creation: exists, exists with different fields, contradictory flags")
    func accountCodes() {
        var ledger = fundedLedger()
        #expect(ledger.apply(.createAccount(Account(id: 2, flags: .debitsMustNotExceedCredits))) == .single(.exists))
        #expect(ledger.apply(.createAccount(Account(id: 2))) == .single(.existsWithDifferentFields))
        #expect(ledger.apply(.createAccount(Account(id: 2, flags: .debitsMustNotExceedCredits, code: .tenant))) == .single(.existsWithDifferentFields))
        #expect(ledger.apply(.createAccount(Account(id: 5, flags: [.debitsMustNotExceedCredits, .creditsMustNotExceedDebits]))) == .single(.flagsAreMutuallyExclusive))
        #expect(ledger.account(5) == nil)
    }

    @Test("overflow is a result code, never a crash")
    func overflow() {
        var ledger = DoubleEntryLedger()
        _ = ledger.apply([.createAccount(Account(id: 1)), .createAccount(Account(id: 2)), .createAccount(Account(id: 3, flags: .debitsMustNotExceedCredits))])
        #expect(ledger.apply(transfer(1, 1, 2, .max)) == .single(.ok))
        #expect(ledger.apply(transfer(2, 1, 3, 1)) == .single(.overflowsDebits))
        #expect(ledger.apply(transfer(3, 3, 2, 1)) == .single(.exceedsCredits))
        #expect(ledger.apply(transfer(4, 3, 2, .max)) == .single(.exceedsCredits))
        #expect(ledger.apply(transfer(5, 3, 2, 0)) == .single(.amountZero))
        #expect(ledger.apply(transfer(6, 2, 1, 1)) == .single(.ok))
        #expect(ledger.apply(transfer(7, 3, 2, 1)) == .single(.exceedsCredits))
        _ = ledger.apply(.createAccount(Account(id: 4)))
        #expect(ledger.apply(transfer(8, 4, 2, 1)) == .single(.overflowsCredits))
        ledger.tick(nowSeconds: 10)
        #expect(ledger.apply(transfer(9, 2, 4, 1, pending: true, timeout: .max)) == .single(.overflowsTimeout))
        #expect(ledger.checkInvariants().isEmpty)
    }

    @Test("every code has a distinct contract name that round-trips", arguments: LedgerResultCode.allCases)
    func names(code: LedgerResultCode) {
        #expect(LedgerResultCode(name: code.name) == code)
    }
}

@Suite("Linked chains are all or nothing")
struct LinkedChainTests {
    @Test("later events see earlier effects; the first failure keeps its code")
    func chainSeesEarlierEffects() {
        var ledger = fundedLedger()
        // 2 has 100; moving 100 out then 1 more fails on the second event.
        let result = ledger.apply(.linked([
            .transfer(TransferRequest(id: 10, debitAccountID: 2, creditAccountID: 4, amountMicroCredits: 100)),
            .transfer(TransferRequest(id: 11, debitAccountID: 2, creditAccountID: 4, amountMicroCredits: 1)),
            .transfer(TransferRequest(id: 12, debitAccountID: 1, creditAccountID: 4, amountMicroCredits: 1)),
        ]))
        #expect(result == .chain([.linkedEventFailed, .exceedsCredits, .linkedEventFailed]))
        let before = fundedLedger()
        #expect(ledger.stateDigest == before.stateDigest)
        #expect(ledger.record(10) == nil)
        // The ids of a failed chain are free again.
        #expect(ledger.apply(transfer(10, 2, 4, 100)) == .single(.ok))
    }

    @Test("a failed chain restores posts, voids and pendings exactly, and stale expiries do nothing")
    func rollbackRestoresEverything() {
        var ledger = fundedLedger()
        _ = ledger.apply(transfer(10, 2, 4, 50, pending: true, timeout: 10))
        let digest = ledger.stateDigest
        let result = ledger.apply(.linked([
            .resolve(.post(id: 11, pendingID: 10, amountMicroCredits: 20)),
            .transfer(TransferRequest(id: 12, debitAccountID: 2, creditAccountID: 4, amountMicroCredits: 30, isPending: true, timeoutSeconds: 5)),
            .transfer(TransferRequest(id: 12, debitAccountID: 2, creditAccountID: 4, amountMicroCredits: 30, isPending: true, timeoutSeconds: 5)),
        ]))
        // An idempotent repeat inside a chain fails the chain.
        #expect(result == .chain([.linkedEventFailed, .linkedEventFailed, .exists]))
        #expect(ledger.stateDigest == digest)
        #expect(ledger.checkInvariants().isEmpty)
        ledger.tick(nowSeconds: 20)
        #expect(ledger.account(2)!.debitsPendingMicroCredits == 0)
        #expect(ledger.history(of: 2).map(\.kind) == [.posted, .pending, .expirePending])
        #expect(ledger.checkInvariants().isEmpty)
    }

    @Test("a successful chain applies every event")
    func chainApplies() {
        var ledger = fundedLedger()
        let result = ledger.apply(.linked([
            .transfer(TransferRequest(id: 10, debitAccountID: 2, creditAccountID: 4, amountMicroCredits: 60, isPending: true)),
            .resolve(.post(id: 11, pendingID: 10, amountMicroCredits: 20)),
            .transfer(TransferRequest(id: 12, debitAccountID: 2, creditAccountID: 4, amountMicroCredits: 80)),
        ]))
        #expect(result == .chain([.ok, .ok, .ok]))
        #expect(ledger.account(2)!.debitsPostedMicroCredits == 100)
        #expect(ledger.apply(.linked([])) == .chain([]))
    }
}

@Suite("Account history")
struct HistoryTests {
    @Test("every applied record touching an account is listed, oldest first; failures leave none")
    func history() {
        var ledger = fundedLedger()
        _ = ledger.apply([
            transfer(10, 2, 4, 30, pending: true, timeout: 10),
            .resolve(.post(id: 11, pendingID: 10, amountMicroCredits: 10)),
            transfer(12, 2, 4, 1_000),
            transfer(13, 4, 1, 5),
            transfer(14, 2, 4, 5, pending: true, timeout: 1),
            .tick(nowSeconds: 1),
        ])
        #expect(ledger.history(of: 2).map(\.id) == [1, 10, 11, 14, 14])
        #expect(ledger.history(of: 2).map(\.kind) == [.posted, .pending, .postPending, .pending, .expirePending])
        #expect(ledger.history(of: 4).map(\.id) == [10, 11, 13, 14, 14])
        #expect(ledger.history(of: 1).map(\.id) == [1, 2, 13])
        #expect(ledger.history(of: 99).isEmpty)
        #expect(ledger.record(11)?.amountMicroCredits == 10)
        #expect(ledger.record(10)?.pendingState == .posted)
    }
}
