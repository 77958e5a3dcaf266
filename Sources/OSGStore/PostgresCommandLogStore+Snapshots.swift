import NIOCore
import OSGCore
import OSGDomain
import PostgresNIO

extension PostgresDatabase {
    /// Creates the snapshot tables (see `SnapshotTables`) if they are missing.
    func createSnapshotTables(_ connection: PostgresConnection) async throws {
        for sql in [
            "CREATE TABLE IF NOT EXISTS \(qualified("snapshot")) (sequence BIGINT PRIMARY KEY CHECK (sequence >= 0), parts BIGINT NOT NULL, size BIGINT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS \(qualified("snapshot_part")) (sequence BIGINT NOT NULL, part BIGINT NOT NULL, body BYTEA NOT NULL, PRIMARY KEY (sequence, part))",
            "CREATE TABLE IF NOT EXISTS \(qualified("clean_stop")) (id INTEGER PRIMARY KEY CHECK (id = 1), sequence BIGINT NOT NULL, digest TEXT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS \(qualified("snapshot_segment")) (hash BYTEA PRIMARY KEY CHECK (length(hash) = 32), body BYTEA NOT NULL)",
            "CREATE TABLE IF NOT EXISTS \(qualified("snapshot_segment_use")) (sequence BIGINT NOT NULL CHECK (sequence >= 0), hash BYTEA NOT NULL CHECK (length(hash) = 32), PRIMARY KEY (sequence, hash))",
            "CREATE INDEX IF NOT EXISTS snapshot_segment_use_hash ON \(qualified("snapshot_segment_use")) (hash)",
        ] {
            try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        }
    }
}

extension PostgresCommandLogStore: SnapshotStore {
    public func snapshotSequences() async throws(StoreError) -> [UInt64] {
        try await database.run("reading snapshot") {
            let rows = try await database.client.query(
                PostgresQuery(unsafeSQL: "SELECT sequence FROM \(database.qualified("snapshot")) ORDER BY sequence DESC"), logger: database.logger)
            var result: [UInt64] = []
            for try await (sequence) in rows.decode(Int64.self) { result.append(UInt64(sequence)) }
            return result
        }
    }

    public func snapshot(covering sequence: UInt64) async throws(StoreError) -> [UInt8]? {
        let stored: (parts: [(part: Int64, body: [UInt8])], count: Int64, size: Int64)? = try await database.run("reading snapshot \(sequence)") {
            try await database.client.withConnection { connection in
                var bindings = PostgresBindings(capacity: 1)
                bindings.append(Int64(sequence))
                let header = try await connection.query(
                    PostgresQuery(unsafeSQL: "SELECT parts, size FROM \(database.qualified("snapshot")) WHERE sequence = $1", binds: bindings),
                    logger: database.logger)
                var recorded: (Int64, Int64)?
                for try await (parts, size) in header.decode((Int64, Int64).self) { recorded = (parts, size) }
                guard let recorded else { return nil }
                let rows = try await connection.query(
                    PostgresQuery(unsafeSQL: "SELECT part, body FROM \(database.qualified("snapshot_part")) WHERE sequence = $1 ORDER BY part", binds: bindings),
                    logger: database.logger)
                var parts: [(part: Int64, body: [UInt8])] = []
                for try await (part, body) in rows.decode((Int64, ByteBuffer).self) { parts.append((part, Array(body.readableBytesView))) }
                return (parts, recorded.0, recorded.1)
            }
        }
        guard let stored else { return nil }
        return try SnapshotParts.join(stored.parts, sequence: sequence, expectedParts: stored.count, size: stored.size)
    }

