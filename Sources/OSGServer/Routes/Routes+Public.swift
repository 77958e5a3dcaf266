import Hummingbird
import OSGCore
import OSGDomain

/// Public, unsigned reads: statistics, the order book, lockups, set-aside use, providers.
/// Answers are computed from the state and reused for up to `publicCacheMilliseconds`.
extension Coordinator {
    func addPublicRoutes(to router: Router<CoordinatorRequestContext>) {
        let views: [(path: String, build: @Sendable (CoordinatorState) -> [UInt8])] = [
            ("/v1/stats", { JSONResponse.encode(PublicViews.stats($0)) }),
            ("/v1/market", { JSONResponse.encode(PublicViews.market($0)) }),
            ("/v1/lockups", { state in
                JSONResponse.encode(["lockups": state.lockups.values.sorted { $0.id < $1.id }.map { Views.lockup($0, in: state) }])
            }),
            ("/v1/set-asides", { JSONResponse.encode(PublicViews.setAsides($0)) }),
            ("/v1/providers", { JSONResponse.encode(PublicViews.providers($0)) }),
        ]
        for view in views {
            let build = view.build
            router.get(RouterPath(view.path)) { _, _ in
                let bytes = await self.publicViews.bytes(for: view.path) { build(await self.reader.state()) }
                return JSONResponse.response(bytes: bytes, headers: [.cacheControl: "public, max-age=1"])
            }
        }
    }
}

/// Public aggregates over the state.
enum PublicViews {
    struct Group: Encodable {
        var submitted: Int
        var started: Int
        var acceptancePpm: Int
        var queueP50Seconds: Int64?
        var queueP90Seconds: Int64?
        var queueP99Seconds: Int64?
    }

    struct Stats: Encodable {
        var logEntries: UInt64
        var asOf: String?
        var byResourceClass: [String: Group]
        var byUserClass: [String: Group]
        var utilisationPpm: Int
        var onlineGpus: Int
        /// Of the online GPUs, those that are virtual (`osg agent --simulate`): not real hardware.
        var onlineSimulatedGpus: Int
        var onlineNodes: Int
        var pendingJobs: Int
        var runningJobs: Int
        var priceIndex: [String: String]
        /// GPUs held by running leases, by the power source of their node.
        var runningGpusByPowerSource: [String: Int]
        /// Carbon of the GPU-hours leases have run (docs/CARBON.md, "Carbon per GPU-hour").
        var carbon: Carbon
        /// How decentralised the online capacity is (docs/API.md, "Concentration and energy").
        var concentration: Concentration
        /// The energy leases reported, over the nodes registered now.
        var energy: Energy
    }

    /// ``NetworkConcentration`` on the wire.
    struct Concentration: Encodable {
        var operators: Int
        var jurisdictions: Int
        var zones: Int
        var gpus: Int
        var top1SharePpm: Int
        var top10SharePpm: Int
        var herfindahlHirschmanIndex: Int

        init(_ figures: NetworkConcentration) {
            operators = figures.operators
            jurisdictions = figures.jurisdictions
            zones = figures.zones
            gpus = figures.gpus
            top1SharePpm = figures.top1SharePPM
            top10SharePpm = figures.top10SharePPM
            herfindahlHirschmanIndex = figures.herfindahlHirschmanIndex
        }
    }

    /// ``ReportedEnergy`` on the wire.
    struct Energy: Encodable {
        var wattHours: Int64
        var reportedGpuSeconds: Int64
        var wattHoursPerGpuHour: Int64?
        var wattHoursByPowerSource: [String: Int64]

        init(_ figures: ReportedEnergy) {
            wattHours = figures.wattHours
            reportedGpuSeconds = figures.reportedGPUSeconds
            wattHoursPerGpuHour = figures.wattHoursPerGPUHour
            wattHoursByPowerSource = figures.wattHoursByPowerSource
        }
    }

    /// ``CarbonFootprint`` on the wire: GPU-seconds and milligrams of CO2-eq.
    struct Carbon: Encodable {
        var gridGpuSeconds: Int64
        var gridMilligrams: Int64
        var milligramsPerGpuHour: Int64?
        var unknownGpuSeconds: Int64
        var offGridGpuSeconds: [String: Int64]

