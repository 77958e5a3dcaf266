import OSGDomain
import OSGMarket
import Testing
@testable import OSGMarketIO

@Suite("Gangs are all-or-nothing in one region")
struct GangScenarioTests {
    @Test("a gang takes the region with the lowest price, not the cheapest single node")
    func cheapestRegion() throws {
        let text = snapshot(nodes: [
            node("eu-1", gpus: 4, ask: "0.50"), node("eu-2", gpus: 4, ask: "2.50"),
            node("us-1", gpus: 4, ask: "1.00", region: "us-west", jurisdiction: "US"),
            node("us-2", gpus: 4, ask: "1.10", region: "us-west", jurisdiction: "US"),
        ], orders: [order("g", count: 4, nodes: 2)])
        let outcome = try clearScenario(text)
        #expect(outcome.placed["g"]?.nodes == ["us-1", "us-2"])
        #expect(outcome.placed["g"]?.price == "1.1")
    }

    @Test("a gang with too few nodes in any region waits and takes nothing")
    func noRegion() throws {
        let text = snapshot(nodes: [
            node("eu-1", gpus: 8), node("eu-2", gpus: 8),
            node("us-1", gpus: 8, region: "us-west", jurisdiction: "US"),
        ], orders: [order("g", count: 8, nodes: 3), order("s", count: 8, maxPrice: "1.00")])
        let outcome = try clearScenario(text)
        #expect(outcome.reasons["g"] == "gang_no_region_with_enough_nodes")
        #expect(outcome.placed["s"]?.nodes == ["eu-1"])
    }

    @Test("a gang whose region was partly taken gets no node at all: no_capacity")
    func allOrNothing() throws {
        let text = snapshot(nodes: [node("eu-1", gpus: 8), node("eu-2", gpus: 8), node("eu-3", gpus: 8, ask: "1.50")],
                            orders: [order("big", count: 8, maxPrice: "9.00"), order("g", count: 8, nodes: 3, maxPrice: "5.00")])
        let outcome = try clearScenario(text)
        #expect(outcome.placed["big"]?.nodes == ["eu-1"])
        #expect(outcome.reasons["g"] == "no_capacity")
        #expect(outcome.placed.count == 1)
    }

    @Test("a gang takes the cheapest nodes across models and free counts, not the first bucket's")
    func cheapestAcrossBuckets() throws {
        let text = snapshot(nodes: [
            node("four-a", gpus: 4, ask: "2.00"), node("four-b", gpus: 4, ask: "3.00"),
            node("eight-a", "A100", gpus: 8, ask: "1.00"), node("eight-b", gpus: 8, ask: "1.50"),
        ], orders: [order("g", model: "any", count: 4, nodes: 2)])
        let outcome = try clearScenario(text)
        #expect(outcome.placed["g"]?.nodes == ["eight-a", "eight-b"])
        #expect(outcome.placed["g"]?.price == "1.5")
    }

    @Test("each gang member must hold the full per-node count")
    func perNodeCount() throws {
        let text = snapshot(nodes: [node("eu-1", gpus: 8), node("eu-2", gpus: 2), node("eu-3", gpus: 4)],
                            orders: [order("g", count: 4, nodes: 2)])
        let outcome = try clearScenario(text)
        #expect(outcome.placed["g"]?.nodes == ["eu-1", "eu-3"])
    }
}

