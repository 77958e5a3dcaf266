import OSGDomain

/// Published market statistics, derived from the state alone — so anyone who replays the log
/// gets the very same figures (DESIGN.md §4, "all derivable from the log").
///
/// Integers throughout: times in seconds, rates in parts per million, prices in
/// micro-credits. Percentiles are nearest-rank over whole seconds.
public struct MarketStatistics: Hashable, Sendable, Codable {
    /// Queue-time and acceptance figures for one group of orders.
    public struct Group: Hashable, Sendable, Codable {
        /// Orders submitted in the group (accepted by the core, not refused).
        public var submitted: Int
        /// Orders that have started at least once.
        public var started: Int
        /// started ÷ submitted, in parts per million (0 when nothing was submitted).
        public var acceptancePPM: Int
        /// Queue time (first start − submission) percentiles, seconds; `nil` before any start.
        public var queueP50Seconds: Int64?
        public var queueP90Seconds: Int64?
        public var queueP99Seconds: Int64?
    }

    /// By requested resource class: the spec's GPU selector (`H100`, `A100+`, `any`).
    public var byResourceClass: [String: Group]
    /// By user class: `standard`, `preemptible`, or `set-aside:<pool>`.
    public var byUserClass: [String: Group]
    /// GPUs held by running leases ÷ GPUs on online nodes, in parts per million.
    public var utilisationPPM: Int
    /// GPUs on online nodes.
    public var onlineGPUs: Int
    /// Per exact GPU model, the GPU-weighted mean price of running leases per GPU-hour.
    public var priceIndex: [String: MicroCredits]
    /// Carbon of the GPU-hours leases have run (docs/CARBON.md, "Carbon per GPU-hour");
    /// absent only in states published before it was added.
    public var carbon: CarbonFootprint?
    /// Stranded GPUs as of the last applied entry (after a clearing: what it left stranded):
    /// free GPUs of online nodes that have no CPU core or no memory free, which no job can use
    /// until work there ends (the engine's `strandedGPUs` over the coordinator's free figures).
    /// Absent only in statistics published before it was added.
    public var strandedGPUs: Int?
    /// How decentralised the online capacity is. Absent only in statistics published before
    /// it was added.
    public var concentration: NetworkConcentration?
    /// The energy leases reported, over the nodes registered now. Absent only in statistics
    /// published before it was added.
    public var energy: ReportedEnergy?
}

extension CoordinatorState {
    /// The market statistics as of the last applied entry.
    ///
    /// Costs what is live (groups, online nodes, running leases), not the history: submissions
    /// and queue times come from ``StatisticsTotals``, kept as orders arrive and leases start.
    /// Equal to ``statisticsByFullPass``.
    public var statistics: MarketStatistics {
        func group(_ totals: StatisticsTotals.Group) -> MarketStatistics.Group {
            let percentiles = totals.waits.percentiles([500_000, 900_000, 990_000])
            let started = totals.waits.total
            return MarketStatistics.Group(
                submitted: totals.submitted, started: started,
                acceptancePPM: totals.submitted == 0 ? 0 : started * 1_000_000 / totals.submitted,
                queueP50Seconds: percentiles[0], queueP90Seconds: percentiles[1], queueP99Seconds: percentiles[2])
        }
        return liveStatistics(
            byResourceClass: statisticsTotals.byResourceClass.mapValues(group), byUserClass: statisticsTotals.byUserClass.mapValues(group),
            carbon: carbonFootprint)
    }

