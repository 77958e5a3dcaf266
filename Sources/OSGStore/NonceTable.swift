import Foundation
import GRDB
import GRDBSQLite

/// The `request_nonce` table of the SQLite store: the nonces of logged requests still inside
/// the signature window (see ``AcceptedNonce``).
enum NonceTable {
    static let name = "request_nonce"

    static func createSQLite(_ db: Database) throws {
        try db.create(table: name, options: [.withoutRowID]) { table in
            table.column("signer", .text).notNull()
            table.column("nonce", .text).notNull()
            table.column("timestamp", .integer).notNull()
            table.primaryKey(["signer", "nonce"])
        }
        try db.create(index: "\(name)_by_timestamp", on: name, columns: ["timestamp"])
    }

    /// Records `nonces` (a nonce already held is kept as it is) and forgets every nonce with a
    /// timestamp before `cutoff`.
    static func record(_ nonces: [AcceptedNonce], forgettingBefore cutoff: Int64, _ db: Database) throws {
        if cutoff > .min {
            try db.execute(sql: "DELETE FROM \(name) WHERE timestamp < ?", arguments: [cutoff])
        }
        guard !nonces.isEmpty else { return }
        let insert = try db.cachedStatement(sql: "INSERT OR IGNORE INTO \(name) (signer, nonce, timestamp) VALUES (?, ?, ?)")
        for nonce in nonces {
            try insert.execute(arguments: [nonce.signer, nonce.nonce, nonce.timestamp])
        }
    }

    /// The nonces with timestamps at or after `cutoff`.
    static func read(since cutoff: Int64, _ db: Database) throws -> [AcceptedNonce] {
        try Row.fetchAll(db, sql: "SELECT signer, nonce, timestamp FROM \(name) WHERE timestamp >= ?", arguments: [cutoff]).map { row in
            AcceptedNonce(signer: row["signer"], nonce: row["nonce"], timestamp: row["timestamp"])
        }
    }
}
