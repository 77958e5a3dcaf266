import HeapModule
/// The in-memory, TigerBeetle-style double-entry ledger.
///
/// Accounts live in a flat array indexed through a dictionary; applied records live in an
/// append-only array; expiries in a heap ordered by (deadline, id). Nothing iterates a
/// dictionary, so results never depend on hash order. Checks run in the order of DESIGN.md §5:
/// id, accounts, amount, limits (then the overflow extensions).
///
/// ```swift
/// var ledger = DoubleEntryLedger()
/// _ = ledger.apply([
///     .createAccount(Account(id: 1)),
///     .createAccount(Account(id: 2, flags: .debitsMustNotExceedCredits)),
///     .transfer(TransferRequest(id: 10, debitAccountID: 1, creditAccountID: 2, amountMicroCredits: 500)),
/// ])  // [.single(.ok), .single(.ok), .single(.ok)]
/// ```
public struct DoubleEntryLedger: Ledger {
    /// Undo entries for a linked chain in progress.
    enum JournalEntry: Sendable {
        case account(index: Int32, before: Account)
        case record(index: Int32, before: TransferRecord)
    }

    var accounts: [Account] = []
    var accountIndexByID: [UInt64: Int32] = [:]
    var records: [TransferRecord] = []
    /// Client ids (transfers, posts, voids) → record index. Expiry records are not in it.
    var recordIndexByID: [UInt64: Int32] = [:]
    var expiryQueue = Heap<ExpiryEntry>()
    /// Indices of the pending records still open (derived from `records`), so the debug-build
    /// invariant check costs what is live, not the whole history (``checkLiveInvariants()``).
    var openPendingIndices: Set<Int32> = []
    var journal: [JournalEntry] = []
    /// The current logical time, in seconds.
    public internal(set) var nowSeconds: UInt64 = 0

    /// Creates an empty ledger, optionally reserving room to avoid rehashing.
    public init(expectedAccounts: Int = 0, expectedTransfers: Int = 0) {
        accounts.reserveCapacity(expectedAccounts)
        accountIndexByID.reserveCapacity(expectedAccounts)
        records.reserveCapacity(expectedTransfers)
        recordIndexByID.reserveCapacity(expectedTransfers)
    }

    /// Number of accounts.
    public var accountCount: Int { accounts.count }
    /// Number of history records (transfers, posts, voids, expiries).
    public var recordCount: Int { records.count }

    /// All accounts ordered by id.
    public var accountsByID: [Account] { accounts.sorted { $0.id < $1.id } }

    public func account(_ id: UInt64) -> Account? {
        guard let index = accountIndexByID[id] else { return nil }
        return accounts[Int(index)]
    }

    /// The applied transfer, post or void with this client id, if any.
    public func record(_ id: UInt64) -> TransferRecord? {
        guard let index = recordIndexByID[id] else { return nil }
        return records[Int(index)]
    }

    public func history(of accountID: UInt64) -> [TransferRecord] {
        guard let accountIndex = accountIndexByID[accountID] else { return [] }
        var result: [TransferRecord] = []
        var next = accounts[Int(accountIndex)].newestRecordIndex
        while next >= 0 {
            let record = records[Int(next)]
            result.append(record)
            next = record.debitAccountID == accountID ? record.previousDebitRecordIndex : record.previousCreditRecordIndex
        }
        result.reverse()
        return result
    }

    // MARK: - Applying

    public mutating func apply(_ batch: [LedgerOperation]) -> [LedgerResult] {
        var results: [LedgerResult] = []
        results.reserveCapacity(batch.count)
        for operation in batch {
            results.append(apply(operation))
        }
        assert(checkLiveInvariants().isEmpty, "ledger invariant broken: \(checkLiveInvariants())")
        return results
    }

