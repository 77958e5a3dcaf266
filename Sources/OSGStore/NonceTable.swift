import Foundation
import GRDB
import GRDBSQLite
import OSGCore

/// The nonces of logged requests still inside the signature window (see ``AcceptedNonce``),
/// one row per append: `first_sequence` (the append's first log entry), `newest` (its latest
/// request timestamp) and the batch (``AcceptedNonce/encodeBatch(_:)``).
///
/// One append-only row per group commit costs a single insert, where a row per nonce in a
/// keyed table cost a random B-tree insert per request (measured: +60 % on a 20-entry append).
/// Old rows go from the front: every row before the first one whose `newest` is inside the
/// window, so a row is never forgotten while any of its nonces is still needed.
enum NonceTable {
    static let name = "request_nonce_batch"

    static func createSQLite(_ db: Database) throws {
        try db.create(table: name) { table in
            table.column("first_sequence", .integer).primaryKey()
            table.column("newest", .integer).notNull()
            table.column("nonces", .blob).notNull()
        }
    }

    /// The statement that forgets the rows before the first one with `newest` at or after `?1`.
    static func forgetSQL(_ table: String, parameter: String) -> String {
        """
        DELETE FROM \(table) WHERE first_sequence < COALESCE(
            (SELECT first_sequence FROM \(table) WHERE newest >= \(parameter) ORDER BY first_sequence LIMIT 1), \(Int64.max))
        """
    }

    /// Records the nonces of the append starting at `firstSequence` and forgets the rows no
    /// longer needed at `cutoff`.
    static func record(_ nonces: [AcceptedNonce], firstSequence: UInt64, forgettingBefore cutoff: Int64, _ db: Database) throws {
        if cutoff > .min {
            try db.execute(sql: forgetSQL(name, parameter: "?"), arguments: [cutoff])
        }
        guard let newest = nonces.map(\.timestamp).max() else { return }
        try db.execute(sql: "INSERT INTO \(name) (first_sequence, newest, nonces) VALUES (?, ?, ?)",
                       arguments: [Int64(firstSequence), newest, Data(AcceptedNonce.encodeBatch(nonces))])
    }

    /// The nonces with timestamps at or after `cutoff`.
    static func read(since cutoff: Int64, _ db: Database) throws -> [AcceptedNonce] {
        var nonces: [AcceptedNonce] = []
        for row in try Row.fetchAll(db, sql: "SELECT nonces FROM \(name) WHERE newest >= ? ORDER BY first_sequence", arguments: [cutoff]) {
            let bytes: Data = row["nonces"]
            nonces += try AcceptedNonce.decodeBatch(bytes).filter { $0.timestamp >= cutoff }
        }
        return nonces
    }
}
