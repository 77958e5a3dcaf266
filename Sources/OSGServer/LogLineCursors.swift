import Synchronization

/// Where each sender's job output stands, so that an agent that sends lines again (its answer
/// was lost, or it restarted before it noted the send) does not add them twice.
///
/// A sender is one node's share of one lease; its lines are numbered from 0 (`first_line` in
/// `POST /v1/leases/{id}/logs`). Kept in memory for the most recent senders only (a bound, the
/// oldest forgotten first): after a coordinator restart or an eviction a resent batch is taken
/// as new, so the guarantee is "no duplicate while the coordinator runs", said in docs/API.md.
final class LogLineCursors: Sendable {
    /// Senders remembered at most.
    static let capacity = 100_000

    private struct State {
        var next: [String: Int] = [:]
        var order: [String] = []
        var start = 0
    }

    private let state = Mutex(State())

    /// The lines of a batch numbered from `firstLine` that are new for `sender`: how many to
    /// skip at the front, after which the cursor stands past the batch.
    func newLines(sender: String, firstLine: Int, count: Int) -> Int {
        precondition(firstLine >= 0 && count >= 0, "line numbers are checked at the door")
        return state.withLock { state in
            let expected = state.next[sender]
            if expected == nil {
                state.order.append(sender)
                if state.order.count - state.start > Self.capacity {
                    state.next[state.order[state.start]] = nil
                    state.start += 1
                    if state.start > Self.capacity {
                        state.order.removeFirst(state.start)
                        state.start = 0
                    }
                }
            }
            let skip = min(count, max(0, (expected ?? 0) - firstLine))
            state.next[sender] = max(expected ?? 0, firstLine + count)
            return skip
        }
    }
}