    public mutating func apply(_ operation: LedgerOperation) -> LedgerResult {
        switch operation {
        case .createAccount(let account):
            return .single(createAccount(account))
        case .transfer(let request):
            return .single(createTransfer(request, journaling: false))
        case .resolve(let resolution):
            return .single(resolvePending(resolution, journaling: false))
        case .tick(let nowSeconds):
            tick(nowSeconds: nowSeconds)
            return .single(.ok)
        case .linked(let events):
            return .chain(applyLinked(events))
        }
    }

    /// Creates an account; an existing id answers `exists` or `exists_with_different_fields`.
    public mutating func createAccount(_ account: Account) -> LedgerResultCode {
        if let index = accountIndexByID[account.id] {
            let existing = accounts[Int(index)]
            return existing.flags == account.flags && existing.code == account.code ? .exists : .existsWithDifferentFields
        }
        if account.flags.contains(.debitsMustNotExceedCredits), account.flags.contains(.creditsMustNotExceedDebits) {
            return .flagsAreMutuallyExclusive
        }
        var fresh = Account(id: account.id, flags: account.flags, code: account.code)
        fresh.newestRecordIndex = -1
        accountIndexByID[account.id] = Int32(accounts.count)
        accounts.append(fresh)
        return .ok
    }

    /// Advances logical time to `nowSeconds` (never backwards) and expires, in (deadline, id)
    /// order, every open pending transfer whose creation time + timeout ≤ now.
    public mutating func tick(nowSeconds newNow: UInt64) {
        if newNow > nowSeconds { nowSeconds = newNow }
        while let top = expiryQueue.min, top.expiresAtSeconds <= nowSeconds {
            _ = expiryQueue.popMin()
            let index = Int(top.recordIndex)
            // Skip stale entries: resolved pendings and pendings of rolled-back chains.
            guard index < records.count else { continue }
            let pending = records[index]
            guard pending.kind == .pending, pending.pendingState == .open, pending.id == top.transferID,
                  pending.timestampSeconds &+ pending.timeoutSeconds == top.expiresAtSeconds
            else { continue }
            let debitIndex = Int(accountIndexByID[pending.debitAccountID]!)
            let creditIndex = Int(accountIndexByID[pending.creditAccountID]!)
            records[index].pendingState = .expired
            openPendingIndices.remove(Int32(index))
            let recordIndex = Int32(records.count)
            records.append(TransferRecord(
                id: pending.id, kind: .expirePending, debitAccountID: pending.debitAccountID,
                creditAccountID: pending.creditAccountID, amountMicroCredits: pending.amountMicroCredits,
                pendingID: pending.id, timestampSeconds: nowSeconds, code: pending.code,
                previousDebitRecordIndex: accounts[debitIndex].newestRecordIndex,
                previousCreditRecordIndex: accounts[creditIndex].newestRecordIndex
            ))
            accounts[debitIndex].debitsPendingMicroCredits -= pending.amountMicroCredits
            accounts[debitIndex].newestRecordIndex = recordIndex
            accounts[creditIndex].creditsPendingMicroCredits -= pending.amountMicroCredits
            accounts[creditIndex].newestRecordIndex = recordIndex
        }
    }

    // MARK: - Events

