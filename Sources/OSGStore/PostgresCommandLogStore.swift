import Foundation
import OSGDomain
import NIOCore
import OSGCore
import OSGLedger
import PostgresNIO

/// The command log in PostgreSQL (`--database postgres://…`): the same contract and the same
/// canonical bytes as ``SQLiteCommandLogStore``.
public final class PostgresCommandLogStore: CommandLogStore {
    let database: PostgresDatabase

    /// A store on an connected database.
    public init(database: PostgresDatabase) {
        self.database = database
    }

    public func genesis() async throws(StoreError) -> Genesis? {
        let bytes: [UInt8]? = try await database.run("reading log_header") {
            let rows = try await database.client.query(
                PostgresQuery(unsafeSQL: "SELECT genesis FROM \(database.qualified("log_header")) WHERE id = 1"),
                logger: database.logger)
            for try await (genesis) in rows.decode(ByteBuffer.self) {
                return Array(genesis.readableBytesView)
            }
            return nil
        }
        guard let bytes else { return nil }
        do {
            return try CanonicalEncoding.decode(Genesis.self, from: bytes)
        } catch {
            throw StoreError(.corrupt, "log_header.genesis does not decode: \(error)")
        }
    }

    public func initialize(genesis: Genesis) async throws(StoreError) {
        let bytes = CanonicalEncoding.bytes(of: genesis)
        try await database.run("writing log_header") {
            var bindings = PostgresBindings(capacity: 1)
            bindings.append(ByteBuffer(bytes: bytes))
            try await database.client.query(
                PostgresQuery(
                    unsafeSQL: "INSERT INTO \(database.qualified("log_header")) (id, genesis) VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
                    binds: bindings),
                logger: database.logger)
        }
        guard try await self.genesis() == genesis else {
            throw StoreError(.genesisMismatch, "the store holds a log with another genesis")
        }
    }

    public func count() async throws(StoreError) -> UInt64 {
        try await database.count(.logEntry)
    }

    public func append(_ entries: [LogEntry]) async throws(StoreError) {
        try await append(entries, nonces: [], forgettingNoncesBefore: .min)
    }

    public func append(_ entries: [LogEntry], nonces: [AcceptedNonce], forgettingNoncesBefore cutoff: Int64) async throws(StoreError) {
        guard let first = entries.first else { return }
        try Self.checkContiguous(entries, after: first.sequence)
        let database = database
        try await database.append(entries.map(\.leafBytes), first: first.sequence, to: .logEntry) { connection in
            try await database.recordNonces(nonces, firstSequence: first.sequence, forgettingBefore: cutoff, connection)
        }
    }

    public func acceptedNonces(since cutoff: Int64) async throws(StoreError) -> [AcceptedNonce] {
        try await database.acceptedNonces(since: cutoff)
    }

    public func entries(from start: UInt64, limit: Int) async throws(StoreError) -> [LogEntry] {
        let bodies = try await database.read(from: start, limit: limit, of: .logEntry)
        return try CommandLogRecords.decode(bodies, from: start)
    }
}

/// Decoding of stored command log records, shared by the SQL stores.
enum CommandLogRecords {
    /// The entries in `bodies`, which hold sequences `start, start+1, …`.
    static func decode(_ bodies: [some Collection<UInt8>], from start: UInt64) throws(StoreError) -> [LogEntry] {
        var result: [LogEntry] = []
        result.reserveCapacity(bodies.count)
        for (offset, body) in bodies.enumerated() {
            let sequence = start + UInt64(offset)
            let entry: LogEntry
            do {
                // Leaves (binary, format byte 1) since the transparency log; canonical JSON
                // (`{`) before, still read.
                if body.first == UInt8(ascii: "{") {
                    entry = try CanonicalEncoding.decode(LogEntry.self, from: body)
                } else {
                    entry = try LogEntry(leafBytes: body)
                }
            } catch {
                throw StoreError(.corrupt, "log_entry \(sequence) does not decode: \(error)")
            }
            guard entry.sequence == sequence else {
                throw StoreError(.corrupt, "log_entry \(sequence) holds sequence \(entry.sequence); the log was altered")
            }
            result.append(entry)
        }
        return result
    }
}

/// Ledger batches in PostgreSQL: the same contract and encoding as ``SQLiteLedgerJournal``.
public final class PostgresLedgerJournal: LedgerJournal {
    private let database: PostgresDatabase

    /// A journal on a connected database.
    public init(database: PostgresDatabase) {
        self.database = database
    }

    public func count() async throws(StoreError) -> UInt64 {
        try await database.count(.ledgerBatch)
    }

    public func append(_ batch: [LedgerOperation], sequence: UInt64) async throws(StoreError) {
        try await database.append([LedgerBatchCodec.encode(batch)], first: sequence, to: .ledgerBatch)
    }

    public func batches(from start: UInt64, limit: Int) async throws(StoreError) -> [[LedgerOperation]] {
        try LedgerBatchRecords.decode(try await database.read(from: start, limit: limit, of: .ledgerBatch), from: start)
    }
}
