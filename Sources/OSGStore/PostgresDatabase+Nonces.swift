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
        var offset = 0
        while offset < nonces.count {
            // At most 1,000 rows (3,000 parameters) per statement.
            let chunk = nonces[offset..<min(nonces.count, offset + 1_000)]
            var bindings = PostgresBindings(capacity: chunk.count * 3)
            var values: [String] = []
            values.reserveCapacity(chunk.count)
            for (index, nonce) in chunk.enumerated() {
                bindings.append(nonce.signer)
                bindings.append(nonce.nonce)
                bindings.append(nonce.timestamp)
                values.append("($\(index * 3 + 1), $\(index * 3 + 2), $\(index * 3 + 3))")
            }
            try await connection.query(PostgresQuery(
                unsafeSQL: "INSERT INTO \(table) (signer, nonce, timestamp) VALUES \(values.joined(separator: ", ")) ON CONFLICT DO NOTHING",
                binds: bindings), logger: logger)
            offset += chunk.count
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