    /// Creates a transfer. Checks: id, accounts, same account, amount, limits, overflow.
    @inline(__always)
    mutating func createTransfer(_ request: TransferRequest, journaling: Bool) -> LedgerResultCode {
        if let existing = recordIndexByID[request.id] {
            return records[Int(existing)].matches(request) ? .exists : .existsWithDifferentFields
        }
        guard let debitIndex32 = accountIndexByID[request.debitAccountID],
              let creditIndex32 = accountIndexByID[request.creditAccountID]
        else { return .accountNotFound }
        if debitIndex32 == creditIndex32 { return .sameAccount }
        let amount = request.amountMicroCredits
        if amount == 0 { return .amountZero }
        let debitIndex = Int(debitIndex32)
        let creditIndex = Int(creditIndex32)
        var debit = accounts[debitIndex]
        var credit = accounts[creditIndex]

        // Overflow on the way to a limit means the limit is exceeded.
        let (debitsTotal, debitsOverflow1) = debit.debitsPendingMicroCredits.addingReportingOverflow(debit.debitsPostedMicroCredits)
        let (debitsAfter, debitsOverflow2) = debitsTotal.addingReportingOverflow(amount)
        let debitsOverflow = debitsOverflow1 || debitsOverflow2
        let (creditsTotal, creditsOverflow1) = credit.creditsPendingMicroCredits.addingReportingOverflow(credit.creditsPostedMicroCredits)
        let (creditsAfter, creditsOverflow2) = creditsTotal.addingReportingOverflow(amount)
        let creditsOverflow = creditsOverflow1 || creditsOverflow2
        if debit.flags.contains(.debitsMustNotExceedCredits), debitsOverflow || debitsAfter > debit.creditsPostedMicroCredits {
            return .exceedsCredits
        }
        if credit.flags.contains(.creditsMustNotExceedDebits), creditsOverflow || creditsAfter > credit.debitsPostedMicroCredits {
            return .exceedsDebits
        }
        if debitsOverflow { return .overflowsDebits }
        if creditsOverflow { return .overflowsCredits }
        var expiresAt: UInt64 = 0
        if request.isPending, request.timeoutSeconds > 0 {
            let (deadline, overflow) = nowSeconds.addingReportingOverflow(request.timeoutSeconds)
            if overflow { return .overflowsTimeout }
            expiresAt = deadline
        }

        if journaling {
            journal.append(.account(index: debitIndex32, before: debit))
            journal.append(.account(index: creditIndex32, before: credit))
        }
        let recordIndex = Int32(truncatingIfNeeded: records.count)
        precondition(records.count < Int32.max, "ledger record capacity exhausted")
        records.append(TransferRecord(
            id: request.id, kind: request.isPending ? .pending : .posted,
            debitAccountID: request.debitAccountID, creditAccountID: request.creditAccountID,
            amountMicroCredits: amount, timeoutSeconds: request.timeoutSeconds,
            timestampSeconds: nowSeconds, code: request.code,
            previousDebitRecordIndex: debit.newestRecordIndex, previousCreditRecordIndex: credit.newestRecordIndex
        ))
        recordIndexByID[request.id] = recordIndex
        if request.isPending {
            openPendingIndices.insert(recordIndex)
            debit.debitsPendingMicroCredits &+= amount
            credit.creditsPendingMicroCredits &+= amount
            if expiresAt > 0 {
                expiryQueue.insert(.init(expiresAtSeconds: expiresAt, transferID: request.id, recordIndex: recordIndex))
            }
        } else {
            debit.debitsPostedMicroCredits &+= amount
            credit.creditsPostedMicroCredits &+= amount
        }
        debit.newestRecordIndex = recordIndex
        credit.newestRecordIndex = recordIndex
        accounts[debitIndex] = debit
        accounts[creditIndex] = credit
        return .ok
    }

