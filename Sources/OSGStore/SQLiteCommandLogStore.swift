import Foundation
import GRDB
import OSGCore

/// The embedded default store: the command log in one SQLite file (WAL, `synchronous=FULL`).
///
/// A batch is one transaction (group commit): when ``append(_:)`` returns, the whole batch is
/// on disk, and a crash at any instant leaves either all of it or none of it. Entries are kept
/// in their canonical bytes, the same bytes the transparency log hashes.
///
/// ```swift
/// let store = try SQLiteCommandLogStore(path: "osg-data/log.sqlite")
/// try store.initialize(genesis: genesis)
/// try store.append(entries)   // durable on return
/// ```
public final class SQLiteCommandLogStore: CommandLogStore {
    private let database: DatabaseQueue

    /// Opens (creating if needed) the store at `path` and brings its schema up to date.
    public init(path: String) throws(StoreError) {
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        do {
            database = try DatabaseQueue(path: path, configuration: configuration)
            try Self.migrator.migrate(database)
        } catch {
            throw StoreError(.io, "cannot open \(path): \(error)")
        }
    }

    /// Append-only, named migrations; the schema carries the invariants.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-command-log") { db in
            try db.create(table: "log_header") { table in
                table.column("id", .integer).primaryKey().check { $0 == 1 }
                table.column("genesis", .blob).notNull()
            }
            try db.create(table: "log_entry") { table in
                table.column("sequence", .integer).primaryKey().check { $0 >= 0 }
                table.column("time", .integer).notNull()
                table.column("body", .blob).notNull()
            }
        }
        return migrator
    }

    private func run<T>(_ what: String, _ body: () throws -> T) throws(StoreError) -> T {
        do {
            return try body()
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.io, "\(what): \(error)")
        }
    }

    public func genesis() throws(StoreError) -> Genesis? {
        let bytes = try run("reading log_header") {
            try database.read { db in try Data.fetchOne(db, sql: "SELECT genesis FROM log_header WHERE id = 1") }
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
        try run("writing log_header") {
            try database.write { db in
                try db.execute(sql: "INSERT INTO log_header (id, genesis) VALUES (1, ?)", arguments: [bytes])
            }
        }
    }

    public func count() throws(StoreError) -> UInt64 {
        try run("counting log_entry") {
            try database.read { db in try Self.count(db) }
        }
    }

    private static func count(_ db: Database) throws -> UInt64 {
        let last = try Int64.fetchOne(db, sql: "SELECT MAX(sequence) FROM log_entry")
        return last.map { UInt64($0) + 1 } ?? 0
    }

    public func append(_ entries: [LogEntry]) throws(StoreError) {
        guard !entries.isEmpty else { return }
        let bodies = entries.map { Data(CanonicalEncoding.bytes(of: $0)) }
        try run("appending to log_entry") {
            try database.write { db in
                try Self.checkContiguous(entries, after: try Self.count(db))
                let insert = try db.cachedStatement(sql: "INSERT INTO log_entry (sequence, time, body) VALUES (?, ?, ?)")
                for (entry, body) in zip(entries, bodies) {
                    try insert.execute(arguments: [Int64(entry.sequence), entry.time.secondsSinceEpoch, body])
                }
            }
        }
    }

    public func entries(from start: UInt64, limit: Int) throws(StoreError) -> [LogEntry] {
        let rows = try run("reading log_entry") {
            try database.read { db in
                try Row.fetchAll(
                    db, sql: "SELECT sequence, body FROM log_entry WHERE sequence >= ? ORDER BY sequence LIMIT ?",
                    arguments: [Int64(start), limit])
            }
        }
        var result: [LogEntry] = []
        result.reserveCapacity(rows.count)
        for row in rows {
            let sequence: Int64 = row["sequence"]
            let body: Data = row["body"]
            let entry: LogEntry
            do {
                entry = try CanonicalEncoding.decode(LogEntry.self, from: body)
            } catch {
                throw StoreError(.corrupt, "log_entry \(sequence) does not decode: \(error)")
            }
            guard entry.sequence == UInt64(sequence), entry.sequence == start + UInt64(result.count) else {
                throw StoreError(.corrupt, "log_entry \(sequence) holds sequence \(entry.sequence); the log has a gap or was altered")
            }
            result.append(entry)
        }
        return result
    }
}
