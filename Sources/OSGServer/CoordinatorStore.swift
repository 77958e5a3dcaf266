import Dispatch
import OSGCore
import OSGStore

/// The command log the coordinator writes: SQLite (embedded default), PostgreSQL, or memory.
///
/// SQLite calls block while the file is synced, so they run on one dedicated dispatch queue
/// instead of a thread of Swift's cooperative pool, which keeps serving requests meanwhile.
public enum CoordinatorStore: CommandLogStore {
    case sqlite(SQLiteCommandLogStore)
    case postgres(PostgresCommandLogStore, PostgresDatabase)
    case memory(InMemoryCommandLogStore)

    private static let sqliteQueue = DispatchQueue(label: "openstargate.store.sqlite")

    static func offload<T: Sendable>(_ body: @escaping @Sendable () throws(StoreError) -> T) async throws(StoreError) -> T {
        let result: Result<T, StoreError> = await withCheckedContinuation { continuation in
            sqliteQueue.async {
                continuation.resume(returning: Result { () throws(StoreError) -> T in try body() })
            }
        }
        return try result.get()
    }

    public func genesis() async throws(StoreError) -> Genesis? {
        switch self {
        case .sqlite(let store): try await Self.offload { () throws(StoreError) in try store.genesis() }
        case .postgres(let store, _): try await store.genesis()
        case .memory(let store): try store.genesis()
        }
    }

    public func initialize(genesis: Genesis) async throws(StoreError) {
        switch self {
        case .sqlite(let store): try await Self.offload { () throws(StoreError) in try store.initialize(genesis: genesis) }
        case .postgres(let store, _): try await store.initialize(genesis: genesis)
        case .memory(let store): try store.initialize(genesis: genesis)
        }
    }

    public func count() async throws(StoreError) -> UInt64 {
        switch self {
        case .sqlite(let store): try await Self.offload { () throws(StoreError) in try store.count() }
        case .postgres(let store, _): try await store.count()
        case .memory(let store): try store.count()
        }
    }

    public func append(_ entries: [LogEntry]) async throws(StoreError) {
        switch self {
        case .sqlite(let store): try await Self.offload { () throws(StoreError) in try store.append(entries) }
        case .postgres(let store, _): try await store.append(entries)
        case .memory(let store): try store.append(entries)
        }
    }

    public func append(_ entries: [LogEntry], nonces: [AcceptedNonce], forgettingNoncesBefore cutoff: Int64) async throws(StoreError) {
        switch self {
        case .sqlite(let store):
            try await Self.offload { () throws(StoreError) in try store.append(entries, nonces: nonces, forgettingNoncesBefore: cutoff) }
        case .postgres(let store, _): try await store.append(entries, nonces: nonces, forgettingNoncesBefore: cutoff)
        case .memory(let store): try store.append(entries, nonces: nonces, forgettingNoncesBefore: cutoff)
        }
    }

    /// ``append(_:nonces:forgettingNoncesBefore:)`` on the calling thread, for a caller that has
    /// a thread of its own to block (the single writer runs on its own dispatch queue): the
    /// append then never waits for a thread of Swift's cooperative pool, which requests keep
    /// busy with signature checks, to come back. Returns `false`, doing nothing, for a store
    /// whose appends are asynchronous (PostgreSQL).
    public func appendOnCallingThread(_ entries: [LogEntry], nonces: [AcceptedNonce], forgettingNoncesBefore cutoff: Int64) throws(StoreError) -> Bool {
        switch self {
        case .sqlite(let store): try store.append(entries, nonces: nonces, forgettingNoncesBefore: cutoff)
        case .memory(let store): try store.append(entries, nonces: nonces, forgettingNoncesBefore: cutoff)
        case .postgres: return false
        }
        return true
    }

    public func acceptedNonces(since cutoff: Int64) async throws(StoreError) -> [AcceptedNonce] {
        switch self {
        case .sqlite(let store): try await Self.offload { () throws(StoreError) in try store.acceptedNonces(since: cutoff) }
        case .postgres(let store, _): try await store.acceptedNonces(since: cutoff)
        case .memory(let store): try store.acceptedNonces(since: cutoff)
        }
    }

    public func entries(from start: UInt64, limit: Int) async throws(StoreError) -> [LogEntry] {
        switch self {
        case .sqlite(let store): try await Self.offload { () throws(StoreError) in try store.entries(from: start, limit: limit) }
        case .postgres(let store, _): try await store.entries(from: start, limit: limit)
        case .memory(let store): try store.entries(from: start, limit: limit)
        }
    }

    /// Opens the store a configuration names: PostgreSQL when `databaseURL` is set, else
    /// `osg.sqlite` in `dataDirectory`. On PostgreSQL it takes the log's single-writer lock
    /// (held until ``close()`` or the process ends) and fails if another coordinator holds it.
    public static func open(dataDirectory: String, databaseURL: String?) async throws(StoreError) -> CoordinatorStore {
        if let databaseURL {
            let database = try await PostgresDatabase.connect(url: databaseURL)
            do {
                try await database.acquireWriterLock(url: databaseURL)
            } catch {
                await database.shutdown()
                throw error
            }
            return .postgres(PostgresCommandLogStore(database: database), database)
        }
        let path = dataDirectory.hasSuffix("/") ? dataDirectory + "osg.sqlite" : dataDirectory + "/osg.sqlite"
        return .sqlite(try await offload { () throws(StoreError) in try SQLiteCommandLogStore(path: path) })
    }

    /// Releases connections (PostgreSQL); a no-op for the others.
    public func close() async {
        if case .postgres(_, let database) = self { await database.shutdown() }
    }
}
