import Foundation
import OSGDomain
import GRDB
import OSGCore

/// The embedded default store: the command log in one SQLite file (WAL, `synchronous=FULL`).
///
/// A batch is one transaction (group commit): when ``append(_:)`` returns, the whole batch is
/// on disk, and a crash at any instant leaves either all of it or none of it. Entries are kept
/// in their canonical bytes (`LogEntry.leafBytes`), the same bytes the transparency log hashes;
/// entries written as canonical JSON by earlier versions are still read.
///
/// ```swift
/// let store = try SQLiteCommandLogStore(path: "osg-data/osg.sqlite")
/// try store.initialize(genesis: genesis)
/// try store.append(entries)   // durable on return
/// ```
public final class SQLiteCommandLogStore: CommandLogStore {
    let database: SQLiteDatabase

    /// Opens (creating if needed) the store at `path` and brings its schema up to date.
    public init(path: String) throws(StoreError) {
        database = try SQLiteDatabase(path: path)
    }

    public func genesis() throws(StoreError) -> Genesis? {
        let bytes = try database.run("reading log_header") { queue in
            try queue.read { db in try Data.fetchOne(db, sql: "SELECT genesis FROM log_header WHERE id = 1") }
        }
        guard let bytes else { return nil }
        do {
            return try CanonicalEncoding.decode(Genesis.self, from: bytes)
        } catch {
            throw StoreError(.corrupt, "log_header.genesis does not decode: \(error)")
        }
    }

    public func initialize(genesis: Genesis) throws(StoreError) {
        if let existing = try self.genesis() {
            guard existing == genesis else {
                throw StoreError(.genesisMismatch, "the store holds a log with another genesis")
            }
            return
        }
        let bytes = Data(CanonicalEncoding.bytes(of: genesis))
        try database.run("writing log_header") { queue in
            try queue.write { db in
                try db.execute(sql: "INSERT INTO log_header (id, genesis) VALUES (1, ?)", arguments: [bytes])
            }
        }
    }

    public func count() throws(StoreError) -> UInt64 {
        try database.run("counting log_entry") { queue in try queue.read { db in try RecordTable.logEntry.count(db) } }
    }

    public func append(_ entries: [LogEntry]) throws(StoreError) {
        try append(entries, nonces: [], forgettingNoncesBefore: .min)
    }

    public func append(_ entries: [LogEntry], nonces: [AcceptedNonce], forgettingNoncesBefore cutoff: Int64) throws(StoreError) {
        guard let first = entries.first else { return }
        try Self.checkContiguous(entries, after: first.sequence)
        let bodies = entries.map { Data($0.leafBytes) }
        try database.run("appending to log_entry") { queue in
            try queue.write { db in
                try RecordTable.logEntry.append(bodies, first: first.sequence, db)
                try NonceTable.record(nonces, firstSequence: first.sequence, forgettingBefore: cutoff, db)
            }
        }
    }

    public func acceptedNonces(since cutoff: Int64) throws(StoreError) -> [AcceptedNonce] {
        try database.run("reading request_nonce") { queue in try queue.read { db in try NonceTable.read(since: cutoff, db) } }
    }

    /// ``append(_:)`` for entries whose canonical bytes the caller already has
    /// (`LogEntry.leafBytes`, the transparency log's leaves), so the durable path encodes each
    /// entry once for the store and the published log.
    ///
    /// - Precondition: `leaves[i]` is the canonical encoding of `entries[i]` (checked in debug
    ///   builds).
    public func append(_ entries: [LogEntry], leaves: [[UInt8]]) throws(StoreError) {
        precondition(entries.count == leaves.count, "one leaf per entry")
        assert(zip(entries, leaves).allSatisfy { $0.leafBytes == $1 }, "leaves are the entries' canonical bytes")
        guard let first = entries.first else { return }
        try Self.checkContiguous(entries, after: first.sequence)
        let bodies = leaves.map { Data($0) }
        try database.run("appending to log_entry") { queue in
            try queue.write { db in try RecordTable.logEntry.append(bodies, first: first.sequence, db) }
        }
    }

    public func entries(from start: UInt64, limit: Int) throws(StoreError) -> [LogEntry] {
        let bodies = try database.run("reading log_entry") { queue in
            try queue.read { db in try RecordTable.logEntry.read(from: start, limit: limit, db) }
        }
        return try CommandLogRecords.decode(bodies, from: start)
    }
}
