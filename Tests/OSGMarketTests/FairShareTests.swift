import OSGDomain
import OSGMarket
import Testing
@testable import OSGMarketIO

/// The fair-share step and the aging rule of docs/MARKET.md ("Priority", "Fair share",
/// "Aging"), tested as properties on seeded markets.
@Suite("Fair share and aging keep their published properties")
struct FairShareTests {
    /// `count` one-GPU nodes' worth of capacity: nodes of 8 GPUs and a remainder node.
    static func fleet(gpus: Int) -> [String] {
        var nodes: [String] = []
        var left = gpus
        var index = 0
        while left > 0 {
            let take = min(8, left)
            nodes.append(node("n\(zeroPadded(index, 3))", gpus: take))
            left -= take
            index += 1
        }
        return nodes
    }

    /// Identical one-GPU orders of one tenant, submitted at the given minutes past 2026-11-30T00:00Z.
    static func orders(_ tenant: String, minutes: [Int], maxPrice: String = "3.00") -> [String] {
        minutes.enumerated().map { index, minute in
            order("\(tenant)-\(zeroPadded(index, 3))", maxPrice: maxPrice,
                  submitted: "2026-11-30T\(zeroPadded(minute / 60, 2)):\(zeroPadded(minute % 60, 2)):00Z", tenant: tenant)
        }
    }

    static func placed(_ outcome: Outcome, tenant: String) -> Int {
        outcome.placed.keys.filter { $0.hasPrefix(tenant + "-") }.count
    }

    @Test("random markets with tenants and aging: checker passes, deterministic, independent of input order")
    func randomMarkets() throws {
        var changed = 0
        for seed in UInt64(1)...300 {
            var market = RandomSnapshot(seed: seed).withFairShare(seed: seed)
            // Many equal bids, so that the fair-share step decides often.
            var random = SplitMix64(seed: seed ^ 0xB1D)
            market.orders = market.orders.map { order in
                random.next() % 100 < 60 ? order.replacing(#/"max_price": [0-9.]+/#, with: #""max_price": 4.50"#) : order
            }
            let text = market.text()
            let (output, violations) = try clearAndCheck(text)
            #expect(violations.isEmpty, "seed \(seed): \(violations)\n\(text)\n\(output)")
            #expect(try clearJSON(text) == output, "seed \(seed): not deterministic")
            for shuffle in UInt64(1)...2 {
                #expect(try clearJSON(market.text(shuffledWith: seed &* 31 &+ shuffle)) == output, "seed \(seed) shuffle \(shuffle)")
            }
            var plain = market
            plain.tenants = nil
            plain.starvationAfterSeconds = nil
            if try clearJSON(plain.text()) != output { changed += 1 }
        }
        // The new steps must actually decide something in these small markets (the synthetic
        // test below has the heavy contention), or the test proves little. Seeded: exact.
        #expect(changed >= 10, "fair share or aging changed only \(changed) of 300 clearings")
    }

    @Test("synthetic markets with heavy contention, tenants and aging pass the checker", arguments: UInt64(1)...4)
    func syntheticMarkets(seed: UInt64) throws {
        let now = Timestamp(rfc3339: "2026-12-01T00:00:00Z")!
        var random = SplitMix64(seed: seed)
        let tenants = (0..<40).map { index in
            TenantStanding(id: "tenant-\(index * 7)", weight: 1 + Int(random.next() % 4), usageGPUs: Int(random.next() % 64),
                           usageCPUCores: Int(random.next() % 512), usageMemoryGiB: Int(random.next() % 4_096))
        }
        // Threshold 12 h: about half the orders (submitted up to 24 h before now) are promoted.
        let snapshot = MarketSnapshot(now: now, nodes: SyntheticMarket.fleet(nodes: 150, seed: seed),
                                      orders: SyntheticMarket.orders(count: 500, seed: seed, now: now), pools: SyntheticMarket.pools,
                                      tenants: tenants, starvationAfterSeconds: 43_200)
        try snapshot.check()
        let output = MarketClearOutput.json(MarketClearing.clear(snapshot))
        var checker = ClearingChecker(snapshot: snapshot)
        let violations = checker.check(output)
        #expect(violations.isEmpty, "seed \(seed): \(violations.prefix(5))")
        var shuffled = snapshot
        shuffled.nodes.shuffle(using: &random)
        shuffled.orders.shuffle(using: &random)
        shuffled.tenants!.shuffle(using: &random)
        #expect(MarketClearOutput.json(MarketClearing.clear(shuffled)) == output)
        var plain = snapshot
        plain.tenants = nil
        plain.starvationAfterSeconds = 86_400
        #expect(MarketClearOutput.json(MarketClearing.clear(plain)) != output)
        var fairOnly = snapshot
        fairOnly.starvationAfterSeconds = 86_400
        #expect(MarketClearOutput.json(MarketClearing.clear(fairOnly)) != MarketClearOutput.json(MarketClearing.clear(plain)),
                "fair share alone changes the outcome under contention")
    }

