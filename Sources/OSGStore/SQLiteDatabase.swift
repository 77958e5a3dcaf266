import Foundation
import GRDB
import GRDBSQLite
import OSGCore
import OSGDomain

/// One SQLite file with the project's schema, opened for durable writes (WAL,
/// `synchronous=FULL`): a transaction that returns is on disk.
final class SQLiteDatabase: Sendable {
    let queue: DatabaseQueue

    init(path: String) throws(StoreError) {
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            // 64 KiB pages for a new file (an existing one keeps its size): appends write the WAL
            // a page per system call, and 4 KiB pages made the write path's store time mostly
            // system calls (docs/TRANSPARENCY_LOG.md, "Performance").
            try db.execute(sql: "PRAGMA page_size = 65536")
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
            try Self.migrator.migrate(queue)
        } catch {
            throw StoreError(.io, "cannot open \(path): \(error)")
        }
        try Self.makePrivate(path)
    }

    /// Makes the database and its WAL and shared-memory files readable and writable by their
    /// owner only (0600): they hold every account's balance and every request.
    static func makePrivate(_ path: String) throws(StoreError) {
        for file in [path, path + "-wal", path + "-shm"] where FileManager.default.fileExists(atPath: file) {
            do {
                try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
            } catch {
                throw StoreError(.io, "cannot make \(file) private (0600): \(error.localizedDescription)")
            }
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
            try createRecordTable(RecordTable.logEntry.rawValue, in: db)
        }
        migrator.registerMigration("v2-ledger-journal") { db in
            try createRecordTable(RecordTable.ledgerBatch.rawValue, in: db)
        }
        migrator.registerMigration("v3-state-snapshots", migrate: SnapshotTables.createSQLite)
        migrator.registerMigration("v4-request-nonce-batches", migrate: NonceTable.createSQLite)
        migrator.registerMigration("v5-snapshot-segments", migrate: SnapshotTables.createSegmentsSQLite)
        return migrator
    }

    private static func createRecordTable(_ name: String, in db: Database) throws {
        try db.create(table: name) { table in
            table.column("sequence", .integer).primaryKey().check { $0 >= 0 }
            table.column("body", .blob).notNull()
        }
    }

    /// Runs `body`, turning database errors into ``StoreError`` that say what was being done.
    func run<T>(_ what: String, _ body: (DatabaseQueue) throws -> T) throws(StoreError) -> T {
        do {
            return try body(queue)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.io, "\(what): \(error)")
        }
    }
}

/// Append-only tables of `(sequence, body)` records, numbered from 0 without gaps.
enum RecordTable: String, Sendable {
    /// Command log entries (canonical JSON of `LogEntry`).
    case logEntry = "log_entry"
    /// Ledger batches (`LedgerBatchCodec`).
    case ledgerBatch = "ledger_batch"

    /// Records stored; the next record's sequence number.
    func count(_ db: Database) throws -> UInt64 {
        let last = try Int64.fetchOne(db, sql: "SELECT MAX(sequence) FROM \(rawValue)")
        return last.map { UInt64($0) + 1 } ?? 0
    }

    /// Inserts `bodies` as records `first, first+1, …`; `first` must equal ``count(_:)``.
    func append(_ bodies: [Data], first: UInt64, _ db: Database) throws {
        let stored = try count(db)
        guard first == stored else {
            throw StoreError(.notContiguous, "\(rawValue): batch starts at \(first) but the table holds \(stored) records")
        }
        let insert = try db.cachedStatement(sql: "INSERT INTO \(rawValue) (sequence, body) VALUES (?, ?)")
        // Bound and stepped through SQLite's C API: GRDB's argument arrays cost more per row
        // than the insert itself, and batches run to thousands of rows (the write path's floor
        // is 200,000 entries per second).
        let handle = insert.sqliteStatement
        for (offset, body) in bodies.enumerated() {
            let result = body.withUnsafeBytes { bytes -> Int32 in
                sqlite3_reset(handle)
                sqlite3_bind_int64(handle, 1, Int64(first + UInt64(offset)))
                // SQLITE_STATIC: the bytes outlive the step below.
                sqlite3_bind_blob(handle, 2, bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(bytes.count), nil)
                return sqlite3_step(handle)
            }
            guard result == SQLITE_DONE else {
                let message = String(cString: sqlite3_errmsg(db.sqliteConnection))
                sqlite3_reset(handle)
                throw StoreError(.io, "\(rawValue): inserting record \(first + UInt64(offset)): \(message) (SQLite code \(result))")
            }
        }
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    /// Up to `limit` records from `start`, checked to be consecutive.
    func read(from start: UInt64, limit: Int, _ db: Database) throws -> [Data] {
        let rows = try Row.fetchAll(
            db, sql: "SELECT sequence, body FROM \(rawValue) WHERE sequence >= ? ORDER BY sequence LIMIT ?",
            arguments: [Int64(start), limit])
        var bodies: [Data] = []
        bodies.reserveCapacity(rows.count)
        for row in rows {
            let sequence: Int64 = row["sequence"]
            guard UInt64(sequence) == start + UInt64(bodies.count) else {
                throw StoreError(.corrupt, "\(rawValue): record \(start + UInt64(bodies.count)) is missing; the table has a gap")
            }
            bodies.append(row["body"])
        }
        return bodies
    }
}
