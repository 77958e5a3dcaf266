import Foundation
import OSGDomain
import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// A PostgreSQL database holding the project's tables, for multi-replica deployments
/// (`--database postgres://user:password@host:port/database`).
///
/// Tables live in one schema (default `public`), so several logs can share a database (tests
/// give each store its own schema). Each append is one transaction: committed means durable
/// under PostgreSQL's default `synchronous_commit = on`.
public final class PostgresDatabase: Sendable {
    let client: PostgresClient
    let schema: String
    private let runner: Task<Void, Never>
    let logger: Logger
    /// The connection holding the single-writer lock, once taken (see `PostgresDatabase+WriterLock`).
    let writerLockConnection = Mutex<PostgresConnection?>(nil)

    /// Connects to `url`, starts the connection pool, and creates the schema and tables if
    /// needed.
    ///
    /// - Throws: ``StoreError`` with code `io` when the URL is malformed or the server cannot
    ///   be reached.
    public static func connect(url: String, schema: String = "public") async throws(StoreError) -> PostgresDatabase {
        guard schema.range(of: "^[a-z_][a-z0-9_]{0,62}$", options: .regularExpression) != nil else {
            throw StoreError(.io, "schema '\(schema)' must be lower-case letters, digits and '_'")
        }
        let configuration = try Self.configuration(from: url)
        let database = PostgresDatabase(configuration: configuration, schema: schema)
        do {
            try await database.migrate()
        } catch {
            await database.shutdown()
            throw StoreError(.io, "cannot prepare PostgreSQL at \(Self.redacted(url)): \(String(reflecting: error))")
        }
        return database
    }

    private init(configuration: PostgresClient.Configuration, schema: String) {
        var logger = Logger(label: "openstargate.store.postgres")
        logger.logLevel = .error
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        self.schema = schema
        self.logger = logger
        runner = Task { await client.run() }
    }

    /// Closes every connection.
    public func shutdown() async {
        if let connection = writerLockConnection.withLock({ $0.take() }) { try? await connection.close() }
        runner.cancel()
        _ = await runner.value
    }

    /// `postgres://user:password@host:port/database` → client configuration (TLS off: the
    /// coordinator talks to its database on a private network or loopback).
    static func configuration(from url: String) throws(StoreError) -> PostgresClient.Configuration {
        guard let components = URLComponents(string: url), ["postgres", "postgresql"].contains(components.scheme ?? ""),
              let host = components.host, !host.isEmpty, let user = components.user, !user.isEmpty
        else {
            throw StoreError(.io, "'\(redacted(url))' is not a URL of the form postgres://user:password@host:port/database")
        }
        let database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        return PostgresClient.Configuration(
            host: host, port: components.port ?? 5432, username: user, password: components.password,
            database: database.isEmpty ? nil : database, tls: .disable)
    }

