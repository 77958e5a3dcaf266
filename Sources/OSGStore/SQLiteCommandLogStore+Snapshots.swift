import Foundation
import GRDB
import OSGCore
import OSGDomain

/// The snapshot tables, the same in SQLite and PostgreSQL:
/// - `snapshot (sequence, parts, size)`: one row per complete snapshot; its presence is what
///   makes the snapshot visible, so it is written last, in the transaction that checks the log.
/// - `snapshot_part (sequence, part, body)`: the bytes, in parts of ``SnapshotParts/partSize``
///   (a segmented snapshot: its manifest).
/// - `snapshot_segment (hash, body)`: the segments of segmented snapshots, by SHA-256, each
///   stored once however many snapshots use it.
/// - `snapshot_segment_use (sequence, hash)`: which segments each stored snapshot uses,
///   written with its `snapshot` row; a segment no snapshot uses is deleted.
/// - `clean_stop (id = 1, sequence, digest)`: the state at the last clean stop.
enum SnapshotTables {
    static func createSQLite(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE snapshot (sequence INTEGER PRIMARY KEY CHECK (sequence >= 0), parts INTEGER NOT NULL, size INTEGER NOT NULL);
            CREATE TABLE snapshot_part (sequence INTEGER NOT NULL, part INTEGER NOT NULL, body BLOB NOT NULL, PRIMARY KEY (sequence, part));
            CREATE TABLE clean_stop (id INTEGER PRIMARY KEY CHECK (id = 1), sequence INTEGER NOT NULL, digest TEXT NOT NULL);
            """)
    }

    /// The segment tables (idempotent): migration `v5-snapshot-segments`.
    static func createSegmentsSQLite(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE IF NOT EXISTS snapshot_segment (hash BLOB PRIMARY KEY CHECK (length(hash) = 32), body BLOB NOT NULL);
            CREATE TABLE IF NOT EXISTS snapshot_segment_use (sequence INTEGER NOT NULL CHECK (sequence >= 0), hash BLOB NOT NULL CHECK (length(hash) = 32), PRIMARY KEY (sequence, hash)) WITHOUT ROWID;
            CREATE INDEX IF NOT EXISTS snapshot_segment_use_hash ON snapshot_segment_use (hash);
            """)
    }

    /// Parts of snapshots whose write never completed (a crash between parts).
    static let deleteOrphanParts = "DELETE FROM snapshot_part WHERE sequence NOT IN (SELECT sequence FROM snapshot)"
    /// Uses by snapshots no longer kept.
    static let deleteOrphanUses = "DELETE FROM snapshot_segment_use WHERE sequence NOT IN (SELECT sequence FROM snapshot)"
    /// Segments no kept snapshot uses (replaced, or written by a snapshot that never completed).
    static let deleteUnusedSegments = "DELETE FROM snapshot_segment WHERE hash NOT IN (SELECT hash FROM snapshot_segment_use)"
    /// Most bound parameters in one statement (SQLite's default limit is 32,766).
    static let parametersPerStatement = 500
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
                try db.execute(sql: SnapshotTables.deleteOrphanUses)
                try db.execute(sql: SnapshotTables.deleteUnusedSegments)
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
                try Self.keepNewest(keep, db)
            }
        }
    }

    /// Keeps the newest `keep` snapshots, their parts and the segments they use.
    private static func keepNewest(_ keep: Int, _ db: Database) throws {
        try SnapshotTables.createSegmentsSQLite(db)
        try db.execute(sql: "DELETE FROM snapshot WHERE sequence NOT IN (SELECT sequence FROM snapshot ORDER BY sequence DESC LIMIT ?)",
                       arguments: [keep])
        try db.execute(sql: SnapshotTables.deleteOrphanParts)
        try db.execute(sql: SnapshotTables.deleteOrphanUses)
        try db.execute(sql: SnapshotTables.deleteUnusedSegments)
    }

    public func writeSegmentedSnapshot(
        manifest: [UInt8], segmentHashes: [[UInt8]], newSegments: [SnapshotSegment], covering sequence: UInt64, keep: Int
    ) throws(StoreError) {
        guard try beginSnapshot(covering: sequence) else { return }
        for batch in SnapshotParts.batches(newSegments) { try writeSnapshotSegments(batch) }
        try commitSegmentedSnapshot(manifest: manifest, segmentHashes: segmentHashes, covering: sequence, keep: keep)
    }

    /// Stores `segments` (one short transaction; those already stored are left as they are).
    /// Invisible until a snapshot that uses them is committed.
    public func writeSnapshotSegments(_ segments: [SnapshotSegment]) throws(StoreError) {
        try database.run("writing \(segments.count) snapshot segments") { queue in
            try queue.write { db in
                try SnapshotTables.createSegmentsSQLite(db)
                for segment in segments {
                    precondition(segment.hash.count == 32, "a segment is keyed by its SHA-256")
                    try db.execute(sql: "INSERT OR IGNORE INTO snapshot_segment (hash, body) VALUES (?, ?)",
                                   arguments: [Data(segment.hash), Data(segment.body)])
                }
            }
        }
    }

    /// Makes the segmented snapshot covering `sequence` visible: its manifest as part 0, the
    /// `snapshot` row and the segments it uses, in one transaction that first checks the log
    /// holds `sequence` entries and every segment is stored; then keeps the newest `keep`.
    ///
    /// - Throws: ``StoreError`` `not_contiguous` (ahead of the log) or `corrupt` (a segment is missing).
    public func commitSegmentedSnapshot(manifest: [UInt8], segmentHashes: [[UInt8]], covering sequence: UInt64, keep: Int) throws(StoreError) {
        precondition(keep >= 1, "keep at least the snapshot being written")
        let hashes = Array(Set(segmentHashes.map { Data($0) }))
        try database.run("committing snapshot \(sequence)") { queue in
            try queue.write { db in
                try SnapshotTables.createSegmentsSQLite(db)
                guard try Int64.fetchOne(db, sql: "SELECT sequence FROM snapshot WHERE sequence = ?", arguments: [Int64(sequence)]) == nil else { return }
                let logged = try RecordTable.logEntry.count(db)
                guard sequence <= logged else {
                    throw StoreError(.notContiguous, "snapshot covers \(sequence) entries but the log holds \(logged)")
                }
                var stored = 0
                for start in stride(from: 0, to: hashes.count, by: SnapshotTables.parametersPerStatement) {
                    let chunk = Array(hashes[start..<min(hashes.count, start + SnapshotTables.parametersPerStatement)])
                    let marks = Array(repeating: "?", count: chunk.count).joined(separator: ", ")
                    stored += try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM snapshot_segment WHERE hash IN (\(marks))",
                                               arguments: StatementArguments(chunk)) ?? 0
                }
                guard stored == hashes.count else {
                    throw StoreError(.corrupt, "snapshot \(sequence): \(hashes.count - stored) of its \(hashes.count) segments are not stored")
                }
                try db.execute(sql: "DELETE FROM snapshot_part WHERE sequence = ?", arguments: [Int64(sequence)])
                try db.execute(sql: "INSERT INTO snapshot_part (sequence, part, body) VALUES (?, 0, ?)", arguments: [Int64(sequence), Data(manifest)])
                try db.execute(sql: "INSERT INTO snapshot (sequence, parts, size) VALUES (?, 1, ?)", arguments: [Int64(sequence), Int64(manifest.count)])
                for hash in hashes {
                    try db.execute(sql: "INSERT INTO snapshot_segment_use (sequence, hash) VALUES (?, ?)", arguments: [Int64(sequence), hash])
                }
                try Self.keepNewest(keep, db)
            }
        }
    }

    public func snapshotSegments(_ hashes: [[UInt8]]) throws(StoreError) -> [[UInt8]: [UInt8]] {
        let keys = Array(Set(hashes.map { Data($0) }))
        return try database.run("reading snapshot segments") { queue in
            try queue.read { db in
                var found: [[UInt8]: [UInt8]] = [:]
                for start in stride(from: 0, to: keys.count, by: SnapshotTables.parametersPerStatement) {
                    let chunk = Array(keys[start..<min(keys.count, start + SnapshotTables.parametersPerStatement)])
                    let marks = Array(repeating: "?", count: chunk.count).joined(separator: ", ")
                    for row in try Row.fetchAll(db, sql: "SELECT hash, body FROM snapshot_segment WHERE hash IN (\(marks))", arguments: StatementArguments(chunk)) {
                        found[[UInt8](row["hash"] as Data)] = [UInt8](row["body"] as Data)
                    }
                }
                return found
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

extension SQLiteCommandLogStore {
    /// Changes one byte of the stored segment `hash`, as disk damage would (tests of the checks
    /// recovery makes).
    public func damageSnapshotSegmentForTests(_ hash: [UInt8]) throws(StoreError) {
        try database.run("damaging a snapshot segment") { queue in
            try queue.write { db in
                guard let body = try Data.fetchOne(db, sql: "SELECT body FROM snapshot_segment WHERE hash = ?", arguments: [Data(hash)]) else { return }
                var bytes = [UInt8](body)
                if !bytes.isEmpty { bytes[bytes.count / 2] ^= 0x01 }
                try db.execute(sql: "UPDATE snapshot_segment SET body = ? WHERE hash = ?", arguments: [Data(bytes), Data(hash)])
            }
        }
    }
}
