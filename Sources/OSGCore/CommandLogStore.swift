import OSGDomain

/// Durable storage for a command log: the genesis header and the entries in sequence order.
///
/// `append` returns only once the entries are durable, so a coordinator may acknowledge a
/// command as soon as `append` returns. Implementations: ``SQLiteCommandLogStore`` (the
/// embedded default), ``PostgresCommandLogStore`` (`--database postgres://…`) and
/// ``InMemoryCommandLogStore`` (tests and simulations).
public protocol CommandLogStore: Sendable {
    /// The genesis the log was started with, or `nil` for a new, empty store.
    func genesis() async throws(StoreError) -> Genesis?

    /// Records the genesis of a new log. Fails if the store already has a different one.
    func initialize(genesis: Genesis) async throws(StoreError)

    /// Number of entries stored; the next entry's sequence number.
    func count() async throws(StoreError) -> UInt64

    /// Durably appends a batch in one atomic step: all entries or none.
    ///
    /// The batch must continue the log: the first entry's sequence equals ``count()`` and
    /// the sequences are consecutive.
    func append(_ entries: [LogEntry]) async throws(StoreError)

    /// ``append(_:)``, and in the same atomic step records `nonces` (the nonces of the signed
    /// requests behind the entries) and forgets every recorded nonce whose timestamp is before
    /// `cutoff` (outside the signature window, so no longer needed to refuse a replay).
    func append(_ entries: [LogEntry], nonces: [AcceptedNonce], forgettingNoncesBefore cutoff: Int64) async throws(StoreError)

    /// The recorded nonces whose timestamps are at or after `cutoff`, to refuse replays after
    /// a restart.
    func acceptedNonces(since cutoff: Int64) async throws(StoreError) -> [AcceptedNonce]

    /// Up to `limit` entries starting at sequence `start`, in order.
    func entries(from start: UInt64, limit: Int) async throws(StoreError) -> [LogEntry]
}

/// Why the store could not do what was asked. The message names the table, sequence or
/// file concerned.
public typealias StoreError = CodedError<StoreErrorCode>

/// Stable store error codes.
public enum StoreErrorCode: String, Hashable, Sendable {
    /// The batch does not continue the log (gap, overlap or reordering).
    case notContiguous = "not_contiguous"
    /// The store was started with another genesis.
    case genesisMismatch = "genesis_mismatch"
    /// Stored bytes do not decode: the database was damaged or written by something else.
    case corrupt
    /// The database could not be opened, read or written.
    case io
    /// A command too large for a log entry (``LogEntry/leafSizeProblem``); nothing was logged.
    case entryTooLarge = "entry_too_large"
    /// Entries were asked of a store that counts them without keeping them (a simulation's).
    case notRetained = "not_retained"
}

extension CommandLogStore {
    /// Checks that `entries` continue a log of `count` entries.
    package static func checkContiguous(_ entries: [LogEntry], after count: UInt64) throws(StoreError) {
        for (offset, entry) in entries.enumerated() where entry.sequence != count + UInt64(offset) {
            throw StoreError(.notContiguous, "entry \(offset) of the batch has sequence \(entry.sequence), expected \(count + UInt64(offset))")
        }
    }

    /// Every entry, in order, read in pages.
    public func allEntries(pageSize: Int = 10_000) async throws(StoreError) -> [LogEntry] {
        var result: [LogEntry] = []
        while true {
            let page = try await entries(from: UInt64(result.count), limit: pageSize)
            result += page
            if page.count < pageSize { return result }
        }
    }
}

/// A signed request's nonce that the coordinator accepted and logged, kept in the store beside
/// the log so that a replay of the request is refused after a restart too (issue: nonces that
/// lived only in memory let the same faucet request through again after a restart).
///
/// Stores keep a nonce for as long as its timestamp is inside the signature window (the
/// coordinator forgets older ones at each append); `acceptedNonces(since:)` reads them back
/// at start.
public struct AcceptedNonce: Hashable, Sendable {
    /// The signer's public key, in hex.
    public var signer: String
    /// The request's nonce (16-64 characters of `[A-Za-z0-9_-]`).
    public var nonce: String
    /// The request's signed timestamp, in Unix seconds.
    public var timestamp: Int64

    public init(signer: String, nonce: String, timestamp: Int64) {
        self.signer = signer
        self.nonce = nonce
        self.timestamp = timestamp
    }
}