    /// `url` with its password replaced, for messages and logs.
    static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? "postgres://…"
    }

    /// The schema-qualified name of `table`.
    func qualified(_ table: String) -> String { "\"\(schema)\".\"\(table)\"" }

    private func migrate() async throws {
        try await client.withTransaction(logger: logger) { connection in
            // One migrator at a time, even with several coordinators starting together.
            try await connection.query("SELECT pg_advisory_xact_lock(\(Int64(0x05_67_00_01)))", logger: logger)
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \"\(schema)\""), logger: logger)
            try await connection.query(PostgresQuery(unsafeSQL: """
                CREATE TABLE IF NOT EXISTS \(qualified("log_header")) (
                    id INTEGER PRIMARY KEY CHECK (id = 1), genesis BYTEA NOT NULL)
                """), logger: logger)
            for table in [RecordTable.logEntry, .ledgerBatch] {
                try await connection.query(PostgresQuery(unsafeSQL: """
                    CREATE TABLE IF NOT EXISTS \(qualified(table.rawValue)) (
                        sequence BIGINT PRIMARY KEY CHECK (sequence >= 0), body BYTEA NOT NULL)
                    """), logger: logger)
            }
            try await createSnapshotTables(connection)
        }
    }

    /// Runs `body`, turning driver errors into ``StoreError`` that say what was being done.
    func run<T: Sendable>(_ what: String, _ body: () async throws -> T) async throws(StoreError) -> T {
        do {
            return try await body()
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.io, "\(what): \(String(reflecting: error))")
        }
    }

    // MARK: Record tables

    func count(_ table: RecordTable, _ connection: PostgresConnection) async throws -> UInt64 {
        let rows = try await connection.query(
            PostgresQuery(unsafeSQL: "SELECT MAX(sequence) FROM \(qualified(table.rawValue))"), logger: logger)
        for try await (last) in rows.decode((Int64?).self) {
            return last.map { UInt64($0) + 1 } ?? 0
        }
        return 0
    }

    /// Inserts `bodies` as records `first, first+1, …` in one transaction.
    func append(_ bodies: [[UInt8]], first: UInt64, to table: RecordTable) async throws(StoreError) {
        guard !bodies.isEmpty else { return }
        try await run("appending to \(table.rawValue)") {
            try await client.withTransaction(logger: logger) { connection in
                // Serialise writers of this table so the contiguity check holds.
                try await connection.query(PostgresQuery(unsafeSQL: "LOCK TABLE \(qualified(table.rawValue)) IN EXCLUSIVE MODE"), logger: logger)
                let stored = try await count(table, connection)
                guard first == stored else {
                    throw StoreError(.notContiguous, "\(table.rawValue): batch starts at \(first) but the table holds \(stored) records")
                }
                // Multi-row inserts, at most 1,000 rows (2,000 parameters) per statement.
                var offset = 0
                while offset < bodies.count {
                    let chunk = bodies[offset..<min(bodies.count, offset + 1_000)]
                    var bindings = PostgresBindings(capacity: chunk.count * 2)
                    var values: [String] = []
                    values.reserveCapacity(chunk.count)
                    for (index, body) in chunk.enumerated() {
                        bindings.append(Int64(first) + Int64(offset + index))
                        bindings.append(ByteBuffer(bytes: body))
                        values.append("($\(index * 2 + 1), $\(index * 2 + 2))")
                    }
                    let sql = "INSERT INTO \(qualified(table.rawValue)) (sequence, body) VALUES " + values.joined(separator: ", ")
                    try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
                    offset += chunk.count
                }
            }
        }
    }

    /// Up to `limit` records from `start`, checked to be consecutive.
    func read(from start: UInt64, limit: Int, of table: RecordTable) async throws(StoreError) -> [[UInt8]] {
        try await run("reading \(table.rawValue)") {
            var bindings = PostgresBindings(capacity: 2)
            bindings.append(Int64(start))
            bindings.append(Int64(limit))
            let rows = try await client.query(
                PostgresQuery(
                    unsafeSQL: "SELECT sequence, body FROM \(qualified(table.rawValue)) WHERE sequence >= $1 ORDER BY sequence LIMIT $2",
                    binds: bindings),
                logger: logger)
            var bodies: [[UInt8]] = []
            for try await (sequence, body) in rows.decode((Int64, ByteBuffer).self) {
                guard UInt64(sequence) == start + UInt64(bodies.count) else {
                    throw StoreError(.corrupt, "\(table.rawValue): record \(start + UInt64(bodies.count)) is missing; the table has a gap")
                }
                bodies.append(Array(body.readableBytesView))
            }
            return bodies
        }
    }

    func count(_ table: RecordTable) async throws(StoreError) -> UInt64 {
        try await run("counting \(table.rawValue)") {
            try await client.withConnection { connection in try await count(table, connection) }
        }
    }
}

extension PostgresDatabase {
    /// Drops this database's schema and everything in it (benchmarks and tests clean up
    /// after themselves). Refuses to drop `public`.
    public func dropSchema() async throws(StoreError) {
        guard schema != "public" else { throw StoreError(.io, "refusing to drop the public schema") }
        try await run("dropping schema \(schema)") {
            try await client.query(PostgresQuery(unsafeSQL: "DROP SCHEMA \"\(schema)\" CASCADE"), logger: logger)
        }
    }
}

extension PostgresDatabase {
    /// The schema holding this database's tables.
    public var schemaName: String { schema }
}
