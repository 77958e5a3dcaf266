import Logging
import OSGCore
import OSGDomain
import OSGRequestBodies
import OSGStore

/// The single writer: it owns the ``CommandProcessor`` (the state and the log store) and
/// turns concurrent requests into group commits.
///
/// Requests queue their command with ``submit(_:actor:)``. While one store append is in
/// flight, newly arriving commands wait; when it returns, they all go into the next append
/// together (one transaction, one fsync), up to ``maxBatch`` at a time. A request is
/// answered only after its entry is durable, applied, and shown to every
/// ``CommandLogObserver``. Reads (``read(_:)``) see the state as of the last applied append,
/// never a command that is not yet durable.
public actor CommandWriter {
    /// What a submitted command became: its log entry and the events it produced.
    public struct Outcome: Sendable {
        public var entry: LogEntry
        public var events: [Event]
    }

    private struct Pending {
        var command: Command
        var actor: String
        /// The nonce of the signed request behind the command, kept with it in the store.
        var nonce: AcceptedNonce?
        /// The participant's signature over the command, kept in its entry.
        var proof: CommandProof?
        var continuation: CheckedContinuation<Outcome, any Error>
    }

    private var processor: CommandProcessor<CoordinatorStore>
    private var pending: [Pending] = []
    /// Per actor, its commands submitted but not applied yet (being stored or waiting), in
    /// order: what an admission check adds to the state for that actor.
    private var unappliedByActor: [String: [Command]] = [:]
    /// The batch being stored: logged but not yet applied to the state.
    private var committing: [Pending] = []
    private var flushing = false
    /// Set when an append failed in a way that leaves the store's content unknown; writes are
    /// refused until a restart recovers from the store.
    public private(set) var failed: StoreError?
    private var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
    private var nextWaiterID: UInt64 = 0
    /// Bumped whenever an append starts or ends a lease or a node's liveness changes.
    public private(set) var leaseVersion: UInt64 = 0

    /// The writer's own thread (see ``QueueExecutor``).
    private let executor = QueueExecutor(label: "openstargate.writer")
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    private let observers: [any CommandLogObserver]
    private let clock: @Sendable () -> Timestamp
    private let metrics: ServerMetrics
    private let logger: Logger
    /// Most commands in one store append.
    public let maxBatch: Int
    /// Most commands waiting for an append; beyond it requests are refused with 429.
    public let maxPending: Int
    /// Most concurrent long-poll waiters.
    public let maxWaiters: Int
    /// How long the store keeps a logged request's nonce (the signature window): older ones
    /// are forgotten at each append.
    public let nonceRetentionSeconds: Int64

    /// A writer over an opened processor.
    public init(
        processor: CommandProcessor<CoordinatorStore>, observers: [any CommandLogObserver] = [],
        clock: @escaping @Sendable () -> Timestamp, metrics: ServerMetrics, logger: Logger,
        maxBatch: Int = 4096, maxPending: Int = 65_536, maxWaiters: Int = 10_000, nonceRetentionSeconds: Int64 = 120
    ) {
        precondition(maxBatch > 0 && maxPending >= maxBatch && maxWaiters > 0, "writer bounds must be positive")
        self.processor = processor
        self.observers = observers
        self.clock = clock
        self.metrics = metrics
        self.logger = logger
        self.maxBatch = maxBatch
        self.maxPending = maxPending
        self.maxWaiters = maxWaiters
        self.nonceRetentionSeconds = nonceRetentionSeconds
        metrics.logLength.record(Int64(processor.state.nextSequence))
    }

    /// Logs `command` for `actor`, durably, applies it, and returns what it did. `nonce`, the
    /// nonce of the signed request behind the command, is kept in the store with the entry, so
    /// a replay of the request is refused after a restart too.
    ///
    /// - Throws: ``APIError`` 413 `entry_too_large` when the command would not fit a log entry
    ///   (``LogEntry/leafSizeProblem``), 429 when too many commands are waiting, 503 when the
    ///   store failed (nothing of this command was acknowledged).
    ///
    /// A command the state would refuse (``CoordinatorState/rejection(of:actor:at:)``) is
    /// refused here, before it is logged: nothing of it is kept.
    ///
    /// `admit`, when given, decides whether the command may be logged at all, atomically with
    /// queueing it: it sees the current state and the commands of the same actor submitted
    /// before it that the state does not include yet (being stored or waiting), and throws to
    /// refuse. A limit that depends on the state (a tenant's funds, a per-key cap, the
    /// faucet's balance cap) is checked here, so concurrent requests cannot all pass it against
    /// the same old state.
    /// Each zone's recorded carbon series' end hour (the hour after its last), in the state
    /// as applied so far.
    func recordedCarbonEnds() -> [String: Int64] {
        processor.state.carbonSeries.mapValues(\.endHour)
    }

    public func submit(
        _ command: Command, actor: String, nonce: AcceptedNonce? = nil, proof: CommandProof? = nil,
        admit: (@Sendable (_ state: CoordinatorState, _ unappliedOfActor: [Command]) throws -> Void)? = nil
    ) async throws -> Outcome {
        if let failed {
            throw APIError(.serviceUnavailable, "store_failed", "the coordinator's store failed (\(failed.code.rawValue)); it accepts writes again after a restart")
        }
        if let problem = LogEntry.leafSizeProblem(of: command, actor: actor, proof: proof) {
            throw APIError(.contentTooLarge, "entry_too_large", problem)
        }
        guard pending.count < maxPending else {
            throw APIError(.tooManyRequests, "overloaded", "too many commands are waiting to be logged; retry shortly", headers: [.retryAfter: "1"])
        }
        // No suspension between these checks and the append to `pending` below.
        if let rejection = processor.state.rejection(of: command, actor: actor, at: clock()) {
            metrics.refusedBeforeLogging.increment()
            throw APIError(rejection: rejection, sequence: nil)
        }
        if let admit {
            try admit(processor.state, unappliedByActor[actor] ?? [])
        }
        unappliedByActor[actor, default: []].append(command)
        return try await withCheckedThrowingContinuation { continuation in
            pending.append(Pending(command: command, actor: actor, nonce: nonce, proof: proof, continuation: continuation))
            if !flushing {
                flushing = true
                Task { await self.flush() }
            }
        }
    }

    /// Runs `body` on the current state (as of the last durable append).
    public func read<T: Sendable>(_ body: @Sendable (CoordinatorState) throws -> T) rethrows -> T {
        try body(processor.state)
    }

    /// Number of entries in the log.
    public var logLength: UInt64 { processor.state.nextSequence }

    /// Waits until ``leaseVersion`` exceeds `version` or `timeout` passes, whichever is first.
    /// Returns at once when too many requests are already waiting.
    public func waitForLeaseChange(after version: UInt64, timeout: Duration) async {
        guard leaseVersion <= version, waiters.count < maxWaiters else { return }
        let id = nextWaiterID
        nextWaiterID += 1
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            waiters[id] = continuation
            Task {
                try? await Task.sleep(for: timeout)
                self.wake(id)
            }
        }
    }

    private func wake(_ id: UInt64) {
        waiters.removeValue(forKey: id)?.resume()
    }

    /// Wakes every long-poll waiter (at shutdown).
    public func wakeAll() {
        let all = waiters
        waiters = [:]
        for continuation in all.values { continuation.resume() }
    }

    private func flush() async {
        while !pending.isEmpty {
            let take = min(pending.count, maxBatch)
            let batch = Array(pending.prefix(take))
            pending.removeFirst(take)
            committing = batch
            await commit(batch)
            committing = []
        }
        flushing = false
    }

    private func commit(_ batch: [Pending]) async {
        if let failed {
            forgetUnapplied(batch)
            for item in batch {
                item.continuation.resume(throwing: APIError(.serviceUnavailable, "store_failed", "the coordinator's store failed (\(failed.code.rawValue)); it accepts writes again after a restart"))
            }
            return
        }
        let now = clock()
        // A proof is logged only within its signature window of the entry's time (the audit's
        // rule): a request checked just inside the window that then waited past it is refused.
        var batch = batch
        if let window = processor.state.genesis.signedCommands?.windowSeconds {
            let entryTime = processor.logicalTime(at: now).secondsSinceEpoch
            let (timely, late) = batch.partitioned { item in
                item.proof.map { abs($0.signedAt - entryTime) <= window } ?? true
            }
            if !late.isEmpty {
                forgetUnapplied(late)
                for item in late {
                    item.continuation.resume(throwing: APIError(.unauthorized, "stale_timestamp", "the request's timestamp left the \(window)-second signature window before its command could be logged; sign it again"))
                }
                batch = timely
                if batch.isEmpty { return }
            }
        }
        let entries = processor.entries(for: batch.map { ($0.command, $0.actor) }, at: now, proofs: batch.map(\.proof))
        let start = ContinuousClock.now
        do {
            let nonces = batch.compactMap(\.nonce)
            let cutoff = now.secondsSinceEpoch - nonceRetentionSeconds
            // On the writer's own thread where the store allows it: an append that resumed
            // through the cooperative pool waited behind every request's signature check.
            if try !processor.store.appendOnCallingThread(entries, nonces: nonces, forgettingNoncesBefore: cutoff) {
                try await processor.store.append(entries, nonces: nonces, forgettingNoncesBefore: cutoff)
            }
        } catch {
            // A failed transaction may or may not have committed (a lost connection after
            // COMMIT): the state can no longer be sure to match the store, so stop writing.
            logger.error("store append failed; refusing writes until restart", metadata: ["error": "\(error)"])
            failed = error
            forgetUnapplied(batch)
            for item in batch {
                item.continuation.resume(throwing: APIError(.serviceUnavailable, "store_failed", "the command could not be stored (\(error.code.rawValue)); it was not acknowledged; retry after the coordinator restarts"))
            }
            return
        }
        metrics.appendDuration.recordNanoseconds((ContinuousClock.now - start).nanoseconds)
        let events = processor.applyAppended(entries)
        // Applied: the state includes them now, so they leave the unapplied ones before any
        // suspension below (an admission check in between must not count them twice).
        committing = []
        forgetUnapplied(batch)
        metrics.commandsAppended.increment(by: entries.count)
        metrics.storeAppends.increment()
        metrics.batchSize.record(entries.count)
        metrics.logLength.record(Int64(processor.state.nextSequence))
        for observer in observers {
            do {
                try await observer.didAppend(entries, state: processor.state)
            } catch {
                metrics.observerFailures.increment()
                logger.error("log observer failed", metadata: ["observer": "\(type(of: observer))", "error": "\(error)"])
            }
        }
        if events.contains(where: { $0.contains(where: \.changesLeases) }) {
            leaseVersion += 1
            wakeAll()
        }
        for (index, item) in batch.enumerated() {
            item.continuation.resume(returning: Outcome(entry: entries[index], events: events[index]))
        }
    }
}

extension CommandWriter {
    /// Takes `batch` (in submission order) out of ``unappliedByActor``.
    private func forgetUnapplied(_ batch: [Pending]) {
        for item in batch {
            guard var commands = unappliedByActor[item.actor], !commands.isEmpty else { continue }
            // Its own command: the first equal one (a late item may leave before earlier ones).
            commands.remove(at: commands.firstIndex(of: item.command) ?? 0)
            unappliedByActor[item.actor] = commands.isEmpty ? nil : commands
        }
    }
}

extension Array {
    /// The elements for which `isIncluded` holds, and the others, each in order.
    func partitioned(by isIncluded: (Element) -> Bool) -> (included: [Element], excluded: [Element]) {
        var included: [Element] = [], excluded: [Element] = []
        for element in self {
            if isIncluded(element) { included.append(element) } else { excluded.append(element) }
        }
        return (included, excluded)
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

extension Event {
    /// Whether an operator polling for leases should look again.
    var changesLeases: Bool {
        switch self {
        case .leaseStarted, .leaseEnded, .nodeWentOffline, .nodeWithdrawn, .lockupRecorded, .lockupEnded,
             .preemptionNoticed, .preemptionWithdrawn: true
        default: false
        }
    }
}
