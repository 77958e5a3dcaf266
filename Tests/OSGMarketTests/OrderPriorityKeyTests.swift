import OSGDomain
import Testing
@testable import OSGMarket

/// The engine sorts its queue on ``OrderPriority/integerKey`` and breaks ties of keys with the
/// full priority, and splits fair-share buckets on the keys: both must agree with the published
/// order (``OrderPriority``'s `<`) and its buckets, whatever the orders.
@Suite("Order priority integer keys")
struct OrderPriorityKeyTests {
    static let now = Timestamp(rfc3339: "2026-12-01T00:00:00Z")!

    /// Synthetic orders, some with ids sharing their first 16 bytes (equal prefix keys), some
    /// of them set-aside, priced alike or submitted at the same second.
    static func priorities(seed: UInt64) -> [OrderPriority] {
        var random = SplitMix64(seed: seed)
        var orders = SyntheticMarket.orders(count: 400, seed: seed, now: now)
        for index in orders.indices {
            if random.next() % 3 == 0 { orders[index].id = "order-with-a-long-shared-prefix-\(random.next() % 1_000)-\(index)" }
            if random.next() % 4 == 0 { orders[index].submitted = now.adding(seconds: -Int64(random.next() % 3)) }
        }
        // Aging promotes the orders submitted before the cutoff (some, not all).
        let cutoff = random.next() % 2 == 0 ? now.adding(seconds: -1).secondsSinceEpoch : nil
        return orders.map { OrderPriority($0, agedBefore: cutoff) }
    }

    @Test("keys order as the priorities do, and tie only where the full comparison decides", arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64])
    func keysAgreeWithPriorities(seed: UInt64) {
        let priorities = Self.priorities(seed: seed)
        for left in priorities {
            for right in priorities where left.id != right.id {
                let (leftKey, rightKey) = (left.integerKey, right.integerKey)
                if leftKey < rightKey {
                    #expect(left < right, "seed \(seed): \(left.id) before \(right.id) by key, not by priority")
                } else if leftKey == rightKey {
                    #expect(left.idKey == right.idKey && left.submittedSeconds == right.submittedSeconds,
                            "seed \(seed): keys tie only on equal prefixes and times")
                }
                #expect(leftKey.sharesFairShareBucket(with: rightKey) == left.sharesFairShareBucket(with: right),
                        "seed \(seed): \(left.id) and \(right.id) split into buckets alike")
            }
        }
        // The engine's sort: keys, then the full priority on a tie.
        let byKey = priorities.indices.sorted { a, b in
            let (keyA, keyB) = (priorities[a].integerKey, priorities[b].integerKey)
            return keyA != keyB ? keyA < keyB : priorities[a] < priorities[b]
        }
        #expect(byKey.map { priorities[$0].id } == priorities.sorted().map(\.id), "seed \(seed)")
        let sharedPrefixes = Set(priorities.map { "\($0.idKey.high)-\($0.idKey.low)" }).count
        #expect(sharedPrefixes < priorities.count, "seed \(seed): some ids share their prefix key")
    }
}
