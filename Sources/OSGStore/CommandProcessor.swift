import OSGCore
import OSGDomain

/// The coordinator's write path: log durably first, then apply.
///
/// `submit` turns commands into log entries, appends them to the store as one batch (group
/// commit), and only then applies them to the state. Opening a processor on an existing store
/// recovers by replaying every stored entry, so a crash at any instant loses nothing that was
/// acknowledged and never applies anything that was not logged.
public struct CommandProcessor<Store: CommandLogStore> {
    /// The current state: exactly the replay of the stored log.
    public private(set) var state: CoordinatorState
    /// Where the log is kept.
    public let store: Store

    /// Opens `store`, initialising it with `genesis` if it is new, and replays its log: all of
    /// it, or only the entries after `restored` (a state restored from a snapshot of this log).
    ///
    /// - Throws: ``StoreError`` if the store cannot be read, holds another genesis, or holds
    ///   entries that do not replay in order.
    public init(store: Store, genesis: Genesis, restored: CoordinatorState? = nil) async throws(StoreError) {
        try await store.initialize(genesis: genesis)
        self.store = store
        if let restored, restored.genesis != genesis {
            throw StoreError(.genesisMismatch, "the restored state belongs to a log with another genesis")
        }
        var state = restored ?? CoordinatorState(genesis: genesis)
        var next = state.nextSequence
        while true {
            let page = try await store.entries(from: next, limit: 10_000)
            for entry in page {
                guard state.accepts(entry) else {
                    throw StoreError(.corrupt, "stored entry \(entry.sequence) is out of order or goes back in time")
                }
                _ = state.apply(entry)
            }
            next += UInt64(page.count)
            if page.count < 10_000 { break }
        }
        self.state = state
    }

    /// Logs and applies a batch of commands at `time`, returning each command's events.
    ///
    /// Time never runs backwards in the log: a `time` earlier than the last entry's (a clock
    /// step back) is raised to it.
    public mutating func submit(_ batch: [(command: Command, actor: String)], at time: Timestamp) async throws(StoreError) -> [[Event]] {
        let entries = entries(for: batch, at: time)
        for (offset, entry) in entries.enumerated() {
            if let problem = entry.leafSizeProblem {
                throw StoreError(.entryTooLarge, "command \(offset) of the batch: \(problem); nothing of the batch was logged")
            }
        }
        try await store.append(entries)
        return applyAppended(entries)
    }

    /// The entries `batch` becomes at `time`, continuing the log (nothing is logged yet).
    ///
    /// With ``applyAppended(_:)`` this splits ``submit(_:at:)`` for pipelines that must keep
    /// answering reads from ``state`` while the append is in flight: prepare, append to
    /// ``store``, then apply. Time never runs backwards (see ``submit(_:at:)``).
    /// `proofs`, when not empty, holds each command's ``CommandProof`` (or `nil`), in order.
    public func entries(for batch: [(command: Command, actor: String)], at time: Timestamp, proofs: [CommandProof?] = []) -> [LogEntry] {
        precondition(proofs.isEmpty || proofs.count == batch.count, "one proof (or nil) per command")
        let logicalTime = logicalTime(at: time)
        let first = state.nextSequence
        return batch.enumerated().map { offset, item in
            LogEntry(sequence: first + UInt64(offset), time: logicalTime, actor: item.actor, command: item.command,
                     proof: proofs.isEmpty ? nil : proofs[offset])
        }
    }

    /// The time entries logged at `time` get: never before the last entry's (a clock step back
    /// is raised to it).
    public func logicalTime(at time: Timestamp) -> Timestamp {
        max(time, state.lastTime ?? time)
    }

    /// Applies entries the caller has just appended durably to ``store``, in order.
    ///
    /// - Precondition: the entries continue the state (they came from ``entries(for:at:)``
    ///   with no other entry applied in between) and ``store`` holds them.
    public mutating func applyAppended(_ entries: [LogEntry]) -> [[Event]] {
        entries.map { state.apply($0) }
    }
}

extension CommandProcessor where Store == InMemoryCommandLogStore {
    /// Opens an in-memory store synchronously (the simulator's processor): same contract as
    /// ``init(store:genesis:restored:)``, without suspending, since nothing is read from disk.
    ///
    /// - Throws: ``StoreError`` if the store holds another genesis or entries that do not
    ///   replay in order.
    public init(memory store: InMemoryCommandLogStore, genesis: Genesis) throws(StoreError) {
        try store.initialize(genesis: genesis)
        self.store = store
        var state = CoordinatorState(genesis: genesis)
        for entry in try store.entries(from: 0, limit: Int(try store.count())) {
            guard state.accepts(entry) else {
                throw StoreError(.corrupt, "stored entry \(entry.sequence) is out of order or goes back in time")
            }
            _ = state.apply(entry)
        }
        self.state = state
    }

    /// Logs and applies a batch of commands at `time` without suspending: ``submit(_:at:)``
    /// for the in-memory store. Returns each command's events and its entry's leaf bytes (the
    /// transparency log's leaf, encoded once for the size check).
    public mutating func submitInMemory(_ batch: [(command: Command, actor: String)], at time: Timestamp) throws(StoreError)
        -> (events: [[Event]], leaves: [[UInt8]]) {
        let entries = entries(for: batch, at: time)
        var leaves: [[UInt8]] = []
        leaves.reserveCapacity(entries.count)
        for (offset, entry) in entries.enumerated() {
            let (leaf, problem) = entry.leafOrSizeProblem
            if let problem {
                throw StoreError(.entryTooLarge, "command \(offset) of the batch: \(problem); nothing of the batch was logged")
            }
            leaves.append(leaf)
        }
        try store.append(entries)
        return (applyAppended(entries), leaves)
    }
}