    /// The market statistics computed by a pass over every order and lease ever (the reference
    /// definition; ``statistics`` gives the same figures incrementally).
    public var statisticsByFullPass: MarketStatistics {
        var byResource: [String: (submitted: Int, waits: [Int64])] = [:]
        var byUser: [String: (submitted: Int, waits: [Int64])] = [:]
        var firstStart: [String: Timestamp] = [:]
        for lease in leases.values where firstStart[lease.orderID].map({ lease.start < $0 }) ?? true {
            firstStart[lease.orderID] = lease.start
        }
        func record(_ table: inout [String: (submitted: Int, waits: [Int64])], _ key: String, wait: Int64?) {
            table[key, default: (0, [])].submitted += 1
            if let wait { table[key, default: (0, [])].waits.append(wait) }
        }
        for order in orders.values {
            let wait = firstStart[order.id].map { order.submitted.seconds(until: $0) }
            record(&byResource, order.spec.resources.gpu.selector.description, wait: wait)
            record(&byUser, order.pool.map { "set-aside:\($0)" } ?? order.spec.jobClass.rawValue, wait: wait)
        }
        return liveStatistics(
            byResourceClass: byResource.mapValues(Self.group), byUserClass: byUser.mapValues(Self.group),
            carbon: carbonFootprintByFullPass)
    }

    /// The statistics with the given groups and the figures of what is live: utilisation of the
    /// online nodes and the price index of the running leases.
    private func liveStatistics(
        byResourceClass: [String: MarketStatistics.Group], byUserClass: [String: MarketStatistics.Group], carbon: CarbonFootprint
    ) -> MarketStatistics {
        var online = 0
        var held = 0
        var stranded = 0
        let holds = preemptions.isEmpty ? [:] : preemptionHolds()
        for record in nodes.values where record.online {
            let node = record.node
            online += node.gpuCount
            held += allocatedGPUs[node.id] ?? 0
            // Cheap: nodes without running leases or holds have every core and GiB free.
            guard runningTotals.hostByNode[node.id] != nil || (!holds.isEmpty && holds[node.id] != nil) else { continue }
            let free = freeFigures(of: node, holds: holds)
            if free.gpus > 0 && (free.host.cpuCores <= 0 || free.host.memoryGiB <= 0) { stranded += free.gpus }
        }
        // 128-bit sums: Σ price × GPUs over every running lease exceeds 64 bits long before
        // it could exceed 127 (2^64 allocations of 2^63 × 2^31), and the mean, at most the
        // highest price, fits 64 bits again.
        var priceWeights: [String: (weighted: Int128, gpus: Int128)] = [:]
        for leaseID in runningLeaseOfOrder.values {
            guard let lease = leases[leaseID] else { continue }
            for allocation in lease.allocations {
                guard let model = nodes[allocation.nodeID]?.node.gpuModel.name else { continue }
                var entry = priceWeights[model] ?? (0, 0)
                entry.weighted += Int128(lease.pricePerGPUHour.rawValue) * Int128(allocation.gpus)
                entry.gpus += Int128(allocation.gpus)
                priceWeights[model] = entry
            }
        }
        return MarketStatistics(
            byResourceClass: byResourceClass,
            byUserClass: byUserClass,
            utilisationPPM: online == 0 ? 0 : held * 1_000_000 / online,
            onlineGPUs: online,
            priceIndex: priceWeights.mapValues { MicroCredits(Int64(clamping: $0.weighted / max(1, $0.gpus))) },
            carbon: carbon,
            strandedGPUs: stranded,
            concentration: concentration,
            energy: reportedEnergy)
    }

    private static func group(_ entry: (submitted: Int, waits: [Int64])) -> MarketStatistics.Group {
        let waits = entry.waits.sorted()
        func percentile(_ ppm: Int) -> Int64? {
            guard !waits.isEmpty else { return nil }
            let rank = (waits.count * ppm + 999_999) / 1_000_000  // nearest rank, rounded up
            return waits[max(0, min(waits.count, rank) - 1)]
        }
        return MarketStatistics.Group(
            submitted: entry.submitted, started: waits.count,
            acceptancePPM: entry.submitted == 0 ? 0 : waits.count * 1_000_000 / entry.submitted,
            queueP50Seconds: percentile(500_000), queueP90Seconds: percentile(900_000), queueP99Seconds: percentile(990_000))
    }
}
