import OSGCore
import Synchronization

/// Reads never run on the writer: every view is computed in the reading request's own task,
/// on any core, from a copy of the state the writer hands out (``CommandWriter/read(_:)``
/// returns it in O(1): the copy shares the writer's storage until the writer next changes it).
///
/// A copy is reused while it is at most ``maxAge`` old, so a burst of reads costs the writer
/// one hand-over, and the writer's next change pays for copying what it changes at most once
/// per ``maxAge``. Freshness where it matters:
/// - a read signed by a key sees every write that key had acknowledged (read your writes:
///   ``recordWrite(by:through:)`` after each write, ``state(for:)`` for the read);
/// - ``state(through:)`` waits for nothing and never goes back: it takes a new copy when the
///   one at hand is older than the length asked for.
final class StateReader: Sendable {
    private struct Copy: Sendable {
        var state: CoordinatorState
        var taken: ContinuousClock.Instant
    }

    private let writer: CommandWriter
    private let latest = Mutex<Copy?>(nil)
    /// Per key, the log length that includes its last acknowledged write (bounded: past
    /// ``maxTrackedKeys`` the table starts over, which only makes some reads take a copy).
    private let lastWrites = Mutex<[String: UInt64]>([:])
    /// How old a reused copy may be.
    let maxAge: Duration
    /// Most keys whose last write is remembered.
    let maxTrackedKeys: Int

    init(writer: CommandWriter, maxAge: Duration, maxTrackedKeys: Int = 100_000) {
        precondition(maxAge >= .zero && maxTrackedKeys > 0, "a copy's age and the key table are bounded below by 0 and 1")
        self.writer = writer
        self.maxAge = maxAge
        self.maxTrackedKeys = maxTrackedKeys
    }

    /// The state with at least `minimumLength` log entries applied, at most ``maxAge`` old.
    func state(through minimumLength: UInt64 = 0) async -> CoordinatorState {
        let now = ContinuousClock.now
        if let copy = latest.withLock({ $0 }), copy.state.nextSequence >= minimumLength, now - copy.taken <= maxAge {
            return copy.state
        }
        let fresh = await writer.read { $0 }
        latest.withLock { current in
            if current.map({ $0.state.nextSequence <= fresh.nextSequence }) ?? true {
                current = Copy(state: fresh, taken: now)
            }
        }
        return fresh
    }

    /// The state for a read signed by `key`: it includes every write of `key` acknowledged so far.
    func state(for key: String) async -> CoordinatorState {
        await state(through: lastWrites.withLock { $0[key] } ?? 0)
    }

    /// Records that `key`'s write is in the log's first `length` entries.
    func recordWrite(by key: String, through length: UInt64) {
        lastWrites.withLock { table in
            if table[key] == nil, table.count >= maxTrackedKeys { table.removeAll(keepingCapacity: true) }
            table[key] = max(table[key] ?? 0, length)
        }
    }
}
