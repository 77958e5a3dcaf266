import Foundation
import GRDB
import OSGCore
import OSGDomain

/// The snapshot tables, the same in SQLite and PostgreSQL:
/// - `snapshot (sequence, parts, size)`: one row per complete snapshot; its presence is what
///   makes the snapshot visible, so it is written last, in the transaction that checks the log.
/// - `snapshot_part (sequence, part, body)`: the bytes, in parts of ``SnapshotParts/partSize``.
/// - `clean_stop (id = 1, sequence, digest)`: the state at the last clean stop.
enum SnapshotTables {
    static func createSQLite(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE snapshot (sequence INTEGER PRIMARY KEY CHECK (sequence >= 0), parts INTEGER NOT NULL, size INTEGER NOT NULL);
            CREATE TABLE snapshot_part (sequence INTEGER NOT NULL, part INTEGER NOT NULL, body BLOB NOT NULL, PRIMARY KEY (sequence, part));
            CREATE TABLE clean_stop (id INTEGER PRIMARY KEY CHECK (id = 1), sequence INTEGER NOT NULL, digest TEXT NOT NULL);
            """)
    }

    /// Parts of snapshots whose write never completed (a crash between parts).
    static let deleteOrphanParts = "DELETE FROM snapshot_part WHERE sequence NOT IN (SELECT sequence FROM snapshot)"
}

extension SQLiteCommandLogStore: SnapshotStore {
    public func snapshotSequences() throws(StoreError) -> [UInt64] {
        try database.run("reading snapshot") { queue in
            try queue.read { db in try Int64.fetchAll(db, sql: "SELECT sequence FROM snapshot ORDER BY sequence DESC").map { UInt64($0) } }
        }
    }

    public func snapshot(covering sequence: UInt64) throws(StoreError) -> [UInt8]? {
        let stored: (parts: [(part: Int64, body: [UInt8])], count: Int64, size: Int64)? = try database.run("reading snapshot \(sequence)") { queue in
            try queue.read { db in
                guard let row = try Row.fetchOne(db, sql: "SELECT parts, size FROM snapshot WHERE sequence = ?", arguments: [Int64(sequence)]) else {
                    return nil
                }
                let parts = try Row.fetchAll(db, sql: "SELECT part, body FROM snapshot_part WHERE sequence = ? ORDER BY part", arguments: [Int64(sequence)])
                    .map { (part: $0["part"] as Int64, body: [UInt8]($0["body"] as Data)) }
                return (parts, row["parts"], row["size"])
            }
        }
        guard let stored else { return nil }
        return try SnapshotParts.join(stored.parts, sequence: sequence, expectedParts: stored.count, size: stored.size)
    }

    public func writeSnapshot(_ bytes: [UInt8], covering sequence: UInt64, keep: Int) throws(StoreError) {
        guard try beginSnapshot(covering: sequence) else { return }
        let parts = SnapshotParts.split(bytes)
        for (index, part) in parts.enumerated() {
            try writeSnapshotPart(part, index: index, covering: sequence)
        }
        try commitSnapshot(covering: sequence, parts: parts.count, size: bytes.count, keep: keep)
    }

    /// Starts writing the snapshot covering `sequence`: drops the parts of writes that never
    /// completed. Returns `false` when that snapshot is already stored (nothing to write).
    public func beginSnapshot(covering sequence: UInt64) throws(StoreError) -> Bool {
        try database.run("starting snapshot \(sequence)") { queue in
            try queue.write { db in
                try db.execute(sql: SnapshotTables.deleteOrphanParts)
                return try Int64.fetchOne(db, sql: "SELECT sequence FROM snapshot WHERE sequence = ?", arguments: [Int64(sequence)]) == nil
            }
        }
    }

    /// Stores one part of the snapshot covering `sequence` (its own short transaction).
    public func writeSnapshotPart(_ part: ArraySlice<UInt8>, index: Int, covering sequence: UInt64) throws(StoreError) {
        let body = Data(part)
        try database.run("writing snapshot \(sequence) part \(index)") { queue in
            try queue.write { db in
                try db.execute(sql: "INSERT INTO snapshot_part (sequence, part, body) VALUES (?, ?, ?)",
                               arguments: [Int64(sequence), Int64(index), body])
            }
        }
    }

    /// Makes the snapshot covering `sequence` visible once its `parts` parts are stored, and
    /// keeps only the newest `keep` snapshots, in one transaction.
    ///
    /// - Throws: ``StoreError`` `not_contiguous` when the log holds fewer than `sequence`
    ///   entries (a snapshot is never ahead of the durable log).
    public func commitSnapshot(covering sequence: UInt64, parts: Int, size: Int, keep: Int) throws(StoreError) {
        precondition(keep >= 1, "keep at least the snapshot being written")
        try database.run("committing snapshot \(sequence)") { queue in
            try queue.write { db in
                let logged = try RecordTable.logEntry.count(db)
                guard sequence <= logged else {
                    throw StoreError(.notContiguous, "snapshot covers \(sequence) entries but the log holds \(logged)")
                }
                let stored = try Int64.fetchOne(db, sql: "SELECT COUNT(*) FROM snapshot_part WHERE sequence = ?", arguments: [Int64(sequence)]) ?? 0
                guard stored == Int64(parts) else {
                    throw StoreError(.corrupt, "snapshot \(sequence): \(stored) of \(parts) parts stored")
                }
                try db.execute(sql: "INSERT INTO snapshot (sequence, parts, size) VALUES (?, ?, ?)",
                               arguments: [Int64(sequence), Int64(parts), Int64(size)])
                try db.execute(sql: "DELETE FROM snapshot WHERE sequence NOT IN (SELECT sequence FROM snapshot ORDER BY sequence DESC LIMIT ?)",
                               arguments: [keep])
                try db.execute(sql: SnapshotTables.deleteOrphanParts)
            }
        }
    }

    public func cleanStop() throws(StoreError) -> CleanStopRecord? {
        try database.run("reading clean_stop") { queue in
            try queue.read { db in
                try Row.fetchOne(db, sql: "SELECT sequence, digest FROM clean_stop WHERE id = 1").map {
                    CleanStopRecord(sequence: UInt64($0["sequence"] as Int64), digest: $0["digest"])
                }
            }
        }
    }

    public func recordCleanStop(_ record: CleanStopRecord) throws(StoreError) {
        try database.run("writing clean_stop") { queue in
            try queue.write { db in
                try db.execute(sql: "INSERT OR REPLACE INTO clean_stop (id, sequence, digest) VALUES (1, ?, ?)",
                               arguments: [Int64(record.sequence), record.digest])
            }
        }
    }
}
