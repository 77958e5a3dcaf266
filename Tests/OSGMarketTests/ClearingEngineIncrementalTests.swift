import Testing
import OSGDomain
@testable import OSGMarket

@Suite("ClearingEngine incremental capacity")
struct ClearingEngineIncrementalTests {
    static let now = Timestamp(rfc3339: "2026-12-01T00:00:00Z")!

    /// Ends every placement of `result`: accounting, then capacity back on each node.
    static func endAll(_ result: ClearingResult, orders: [MarketOrder], in engine: inout ClearingEngine) {
        let byID = Dictionary(uniqueKeysWithValues: orders.map { ($0.id, $0) })
        for placement in result.placements {
            let order = byID[placement.orderID]!
            let spec = order.spec!
            engine.endLease(pool: order.pool, jobClass: spec.jobClass, tenantID: order.tenantID, gpus: placement.totalGPUs,
                            cpuCores: spec.resources.cpuCores * spec.nodeCount, memoryGiB: spec.resources.memoryGiB * spec.nodeCount)
            for grant in placement.grants {
                engine.returnCapacity(at: engine.nodePosition(of: grant.nodeID)!, gpus: grant.gpus, cpuCores: spec.resources.cpuCores,
                                      memoryGiB: spec.resources.memoryGiB, diskGiB: spec.resources.diskGiB)
            }
        }
    }

    @Test("ending every lease gives back an engine that clears like a fresh one", arguments: [1, 2, 3] as [UInt64])
    func endingLeasesRestoresTheEngine(seed: UInt64) {
        let fleet = SyntheticMarket.fleet(nodes: 400, seed: seed)
        let first = SyntheticMarket.orders(count: 300, seed: seed, now: Self.now)
        let second = SyntheticMarket.orders(count: 300, seed: seed + 100, now: Self.now)
        var reused = ClearingEngine(nodes: fleet, pools: SyntheticMarket.pools)
        let placed = reused.clear(first, now: Self.now)
        #expect(!placed.placements.isEmpty)
        Self.endAll(placed, orders: first, in: &reused)
        for node in fleet {
            #expect(reused.freeGPUs(nodeID: node.id) == node.freeGPUs)
            let host = reused.freeHostResources(at: reused.nodePosition(of: node.id)!)
            #expect(host.cpuCores == node.cpuCores && host.memoryGiB == node.memoryGiB)
        }
        for pool in SyntheticMarket.pools { #expect(reused.usedGPUs(pool: pool.name) == 0) }
        var fresh = ClearingEngine(nodes: fleet, pools: SyntheticMarket.pools)
        #expect(reused.clear(second, now: Self.now) == fresh.clear(second, now: Self.now))
    }

    @Test("a withdrawn node takes nothing until its GPUs come back")
    func withdrawAndReturn() {
        let fleet = SyntheticMarket.fleet(nodes: 50, seed: 9)
        var engine = ClearingEngine(nodes: fleet, pools: [])
        var withdrawn: [(Int, Int)] = []
        for position in 0..<engine.nodeCount where position % 2 == 0 {
            withdrawn.append((position, engine.withdrawCapacity(at: position)))
            #expect(engine.freeGPUs(at: position) == 0)
        }
        let orders = SyntheticMarket.orders(count: 200, seed: 9, now: Self.now)
        var probe = engine
        let result = probe.clear(orders, now: Self.now)
        let withdrawnIDs = Set(withdrawn.map { fleet.map(\.id).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }[$0.0] })
        #expect(result.placements.allSatisfy { $0.grants.allSatisfy { !withdrawnIDs.contains($0.nodeID) } })
        for (position, gpus) in withdrawn { engine.returnCapacity(at: position, gpus: gpus) }
        var fresh = ClearingEngine(nodes: fleet, pools: [])
        #expect(engine.clear(orders, now: Self.now) == fresh.clear(orders, now: Self.now))
    }

    @Test("ending a lease gives its tenant's fair-share usage back")
    func fairShareRelease() {
        let fleet = SyntheticMarket.fleet(nodes: 100, seed: 4)
        let orders = SyntheticMarket.orders(count: 50, seed: 4, now: Self.now)
        var engine = ClearingEngine(nodes: fleet, pools: SyntheticMarket.pools, tenants: [])
        let result = engine.clear(orders, now: Self.now)
        let tenants = Set(result.placements.map { placement in orders.first { $0.id == placement.orderID }!.tenantID })
        #expect(tenants.contains { engine.weightedDominantShare(tenant: $0) != .zero })
        Self.endAll(result, orders: orders, in: &engine)
        for tenant in tenants { #expect(engine.weightedDominantShare(tenant: tenant) == .zero) }
    }
}