        init(_ footprint: CarbonFootprint) {
            gridGpuSeconds = footprint.gridGPUSeconds
            gridMilligrams = footprint.gridMilligrams
            milligramsPerGpuHour = footprint.milligramsPerGPUHour
            unknownGpuSeconds = footprint.unknownGPUSeconds
            offGridGpuSeconds = footprint.offGridGPUSeconds
        }
    }

    static func stats(_ state: CoordinatorState) -> Stats {
        let statistics = state.statistics
        func group(_ g: MarketStatistics.Group) -> Group {
            Group(submitted: g.submitted, started: g.started, acceptancePpm: g.acceptancePPM,
                  queueP50Seconds: g.queueP50Seconds, queueP90Seconds: g.queueP90Seconds, queueP99Seconds: g.queueP99Seconds)
        }
        var bySource: [String: Int] = [:]
        for (nodeID, gpus) in state.allocatedGPUs where gpus > 0 {
            if let node = state.nodes[nodeID]?.node { bySource[node.powerSource.rawValue, default: 0] += gpus }
        }
        var onlineNodes = 0
        var onlineSimulatedGPUs = 0
        for record in state.nodes.values where record.online {
            onlineNodes += 1
            if record.node.isSimulated { onlineSimulatedGPUs += record.node.gpuCount }
        }
        return Stats(
            logEntries: state.nextSequence, asOf: state.lastTime?.description,
            byResourceClass: statistics.byResourceClass.mapValues(group), byUserClass: statistics.byUserClass.mapValues(group),
            utilisationPpm: statistics.utilisationPPM, onlineGpus: statistics.onlineGPUs, onlineSimulatedGpus: onlineSimulatedGPUs,
            onlineNodes: onlineNodes, pendingJobs: state.queue.count,
            runningJobs: state.runningLeaseOfOrder.count, priceIndex: statistics.priceIndex.mapValues(\.description),
            runningGpusByPowerSource: bySource, carbon: Carbon(statistics.carbon ?? state.carbonFootprint),
            concentration: Concentration(statistics.concentration ?? state.concentration),
            energy: Energy(statistics.energy ?? state.reportedEnergy))
    }

    struct Bid: Encodable {
        var job: String
        var submitted: String
        var gpuModel: String
        var gpusPerNode: Int
        var nodes: Int
        var maxPrice: String
        var jobClass: String
        var waitingReason: String?
    }

    struct Ask: Encodable {
        var gpuModel: String
        var gpusPerNode: Int
        var vramGib: Int
        var region: String
        /// Virtual GPUs (`osg agent --simulate`), listed apart from real hardware of the same shape.
        var simulated: Bool
        var nodes: Int
        var freeGpus: Int
        var lowestAsk: String
    }

    struct Market: Encodable {
        var pendingJobs: Int
        /// The first 1000 pending jobs in queue order.
        var bids: [Bid]
        /// Free capacity of online nodes per node shape (model × GPUs × VRAM × region).
        var asks: [Ask]
        var priceIndex: [String: String]
    }

