import OSGDomain
import OSGMarket
import Testing
@testable import OSGMarketIO

/// The independent checker on hand-made clearing outputs: it must catch over-committed cores,
/// memory and disk, a broken set-aside floor, subsidies beyond a pool's funding and an
/// unjustified `pool_unfunded` — and accept the correct outputs of the same snapshots. No
/// engine runs here: each test feeds output text straight to ``ClearingChecker``.
@Suite("The independent checker catches host-resource and pool-funding violations")
struct HostResourceCheckerTests {
    // MARK: Builders

    static func hostNode(
        _ id: String, gpus: Int = 8, cpu: Int = 64, memory: Int = 512, disk: Int? = nil, ask: String = "1.00", region: String = "eu"
    ) -> String {
        var text = #"{"id": "\#(id)", "operator": "op1", "gpu_model": "H100", "gpus": \#(gpus), "vram_gib": 80, "cpu": \#(cpu), "memory_gib": \#(memory), "region": "\#(region)", "jurisdiction": "DE", "zone": "\#(region)-grid", "ask_price": \#(ask), "carbon_gco2_per_kwh": 100"#
        if let disk { text += #", "disk_gib": \#(disk)"# }
        return text + "}"
    }

    static func hostOrder(
        _ id: String, count: Int = 1, nodes: Int = 1, cpu: Int = 8, memory: Int = 64, disk: Int? = nil, maxPrice: String = "9.00",
        class jobClass: String = "standard", pool: String? = nil, duration: String = "1h", maxDuration: String? = nil
    ) -> String {
        var resources = #""gpu": {"model": "H100", "count": \#(count)}, "cpu": \#(cpu), "memory_gib": \#(memory)"#
        if let disk { resources += #", "disk_gib": \#(disk)"# }
        var spec = #"{"name": "job-\#(id)", "command": ["true"], "resources": {\#(resources)}, "nodes": \#(nodes), "duration": "\#(duration)", "max_price": \#(maxPrice), "class": "\#(jobClass)""#
        if let maxDuration { spec += #", "max_duration": "\#(maxDuration)""# }
        var text = #"{"id": "\#(id)", "tenant": "t1", "submitted": "2026-11-30T10:00:00Z", "spec": \#(spec)}"#
        if let pool { text += #", "pool": "\#(pool)""# }
        return text + "}"
    }

    static func pool(_ name: String = "students", share: String = "0.5", price: String = "1.00", ceiling: String? = nil, funding: String? = nil) -> String {
        var text = #"{"name": "\#(name)", "share": \#(share), "price": \#(price)"#
        if let ceiling { text += #", "ceiling": \#(ceiling)"# }
        if let funding { text += #", "funding": \#(funding)"# }
        return text + "}"
    }

    /// A placement entry of the output: order, (node, GPUs) grants, price.
    static func placed(_ order: String, _ grants: [(String, Int)], price: String) -> String {
        #"{"order": "\#(order)", "nodes": [\#(grants.map { #"{"node": "\#($0.0)", "gpus": \#($0.1)}"# }.joined(separator: ", "))], "price": \#(price)}"#
    }

    static func unplaced(_ order: String, _ reason: String) -> String { #"{"order": "\#(order)", "reason": "\#(reason)"}"# }

    static func output(placements: [String], unplaced: [String]) -> String {
        #"{"placements": [\#(placements.joined(separator: ", "))], "unplaced": [\#(unplaced.joined(separator: ", "))]}"#
    }

    /// The checker's violations of `output` for the snapshot text.
    static func violations(_ snapshotText: String, _ output: String) throws -> [String] {
        var checker = ClearingChecker(snapshot: try MarketSnapshotReader.read(snapshotText))
        return checker.check(output)
    }

    static func kinds(_ violations: [String]) -> Set<String> { Set(violations.map(ClearingChecker.kind(of:))) }

    // MARK: Host resources summed per node

    @Test("two orders over-committing a node's cores are caught; within the cores they pass")
    func coresOverCommitted() throws {
        let text = snapshot(nodes: [Self.hostNode("n1", cpu: 16)], orders: [Self.hostOrder("a", cpu: 12), Self.hostOrder("b", cpu: 12)])
        let both = Self.output(placements: [Self.placed("a", [("n1", 1)], price: "1.00"), Self.placed("b", [("n1", 1)], price: "1.00")], unplaced: [])
        let found = try Self.violations(text, both)
        #expect(Self.kinds(found) == ["cores_overcommitted"], "\(found)")
        #expect(found.contains { $0.contains("24 cores of 16") }, "\(found)")
        // The correct clearing: b does not fit the 4 cores left, so no_capacity is right.
        let right = Self.output(placements: [Self.placed("a", [("n1", 1)], price: "1.00")], unplaced: [Self.unplaced("b", "no_capacity")])
        #expect(try Self.violations(text, right).isEmpty)
    }

    @Test("two orders over-committing a node's memory are caught")
    func memoryOverCommitted() throws {
        let text = snapshot(nodes: [Self.hostNode("n1", cpu: 64, memory: 256)],
                            orders: [Self.hostOrder("a", memory: 200), Self.hostOrder("b", memory: 100)])
        let both = Self.output(placements: [Self.placed("a", [("n1", 1)], price: "1.00"), Self.placed("b", [("n1", 1)], price: "1.00")], unplaced: [])
        let found = try Self.violations(text, both)
        #expect(Self.kinds(found) == ["memory_overcommitted"], "\(found)")
        let right = Self.output(placements: [Self.placed("a", [("n1", 1)], price: "1.00")], unplaced: [Self.unplaced("b", "no_capacity")])
        #expect(try Self.violations(text, right).isEmpty)
    }

    @Test("two orders over-committing a node's stated disk are caught; a node without disk_gib has no disk limit")
    func diskOverCommitted() throws {
        let orders = [Self.hostOrder("a", disk: 300), Self.hostOrder("b", disk: 300)]
        let both = Self.output(placements: [Self.placed("a", [("n1", 1)], price: "1.00"), Self.placed("b", [("n1", 1)], price: "1.00")], unplaced: [])
        let found = try Self.violations(snapshot(nodes: [Self.hostNode("n1", disk: 500)], orders: orders), both)
        #expect(Self.kinds(found) == ["disk_overcommitted"], "\(found)")
        #expect(try Self.violations(snapshot(nodes: [Self.hostNode("n1")], orders: orders), both).isEmpty)
    }

    @Test("a gang's per-node cores count on each of its nodes")
    func gangCoresPerNode() throws {
        let text = snapshot(nodes: [Self.hostNode("n1", cpu: 32), Self.hostNode("n2", cpu: 32)],
                            orders: [Self.hostOrder("g", nodes: 2, cpu: 24), Self.hostOrder("s", cpu: 16)])
        let over = Self.output(placements: [Self.placed("g", [("n1", 1), ("n2", 1)], price: "1.00"), Self.placed("s", [("n2", 1)], price: "1.00")], unplaced: [])
        #expect(Self.kinds(try Self.violations(text, over)) == ["cores_overcommitted"])
        let right = Self.output(placements: [Self.placed("g", [("n1", 1), ("n2", 1)], price: "1.00")], unplaced: [Self.unplaced("s", "no_capacity")])
        #expect(try Self.violations(text, right).isEmpty)
    }

    @Test("an order left unplaced while the cores, memory and GPUs left on a node fit it breaks work conservation")
    func workConservationWithHostResources() throws {
        let text = snapshot(nodes: [Self.hostNode("n1", cpu: 16, memory: 128)],
                            orders: [Self.hostOrder("a", cpu: 12, memory: 64), Self.hostOrder("b", cpu: 4, memory: 64)])
        let lazy = Self.output(placements: [Self.placed("a", [("n1", 1)], price: "1.00")], unplaced: [Self.unplaced("b", "no_capacity")])
        #expect(Self.kinds(try Self.violations(text, lazy)) == ["work_conservation"])
    }

    @Test("static cpu and memory reasons are checked against the cascade")
    func staticHostReasons() throws {
        let text = snapshot(nodes: [Self.hostNode("n1", cpu: 32, memory: 64)],
                            orders: [Self.hostOrder("c", cpu: 64, memory: 512), Self.hostOrder("m", cpu: 8, memory: 512)])
        let right = Self.output(placements: [], unplaced: [Self.unplaced("c", "cpu"), Self.unplaced("m", "memory")])
        #expect(try Self.violations(text, right).isEmpty)
        let wrong = Self.output(placements: [], unplaced: [Self.unplaced("c", "memory"), Self.unplaced("m", "no_capacity")])
        let found = try Self.violations(text, wrong)
        #expect(Self.kinds(found) == ["wrong_static_reason", "static_reason_due"], "\(found)")
    }

    // MARK: Set-aside pools: floor, ceiling, funding

    @Test("a set-aside order left no_capacity while an open order holds a node that would fit it breaks the floor")
    func setAsideFloorAgainstOpenMarket() throws {
        let text = snapshot(nodes: [Self.hostNode("n1", gpus: 8, cpu: 16)],
                            orders: [Self.hostOrder("o", cpu: 16), Self.hostOrder("s", cpu: 16, class: "set-aside", pool: "students")],
                            pools: [Self.pool()])
        let wrong = Self.output(placements: [Self.placed("o", [("n1", 1)], price: "1.00")], unplaced: [Self.unplaced("s", "no_capacity")])
        let found = try Self.violations(text, wrong)
        #expect(Self.kinds(found) == ["set_aside_floor_broken"], "\(found)")
        // Served first, the set-aside order takes the node at its pool's price.
        let right = Self.output(placements: [Self.placed("s", [("n1", 1)], price: "1.00")], unplaced: [Self.unplaced("o", "no_capacity")])
        #expect(try Self.violations(text, right).isEmpty)
    }

    @Test("a set-aside order may use a node above its pool's price within the ceiling, never above the ceiling")
    func ceiling() throws {
        let nodes = [Self.hostNode("n1", ask: "2.50"), Self.hostNode("n2", ask: "4.00")]
        let orders = [Self.hostOrder("s", class: "set-aside", pool: "students")]
        let withCeiling = snapshot(nodes: nodes, orders: orders, pools: [Self.pool(ceiling: "3.00")])
        #expect(try Self.violations(withCeiling, Self.output(placements: [Self.placed("s", [("n1", 1)], price: "1.00")], unplaced: [])).isEmpty)
        let above = try Self.violations(withCeiling, Self.output(placements: [Self.placed("s", [("n2", 1)], price: "1.00")], unplaced: []))
        #expect(Self.kinds(above) == ["ceiling"], "\(above)")
        // The price is the pool's, not the ask.
        let askPrice = try Self.violations(withCeiling, Self.output(placements: [Self.placed("s", [("n1", 1)], price: "2.50")], unplaced: []))
        #expect(Self.kinds(askPrice) == ["price"], "\(askPrice)")
        // The old static reason is wrong now that a node within the ceiling fits.
        let old = try Self.violations(withCeiling, Self.output(placements: [], unplaced: [Self.unplaced("s", "pool_price_below_asks")]))
        #expect(Self.kinds(old) == ["wrong_static_reason", "work_conservation"], "\(old)")
        // Every node above the ceiling: pool_ceiling_below_asks, and only that.
        let low = snapshot(nodes: nodes, orders: orders, pools: [Self.pool(ceiling: "2.00")])
        #expect(try Self.violations(low, Self.output(placements: [], unplaced: [Self.unplaced("s", "pool_ceiling_below_asks")])).isEmpty)
        #expect(Self.kinds(try Self.violations(low, Self.output(placements: [], unplaced: [Self.unplaced("s", "max_price_below_asks")])))
                == ["wrong_static_reason"])
        // No ceiling: any ask.
        let open = snapshot(nodes: nodes, orders: orders, pools: [Self.pool()])
        #expect(try Self.violations(open, Self.output(placements: [Self.placed("s", [("n2", 1)], price: "1.00")], unplaced: [])).isEmpty)
    }

    @Test("subsidies above a pool's funding are caught, to the micro-credit")
    func subsidyAboveFunding() throws {
        // (2.00 − 1.00) × 2 GPUs × 1 h = 2 credits of subsidy.
        func text(funding: String) -> String {
            snapshot(nodes: [Self.hostNode("n1", ask: "2.00")], orders: [Self.hostOrder("s", count: 2, class: "set-aside", pool: "students")],
                     pools: [Self.pool(funding: funding)])
        }
        let out = Self.output(placements: [Self.placed("s", [("n1", 2)], price: "1.00")], unplaced: [])
        let found = try Self.violations(text(funding: "1.999999"), out)
        #expect(Self.kinds(found) == ["pool_overdrawn"], "\(found)")
        #expect(found.contains { $0.contains("2000000") }, "\(found)")
        #expect(try Self.violations(text(funding: "2"), out).isEmpty)
        // Summed over the pool's placements, on max_duration, rounded up per placement:
        // 0.000001 × 1 GPU × 30 min = 0.5 micro-credit → 1 each, 2 for both.
        func rounding(funding: String) -> String {
            snapshot(nodes: [Self.hostNode("n1", ask: "1.000001")],
                     orders: [Self.hostOrder("a", class: "set-aside", pool: "students", duration: "10m", maxDuration: "30m"),
                              Self.hostOrder("b", class: "set-aside", pool: "students", duration: "30m")],
                     pools: [Self.pool(funding: funding)])
        }
        let two = Self.output(placements: [Self.placed("a", [("n1", 1)], price: "1.00"), Self.placed("b", [("n1", 1)], price: "1.00")], unplaced: [])
        #expect(Self.kinds(try Self.violations(rounding(funding: "0.000001"), two)) == ["pool_overdrawn"])
        #expect(try Self.violations(rounding(funding: "0.000002"), two).isEmpty)
        // A node asking at most the pool's price needs no subsidy at all.
        let cheap = snapshot(nodes: [Self.hostNode("n1", ask: "0.50")], orders: [Self.hostOrder("s", class: "set-aside", pool: "students")],
                             pools: [Self.pool(funding: "0")])
        #expect(try Self.violations(cheap, Self.output(placements: [Self.placed("s", [("n1", 1)], price: "1.00")], unplaced: [])).isEmpty)
    }

    @Test("pool_unfunded is caught when a node that fits needs no more subsidy than the funding left")
    func unjustifiedPoolUnfunded() throws {
        // n1 needs (1.50 − 1.00) × 1 GPU × 1 h = 0.5 credit; n2 needs 4.
        func text(funding: String?) -> String {
            snapshot(nodes: [Self.hostNode("n1", gpus: 1, ask: "1.50"), Self.hostNode("n2", ask: "5.00")],
                     orders: [Self.hostOrder("s", class: "set-aside", pool: "students")], pools: [Self.pool(funding: funding)])
        }
        let refused = Self.output(placements: [], unplaced: [Self.unplaced("s", "pool_unfunded")])
        let found = try Self.violations(text(funding: "2"), refused)
        #expect(Self.kinds(found) == ["pool_unfunded_unjustified"], "\(found)")
        #expect(try Self.violations(text(funding: "0.4"), refused).isEmpty)
        #expect(Self.kinds(try Self.violations(text(funding: nil), refused)).contains("reason_wrong"))
        // Refused, yet the placement it got would overdraw: the funding bounds placements too.
        let overdrawn = try Self.violations(text(funding: "0.4"), Self.output(placements: [Self.placed("s", [("n1", 1)], price: "1.00")], unplaced: []))
        #expect(Self.kinds(overdrawn) == ["pool_overdrawn"], "\(overdrawn)")
        // With funding 0.4, no_capacity is wrong: nodes fit, only the funding is short.
        let noCapacity = try Self.violations(text(funding: "0.4"), Self.output(placements: [], unplaced: [Self.unplaced("s", "no_capacity")]))
        #expect(Self.kinds(noCapacity) == ["work_conservation"], "\(noCapacity)")
    }

    @Test("the funding left is what the pool's earlier placements leave")
    func fundingLeftAfterPlacements() throws {
        // a takes n1 for 1 credit of subsidy ((2 − 1) × 1 GPU × 1 h); 1.5 − 1 = 0.5 is left,
        // less than the 1 credit b needs on n2.
        let text = snapshot(nodes: [Self.hostNode("n1", gpus: 1, ask: "2.00"), Self.hostNode("n2", gpus: 1, ask: "2.00")],
                            orders: [Self.hostOrder("a", class: "set-aside", pool: "students"), Self.hostOrder("b", class: "set-aside", pool: "students")],
                            pools: [Self.pool(share: "1", funding: "1.5")])
        let right = Self.output(placements: [Self.placed("a", [("n1", 1)], price: "1.00")], unplaced: [Self.unplaced("b", "pool_unfunded")])
        #expect(try Self.violations(text, right).isEmpty)
        let both = Self.output(placements: [Self.placed("a", [("n1", 1)], price: "1.00"), Self.placed("b", [("n2", 1)], price: "1.00")], unplaced: [])
        #expect(Self.kinds(try Self.violations(text, both)) == ["pool_overdrawn"])
    }

    @Test("pool_unfunded while an open order holds the node the pool could afford breaks the floor")
    func poolUnfundedBehindOpenMarket() throws {
        let text = snapshot(nodes: [Self.hostNode("n1", gpus: 1, ask: "1.50"), Self.hostNode("n2", ask: "5.00")],
                            orders: [Self.hostOrder("o"), Self.hostOrder("s", class: "set-aside", pool: "students")],
                            pools: [Self.pool(funding: "2")])
        // At the end only n2 fits s, for 4 credits of subsidy: justified by the end alone, but
        // n1 was free when s was served (before every open order), for 0.5.
        let wrong = Self.output(placements: [Self.placed("o", [("n1", 1)], price: "1.50")], unplaced: [Self.unplaced("s", "pool_unfunded")])
        let found = try Self.violations(text, wrong)
        #expect(Self.kinds(found) == ["pool_unfunded_floor"], "\(found)")
        let right = Self.output(placements: [Self.placed("o", [("n2", 1)], price: "5.00"), Self.placed("s", [("n1", 1)], price: "1.00")], unplaced: [])
        #expect(try Self.violations(text, right).isEmpty)
    }

    @Test("a gang's pool_unfunded is judged on its cheapest region")
    func gangPoolUnfunded() throws {
        // eu: two nodes at 3.00 (4 credits of subsidy for the gang); asia: 1.50 and 1.50 (1).
        let text = snapshot(nodes: [Self.hostNode("e1", ask: "3.00"), Self.hostNode("e2", ask: "3.00"),
                                    Self.hostNode("a1", ask: "1.50", region: "asia"), Self.hostNode("a2", ask: "1.50", region: "asia")],
                            orders: [Self.hostOrder("g", nodes: 2, class: "set-aside", pool: "students")], pools: [Self.pool(funding: "1")])
        let refused = Self.output(placements: [], unplaced: [Self.unplaced("g", "pool_unfunded")])
        #expect(Self.kinds(try Self.violations(text, refused)) == ["pool_unfunded_unjustified"])
        let right = Self.output(placements: [Self.placed("g", [("a1", 1), ("a2", 1)], price: "1.00")], unplaced: [])
        #expect(try Self.violations(text, right).isEmpty)
        let dear = Self.output(placements: [Self.placed("g", [("e1", 1), ("e2", 1)], price: "1.00")], unplaced: [])
        #expect(Self.kinds(try Self.violations(text, dear)) == ["pool_overdrawn"])
    }
}
