import OSGCore
import PostgresNIO

/// The nonce batches in PostgreSQL: the same rows as the SQLite store's (``NonceTable``),
/// written in the same transaction as the log entries.
extension PostgresDatabase {
    func createNonceTable(_ connection: PostgresConnection) async throws {
        try await connection.query(PostgresQuery(unsafeSQL: """
            CREATE TABLE IF NOT EXISTS \(qualified(NonceTable.name)) (
                first_sequence BIGINT PRIMARY KEY, newest BIGINT NOT NULL, nonces BYTEA NOT NULL)
            """), logger: logger)
    }

    /// Records the nonces of the append starting at `firstSequence` and forgets the rows no
    /// longer needed at `cutoff`.
    func recordNonces(_ nonces: [AcceptedNonce], firstSequence: UInt64, forgettingBefore cutoff: Int64,
                      _ connection: PostgresConnection) async throws {
        let table = qualified(NonceTable.name)
        if cutoff > .min {
            var bindings = PostgresBindings(capacity: 1)
            bindings.append(cutoff)
            try await connection.query(PostgresQuery(unsafeSQL: NonceTable.forgetSQL(table, parameter: "$1"), binds: bindings), logger: logger)
        }
        guard let newest = nonces.map(\.timestamp).max() else { return }
        var bindings = PostgresBindings(capacity: 3)
        bindings.append(Int64(firstSequence))
        bindings.append(newest)
        bindings.append(ByteBuffer(bytes: AcceptedNonce.encodeBatch(nonces)))
        try await connection.query(PostgresQuery(unsafeSQL: "INSERT INTO \(table) (first_sequence, newest, nonces) VALUES ($1, $2, $3)",
                                                 binds: bindings), logger: logger)
    }

    /// The nonces with timestamps at or after `cutoff`.
    func acceptedNonces(since cutoff: Int64) async throws(StoreError) -> [AcceptedNonce] {
        let batches: [[UInt8]] = try await run("reading \(NonceTable.name)") {
            var bindings = PostgresBindings(capacity: 1)
            bindings.append(cutoff)
            let rows = try await client.query(
                PostgresQuery(unsafeSQL: "SELECT nonces FROM \(qualified(NonceTable.name)) WHERE newest >= $1 ORDER BY first_sequence",
                              binds: bindings),
                logger: logger)
            var batches: [[UInt8]] = []
            for try await (nonces) in rows.decode(ByteBuffer.self) { batches.append(Array(nonces.readableBytesView)) }
            return batches
        }
        var nonces: [AcceptedNonce] = []
        for batch in batches { nonces += try AcceptedNonce.decodeBatch(batch).filter { $0.timestamp >= cutoff } }
        return nonces
    }
}