    static func market(_ state: CoordinatorState) -> Market {
        let bids = state.queue.prefix(1_000).compactMap { id -> Bid? in
            guard let order = state.orders[id] else { return nil }
            return Bid(job: id, submitted: order.submitted.description, gpuModel: order.spec.resources.gpu.selector.description,
                       gpusPerNode: order.spec.resources.gpu.countPerNode, nodes: order.spec.nodeCount,
                       maxPrice: order.spec.maxPricePerGPUHour.description, jobClass: order.spec.jobClass.rawValue,
                       waitingReason: state.waitingReasons[id])
        }
        struct Shape: Hashable { var model: String; var gpus: Int; var vram: Int; var region: String; var simulated: Bool }
        var locked: [String: Int] = [:]
        for lockup in state.lockups.values { locked[lockup.nodeID, default: 0] += lockup.gpus }
        var shapes: [Shape: (nodes: Int, free: Int, lowest: Int64)] = [:]
        for record in state.nodes.values where record.online {
            let node = record.node
            let free = max(0, node.gpuCount - (state.allocatedGPUs[node.id] ?? 0) - (locked[node.id] ?? 0))
            let shape = Shape(model: node.gpuModel.name, gpus: node.gpuCount, vram: node.vramGiB, region: node.region, simulated: node.isSimulated)
            var entry = shapes[shape] ?? (0, 0, Int64.max)
            entry.nodes += 1
            entry.free += free
            entry.lowest = min(entry.lowest, node.askPerGPUHour.rawValue)
            shapes[shape] = entry
        }
        let asks = shapes.map { shape, entry in
            Ask(gpuModel: shape.model, gpusPerNode: shape.gpus, vramGib: shape.vram, region: shape.region, simulated: shape.simulated,
                nodes: entry.nodes, freeGpus: entry.free, lowestAsk: MicroCredits(entry.lowest).description)
        }.sorted {
            ($0.gpuModel, $0.region, $0.gpusPerNode, $0.vramGib, $0.simulated ? 1 : 0)
                < ($1.gpuModel, $1.region, $1.gpusPerNode, $1.vramGib, $1.simulated ? 1 : 0)
        }
        return Market(pendingJobs: state.queue.count, bids: bids, asks: asks,
                      priceIndex: state.statistics.priceIndex.mapValues(\.description))
    }

    struct PoolUse: Encodable {
        var name: String
        var sharePpm: Int
        var price: String
        /// The most the pool pays a node per GPU-hour; absent when it has none (it uses only
        /// nodes asking at most its price).
        var ceiling: String?
        /// Credits left in the pool's funding account (posted minus held by running leases).
        var funding: String
        var grants: Int
        var quotaGpuSeconds: Int64
        var usedGpuSeconds: Int64
        var runningGpus: Int
        var pendingJobs: Int
    }

    static func setAsides(_ state: CoordinatorState) -> [String: [PoolUse]] {
        var running: [String: Int] = [:]
        for (orderID, leaseID) in state.runningLeaseOfOrder {
            guard let pool = state.orders[orderID]?.pool, let lease = state.leases[leaseID] else { continue }
            running[pool, default: 0] += lease.totalGPUs
        }
        var pending: [String: Int] = [:]
        for id in state.queue { if let pool = state.orders[id]?.pool { pending[pool, default: 0] += 1 } }
        let pools = state.pools.values.sorted { $0.name < $1.name }.map { pool in
            let grants = state.grants.values.filter { $0.pool == pool.name }
            return PoolUse(name: pool.name, sharePpm: pool.sharePPM, price: pool.pricePerGPUHour.description,
                           ceiling: pool.ceilingPerGPUHour?.description, funding: state.poolFunding(of: pool.name).description,
                           grants: grants.count,
                           quotaGpuSeconds: clampedSum(grants.lazy.map(\.quotaGPUSeconds)),
                           usedGpuSeconds: clampedSum(grants.lazy.map(\.usedGPUSeconds)),
                           runningGpus: running[pool.name] ?? 0, pendingJobs: pending[pool.name] ?? 0)
        }
        return ["pools": pools]
    }

    /// The sum of `values`, held at the bounds of `Int64` (summed in 128 bits, which 2^64
    /// values of at most 2^63 cannot overflow): a total over many grants never traps.
    static func clampedSum<S: Sequence>(_ values: S) -> Int64 where S.Element == Int64 {
        var sum: Int128 = 0
        for value in values { sum += Int128(value) }
        return Int64(clamping: sum)
    }

    struct Provider: Encodable {
        var id: String
        var nodes: Int
        var onlineNodes: Int
        var gpus: Int
        /// Of its GPUs, those that are virtual (`osg agent --simulate`).
        var simulatedGpus: Int
        var allocatedGpus: Int
        var gpuModels: [String]
        var regions: [String]
        /// The collateral locked on its nodes now (their stakes less slashes); on a log that
        /// predates money rules, the stakes its nodes declared.
        var stake: String
        /// Faults of its nodes that cost leases, and the collateral they slashed.
        var faults: Int
        var slashed: String
        /// The latest benchmark result of each of its nodes that has one, by node id.
        var benchmarks: [ProviderBenchmark]
        /// The "claimed vs observed" figures of each of its nodes with a benchmark or a usage
        /// report, by node id.
        var claimedVsObserved: [ProviderClaim]
    }

