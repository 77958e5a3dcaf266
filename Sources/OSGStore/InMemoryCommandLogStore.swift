import OSGCore
import OSGDomain
import Synchronization

/// A command log store in memory: the fake beside ``SQLiteCommandLogStore`` for tests and
/// simulations. Same contract, no durability.
public final class InMemoryCommandLogStore: CommandLogStore {
    private struct Contents {
        var genesis: Genesis?
        var entries: [LogEntry] = []
        var nonces: Set<AcceptedNonce> = []
    }

    private let contents = Mutex(Contents())
    /// Snapshots by entries covered, and the clean-stop record (see `InMemoryCommandLogStore+Snapshots`).
    let snapshotContents = Mutex(InMemorySnapshots())

    public init() {}

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
        contents.withLock { UInt64($0.entries.count) }
    }

    public func append(_ entries: [LogEntry]) throws(StoreError) {
        try append(entries, nonces: [], forgettingNoncesBefore: .min)
    }

    public func append(_ entries: [LogEntry], nonces: [AcceptedNonce], forgettingNoncesBefore cutoff: Int64) throws(StoreError) {
        try contents.withLock { (contents: inout Contents) throws(StoreError) in
            try Self.checkContiguous(entries, after: UInt64(contents.entries.count))
            contents.entries += entries
            if cutoff > .min { contents.nonces = contents.nonces.filter { $0.timestamp >= cutoff } }
            contents.nonces.formUnion(nonces)
        }
    }

    public func acceptedNonces(since cutoff: Int64) throws(StoreError) -> [AcceptedNonce] {
        contents.withLock { contents in contents.nonces.filter { $0.timestamp >= cutoff } }
    }

    public func entries(from start: UInt64, limit: Int) throws(StoreError) -> [LogEntry] {
        contents.withLock { contents in
            guard start < UInt64(contents.entries.count) else { return [] }
            let lower = Int(start)
            return Array(contents.entries[lower..<min(contents.entries.count, lower + limit)])
        }
    }
}