    /// Writes every part and the `snapshot` row in one transaction (PostgreSQL serves log
    /// appends on other connections meanwhile, so nothing waits for it).
    public func writeSnapshot(_ bytes: [UInt8], covering sequence: UInt64, keep: Int) async throws(StoreError) {
        precondition(keep >= 1, "keep at least the snapshot being written")
        try await database.run("writing snapshot \(sequence)") {
            try await database.client.withTransaction(logger: database.logger) { connection in
                guard try await Self.snapshotIsNew(sequence, database: database, connection) else { return }
                var key = PostgresBindings(capacity: 1)
                key.append(Int64(sequence))
                try await connection.query(PostgresQuery(unsafeSQL: "DELETE FROM \(database.qualified("snapshot_part")) WHERE sequence NOT IN (SELECT sequence FROM \(database.qualified("snapshot")))"), logger: database.logger)
                let parts = SnapshotParts.split(bytes)
                for (index, part) in parts.enumerated() {
                    var bindings = PostgresBindings(capacity: 3)
                    bindings.append(Int64(sequence))
                    bindings.append(Int64(index))
                    bindings.append(ByteBuffer(bytes: part))
                    try await connection.query(
                        PostgresQuery(unsafeSQL: "INSERT INTO \(database.qualified("snapshot_part")) (sequence, part, body) VALUES ($1, $2, $3)", binds: bindings),
                        logger: database.logger)
                }
                var row = PostgresBindings(capacity: 3)
                row.append(Int64(sequence))
                row.append(Int64(parts.count))
                row.append(Int64(bytes.count))
                try await connection.query(
                    PostgresQuery(unsafeSQL: "INSERT INTO \(database.qualified("snapshot")) (sequence, parts, size) VALUES ($1, $2, $3)", binds: row),
                    logger: database.logger)
                try await keepNewestSnapshots(keep, connection)
            }
        }
    }

    /// Drops the uses of snapshots no longer kept and the segments no kept snapshot uses.
    private func deleteUnusedSegments(_ connection: PostgresConnection) async throws {
        let snapshot = database.qualified("snapshot"), use = database.qualified("snapshot_segment_use"), segment = database.qualified("snapshot_segment")
        try await connection.query(PostgresQuery(unsafeSQL: "DELETE FROM \(use) WHERE sequence NOT IN (SELECT sequence FROM \(snapshot))"), logger: database.logger)
        try await connection.query(PostgresQuery(unsafeSQL: "DELETE FROM \(segment) s WHERE NOT EXISTS (SELECT 1 FROM \(use) u WHERE u.hash = s.hash)"), logger: database.logger)
    }

    /// The new segments in short transactions of about a part each, then the manifest, the
    /// uses, the check that every segment is stored and the retention in one transaction.
    public func writeSegmentedSnapshot(
        manifest: [UInt8], segmentHashes: [[UInt8]], newSegments: [SnapshotSegment], covering sequence: UInt64, keep: Int
    ) async throws(StoreError) {
        precondition(keep >= 1, "keep at least the snapshot being written")
        let segmentTable = database.qualified("snapshot_segment")
        for batch in SnapshotParts.batches(newSegments) {
            try await database.run("writing \(batch.count) snapshot segments") {
                try await database.client.withTransaction(logger: database.logger) { connection in
                    for segment in batch {
                        var bindings = PostgresBindings(capacity: 2)
                        bindings.append(ByteBuffer(bytes: segment.hash))
                        bindings.append(ByteBuffer(bytes: segment.body))
                        try await connection.query(
                            PostgresQuery(unsafeSQL: "INSERT INTO \(segmentTable) (hash, body) VALUES ($1, $2) ON CONFLICT (hash) DO NOTHING", binds: bindings),
                            logger: database.logger)
                    }
                }
            }
        }
        let hashes = Array(Set(segmentHashes))
        try await database.run("committing snapshot \(sequence)") {
            try await database.client.withTransaction(logger: database.logger) { connection in
                guard try await Self.snapshotIsNew(sequence, database: database, connection) else { return }
                var key = PostgresBindings(capacity: 1)
                key.append(Int64(sequence))
                var stored = 0
                for hash in hashes {
                    var bindings = PostgresBindings(capacity: 1)
                    bindings.append(ByteBuffer(bytes: hash))
                    let rows = try await connection.query(
                        PostgresQuery(unsafeSQL: "SELECT 1 FROM \(segmentTable) WHERE hash = $1", binds: bindings), logger: database.logger)
                    for try await _ in rows.decode(Int32.self) { stored += 1 }
                }
                guard stored == hashes.count else {
                    throw StoreError(.corrupt, "snapshot \(sequence): \(hashes.count - stored) of its \(hashes.count) segments are not stored")
                }
                try await connection.query(
                    PostgresQuery(unsafeSQL: "DELETE FROM \(database.qualified("snapshot_part")) WHERE sequence = $1", binds: key), logger: database.logger)
                var part = PostgresBindings(capacity: 2)
                part.append(Int64(sequence))
                part.append(ByteBuffer(bytes: manifest))
                try await connection.query(
                    PostgresQuery(unsafeSQL: "INSERT INTO \(database.qualified("snapshot_part")) (sequence, part, body) VALUES ($1, 0, $2)", binds: part),
                    logger: database.logger)
                var row = PostgresBindings(capacity: 2)
                row.append(Int64(sequence))
                row.append(Int64(manifest.count))
                try await connection.query(
                    PostgresQuery(unsafeSQL: "INSERT INTO \(database.qualified("snapshot")) (sequence, parts, size) VALUES ($1, 1, $2)", binds: row),
                    logger: database.logger)
                for hash in hashes {
                    var bindings = PostgresBindings(capacity: 2)
                    bindings.append(Int64(sequence))
                    bindings.append(ByteBuffer(bytes: hash))
                    try await connection.query(
                        PostgresQuery(unsafeSQL: "INSERT INTO \(database.qualified("snapshot_segment_use")) (sequence, hash) VALUES ($1, $2)", binds: bindings),
                        logger: database.logger)
                }
                try await keepNewestSnapshots(keep, connection)
            }
        }
    }