    @Test("two tenants of equal weight and identical demand end within one order of each other", arguments: UInt64(1)...40)
    func equalWeights(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        let capacity = 1 + Int(random.next() % 30)
        // Tenant a submits all its orders before tenant b: FIFO alone would serve only a.
        let a = Self.orders("a", minutes: (0..<35).map { $0 * 2 + Int(random.next() % 2) })
        let b = Self.orders("b", minutes: (0..<35).map { 200 + $0 * 2 + Int(random.next() % 2) })
        let text = snapshot(nodes: Self.fleet(gpus: capacity), orders: a + b, extra: #""tenants": []"#)
        let outcome = try clearScenario(text)
        let (placedA, placedB) = (Self.placed(outcome, tenant: "a"), Self.placed(outcome, tenant: "b"))
        #expect(placedA + placedB == capacity)
        // a wins the tie at equal shares (earlier arrival), so a leads by at most one.
        #expect(placedA - placedB == capacity % 2, "capacity \(capacity): a \(placedA), b \(placedB)")
    }

    @Test("placements alternate: every prefix of the service order is balanced")
    func alternation() throws {
        let a = Self.orders("a", minutes: Array(0..<12))
        let b = Self.orders("b", minutes: Array(100..<112))
        for capacity in 1...24 {
            let outcome = try clearScenario(snapshot(nodes: Self.fleet(gpus: capacity), orders: a + b, extra: #""tenants": []"#))
            // The first `capacity` orders served are a, b, a, b, …: a's earliest and b's earliest.
            let expectedA = (capacity + 1) / 2
            let expected = Set((0..<expectedA).map { "a-\(zeroPadded($0, 3))" } + (0..<(capacity / 2)).map { "b-\(zeroPadded($0, 3))" })
            #expect(Set(outcome.placed.keys) == expected, "capacity \(capacity)")
        }
    }

    @Test("weight 2 against weight 1 gets two thirds of contended GPUs, within one order", arguments: [3, 4, 5, 9, 10, 17, 24, 30, 47, 60])
    func weights(capacity: Int) throws {
        let heavy = Self.orders("h", minutes: (0..<70).map { 300 + $0 })
        let light = Self.orders("l", minutes: (0..<70).map { $0 })
        let tenants = #""tenants": [{"id": "h", "weight": 2}, {"id": "l"}]"#
        let outcome = try clearScenario(snapshot(nodes: Self.fleet(gpus: capacity), orders: heavy + light, extra: tenants))
        let (placedH, placedL) = (Self.placed(outcome, tenant: "h"), Self.placed(outcome, tenant: "l"))
        #expect(placedH + placedL == capacity)
        // heavy ≈ 2/3 of the capacity: |3 h − 2 c| ≤ 3 means h is within one order of 2c/3.
        #expect(abs(3 * placedH - 2 * capacity) <= 3, "capacity \(capacity): heavy \(placedH), light \(placedL)")
    }

    @Test("a tenant with large running usage yields to one with none at equal price and class")
    func existingUsageYields() throws {
        let orders = [order("big-1", submitted: "2026-11-30T01:00:00Z", tenant: "big"),
                      order("new-1", submitted: "2026-11-30T09:00:00Z", tenant: "new")]
        let tenants = #""tenants": [{"id": "big", "usage": {"gpus": 64, "cpu": 512, "memory_gib": 4096}}]"#
        let fair = try clearScenario(snapshot(nodes: [node("n", gpus: 1)], orders: orders, extra: tenants))
        #expect(Array(fair.placed.keys) == ["new-1"])
        #expect(fair.reasons["big-1"] == "no_capacity")
        // Without the field the step is off: arrival decides, as before.
        let plain = try clearScenario(snapshot(nodes: [node("n", gpus: 1)], orders: orders))
        #expect(Array(plain.placed.keys) == ["big-1"])
    }

    @Test("price and class come before fair share", arguments: [
        (order("big-1", maxPrice: "3.10", tenant: "big"), order("new-1", tenant: "new"), "big-1"),
        (order("big-1", tenant: "big"), order("new-1", class: "preemptible", tenant: "new"), "big-1"),
        (order("big-1", tenant: "big"), order("new-1", tenant: "new"), "new-1"),
    ])
    func priceAndClassFirst(first: String, second: String, winner: String) throws {
        let tenants = #""tenants": [{"id": "big", "usage": {"gpus": 64}}]"#
        let outcome = try clearScenario(snapshot(nodes: [node("n", gpus: 1)], orders: [first, second], extra: tenants))
        #expect(Array(outcome.placed.keys) == [winner])
    }

    @Test("the share is dominant-resource: memory held counts, and weight divides it")
    func dominantResource() throws {
        // Capacity: GPUs 1 free + 1 held = 2; memory 512 + 1024 held = 1536.
        // mem holds no GPUs but 2/3 of the memory; gpu holds 1/2 of the GPUs: gpu goes first.
        let orders = [order("mem-1", submitted: "2026-11-30T01:00:00Z", tenant: "mem"),
                      order("gpu-1", submitted: "2026-11-30T09:00:00Z", tenant: "gpu")]
        let nodes = [node("n", gpus: 1, memory: 512)]
        let unweighted = #""tenants": [{"id": "mem", "usage": {"memory_gib": 1024}}, {"id": "gpu", "usage": {"gpus": 1}}]"#
        #expect(Array(try clearScenario(snapshot(nodes: nodes, orders: orders, extra: unweighted)).placed.keys) == ["gpu-1"])
        // Weight 2 halves mem's share to 1/3 < 1/2: mem goes first.
        let weighted = #""tenants": [{"id": "mem", "weight": 2, "usage": {"memory_gib": 1024}}, {"id": "gpu", "usage": {"gpus": 1}}]"#
        #expect(Array(try clearScenario(snapshot(nodes: nodes, orders: orders, extra: weighted)).placed.keys) == ["mem-1"])
    }

    @Test("shares are read afresh as the clearing places orders")
    func sharesUpdate() throws {
        var engine = ClearingEngine(nodes: try MarketSnapshotReader.read(snapshot(nodes: Self.fleet(gpus: 16), orders: [])).nodes,
                                    pools: [], tenants: [TenantStanding(id: "a", weight: 2)])
        #expect(engine.weightedDominantShare(tenant: "a") == .zero)
        let orders = try MarketSnapshotReader.read(snapshot(nodes: [], orders: Self.orders("a", minutes: [0, 1]))).orders
        #expect(engine.clear(orders).placements.count == 2)
        // 2 of 16 GPUs (and 16 of 128 cores, 128 of 1024 GiB): 1/8, halved by weight 2.
        #expect(engine.weightedDominantShare(tenant: "a") == WeightedShare(numerator: 1, denominator: 16))
        #expect(engine.weightedDominantShare(tenant: "b") == .zero)
        let off = ClearingEngine(nodes: [], pools: [])
        #expect(off.weightedDominantShare(tenant: "a") == nil)
    }

    @Test("weighted shares compare exactly, even near the 128-bit bounds")
    func exactFractions() {
        #expect(WeightedShare(numerator: 1, denominator: 3) < WeightedShare(numerator: 333_334, denominator: 1_000_000))
        #expect(WeightedShare(numerator: 333_333, denominator: 1_000_000) < WeightedShare(numerator: 1, denominator: 3))
        #expect(WeightedShare(numerator: 2, denominator: 6) == WeightedShare(numerator: 1, denominator: 3))
        #expect(Set([WeightedShare(numerator: 2, denominator: 6), WeightedShare(numerator: 1, denominator: 3)]).count == 1)
        let big: UInt64 = 1 << 62
        #expect(WeightedShare(numerator: big - 1, denominator: big) < WeightedShare(numerator: big, denominator: big))
        // big/(big−1) = 1 + 1/(big−1) is just below (big−1)/(big−2) = 1 + 1/(big−2).
        #expect(WeightedShare(numerator: big, denominator: big - 1) < WeightedShare(numerator: big - 1, denominator: big - 2))
    }

    // MARK: Aging

    @Test("an old low bid is served before a newer high bid when capacity is scarce")
    func agingBeatsPrice() throws {
        let old = order("old", maxPrice: "1.50", submitted: "2026-11-29T00:00:00Z")
        let new = order("new", maxPrice: "3.00", submitted: "2026-11-30T23:00:00Z")
        let nodes = [node("n", gpus: 1)]
        #expect(Array(try clearScenario(snapshot(nodes: nodes, orders: [old, new])).placed.keys) == ["old"])
        // With a 72 h threshold the old bid (48 h) is not promoted: price decides.
        #expect(Array(try clearScenario(snapshot(nodes: nodes, orders: [old, new], extra: #""starvation_after_s": 259200"#)).placed.keys) == ["new"])
    }

    @Test("promotion needs a wait strictly longer than the threshold", arguments: [
        ("2026-11-30T00:00:00Z", "new"),  // exactly 24 h: not promoted
        ("2026-11-29T23:59:59Z", "old"),  // 24 h and 1 s: promoted
    ])
    func agingBoundary(submitted: String, winner: String) throws {
        let old = order("old", maxPrice: "1.50", submitted: submitted)
        let new = order("new", maxPrice: "3.00", submitted: "2026-11-30T23:00:00Z")
        #expect(Array(try clearScenario(snapshot(nodes: [node("n", gpus: 1)], orders: [old, new])).placed.keys) == [winner])
    }

    @Test("promoted orders are served by arrival, whatever their price, class or tenant's share")
    func promotedFIFO() throws {
        let orders = [
            order("p1", maxPrice: "1.10", class: "preemptible", submitted: "2026-11-28T00:00:00Z", tenant: "rich"),
            order("p2", maxPrice: "3.00", submitted: "2026-11-28T05:00:00Z", tenant: "poor"),
            order("p3", maxPrice: "2.00", submitted: "2026-11-28T03:00:00Z", tenant: "rich"),
        ]
        let tenants = #""tenants": [{"id": "rich", "usage": {"gpus": 100}}]"#
        for (capacity, expected) in [(1, ["p1"]), (2, ["p1", "p3"]), (3, ["p1", "p2", "p3"])] {
            let outcome = try clearScenario(snapshot(nodes: Self.fleet(gpus: capacity), orders: orders, extra: tenants))
            #expect(outcome.placed.keys.sorted() == expected, "capacity \(capacity)")
        }
    }

    /// One simulated market: `rounds` hourly clearings of a fleet whose 12 GPUs are all freed
    /// between clearings (every lease lasts one hour). At the start 10 low bids wait; every hour
    /// 12 new high bids arrive, as many as the fleet holds, from two tenants of weights 2 and 1.
    /// Returns, per order, the round it arrived and the round it was placed.
    static func simulate(rounds: Int, starvationAfterSeconds: Int) throws -> [String: (arrived: Int, placed: Int?)] {
        let start = Timestamp(rfc3339: "2026-12-01T00:00:00Z")!
        var pending: [(id: String, text: String)] = []
        var history: [String: (arrived: Int, placed: Int?)] = [:]
        let fleet = [node("n1", gpus: 4), node("n2", gpus: 4), node("n3", gpus: 4)]
        let tenants = #""tenants": [{"id": "a", "weight": 2}, {"id": "b"}], "starvation_after_s": \#(starvationAfterSeconds)"#
        for round in 0..<rounds {
            let now = start.adding(seconds: Int64(round) * 3_600)
            let submitted = now.adding(seconds: -60).description
            func arrive(_ id: String, maxPrice: String, tenant: String) {
                pending.append((id, order(id, maxPrice: maxPrice, submitted: submitted, tenant: tenant)))
                history[id] = (round, nil)
            }
            if round == 0 {
                for index in 0..<10 { arrive("low-\(zeroPadded(index, 2))", maxPrice: "1.50", tenant: index % 2 == 0 ? "a" : "b") }
            }
            for index in 0..<12 { arrive("r\(zeroPadded(round, 2))-\(zeroPadded(index, 2))", maxPrice: "3.00", tenant: index % 3 == 0 ? "b" : "a") }
            let outcome = try clearScenario(snapshot(nodes: fleet, orders: pending.map(\.text), extra: tenants, now: now.description))
            #expect(outcome.placed.count == 12, "round \(round): the fleet is always full")
            for id in outcome.placed.keys { history[id]!.placed = round }
            pending.removeAll { outcome.placed[$0.id] != nil }
        }
        return history
    }

    @Test("no starvation: over 50 hourly clearings every order is placed within 7 rounds of arriving")
    func noStarvation() throws {
        let rounds = 50
        // Threshold 6 h: an order that arrived in round r (1 minute before the clearing) is
        // promoted in round r + 6. At most 10 orders are ever waiting beyond the 12 the fleet
        // holds, so promoted orders, served first and by arrival, fit in the next clearing:
        // the bound is 6 + 1 = 7 rounds.
        let bound = 7
        let history = try Self.simulate(rounds: rounds, starvationAfterSeconds: 6 * 3_600)
        for (id, entry) in history.sorted(by: { $0.key < $1.key }) {
            if let placed = entry.placed {
                #expect(placed - entry.arrived <= bound, "\(id) waited \(placed - entry.arrived) rounds")
            } else {
                // Still waiting at the end: only orders too young to have hit the bound.
                #expect(entry.arrived > rounds - 1 - bound, "\(id) arrived in round \(entry.arrived) and was never placed")
            }
        }
        #expect((0..<10).allSatisfy { history["low-\(zeroPadded($0, 2))"]!.placed != nil })
    }

    @Test("without aging the same market starves the low bids (the control for the test above)")
    func starvationWithoutAging() throws {
        let history = try Self.simulate(rounds: 50, starvationAfterSeconds: 1_000_000_000)
        #expect((0..<10).allSatisfy { history["low-\(zeroPadded($0, 2))"]!.placed == nil })
    }
}
