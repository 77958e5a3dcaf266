import OSGCore
import OSGDomain
import OSGLedger

/// A ledger whose every batch is journaled durably before it is applied.
///
/// Opening a durable ledger replays its journal, so after a crash at any instant the ledger
/// holds exactly the batches whose `apply` had returned (and possibly the one in flight, if
/// its transaction committed before the crash — it was durable, so it counts).
public struct DurableLedger<Journal: LedgerJournal> {
    /// The in-memory ledger: always the replay of the journal.
    public private(set) var ledger: DoubleEntryLedger
    /// Where batches are kept.
    public let journal: Journal
    private var batchCount: UInt64

    /// Opens `journal` and replays it into a fresh ledger.
    public init(journal: Journal, expectedAccounts: Int = 0, expectedTransfers: Int = 0) async throws(StoreError) {
        var ledger = DoubleEntryLedger(expectedAccounts: expectedAccounts, expectedTransfers: expectedTransfers)
        var next: UInt64 = 0
        while true {
            let page = try await journal.batches(from: next, limit: 256)
            for batch in page { _ = ledger.apply(batch) }
            next += UInt64(page.count)
            if page.count < 256 { break }
        }
        self.ledger = ledger
        self.journal = journal
        batchCount = next
    }

    /// Journals `batch` durably, then applies it; the results are safe to acknowledge.
    public mutating func apply(_ batch: [LedgerOperation]) async throws(StoreError) -> [LedgerResult] {
        try await journal.append(batch, sequence: batchCount)
        batchCount += 1
        return ledger.apply(batch)
    }
}
