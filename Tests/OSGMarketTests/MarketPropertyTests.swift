import OSGDomain
import OSGMarket
import Testing
@testable import OSGCommands

@Suite("Seeded random markets keep every clearing property")
struct MarketPropertyTests {
    @Test("400 random snapshots pass the independent checker")
    func randomSnapshots() throws {
        var placements = 0
        var unplaced = 0
        var reasons: [String: Int] = [:]
        for seed in UInt64(1)...400 {
            let text = RandomSnapshot(seed: seed).text()
            let (output, violations) = try clearAndCheck(text)
            #expect(violations.isEmpty, "seed \(seed): \(violations)\n\(text)\n\(output)")
            let outcome = try Outcome(output)
            placements += outcome.placed.count
            unplaced += outcome.reasons.count
            for reason in outcome.reasons.values { reasons[String(reason.prefix(while: { $0 != ":" })), default: 0] += 1 }
        }
        // The generator must exercise both outcomes, or the test proves little.
        #expect(placements > 350 && unplaced > 800, "placed \(placements), unplaced \(unplaced): \(reasons.sorted { $0.key < $1.key })")
        // ... and most kinds of verdict.
        #expect(reasons.count >= 15, "\(reasons)")
    }

    @Test("synthetic markets with heavy contention pass the independent checker", arguments: UInt64(1)...6)
    func syntheticMarkets(seed: UInt64) throws {
        let now = Timestamp(rfc3339: "2026-12-01T00:00:00Z")!
        let snapshot = MarketSnapshot(now: now, nodes: SyntheticMarket.fleet(nodes: 150, seed: seed),
                                      orders: SyntheticMarket.orders(count: 500, seed: seed, now: now), pools: SyntheticMarket.pools)
        try snapshot.check()
        let output = MarketClearOutput.json(MarketClearing.clear(snapshot))
        var checker = ClearingChecker(snapshot: snapshot)
        let violations = checker.check(output)
        #expect(violations.isEmpty, "seed \(seed): \(violations.prefix(5))")
        let outcome = try Outcome(output)
        #expect(outcome.placed.count > 50 && outcome.reasons.values.contains("no_capacity"))
        var shuffled = snapshot
        var random = SplitMix64(seed: seed)
        shuffled.nodes.shuffle(using: &random)
        shuffled.orders.shuffle(using: &random)
        #expect(MarketClearOutput.json(MarketClearing.clear(shuffled)) == output)
    }

    @Test("the output does not depend on the order of the input arrays")
    func orderIndependence() throws {
        for seed in UInt64(1)...200 {
            let market = RandomSnapshot(seed: seed)
            let expected = try clearJSON(market.text())
            for shuffle in UInt64(1)...3 {
                #expect(try clearJSON(market.text(shuffledWith: seed &* 31 &+ shuffle)) == expected, "seed \(seed) shuffle \(shuffle)")
            }
        }
    }

    @Test("the same input clears to identical output every time")
    func determinism() throws {
        for seed in UInt64(1)...50 {
            let text = RandomSnapshot(seed: seed).text()
            #expect(try clearJSON(text) == clearJSON(text))
        }
    }

    @Test("clearing in batches never over-commits a node and keeps each batch's properties")
    func batches() throws {
        for seed in UInt64(1)...20 {
            let now = Timestamp(rfc3339: "2026-12-01T00:00:00Z")!
            let fleet = SyntheticMarket.fleet(nodes: 300, seed: seed)
            let orders = SyntheticMarket.orders(count: 1_200, seed: seed, now: now)
            var engine = ClearingEngine(nodes: fleet, pools: SyntheticMarket.pools)
            var used: [String: Int] = [:]
            var seen = 0
            for start in stride(from: 0, to: orders.count, by: 300) {
                let result = engine.clear(Array(orders[start..<min(start + 300, orders.count)]))
                seen += result.placements.count + result.unplaced.count
                for placement in result.placements {
                    for grant in placement.grants { used[grant.nodeID, default: 0] += grant.gpus }
                }
            }
            #expect(seen == orders.count)
            for node in fleet {
                #expect(used[node.id, default: 0] <= node.freeGPUs)
                #expect(engine.freeGPUs(nodeID: node.id) == node.freeGPUs - used[node.id, default: 0])
            }
        }
    }
}