    /// A node's "claimed vs observed" figures as `/v1/providers` lists them.
    struct ProviderClaim: Encodable {
        var node: String
        var gpuModel: String
        var gpus: Int
        var figures: Views.ClaimedVsObserved
    }

    /// A node's benchmark result as `/v1/providers` lists it.
    struct ProviderBenchmark: Encodable {
        var node: String
        var gpuModel: String
        var gpus: Int
        var result: Views.Benchmark
    }

    /// One operator's figures, gathered in a single pass over the nodes without copying their
    /// records, so `/v1/providers` stays linear in the nodes (a million of one operator too).
    private struct ProviderTotals {
        var nodes = 0
        var onlineNodes = 0
        /// At most 64 per node (`ComputeNode.Limits`): no node count reaches `Int.max`.
        var gpus = 0
        var simulatedGpus = 0
        var allocatedGpus = 0
        var gpuModels: Set<String> = []
        var regions: Set<String> = []
        /// Σ stake in 128 bits: exact for any number of nodes at any stake an older log holds.
        var stakeMicroCredits: Int128 = 0
        var faults = 0
        var slashedMicroCredits: Int128 = 0
        /// Only the nodes with a benchmark are kept (and sorted).
        var benchmarks: [ProviderBenchmark] = []
        /// Only the nodes with a benchmark or a usage report are kept (and sorted).
        var claims: [ProviderClaim] = []

        mutating func add(_ record: CoordinatorState.NodeRecord, allocated: Int, in state: CoordinatorState) {
            let node = record.node
            nodes += 1
            if record.online { onlineNodes += 1 }
            gpus += node.gpuCount
            if node.isSimulated { simulatedGpus += node.gpuCount }
            allocatedGpus += allocated
            gpuModels.insert(node.gpuModel.name)
            regions.insert(node.region)
            if let collateral = state.money?.collateral[node.id] {
                stakeMicroCredits += Int128(state.lockedCollateral(of: node.id).rawValue)
                faults += collateral.faults
                slashedMicroCredits += Int128(collateral.slashedMicroCredits)
            } else {
                stakeMicroCredits += Int128(node.stake.rawValue)
            }
            if let result = Views.benchmark(record.benchmark) {
                benchmarks.append(ProviderBenchmark(node: node.id, gpuModel: node.gpuModel.name, gpus: node.gpuCount, result: result))
            }
            if record.benchmark != nil || record.observation != nil {
                claims.append(ProviderClaim(
                    node: node.id, gpuModel: node.gpuModel.name, gpus: node.gpuCount,
                    figures: Views.claimedVsObserved(record.claimComparison)))
            }
        }
    }

    static func providers(_ state: CoordinatorState) -> [String: [Provider]] {
        var byOperator: [String: ProviderTotals] = [:]
        for record in state.nodes.values {
            byOperator[record.node.operatorID, default: ProviderTotals()].add(record, allocated: state.allocatedGPUs[record.node.id] ?? 0, in: state)
        }
        let providers = byOperator.map { id, totals in
            Provider(id: id, nodes: totals.nodes, onlineNodes: totals.onlineNodes, gpus: totals.gpus, simulatedGpus: totals.simulatedGpus,
                     allocatedGpus: totals.allocatedGpus,
                     gpuModels: totals.gpuModels.sorted(), regions: totals.regions.sorted(),
                     stake: MicroCredits.description(ofTotal: totals.stakeMicroCredits),
                     faults: totals.faults, slashed: MicroCredits.description(ofTotal: totals.slashedMicroCredits),
                     benchmarks: totals.benchmarks.sorted { $0.node < $1.node },
                     claimedVsObserved: totals.claims.sorted { $0.node < $1.node })
        }.sorted { $0.id < $1.id }
        return ["providers": providers]
    }
}
