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
            #expect(kept.totalGPUs == fresh.totalGPUs && kept.reservedGPUs == fresh.reservedGPUs, "pass \(pass)")
            if pass != 5 {
                #expect(!result.placements.isEmpty && !result.unplaced.isEmpty, "pass \(pass) places some orders and not others")
            }
            #expect(Set(result.unplaced.map(\.reason.code)).count >= (pass == 5 ? 1 : 3), "pass \(pass): varied reasons")
        }
    }
}
