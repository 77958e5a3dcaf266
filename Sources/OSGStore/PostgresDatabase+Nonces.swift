import PostgresNIO

/// The `request_nonce` table in PostgreSQL: the same contents as the SQLite store's
/// (``NonceTable``), written in the same transaction as the log entries.
extension PostgresDatabase {
    func createNonceTable(_ connection: PostgresConnection) async throws {
        let table = qualified(NonceTable.name)
        try await connection.query(PostgresQuery(unsafeSQL: """
            CREATE TABLE IF NOT EXISTS \(table) (
                signer TEXT NOT NULL, nonce TEXT NOT NULL, timestamp BIGINT NOT NULL, PRIMARY KEY (signer, nonce))
            """), logger: logger)
        try await connection.query(PostgresQuery(unsafeSQL: """
            CREATE INDEX IF NOT EXISTS "\(NonceTable.name)_by_timestamp" ON \(table) (timestamp)
            """), logger: logger)
    }

    /// Records `nonces` (keeping any already held) and forgets those older than `cutoff`.
    func recordNonces(_ nonces: [AcceptedNonce], forgettingBefore cutoff: Int64, _ connection: PostgresConnection) async throws {
        let table = qualified(NonceTable.name)
        if cutoff > .min {
            var bindings = PostgresBindings(capacity: 1)
            bindings.append(cutoff)
            try await connection.query(PostgresQuery(unsafeSQL: "DELETE FROM \(table) WHERE timestamp < $1", binds: bindings), logger: logger)
        }
        try await insertRows(nonces.count, into: NonceTable.name, columns: ["signer", "nonce", "timestamp"],
                             suffix: "ON CONFLICT DO NOTHING", connection) { bindings, row in
            bindings.append(nonces[row].signer)
            bindings.append(nonces[row].nonce)
            bindings.append(nonces[row].timestamp)
        }
    }

    /// The nonces with timestamps at or after `cutoff`.
    func acceptedNonces(since cutoff: Int64) async throws(StoreError) -> [AcceptedNonce] {
        try await run("reading \(NonceTable.name)") {
            var bindings = PostgresBindings(capacity: 1)
            bindings.append(cutoff)
            let rows = try await client.query(
                PostgresQuery(unsafeSQL: "SELECT signer, nonce, timestamp FROM \(qualified(NonceTable.name)) WHERE timestamp >= $1", binds: bindings),
                logger: logger)
            var nonces: [AcceptedNonce] = []
            for try await (signer, nonce, timestamp) in rows.decode((String, String, Int64).self) {
                nonces.append(AcceptedNonce(signer: signer, nonce: nonce, timestamp: timestamp))
            }
            return nonces
        }
    }
}
