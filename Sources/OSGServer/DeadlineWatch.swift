import Synchronization

/// One clock for many deadlines: each watched piece of work registers a deadline and what to
/// do when it passes (cancel a task), and a single ticker, running only while something is
/// watched, fires the overdue ones every ``granularity``.
///
/// Cheaper per request than a sleeping task per deadline (a timer, a child task and a task
/// group each): a watch is a lock and a dictionary entry. A deadline fires up to one
/// granularity late.
final class DeadlineWatch: Sendable {
    /// How often the ticker looks, and so how late a deadline may fire.
    let granularity: Duration

    private struct Watched {
        var deadline: ContinuousClock.Instant
        var onExpiry: @Sendable () -> Void
    }

    private struct State {
        var watched: [UInt64: Watched] = [:]
        var nextTicket: UInt64 = 0
        var tickerRunning = false
    }

    private let state = Mutex(State())

    init(granularity: Duration = .milliseconds(100)) {
        precondition(granularity > .zero, "the granularity must be positive")
        self.granularity = granularity
    }

    /// Watches a deadline; `onExpiry` runs (on the ticker's task, once) if the deadline passes
    /// before ``forget(_:)``. Returns the ticket to forget it by.
    func watch(until deadline: ContinuousClock.Instant, onExpiry: @escaping @Sendable () -> Void) -> UInt64 {
        let (ticket, startTicker) = state.withLock { state in
            let ticket = state.nextTicket
            state.nextTicket += 1
            state.watched[ticket] = Watched(deadline: deadline, onExpiry: onExpiry)
            let start = !state.tickerRunning
            state.tickerRunning = true
            return (ticket, start)
        }
        if startTicker { Task { await self.tick() } }
        return ticket
    }

    /// Stops watching `ticket`. Returns `false` when its deadline already fired.
    @discardableResult
    func forget(_ ticket: UInt64) -> Bool {
        state.withLock { $0.watched.removeValue(forKey: ticket) != nil }
    }

    /// Number of deadlines being watched.
    var count: Int { state.withLock { $0.watched.count } }

    /// Fires overdue deadlines until nothing is watched, then stops (the next watch starts it).
    private func tick() async {
        while true {
            try? await Task.sleep(for: granularity)
            if fireOverdue(at: .now) { return }
        }
    }

    /// Whether a ticker is running (or about to), as the next ``watch(until:onExpiry:)`` sees it.
    var tickerRunning: Bool { state.withLock { $0.tickerRunning } }

    /// Runs (once) what was watched until `now` or earlier and stops watching it. Returns
    /// whether the ticker should stop: nothing is left to watch, which is decided under the
    /// lock, so a watch after this starts a ticker of its own.
    func fireOverdue(at now: ContinuousClock.Instant) -> Bool {
        let (overdue, stop) = state.withLock { state in
            let due = state.watched.filter { $0.value.deadline <= now }
            for ticket in due.keys { state.watched.removeValue(forKey: ticket) }
            if state.watched.isEmpty { state.tickerRunning = false }
            return (due.values.map(\.onExpiry), !state.tickerRunning)
        }
        overdue.forEach { $0() }
        return stop
    }
}
