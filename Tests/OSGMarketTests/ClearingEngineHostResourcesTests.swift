import Testing
import OSGDomain
@testable import OSGMarket

@Suite("ClearingEngine free host resources")
struct ClearingEngineHostResourcesTests {
    static let now = Timestamp(rfc3339: "2026-12-01T00:00:00Z")!

    static func order(_ id: String, cores: Int, memory: Int) -> MarketOrder {
        let spec = JobSpec(name: id, resources: ResourceRequest(gpu: GPURequest(selector: .any, countPerNode: 1), cpuCores: cores, memoryGiB: memory),
                           durationSeconds: 3600, maxPricePerGPUHour: MicroCredits(5_000_000))
        return MarketOrder(id: id, tenantID: "t", submitted: now, pool: nil, spec: spec)
    }

    @Test("an order is placed only where the cores and memory left fit it")
    func freeCoresAndMemoryCount() {
        let node = MarketNode(id: "n1", operatorID: "o1", gpuModel: GPUModel.named("A100")!, freeGPUs: 8, vramGiB: 80, cpuCores: 16,
                              memoryGiB: 64, region: "r", jurisdiction: "XX", zone: "r", askPerGPUHour: MicroCredits(1_000_000))
        var engine = ClearingEngine(nodes: [node], pools: [])
        engine.setFreeHostResources(at: 0, cpuCores: 4, memoryGiB: 64)
        #expect(engine.clear([Self.order("a", cores: 8, memory: 8)], now: Self.now).placements.isEmpty)
        engine.setFreeHostResources(at: 0, cpuCores: 16, memoryGiB: 6)
        #expect(engine.clear([Self.order("b", cores: 8, memory: 8)], now: Self.now).placements.isEmpty)
        engine.setFreeHostResources(at: 0, cpuCores: 16, memoryGiB: 64)
        #expect(engine.clear([Self.order("c", cores: 8, memory: 8)], now: Self.now).placements.count == 1)
    }
}
