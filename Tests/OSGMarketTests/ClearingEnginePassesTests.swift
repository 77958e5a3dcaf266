import OSGDomain
import Testing
@testable import OSGMarket

/// An engine reused across clearing passes (``ClearingEngine/startClearing(freeGPUs:pools:tenants:)``)
/// must give exactly what a new engine built from the nodes with free GPUs gives: the same
/// placements, prices, unplaced reasons and service order, pass after pass.
@Suite("ClearingEngine reused across clearing passes")
struct ClearingEnginePassesTests {
    static let now = Timestamp(rfc3339: "2026-12-01T00:00:00Z")!

    /// Tenants of `orders` with seeded usage (some left out: they count as weight 1, no usage).
    static func tenants(of orders: [MarketOrder], random: inout SplitMix64) -> [TenantStanding] {
        Set(orders.map(\.tenantID)).sorted().compactMap { id in
            random.next() % 4 == 0 ? nil : TenantStanding(
                id: id, weight: 1 + Int(random.next() % 3), usageGPUs: Int(random.next() % 40),
                usageCPUCores: Int(random.next() % 300), usageMemoryGiB: Int(random.next() % 2_000))
        }
    }

    @Test("each pass equals a new engine over the nodes with free GPUs", arguments: [1, 2, 3, 4] as [UInt64])
    func passesEqualNewEngines(seed: UInt64) {
        let fleet = SyntheticMarket.fleet(nodes: 300, seed: seed)
        var kept = ClearingEngine(nodes: fleet, pools: [])
        var random = SplitMix64(seed: seed &* 7_919)
        for pass in 0..<8 {
            // Free GPUs of this pass: up to what each node had when the engine was built; a
            // quarter of the nodes (and every node in pass 5) without any.
            var free = Array(repeating: 0, count: fleet.count)
            var nodes: [MarketNode] = []
            for node in fleet {
                let position = kept.nodePosition(of: node.id)!
                let gpus = pass == 5 || random.next() % 4 == 0 ? 0 : Int(random.next() % UInt64(node.freeGPUs + 1))
                free[position] = gpus
                if gpus > 0 {
                    var present = node
                    present.freeGPUs = gpus
                    nodes.append(present)
                }
            }
            let orders = SyntheticMarket.orders(count: 150, seed: seed * 100 + UInt64(pass), now: Self.now)
            let pools = pass % 2 == 0 ? SyntheticMarket.pools : [SyntheticMarket.pools[0]]
            let tenants: [TenantStanding]? = pass == 3 ? nil : Self.tenants(of: orders, random: &random)
            let remaining = ["students": Int(random.next() % 30), "civic": Int(random.next() % 30)]
            let standard = Int(random.next() % 400)

            var fresh = ClearingEngine(nodes: nodes, pools: pools, tenants: tenants)
            fresh.limitBudgets(poolRemainingGPUs: remaining, standardOpenRemainingGPUs: standard)
            fresh.recordsServiceOrder = true
            let expected = fresh.clear(orders, now: Self.now)

            kept.startClearing(freeGPUs: free, pools: pools, tenants: tenants)
            kept.limitBudgets(poolRemainingGPUs: remaining, standardOpenRemainingGPUs: standard)
            kept.recordsServiceOrder = true
            let result = kept.clear(orders, now: Self.now)

            #expect(result == expected, "pass \(pass)")
            #expect(kept.serviceOrder == fresh.serviceOrder, "pass \(pass)")
            // Positions in `orders`: of every placement and unplaced order, in the result's
            // order, and of every order served (each once; every placed order among them).
            #expect(kept.resultInputs.placements.map { orders[Int($0)].id } == result.placements.map(\.orderID), "pass \(pass)")
            #expect(kept.resultInputs.unplaced.map { orders[Int($0)].id } == result.unplaced.map(\.orderID), "pass \(pass)")
            #expect(Set(kept.serviceOrder).count == kept.serviceOrder.count
                    && Set(kept.resultInputs.placements).isSubset(of: Set(kept.serviceOrder)), "pass \(pass)")
            #expect(kept.totalGPUs == fresh.totalGPUs && kept.reservedGPUs == fresh.reservedGPUs, "pass \(pass)")
            if pass != 5 {
                #expect(!result.placements.isEmpty && !result.unplaced.isEmpty, "pass \(pass) places some orders and not others")
            }
            #expect(Set(result.unplaced.map(\.reason.code)).count >= (pass == 5 ? 1 : 3), "pass \(pass): varied reasons")
        }
    }
}

