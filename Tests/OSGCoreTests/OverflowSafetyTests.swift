@testable import OSGCore
import OSGDomain
import Testing

/// The API bounds every new figure (`ComputeNode.Limits`, `JobSpec.Limits`), but the core must
/// replay older logs whatever they hold: these states are built by applying commands directly,
/// past the API's door, with figures up to `Int64.max`.
@Suite("Core aggregates never trap on extreme figures")
struct OverflowSafetyTests {
    /// A node of `op` with every figure at `ask` and `stake`.
    static func extremeNode(_ id: String, operator op: String, ask: Int64, stake: Int64) -> ComputeNode {
        ComputeNode(
            id: id, operatorID: op, gpuModel: GPUModel.named("H100")!, gpuCount: ComputeNode.Limits.maxGPUs, vramGiB: 80,
            cpuCores: ComputeNode.Limits.maxCPUCores, memoryGiB: ComputeNode.Limits.maxMemoryGiB, diskGiB: ComputeNode.Limits.maxDiskGiB,
            region: "eu", jurisdiction: "NO", gridZone: "NO", askPerGPUHour: MicroCredits(ask), stake: MicroCredits(stake))
    }

    @Test("the published bounds make a million nodes' totals fit 64 bits")
    func boundsFit() {
        let nodes: Int64 = 1_000_000
        #expect(!nodes.multipliedReportingOverflow(by: ComputeNode.Limits.maxStake.rawValue).overflow)
        let gpus = nodes * Int64(ComputeNode.Limits.maxGPUs)
        #expect(!gpus.multipliedReportingOverflow(by: ComputeNode.Limits.maxAskPerGPUHour.rawValue).overflow)
        // The largest job at the largest price, and the largest per-node escrow.
        let largest = JobSpec(
            name: "largest", image: "i", resources: ResourceRequest(gpu: GPURequest(selector: .any, countPerNode: JobSpec.Limits.maxGPUsPerNode)),
            nodeCount: JobSpec.Limits.maxNodes, durationSeconds: JobSpec.Limits.maxDurationSeconds,
            maxPricePerGPUHour: JobSpec.Limits.maxPricePerGPUHour)
        #expect(largest.problems(now: t0).isEmpty)
        #expect(largest.maxCost == MicroCredits(1_415_577_600_000_000_000))
        #expect(CoordinatorState.cost(price: JobSpec.Limits.maxPricePerGPUHour, gpus: 64, seconds: JobSpec.Limits.maxDurationSeconds)
                == 1_382_400_000_000_000)
    }

    @Test("a lease's cost beyond 64 bits is held at UInt64.max, and rounds up below it", arguments: [
        (Int64.max, 64, Int64(90 * 86_400), UInt64.max),
        (Int64.max, Int.max, Int64.max, UInt64.max),
        (Int64.max, 1, Int64(3_600), UInt64(Int64.max)),
        (Int64(1), 1, Int64(1), UInt64(1)),
        (Int64(-5), 8, Int64(3_600), UInt64(0)),
        (Int64(3_600), 1, Int64(-1), UInt64(0)),
    ] as [(Int64, Int, Int64, UInt64)])
    func costSaturates(price: Int64, gpus: Int, seconds: Int64, expected: UInt64) {
        #expect(CoordinatorState.cost(price: MicroCredits(price), gpus: gpus, seconds: seconds) == expected)
    }

    @Test("saturating helpers hold at the bounds")
    func saturation() {
        #expect(Int64.max.addingSaturated(1) == .max)
        #expect(Int64.min.addingSaturated(-1) == .min)
        #expect(Int64.max.multipliedSaturated(by: 2) == .max)
        #expect(Int64.max.multipliedSaturated(by: -2) == .min)
        #expect(Int64(-3).multipliedSaturated(by: 4) == -12)
        #expect(UInt64.max.addingSaturated(1) == .max)
        #expect(MicroCredits.sumDescription(repeatElement(MicroCredits(.max), count: 4)) == "36893488147419.103228")
    }

    @Test("an older log with nodes staking and asking Int64.max and pools at Int64.max: jobs wait, nothing traps")
    func extremeOlderLog() throws {
        var driver = Driver()
        for id in ["n1", "n2"] {
            #expect(try driver.run(.registerNode(Self.extremeNode(id, operator: "alice", ask: .max, stake: .max)), by: "alice")
                    == [.nodeRegistered(nodeID: id)])
        }
        let maxPrice = JobSpec.Limits.maxPricePerGPUHour
        // "dear" is priced beyond any job's max_price; "open" pays nodes up to Int64.max from its funding.
        try driver.run(.definePool(SetAsidePool(name: "dear", sharePPM: 250_000, pricePerGPUHour: MicroCredits(.max))), by: governance)
        try driver.run(.definePool(SetAsidePool(name: "open", sharePPM: 250_000, pricePerGPUHour: maxPrice,
                                                ceilingPerGPUHour: MicroCredits(.max))), by: governance)
        try driver.run(.fundPool(name: "open", amount: MicroCredits(.max)), by: governance)
        for pool in ["dear", "open"] {
            try driver.run(.grantSetAside(SetAsideGrant(pool: pool, tenantID: "t", quotaGPUSeconds: .max, expires: t0.adding(seconds: 86_400 * 365))),
                           by: governance)
        }
        try driver.run(.deposit(tenantID: "t", amount: MicroCredits(.max)), by: governance)
        for pool in ["dear", "open"] {
            var job = timedSpec("big-\(pool)", gpus: 64, duration: JobSpec.Limits.maxDurationSeconds, jobClass: .setAside)
            job.maxPricePerGPUHour = maxPrice
            #expect(queuedID(try driver.run(.submitJob(spec: job, pool: pool), by: "t")) != nil)
        }
        let standard = timedSpec("std", gpus: 64, duration: JobSpec.Limits.maxDurationSeconds, maxPrice: maxPrice.rawValue)
        #expect(queuedID(try driver.run(.submitJob(spec: standard, pool: nil), by: "t")) != nil)
        try driver.run(.heartbeat(nodeIDs: ["n1", "n2"]), by: "alice")
        try driver.run(.clear, by: governance)
        // The subsidy at Int64.max per GPU-hour does not fit 64 bits: no funding covers it.
        #expect(driver.state.runningLeaseOfOrder.isEmpty, "\(driver.state.waitingReasons)")
        #expect(driver.state.queue.count == 3)
        #expect(driver.state.statistics == driver.state.statisticsByFullPass)
        #expect(driver.state.published == driver.state.publishedByFullPass)
        #expect(driver.state.statistics.onlineGPUs == 128)
        #expect(MicroCredits.sumDescription(driver.state.nodes.values.map(\.node.stake)) == "18446744073709.551614")
    }

    @Test("running leases whose Σ price × GPUs exceeds 64 bits: the price index is their exact mean")
    func priceIndexBeyond64Bits() throws {
        var state = CoordinatorState(genesis: Genesis(governanceID: governance))
        for index in 0..<4 {
            let node = Self.extremeNode("n\(index)", operator: "alice", ask: .max, stake: .max)
            state.nodes[node.id] = CoordinatorState.NodeRecord(node: node, registered: t0, lastHeartbeat: t0, online: true)
            let lease = Lease(id: "l\(index)", orderID: "o\(index)", allocations: [NodeAllocation(nodeID: node.id, gpus: 64)],
                              pricePerGPUHour: MicroCredits(.max - Int64(index)), start: t0)
            state.leases[lease.id] = lease
            state.runningLeaseOfOrder[lease.orderID] = lease.id
            state.allocatedGPUs[node.id] = 64
        }
        // (4 × Int64.max − 6) × 64 ÷ 256, rounded down.
        #expect(state.statistics.priceIndex["H100"] == MicroCredits(.max - 2))
        #expect(state.statistics.utilisationPPM == 1_000_000)
        #expect(state.published == state.publishedByFullPass)
    }

    @Test("GPU-seconds over the longest representable time saturate instead of trapping")
    func gpuSecondsSaturate() {
        let lease = Lease(id: "l", orderID: "o", allocations: [NodeAllocation(nodeID: "n", gpus: 64)], pricePerGPUHour: MicroCredits(1),
                          start: Timestamp(secondsSinceEpoch: 0))
        #expect(StatisticsTotals.gpuSeconds(of: lease, until: Timestamp(secondsSinceEpoch: .max)) == .max)
        #expect(StatisticsTotals.gpuSeconds(of: lease, until: Timestamp(secondsSinceEpoch: 10)) == 640)
        #expect(StatisticsTotals.gpuSeconds(of: lease, until: Timestamp(secondsSinceEpoch: -10)) == 0)
    }
}