@Suite("Set-aside pools: a hard floor at the pool's price")
struct SetAsideScenarioTests {
    /// Two 8-GPU nodes, half the GPUs reserved for `students` at 0.80.
    func market(_ orders: [String]) -> String {
        snapshot(nodes: [node("a", gpus: 8, ask: "0.60"), node("b", gpus: 8, ask: "0.70")], orders: orders,
                 pools: [#"{"name": "students", "share": 0.5, "price": 0.8}"#])
    }

    @Test("a set-aside order goes first and pays exactly the pool's price")
    func poolFirstAtPoolPrice() throws {
        let outcome = try clearScenario(market([
            order("rich", count: 8, maxPrice: "9.00"),
            order("student", count: 8, maxPrice: "1.00", class: "set-aside", pool: "students"),
        ]))
        #expect(outcome.placed["student"]?.nodes == ["a"])
        #expect(outcome.placed["student"]?.price == "0.8")
        #expect(outcome.placed["rich"]?.nodes == ["b"])
        #expect(outcome.placed["rich"]?.price == "0.7")
    }

    @Test("standard open orders cannot use reserved GPUs even when the pool is idle")
    func floorHolds() throws {
        let outcome = try clearScenario(market([order("one", count: 8), order("two", count: 8, maxPrice: "2.00")]))
        #expect(outcome.placed["one"] != nil)
        #expect(outcome.reasons["two"] == "set_aside_floor")
    }

    @Test("idle reserved GPUs are lent to preemptible open orders")
    func lending() throws {
        let outcome = try clearScenario(market([order("one", count: 8), order("spot", count: 8, maxPrice: "2.00", class: "preemptible")]))
        #expect(outcome.placed["one"] != nil)
        #expect(outcome.placed["spot"] != nil)
    }

    @Test("a pool cannot take more than its share")
    func poolExhausted() throws {
        let outcome = try clearScenario(market([
            order("s1", count: 8, class: "set-aside", pool: "students"),
            order("s2", count: 1, class: "set-aside", pool: "students", submitted: "2026-11-30T11:00:00Z"),
        ]))
        #expect(outcome.placed["s1"] != nil)
        #expect(outcome.reasons["s2"] == "pool_exhausted")
    }

    @Test("set-aside orders use only nodes asking at most the pool's ceiling")
    func poolCeilingBelowAsks() throws {
        let text = snapshot(nodes: [node("a", gpus: 8, ask: "0.90")], orders: [order("s", class: "set-aside", pool: "students")],
                            pools: [#"{"name": "students", "share": 0.5, "price": 0.8, "ceiling": 0.85}"#])
        #expect(try clearScenario(text).reasons["s"] == "pool_ceiling_below_asks")
    }

    @Test("a set-aside order is served whatever the asks: it pays the pool's price, the pool's funding the rest")
    func setAsideAboveThePoolPrice() throws {
        // One node asking 3.00, far above the pool's 0.50: without a ceiling the pool pays the difference.
        let text = snapshot(nodes: [node("a", gpus: 8, ask: "3.00")],
                            orders: [order("s", count: 2, class: "set-aside", pool: "students"), order("open", maxPrice: "2.00")],
                            pools: [#"{"name": "students", "share": 0.5, "price": 0.5}"#])
        let outcome = try clearScenario(text)
        #expect(outcome.placed["s"]?.price == "0.5")
        #expect(outcome.reasons["open"] == "max_price_below_asks")
        let result = MarketClearing.clear(try MarketSnapshotReader.read(text))
        // (3.00 − 0.50) × 2 GPUs × 1 h.
        #expect(result.placements.first?.poolSubsidy == MicroCredits(5_000_000))
    }

    @Test("a pool's funding pays subsidies until it runs out, then its orders wait as pool_unfunded", arguments: [
        ("5.0", true), ("4.999999", false),
    ])
    func poolFunding(funding: String, placed: Bool) throws {
        let text = snapshot(nodes: [node("a", gpus: 8, ask: "3.00")],
                            orders: [order("s", count: 2, class: "set-aside", pool: "students")],
                            pools: [#"{"name": "students", "share": 0.5, "price": 0.5, "funding": \#(funding)}"#])
        let outcome = try clearScenario(text)
        #expect((outcome.placed["s"] != nil) == placed)
        if !placed { #expect(outcome.reasons["s"] == "pool_unfunded") }
    }

    @Test("a node never gives more cores, memory or disk than it has, summed over the clearing", arguments: [
        ("cpu", #""cpu": 10"#), ("memory", #""memory_gib": 300"#), ("disk", #""disk_gib": 600"#),
    ])
    func hostResourcesConsumed(resource: String, field: String) throws {
        // Each order alone fits the node (16 cores, 512 GiB, 1,000 GiB disk); two do not.
        var nodeText = node("a", gpus: 8, cpu: 16, memory: 512)
        nodeText.removeLast()
        nodeText += #", "disk_gib": 1000}"#
        func asking(_ id: String, submitted: String) -> String {
            let cpu = resource == "cpu" ? 10 : 1
            let memory = resource == "memory" ? 300 : 8
            let text = order(id, submitted: submitted, cpu: cpu, memory: memory)
            guard resource == "disk" else { return text }
            return text.replacingOccurrences(of: #""memory_gib": 8}"#, with: #""memory_gib": 8, "disk_gib": 600}"#)
        }
        let outcome = try clearScenario(snapshot(nodes: [nodeText], orders: [asking("first", submitted: "2026-11-30T09:00:00Z"),
                                                                            asking("second", submitted: "2026-11-30T10:00:00Z")]))
        #expect(outcome.placed["first"] != nil, "\(field)")
        #expect(outcome.reasons["second"] == "no_capacity", "\(outcome.reasons)")
    }

    @Test("at equal asks a core-hungry job goes where it strands no GPUs")
    func strandingAwareBestFit() throws {
        // Both nodes have 8 free GPUs and ask the same: on "a" the job would take every core
        // and leave 7 GPUs nobody can use; on "b" cores are plentiful.
        let text = snapshot(nodes: [node("a", gpus: 8, cpu: 16), node("b", gpus: 8, cpu: 128)],
                            orders: [order("hungry", cpu: 16, memory: 8), order("gpu-heavy", count: 7, submitted: "2026-11-30T11:00:00Z", cpu: 8, memory: 8)])
        let outcome = try clearScenario(text)
        #expect(outcome.placed["hungry"]?.nodes == ["b"])
        // The GPUs of "a" stay usable: the 7-GPU job still finds a node.
        #expect(outcome.placed["gpu-heavy"] != nil)
    }

    @Test("pool and class must agree, and the pool must exist")
    func poolMistakes() throws {
        let outcome = try clearScenario(market([
            order("no-pool", class: "set-aside"),
            order("not-set-aside", pool: "students"),
            order("unknown", class: "set-aside", pool: "founders"),
            order("too-cheap", maxPrice: "0.50", class: "set-aside", pool: "students"),
        ]))
        #expect(outcome.reasons["no-pool"] == "set_aside_needs_pool")
        #expect(outcome.reasons["not-set-aside"] == "pool_needs_set_aside_class")
        #expect(outcome.reasons["unknown"] == "pool_unknown")
        #expect(outcome.reasons["too-cheap"] == "max_price_below_pool_price")
    }
}

@Suite("Constraints name the binding reason")
struct ConstraintScenarioTests {
    @Test("a carbon cap skips dirtier nodes and nodes with no figure")
    func carbonCap() throws {
        let cap = #""carbon": {"max_gco2_per_kwh": 200}"#
        let text = snapshot(nodes: [node("dirty", ask: "0.50", carbon: "300"), node("unknown", ask: "0.60", carbon: nil),
                                    node("clean", ask: "0.90", carbon: "199.5")],
                            orders: [order("capped", extra: cap)])
        #expect(try clearScenario(text).placed["capped"]?.nodes == ["clean"])
        let none = snapshot(nodes: [node("dirty", carbon: "300"), node("unknown", carbon: nil)], orders: [order("capped", extra: cap)])
        #expect(try clearScenario(none).reasons["capped"] == "carbon_cap")
    }

    @Test("excluded operators are skipped; only excluded ones left is the reason")
    func exclusions() throws {
        let exclude = #""placement": {"exclude_operators": ["op1"]}"#
        let text = snapshot(nodes: [node("mine", ask: "0.50"), node("theirs", ask: "0.90", operator: "op2")],
                            orders: [order("o", extra: exclude)])
        #expect(try clearScenario(text).placed["o"]?.nodes == ["theirs"])
        let only = snapshot(nodes: [node("mine")], orders: [order("o", extra: exclude)])
        #expect(try clearScenario(only).reasons["o"] == "excluded_operator")
    }

    @Test("each filter of the cascade is reported when it is the one no node passes", arguments: [
        (order("o", model: "B200"), "no_node_matches_model"),
        (order("o", count: 16), "gpu_count"),
        (order("o", extra: #""resources": {"gpu": {"model": "H100", "count": 1, "vram_gib": 94}}"#), "vram"),
        (order("o", cpu: 128), "cpu"),
        (order("o", memory: 1024), "memory"),
        (order("o", extra: #""placement": {"regions": ["asia"]}"#), "region"),
        (order("o", extra: #""placement": {"jurisdictions": ["FR"]}"#), "jurisdiction"),
        (order("o", maxPrice: "0.99"), "max_price_below_asks"),
    ])
    func cascade(order text: String, reason: String) throws {
        // The vram case sets resources twice; drop the first so the spec stays valid.
        let orderText = text.contains(#""vram_gib""#)
            ? text.replacingOccurrences(of: #""resources": {"gpu": {"model": "H100", "count": 1}, "cpu": 8, "memory_gib": 64}, "#, with: "")
            : text
        let outcome = try clearScenario(snapshot(nodes: [node("a", memory: 512)], orders: [orderText]))
        #expect(outcome.reasons["o"] == reason)
    }

    @Test("an invalid spec is unplaced with its problems, and the others still clear")
    func invalidSpec() throws {
        let text = snapshot(nodes: [node("a")], orders: [order("bad", count: 0), order("good")])
        let outcome = try clearScenario(text)
        let reason = try #require(outcome.reasons["bad"])
        #expect(reason.hasPrefix("invalid_spec: resources.gpu.count: "))
        #expect(outcome.placed["good"] != nil)
    }

    @Test("a class such as A100+ accepts better models and refuses worse ones")
    func modelClass() throws {
        let text = snapshot(nodes: [node("v", "V100", ask: "0.20", vram: 32), node("h", "H100", ask: "2.00")],
                            orders: [order("o", model: "A100+")])
        #expect(try clearScenario(text).placed["o"]?.nodes == ["h"])
    }
}

@Suite("Prices and tie-breaks follow the published rules")
struct PriceAndPriorityTests {
    @Test("an order pays the highest ask among its nodes, never above its max_price")
    func payAsAskMax() throws {
        let text = snapshot(nodes: [node("a", gpus: 2, ask: "1.00"), node("b", gpus: 2, ask: "1.25")],
                            orders: [order("g", count: 2, nodes: 2, maxPrice: "2.10")])
        let outcome = try clearScenario(text)
        #expect(outcome.placed["g"]?.price == "1.25")
    }

    @Test("prices print exactly from micro-credits")
    func exactPrices() throws {
        let text = snapshot(nodes: [node("a", gpus: 1, ask: "0.000001"), node("b", gpus: 1, ask: "2.1", region: "us-west", jurisdiction: "US")],
                            orders: [order("cheap", maxPrice: "0.000001"),
                                     order("dear", maxPrice: "2.10", extra: #""placement": {"regions": ["us-west"]}"#)])
        let output = try clearJSON(text)
        #expect(output.contains(#""price": 0.000001}"#))
        #expect(output.contains(#""price": 2.1}"#))
    }

    @Test("higher max_price wins the last node, whatever the arrival")
    func priceFirst() throws {
        let text = snapshot(nodes: [node("a", gpus: 1)], orders: [
            order("early", maxPrice: "2.00", submitted: "2026-11-30T01:00:00Z"),
            order("late", maxPrice: "2.50", submitted: "2026-11-30T09:00:00Z"),
        ])
        let outcome = try clearScenario(text)
        #expect(outcome.placed["late"] != nil)
        #expect(outcome.reasons["early"] == "no_capacity")
    }

    @Test("at equal price: standard before preemptible, then earlier arrival, then lower id", arguments: [
        (order("x", class: "preemptible"), order("y", submitted: "2026-11-30T23:00:00Z"), "y"),
        (order("x", submitted: "2026-11-30T02:00:00Z"), order("y", submitted: "2026-11-30T01:00:00Z"), "y"),
        (order("y"), order("x"), "x"),
    ])
    func ties(first: String, second: String, winner: String) throws {
        let text = snapshot(nodes: [node("a", gpus: 1)], orders: [first, second])
        #expect(try clearScenario(text).placed.keys.sorted() == [winner])
    }

    @Test("at equal ask the node with the fewest free GPUs that fit is taken, then the lower id")
    func bestFit() throws {
        let text = snapshot(nodes: [node("a", gpus: 8), node("b", gpus: 2), node("c", gpus: 2)], orders: [order("o", count: 2)])
        #expect(try clearScenario(text).placed["o"]?.nodes == ["b"])
    }
}