    public func snapshotSegments(_ hashes: [[UInt8]]) async throws(StoreError) -> [[UInt8]: [UInt8]] {
        try await database.run("reading snapshot segments") {
            try await database.client.withConnection { connection in
                var found: [[UInt8]: [UInt8]] = [:]
                for hash in Set(hashes) {
                    var bindings = PostgresBindings(capacity: 1)
                    bindings.append(ByteBuffer(bytes: hash))
                    let rows = try await connection.query(
                        PostgresQuery(unsafeSQL: "SELECT body FROM \(database.qualified("snapshot_segment")) WHERE hash = $1", binds: bindings),
                        logger: database.logger)
                    for try await body in rows.decode(ByteBuffer.self) { found[hash] = Array(body.readableBytesView) }
                }
                return found
            }
        }
    }

    public func cleanStop() async throws(StoreError) -> CleanStopRecord? {
        try await database.run("reading clean_stop") {
            let rows = try await database.client.query(
                PostgresQuery(unsafeSQL: "SELECT sequence, digest FROM \(database.qualified("clean_stop")) WHERE id = 1"), logger: database.logger)
            for try await (sequence, digest) in rows.decode((Int64, String).self) {
                return CleanStopRecord(sequence: UInt64(sequence), digest: digest)
            }
            return nil
        }
    }

    public func recordCleanStop(_ record: CleanStopRecord) async throws(StoreError) {
        try await database.run("writing clean_stop") {
            var bindings = PostgresBindings(capacity: 2)
            bindings.append(Int64(record.sequence))
            bindings.append(record.digest)
            try await database.client.query(
                PostgresQuery(unsafeSQL: """
                    INSERT INTO \(database.qualified("clean_stop")) (id, sequence, digest) VALUES (1, $1, $2)
                    ON CONFLICT (id) DO UPDATE SET sequence = EXCLUDED.sequence, digest = EXCLUDED.digest
                    """, binds: bindings),
                logger: database.logger)
        }
    }

    /// Whether the snapshot covering `sequence` is still to be written: `false` when it is
    /// already stored; throws when the log holds fewer entries than it covers.
    static func snapshotIsNew(_ sequence: UInt64, database: PostgresDatabase, _ connection: PostgresConnection) async throws -> Bool {
        var key = PostgresBindings(capacity: 1)
        key.append(Int64(sequence))
        let existing = try await connection.query(
            PostgresQuery(unsafeSQL: "SELECT sequence FROM \(database.qualified("snapshot")) WHERE sequence = $1", binds: key),
            logger: database.logger)
        for try await _ in existing.decode(Int64.self) { return false }
        let logged = try await database.count(.logEntry, connection)
        guard sequence <= logged else {
            throw StoreError(.notContiguous, "snapshot covers \(sequence) entries but the log holds \(logged)")
        }
        return true
    }

    /// Keeps the newest `keep` snapshots and drops what only older ones used (parts, segments).
    private func keepNewestSnapshots(_ keep: Int, _ connection: PostgresConnection) async throws {
        var keepBinding = PostgresBindings(capacity: 1)
        keepBinding.append(Int64(keep))
        try await connection.query(
            PostgresQuery(unsafeSQL: "DELETE FROM \(database.qualified("snapshot")) WHERE sequence NOT IN (SELECT sequence FROM \(database.qualified("snapshot")) ORDER BY sequence DESC LIMIT $1)", binds: keepBinding),
            logger: database.logger)
        try await connection.query(PostgresQuery(unsafeSQL: "DELETE FROM \(database.qualified("snapshot_part")) WHERE sequence NOT IN (SELECT sequence FROM \(database.qualified("snapshot")))"), logger: database.logger)
        try await deleteUnusedSegments(connection)
    }
}
