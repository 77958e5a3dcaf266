import Foundation
import GRDB
import OSGCore
import OSGDomain
import OSGLedger
import Synchronization

/// Durable, append-only storage of ledger batches, in the order they were applied.
///
/// The ledger's state is the replay of its journal; `append` returns only once the batch is
/// durable, so a batch may be acknowledged as soon as it returns.
public protocol LedgerJournal: Sendable {
    /// Number of batches stored.
    func count() async throws(StoreError) -> UInt64
    /// Durably stores `batch` as batch number `sequence` (which must equal ``count()``).
    func append(_ batch: [LedgerOperation], sequence: UInt64) async throws(StoreError)
    /// Up to `limit` batches from number `start`.
    func batches(from start: UInt64, limit: Int) async throws(StoreError) -> [[LedgerOperation]]
}

/// Ledger batches in SQLite: one row per batch in `ledger_batch`, one transaction per batch
/// (group commit: thousands of transfers share one `fsync`).
public final class SQLiteLedgerJournal: LedgerJournal {
    private let database: SQLiteDatabase

    /// Opens (creating if needed) the journal in the SQLite file at `path`; it may share the
    /// file with a command log store.
    public init(path: String) throws(StoreError) {
        database = try SQLiteDatabase(path: path)
    }

    public func count() throws(StoreError) -> UInt64 {
        try database.run("counting ledger_batch") { queue in try queue.read { db in try RecordTable.ledgerBatch.count(db) } }
    }

    public func append(_ batch: [LedgerOperation], sequence: UInt64) throws(StoreError) {
        let body = Data(LedgerBatchCodec.encode(batch))
        try database.run("appending to ledger_batch") { queue in
            try queue.write { db in try RecordTable.ledgerBatch.append([body], first: sequence, db) }
        }
    }

    public func batches(from start: UInt64, limit: Int) throws(StoreError) -> [[LedgerOperation]] {
        let bodies = try database.run("reading ledger_batch") { queue in
            try queue.read { db in try RecordTable.ledgerBatch.read(from: start, limit: limit, db) }
        }
        return try LedgerBatchRecords.decode(bodies.map { Array($0) }, from: start)
    }
}

/// Ledger batches in memory: the fake beside ``SQLiteLedgerJournal``. It keeps the encoded
/// bytes, so tests exercise the codec exactly as the durable journal does.
public final class InMemoryLedgerJournal: LedgerJournal {
    private let bodies = Mutex<[[UInt8]]>([])

    public init() {}

    public func count() throws(StoreError) -> UInt64 { bodies.withLock { UInt64($0.count) } }

    public func append(_ batch: [LedgerOperation], sequence: UInt64) throws(StoreError) {
        let body = LedgerBatchCodec.encode(batch)
        try bodies.withLock { (bodies: inout [[UInt8]]) throws(StoreError) in
            guard sequence == UInt64(bodies.count) else {
                throw StoreError(.notContiguous, "ledger batch \(sequence) does not follow \(bodies.count) stored batches")
            }
            bodies.append(body)
        }
    }

    public func batches(from start: UInt64, limit: Int) throws(StoreError) -> [[LedgerOperation]] {
        let slice = bodies.withLock { bodies -> [[UInt8]] in
            guard start < UInt64(bodies.count) else { return [] }
            return Array(bodies[Int(start)..<min(bodies.count, Int(start) + limit)])
        }
        return try LedgerBatchRecords.decode(slice, from: start)
    }
}

/// Decoding of stored ledger batches, shared by every journal.
enum LedgerBatchRecords {
    /// The batches in `bodies`, which hold batch numbers `start, start+1, …`.
    static func decode(_ bodies: [[UInt8]], from start: UInt64) throws(StoreError) -> [[LedgerOperation]] {
        var result: [[LedgerOperation]] = []
        result.reserveCapacity(bodies.count)
        for (offset, body) in bodies.enumerated() {
            do {
                result.append(try LedgerBatchCodec.decode(body))
            } catch {
                throw StoreError(.corrupt, "ledger batch \(start + UInt64(offset)) does not decode: \(error)")
            }
        }
        return result
    }
}
