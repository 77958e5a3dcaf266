import OSGDomain
import OSGMarket
import Testing
@testable import OSGCore

/// The clearing reads the queue's market orders by place (``CoordinatorState/queuedMarketOrders``),
/// kept in step with the queue as orders join and leave it. Whatever the log, once a clearing
/// has built them there is one per queued order, and each kept one is what its order gives now.
@Suite("The queue's kept market orders")
struct QueuedMarketOrdersTests {
    /// Checks the kept market orders of `state` against its queue; `built`: a clearing has run
    /// since the caches were last dropped.
    static func check(_ state: CoordinatorState, built: Bool, at index: Int, seed: UInt64) {
        let kept = state.queuedMarketOrders
        if built {
            #expect(kept.count == state.queue.count, "seed \(seed), entry \(index): one kept market order per queued order")
        }
        guard kept.count == state.queue.count else { return }
        for (place, orderID) in state.queue.enumerated() {
            guard let market = kept[place] else { continue }
            #expect(market == state.freshMarketOrder(of: state.orders[orderID]!),
                    "seed \(seed), entry \(index): the market order kept for \(orderID) is the one it gives now")
        }
    }

    /// A workload's log with every submission sent four times (the same job again, as new
    /// jobs): a queue that grows, jobs whose tenant runs out of funds, cancellations and
    /// completions of some of them.
    static func crowdedLog(seed: UInt64, operators: Int, nodesPerOperator: Int, tenants: Int) -> [LogEntry] {
        var workload = CommandLogWorkload(seed: seed, operators: operators, nodesPerOperator: nodesPerOperator, tenants: tenants)
        var entries: [LogEntry] = []
        for entry in workload.entries(count: 2_500) {
            let copies = if case .submitJob = entry.command { 4 } else { 1 }
            for _ in 0..<copies {
                entries.append(LogEntry(sequence: UInt64(entries.count), time: entry.time, actor: entry.actor, command: entry.command))
            }
        }
        return entries
    }

    @Test("one per queued order after a clearing, each the one its order gives, through submissions, starts, ends and drops",
          arguments: [(UInt64(1), 2, 2, 10), (UInt64(6), 1, 2, 12)])
    func keptOrdersFollowTheQueue(seed: UInt64, operators: Int, nodesPerOperator: Int, tenants: Int) {
        let entries = Self.crowdedLog(seed: seed, operators: operators, nodesPerOperator: nodesPerOperator, tenants: tenants)
        var straight = CoordinatorState(genesis: CommandLogWorkload.genesis)
        var state = CoordinatorState(genesis: CommandLogWorkload.genesis)
        var built = false
        var clearings = 0
        var longestQueue = 0
        for (index, entry) in entries.enumerated() {
            if index == entries.count / 2 {
                state.dropMarketCaches()
                built = false
            }
            let events = state.apply(entry)
            #expect(events == straight.apply(entry), "seed \(seed), entry \(index): dropping the caches changes nothing")
            if case .clear = entry.command {
                built = true
                clearings += 1
            }
            longestQueue = max(longestQueue, state.queue.count)
            if index % 25 == 0 || entry.command == .clear { Self.check(state, built: built, at: index, seed: seed) }
        }
        #expect(state.digest == straight.digest, "seed \(seed)")
        #expect(clearings > 10 && longestQueue > 20, "seed \(seed): the log clears a long queue (\(clearings) clearings, queue up to \(longestQueue))")
    }
}
