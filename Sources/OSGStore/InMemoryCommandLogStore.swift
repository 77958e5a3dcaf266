import OSGCore
import OSGDomain
import Synchronization

/// A command log store in memory: the fake beside ``SQLiteCommandLogStore`` for tests and
/// simulations. Same contract, no durability; a simulation that needs only the state (and the
/// leaves' root, which it keeps itself) may have it count entries without keeping them.
public final class InMemoryCommandLogStore: CommandLogStore {
    private struct Contents {
        var genesis: Genesis?
        var entries: [LogEntry] = []
        var count: UInt64 = 0
        var nonces: Set<AcceptedNonce> = []
    }

    private let contents = Mutex(Contents())
    /// Snapshots by entries covered, and the clean-stop record (see `InMemoryCommandLogStore+Snapshots`).
    let snapshotContents = Mutex(InMemorySnapshots())
    /// Whether appended entries are kept (`false`: only counted; reading them is refused with
    /// `not_retained`).
    public let retainsEntries: Bool

    /// A store that keeps its entries, or with `retainingEntries: false` one that only counts
    /// them (a long simulation that publishes no log).
    public init(retainingEntries: Bool = true) {
        retainsEntries = retainingEntries
    }

    public func genesis() throws(StoreError) -> Genesis? {
        contents.withLock { $0.genesis }
    }

    public func initialize(genesis: Genesis) throws(StoreError) {
        try contents.withLock { (contents: inout Contents) throws(StoreError) in
            if let existing = contents.genesis, existing != genesis {
                throw StoreError(.genesisMismatch, "the store holds a log with another genesis")
            }
            contents.genesis = genesis
        }
    }

    public func count() throws(StoreError) -> UInt64 {
        contents.withLock { $0.count }
    }

    public func append(_ entries: [LogEntry]) throws(StoreError) {
        try append(entries, nonces: [], forgettingNoncesBefore: .min)
    }

    public func append(_ entries: [LogEntry], nonces: [AcceptedNonce], forgettingNoncesBefore cutoff: Int64) throws(StoreError) {
        try contents.withLock { (contents: inout Contents) throws(StoreError) in
            try Self.checkContiguous(entries, after: contents.count)
            if retainsEntries { contents.entries += entries }
            contents.count += UInt64(entries.count)
            if cutoff > .min { contents.nonces = contents.nonces.filter { $0.timestamp >= cutoff } }
            contents.nonces.formUnion(nonces)
        }
    }

    public func acceptedNonces(since cutoff: Int64) throws(StoreError) -> [AcceptedNonce] {
        contents.withLock { contents in contents.nonces.filter { $0.timestamp >= cutoff } }
    }

    public func entries(from start: UInt64, limit: Int) throws(StoreError) -> [LogEntry] {
        try contents.withLock { (contents: inout Contents) throws(StoreError) in
            guard start < contents.count else { return [] }
            guard retainsEntries else {
                throw StoreError(.notRetained, "this in-memory store counts its \(contents.count) entries without keeping them")
            }
            let lower = Int(start)
            return Array(contents.entries[lower..<min(contents.entries.count, lower + limit)])
        }
    }
}