    /// Posts or voids a pending transfer. Checks: id, pending found, already posted, already
    /// voided, expired, then the amount (explicit 0 → `amount_zero`, above the pending amount →
    /// `amount_exceeds_pending`). Posting never re-checks limits: the amount was reserved.
    mutating func resolvePending(_ request: PendingResolution, journaling: Bool) -> LedgerResultCode {
        if let existing = recordIndexByID[request.id] {
            return records[Int(existing)].matches(request) ? .exists : .existsWithDifferentFields
        }
        guard let pendingIndex32 = recordIndexByID[request.pendingID] else { return .pendingNotFound }
        let pendingIndex = Int(pendingIndex32)
        let pending = records[pendingIndex]
        guard pending.kind == .pending else { return .pendingNotFound }
        switch pending.pendingState {
        case .open: break
        case .posted: return .pendingAlreadyPosted
        case .voided: return .pendingAlreadyVoided
        case .expired: return .pendingExpired
        }
        var postedAmount: UInt64 = 0
        if request.action == .post {
            postedAmount = request.amountMicroCredits ?? pending.amountMicroCredits
            if postedAmount == 0 { return .amountZero }
            if postedAmount > pending.amountMicroCredits { return .amountExceedsPending }
        }
        let debitIndex32 = accountIndexByID[pending.debitAccountID]!
        let creditIndex32 = accountIndexByID[pending.creditAccountID]!
        let debitIndex = Int(debitIndex32)
        let creditIndex = Int(creditIndex32)
        var debit = accounts[debitIndex]
        var credit = accounts[creditIndex]
        if journaling {
            journal.append(.account(index: debitIndex32, before: debit))
            journal.append(.account(index: creditIndex32, before: credit))
            journal.append(.record(index: pendingIndex32, before: pending))
        }
        let recordIndex = Int32(truncatingIfNeeded: records.count)
        precondition(records.count < Int32.max, "ledger record capacity exhausted")
        let isPost = request.action == .post
        records.append(TransferRecord(
            id: request.id, kind: isPost ? .postPending : .voidPending,
            debitAccountID: pending.debitAccountID, creditAccountID: pending.creditAccountID,
            amountMicroCredits: isPost ? postedAmount : pending.amountMicroCredits,
            pendingID: request.pendingID, timestampSeconds: nowSeconds, code: pending.code,
            requestedAmountMicroCredits: request.amountMicroCredits,
            previousDebitRecordIndex: debit.newestRecordIndex, previousCreditRecordIndex: credit.newestRecordIndex
        ))
        recordIndexByID[request.id] = recordIndex
        records[pendingIndex].pendingState = isPost ? .posted : .voided
        openPendingIndices.remove(pendingIndex32)
        // debits_pending + debits_posted only shrinks here, so none of this can overflow.
        debit.debitsPendingMicroCredits -= pending.amountMicroCredits
        credit.creditsPendingMicroCredits -= pending.amountMicroCredits
        debit.debitsPostedMicroCredits += postedAmount
        credit.creditsPostedMicroCredits += postedAmount
        debit.newestRecordIndex = recordIndex
        credit.newestRecordIndex = recordIndex
        accounts[debitIndex] = debit
        accounts[creditIndex] = credit
        return .ok
    }

    /// Applies a linked chain: all events or none. On failure the first failing event keeps its
    /// own code, every other event reports `linked_event_failed`, and the state is restored
    /// exactly. An idempotent repeat (`exists`) inside a chain counts as a failure, as in
    /// TigerBeetle: a chain is applied whole or not at all.
    mutating func applyLinked(_ events: [LedgerEvent]) -> [LedgerResultCode] {
        journal.removeAll(keepingCapacity: true)
        let recordsBefore = records.count
        var failure: (index: Int, code: LedgerResultCode)?
        for (index, event) in events.enumerated() {
            let code: LedgerResultCode
            switch event {
            case .transfer(let request): code = createTransfer(request, journaling: true)
            case .resolve(let resolution): code = resolvePending(resolution, journaling: true)
            }
            if code != .ok {
                failure = (index, code)
                break
            }
        }
        guard let failure else {
            journal.removeAll(keepingCapacity: true)
            return Array(repeating: .ok, count: events.count)
        }
        // Roll back in reverse: account balances and pending states, then appended records.
        for entry in journal.reversed() {
            switch entry {
            case .account(let index, let before): accounts[Int(index)] = before
            case .record(let index, let before):
                records[Int(index)] = before
                if before.kind == .pending, before.pendingState == .open { openPendingIndices.insert(index) }
            }
        }
        journal.removeAll(keepingCapacity: true)
        while records.count > recordsBefore {
            openPendingIndices.remove(Int32(records.count - 1))
            let removed = records.removeLast()
            recordIndexByID[removed.id] = nil
        }
        var codes = Array(repeating: LedgerResultCode.linkedEventFailed, count: events.count)
        codes[failure.index] = failure.code
        return codes
    }
}