/// A node joining a kept engine in place (``ClearingEngine/insert(_:)``) must leave it as an
/// engine built over every node would be: the same positions and (ask, id) ranks, and passes
/// that give what a new engine over the nodes with free GPUs gives.
@Suite("ClearingEngine taking in nodes between passes")
struct ClearingEngineInsertionTests {
    @Test("nodes inserted between passes leave the engine as one built with them", arguments: [1, 2, 3, 4, 5, 6] as [UInt64])
    func insertedNodesMatchABuiltEngine(seed: UInt64) {
        let fleet = SyntheticMarket.fleet(nodes: 300, seed: seed)
        var random = SplitMix64(seed: seed &* 104_729)
        // A third of the nodes join later; the first node of each model and region is there from the start.
        var seenModels = Set<String>()
        var seenRegions = Set<String>()
        var present: [MarketNode] = []
        var later: [MarketNode] = []
        for node in fleet {
            let first = seenModels.insert(node.gpuModel.name).inserted || seenRegions.insert(node.region).inserted
            if first || random.next() % 3 != 0 { present.append(node) } else { later.append(node) }
        }
        // Joining order: not id order.
        for index in later.indices.reversed() { later.swapAt(index, Int(random.next() % UInt64(index + 1))) }
        var kept = ClearingEngine(nodes: present, pools: [])
        for pass in 0..<10 {
            // Every other pass, so that the diagnosis records kept since the pass before last
            // (and their offsets, set when a pass starts) take the new nodes in too.
            if pass >= 2 && pass % 2 == 0 {
                #expect(kept.diagnosisRecords != nil && !kept.diagnosisOffsets.isEmpty, "seed \(seed) pass \(pass): kept records")
                for _ in 0..<min(later.count, 10 + Int(random.next() % 20)) {
                    let node = later.removeLast()
                    let position = kept.insert(node)
                    present.append(node)
                    #expect(position != nil && position == kept.nodePosition(of: node.id), "seed \(seed) pass \(pass): \(node.id)")
                }
                let built = ClearingEngine(nodes: present, pools: [])
                #expect(kept.table.ids == built.table.ids && kept.table.rank == built.table.rank
                        && kept.table.byRank == built.table.byRank && kept.table.nodesByModel == built.table.nodesByModel,
                        "seed \(seed) pass \(pass): node order and ranks")
                #expect(kept.index.slotNodes == built.index.slotNodes, "seed \(seed) pass \(pass): slot members")
            }
            var free = Array(repeating: 0, count: present.count)
            var host = (cpuCores: [Int](repeating: 0, count: present.count), memoryGiB: [Int](repeating: 0, count: present.count),
                        diskGiB: [Int](repeating: -1, count: present.count))
            var offered: [MarketNode] = []
            for node in present {
                let position = kept.nodePosition(of: node.id)!
                let gpus = random.next() % 4 == 0 ? 0 : Int(random.next() % UInt64(node.freeGPUs + 1))
                free[position] = gpus
                host.cpuCores[position] = Int(random.next() % UInt64(node.cpuCores + 1))
                host.memoryGiB[position] = Int(random.next() % UInt64(node.memoryGiB + 1))
                guard gpus > 0 else { continue }
                var offer = node
                offer.freeGPUs = gpus
                offer.cpuCores = host.cpuCores[position]
                offer.memoryGiB = host.memoryGiB[position]
                offered.append(offer)
            }
            let orders = SyntheticMarket.orders(count: 150, seed: seed * 1_000 + UInt64(pass), now: ClearingEnginePassesTests.now)
            var fresh = ClearingEngine(nodes: offered, pools: SyntheticMarket.pools, tenants: [])
            let expected = fresh.clear(orders, now: ClearingEnginePassesTests.now)
            kept.startClearing(freeGPUs: free, freeHost: host, pools: SyntheticMarket.pools, tenants: [])
            let result = kept.clear(orders, now: ClearingEnginePassesTests.now)
            #expect(result == expected, "seed \(seed) pass \(pass)")
            #expect(Set(result.unplaced.map(\.reason.code)).count >= 3, "seed \(seed) pass \(pass): varied reasons")
        }
    }

    @Test("a node the engine cannot take in place changes nothing")
    func refusedInsertions() {
        let fleet = SyntheticMarket.fleet(nodes: 40, seed: 9)
        var engine = ClearingEngine(nodes: fleet, pools: [])
        let ids = engine.table.ids
        var duplicate = fleet[7]
        duplicate.askPerGPUHour = MicroCredits(1)
        #expect(engine.insert(duplicate) == nil, "an id already in the engine")
        var newRegion = fleet[3]
        newRegion.id = "node-new-region"
        newRegion.region = "antarctica"
        #expect(engine.insert(newRegion) == nil, "a region with no code")
        var newModel = fleet[3]
        newModel.id = "node-new-model"
        newModel.gpuModel = GPUModel.named("B200")!
        #expect(engine.insert(newModel) == nil, "a model with no code")
        #expect(engine.table.ids == ids && engine.nodeCount == fleet.count)
    }
}
