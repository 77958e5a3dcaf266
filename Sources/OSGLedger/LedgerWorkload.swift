import OSGDomain
/// A seeded, deterministic transfer workload for `osg bench ledger`: many funded accounts and
/// a mix of posted transfers (60 %), pending transfers (20 %), posts (10 %, half of them
/// partial) and voids (10 %) of earlier pendings, cut into batches.
///
/// Every operation of the batches succeeds against the setup, so the figure measures applied
/// transfers, not rejections.
public struct LedgerWorkload: Sendable {
    /// Operations that create and fund the accounts (not timed).
    public let setup: [LedgerOperation]
    /// The timed batches.
    public let batches: [[LedgerOperation]]
    /// Number of operations in `batches`.
    public var transferCount: Int { batches.reduce(0) { $0 + $1.count } }

    /// Generates a workload.
    ///
    /// - Parameters:
    ///   - seed: the generator seed.
    ///   - accountCount: funded accounts (ids 2…accountCount+1; id 1 is the external source).
    ///   - transferCount: operations in the batches.
    ///   - batchSize: operations per batch (TigerBeetle's 8,190 by default).
    public init(seed: UInt64 = 42, accountCount: Int = 10_000, transferCount: Int, batchSize: Int = 8_190) {
        precondition(accountCount >= 2 && batchSize >= 1 && transferCount >= 0, "invalid workload shape")
        var random = SplitMix64(seed: seed)
        var setup: [LedgerOperation] = [.createAccount(Account(id: 1, code: .external))]
        for index in 0..<accountCount {
            setup.append(.createAccount(Account(id: UInt64(index + 2), flags: .debitsMustNotExceedCredits, code: .tenant)))
        }
        var nextID: UInt64 = 1
        for index in 0..<accountCount {
            setup.append(.transfer(TransferRequest(
                id: nextID, debitAccountID: 1, creditAccountID: UInt64(index + 2),
                amountMicroCredits: 1_000_000_000_000, code: .deposit)))
            nextID += 1
        }
        var openPendings: [(id: UInt64, amount: UInt64)] = []
        var operations: [LedgerOperation] = []
        operations.reserveCapacity(transferCount)
        for _ in 0..<transferCount {
            let roll = random.next(below: 100)
            let id = nextID
            nextID += 1
            if roll >= 80, !openPendings.isEmpty {
                let pick = Int(random.next(below: UInt64(openPendings.count)))
                let pending = openPendings[pick]
                openPendings.swapAt(pick, openPendings.count - 1)
                openPendings.removeLast()
                if roll >= 90 {
                    operations.append(.resolve(.void(id: id, pendingID: pending.id)))
                } else {
                    let partial = random.next(below: 2) == 0
                    let amount: UInt64? = partial ? 1 + random.next(below: pending.amount) : nil
                    operations.append(.resolve(.post(id: id, pendingID: pending.id, amountMicroCredits: amount)))
                }
                continue
            }
            let debit = 2 + random.next(below: UInt64(accountCount))
            var credit = 2 + random.next(below: UInt64(accountCount - 1))
            if credit >= debit { credit += 1 }
            let amount = 1 + random.next(below: 1_000)
            let isPending = roll >= 60
            let timeout: UInt64 = isPending && random.next(below: 2) == 0 ? 3_600 : 0
            operations.append(.transfer(TransferRequest(
                id: id, debitAccountID: debit, creditAccountID: credit, amountMicroCredits: amount,
                isPending: isPending, timeoutSeconds: timeout)))
            if isPending { openPendings.append((id, amount)) }
        }
        var batches: [[LedgerOperation]] = []
        var start = 0
        while start < operations.count {
            let end = min(start + batchSize, operations.count)
            batches.append(Array(operations[start..<end]))
            start = end
        }
        self.setup = setup
        self.batches = batches
    }
}
