import Foundation
import GRDB
import OSGCore
import OSGDomain
import OSGLedger
import OSGStore
import Testing

/// A seeded mix of every operation kind, including linked chains and ticks, with failures.
func ledgerBatches(seed: UInt64, batches: Int) -> [[LedgerOperation]] {
    var random = SplitMix64(seed: seed)
    var nextID: UInt64 = 1_000
    var result: [[LedgerOperation]] = [(1...12).map { id in
        .createAccount(Account(id: UInt64(id), flags: id % 3 == 0 ? .debitsMustNotExceedCredits : [], code: .tenant))
    }]
    func transfer() -> TransferRequest {
        nextID += 1
        let pending = random.next(below: 3) == 0
        return TransferRequest(
            id: nextID, debitAccountID: random.next(below: 13), creditAccountID: random.next(below: 13),
            amountMicroCredits: random.next(below: 500), isPending: pending,
            timeoutSeconds: pending ? random.next(below: 100) : 0, code: .escrow)
    }
    for batchIndex in 0..<batches {
        var batch: [LedgerOperation] = []
        for _ in 0..<Int(random.next(below: 40) + 1) {
            switch random.next(below: 10) {
            case 0..<5: batch.append(.transfer(transfer()))
            case 5, 6:
                nextID += 1
                let pendingID = 1_000 + random.next(below: nextID - 1_000)
                batch.append(.resolve(random.next(below: 2) == 0
                    ? .post(id: nextID, pendingID: pendingID, amountMicroCredits: random.next(below: 2) == 0 ? nil : random.next(below: 300))
                    : .void(id: nextID, pendingID: pendingID)))
            case 7, 8: batch.append(.linked((0..<Int(random.next(below: 3) + 1)).map { _ in .transfer(transfer()) }))
            default: batch.append(.tick(nowSeconds: UInt64(batchIndex) * 10))
            }
        }
        result.append(batch)
    }
    return result
}

@Suite("Ledger batches round-trip through their binary form")
struct LedgerBatchCodecTests {
    @Test("every operation kind encodes and decodes to itself", arguments: 0..<20)
    func roundTrip(seed: Int) throws {
        for batch in ledgerBatches(seed: UInt64(seed), batches: 10) {
            #expect(try LedgerBatchCodec.decode(LedgerBatchCodec.encode(batch)) == batch)
        }
    }

    @Test("truncated, padded and unknown input is refused with the offset")
    func malformed() throws {
        let bytes = LedgerBatchCodec.encode(ledgerBatches(seed: 1, batches: 2)[1])
        #expect(throws: LedgerBatchCodec.DecodingError.self) { try LedgerBatchCodec.decode(Array(bytes.dropLast())) }
        #expect(throws: LedgerBatchCodec.DecodingError.self) { try LedgerBatchCodec.decode(bytes + [0]) }
        #expect(throws: LedgerBatchCodec.DecodingError.self) { try LedgerBatchCodec.decode([1, 0, 0, 0, 9]) }
        #expect(throws: LedgerBatchCodec.DecodingError.self) { try LedgerBatchCodec.decode([]) }
        // A linked chain may not contain an account creation.
        #expect(throws: LedgerBatchCodec.DecodingError.self) { try LedgerBatchCodec.decode([1, 0, 0, 0, 5, 1, 0, 0, 0, 1]) }
    }
}

@Suite("The durable ledger: journaled before applied, recovered by replay")
struct DurableLedgerTests {
    @Test("crashes at random points lose nothing acknowledged", arguments: [3, 8, 13])
    func randomCrashes(seed: Int) async throws {
        var random = SplitMix64(seed: UInt64(seed))
        let batches = ledgerBatches(seed: UInt64(seed), batches: 80)
        let journal = InMemoryLedgerJournal()
        var durable = try await DurableLedger(journal: journal)
        var reference = DoubleEntryLedger()
        var refusals = 0
        for batch in batches {
            refusals += try await durable.apply(batch).count { !$0.isApplied }
            _ = reference.apply(batch)
            if random.next(below: 10) == 0 {
                durable = try await DurableLedger(journal: journal)  // drop the memory, replay the journal
            }
            #expect(durable.ledger.stateDigest == reference.stateDigest)
        }
        #expect(refusals > 0, "the workload includes refusals")
    }

    @Test("a damaged journal row is reported, not replayed")
    func corruption() async throws {
        let path = databasePath()
        do {
            var durable = try await DurableLedger(journal: try SQLiteLedgerJournal(path: path))
            for batch in ledgerBatches(seed: 2, batches: 5) { _ = try await durable.apply(batch) }
        }
        let raw = try DatabaseQueue(path: path)
        try await raw.write { db in try db.execute(sql: "UPDATE ledger_batch SET body = x'01000000ff' WHERE sequence = 2") }
        await #expect(throws: StoreError.self) { try await DurableLedger(journal: try SQLiteLedgerJournal(path: path)) }
    }

    @Test("a batch out of sequence is refused")
    func sequence() async throws {
        let journal = try SQLiteLedgerJournal(path: databasePath())
        await #expect(throws: StoreError.self) { try await journal.append([], sequence: 3) }
        try await journal.append([], sequence: 0)
        await #expect(throws: StoreError.self) { try await journal.append([], sequence: 0) }
    }
}
