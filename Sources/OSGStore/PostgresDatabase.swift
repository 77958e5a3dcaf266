import Foundation
import Logging
import NIOCore
import NIOPosix
import OSGCore
import OSGDomain
import PostgresNIO
import Synchronization

/// A PostgreSQL database holding the project's tables, for multi-replica deployments
/// (`--database postgres://user@host:port/database?sslmode=verify-full`; see ``PostgresURL``).
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
        let parsed = try PostgresURL(url)
        let configuration = try parsed.clientConfiguration()
        try await probe(parsed)
        let database = PostgresDatabase(configuration: configuration, schema: schema)
        do {
            try await database.migrate()
        } catch {
            await database.shutdown()
            throw StoreError(.io, "cannot prepare PostgreSQL at \(Self.redacted(url)): \(String(reflecting: error))")
        }
        return database
    }

    /// Opens and closes one connection, so a wrong address, password or TLS setting (an
    /// untrusted certificate under `verify-full`, no TLS under `require`) fails now with the
    /// driver's reason: the pool would retry until its circuit breaker trips, a minute later,
    /// and report only that.
    private static func probe(_ url: PostgresURL) async throws(StoreError) {
        let configuration = try url.connectionConfiguration()
        var logger = Logger(label: "openstargate.store.postgres")
        logger.logLevel = .error
        do {
            let connection = try await PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration, id: 0, logger: logger).get()
            try? await connection.close()
        } catch {
            throw StoreError(.io, "cannot connect to PostgreSQL at \(url): \(String(reflecting: error))")
        }
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

    /// `postgres://user@host:port/database?sslmode=…` → client configuration, TLS as
    /// ``PostgresURL`` describes (libpq's `sslmode`, default `prefer`).
    static func configuration(from url: String) throws(StoreError) -> PostgresClient.Configuration {
        try PostgresURL(url).clientConfiguration()
    }

    /// `url` with its password replaced, for messages and logs.
    static func redacted(_ url: String) -> String { PostgresURL.redacted(url) }

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
            try await createNonceTable(connection)
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

    /// Inserts `bodies` as records `first, first+1, …` in one transaction; `alsoIn`, when
    /// given, runs more statements in that same transaction.
    func append(_ bodies: [[UInt8]], first: UInt64, to table: RecordTable,
                alsoIn: (@Sendable (PostgresConnection) async throws -> Void)? = nil) async throws(StoreError) {
        guard !bodies.isEmpty else { return }
        try await run("appending to \(table.rawValue)") {
            try await client.withTransaction(logger: logger) { connection in
                try await alsoIn?(connection)
                // Serialise writers of this table so the contiguity check holds.
                try await connection.query(PostgresQuery(unsafeSQL: "LOCK TABLE \(qualified(table.rawValue)) IN EXCLUSIVE MODE"), logger: logger)
                let stored = try await count(table, connection)
                guard first == stored else {
                    throw StoreError(.notContiguous, "\(table.rawValue): batch starts at \(first) but the table holds \(stored) records")
                }
                try await insertRows(bodies.count, into: table.rawValue, columns: ["sequence", "body"], connection) { bindings, row in
                    bindings.append(Int64(first) + Int64(row))
                    bindings.append(ByteBuffer(bytes: bodies[row]))
                }
            }
        }
    }

    /// Inserts `count` rows into `table` with multi-row statements of at most 1,000 rows;
    /// `bind` appends row `row`'s values, one per column, in order.
    func insertRows(_ count: Int, into table: String, columns: [String], _ connection: PostgresConnection,
                    bind: (inout PostgresBindings, Int) -> Void) async throws {
        var offset = 0
        while offset < count {
            let rows = min(count - offset, 1_000)
            var bindings = PostgresBindings(capacity: rows * columns.count)
            var values: [String] = []
            values.reserveCapacity(rows)
            for row in 0..<rows {
                bind(&bindings, offset + row)
                let first = row * columns.count
                values.append("(" + (1...columns.count).map { "$\(first + $0)" }.joined(separator: ", ") + ")")
            }
            let sql = "INSERT INTO \(qualified(table)) (\(columns.joined(separator: ", "))) VALUES \(values.joined(separator: ", "))"
            try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
            offset += rows
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
    /// Whether this database's connections are encrypted (the server's `pg_stat_ssl` for one
    /// of them): what `sslmode` gave, for diagnostics and tests.
    public func usesTLS() async throws(StoreError) -> Bool {
        try await run("reading pg_stat_ssl") {
            let rows = try await client.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", logger: logger)
            for try await (ssl) in rows.decode(Bool.self) { return ssl }
            return false
        }
    }
}

extension PostgresDatabase {
    /// Drops this database's schema and everything in it (benchmarks and tests clean up
    /// after themselves). Refuses to drop `public`.
    public func dropSchema() async throws(StoreError) {
        guard schema != "public" else { throw StoreError(.io, "refusing to drop the public schema") }
        _ = try await run("dropping schema \(schema)") {
            try await client.query(PostgresQuery(unsafeSQL: "DROP SCHEMA \"\(schema)\" CASCADE"), logger: logger)
        }
    }
}

extension PostgresDatabase {
    /// The schema holding this database's tables.
    public var schemaName: String { schema }
}
