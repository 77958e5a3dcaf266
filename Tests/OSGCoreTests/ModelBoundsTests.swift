import OSGDomain
import Testing
@testable import OSGCore

/// What the online nodes of each GPU model offer at most (``CoordinatorState/ModelBounds``,
/// read by the head-of-queue search to pass over orders no node could ever hold), against the
/// registered nodes read one by one.
@Suite("Model bounds of the online fleet")
struct ModelBoundsTests {
    /// Per model name in order of its first online node (by id): lowest ask, most GPUs, most
    /// cores, memory and disk.
    static func expected(_ state: CoordinatorState) -> [String] {
        var names: [String] = []
        var bounds: [String: (ask: Int64, gpus: Int, cores: Int, memory: Int, disk: Int)] = [:]
        for nodeID in state.sortedNodeIDs {
            guard let record = state.nodes[nodeID], record.online else { continue }
            let node = record.node
            let name = node.gpuModel.name
            guard let bound = bounds[name] else {
                names.append(name)
                bounds[name] = (node.askPerGPUHour.rawValue, node.gpuCount, node.cpuCores, node.memoryGiB, node.diskGiB)
                continue
            }
            bounds[name] = (min(bound.ask, node.askPerGPUHour.rawValue), max(bound.gpus, node.gpuCount), max(bound.cores, node.cpuCores),
                            max(bound.memory, node.memoryGiB), max(bound.disk, node.diskGiB))
        }
        return names.map { name in
            let bound = bounds[name]!
            return "\(name) \(GPUModel.named(name)?.name ?? "-") \(bound.ask) \(bound.gpus) \(bound.cores) \(bound.memory) \(bound.disk)"
        }
    }

    static func described(_ bounds: CoordinatorState.ModelBounds) -> [String] {
        bounds.models.map { bound in
            "\(bound.name) \(bound.model?.name ?? "-") \(bound.minAsk) \(bound.maxGPUs) \(bound.maxHost.cpuCores) \(bound.maxHost.memoryGiB) \(bound.maxHost.diskGiB)"
        }
    }

    @Test("per model, in order of first online node: the lowest ask and the most GPUs, cores, memory and disk of its online nodes")
    func boundsMatchTheNodes() throws {
        var compared = 0
        for seed in 0..<12 {
            var workload = MarketWorkload(seed: UInt64(seed) &* 7919 &+ 5)
            try workload.setUp()
            for _ in 0..<120 {
                try workload.step()
                let state = workload.driver.state
                let bounds = CoordinatorState.ModelBounds(state.fleet.view)
                #expect(Self.described(bounds) == Self.expected(state), "seed \(seed)")
                compared += bounds.models.count
            }
        }
        #expect(compared > 100, "the workloads have online nodes (\(compared) bounds compared)")
    }
}
