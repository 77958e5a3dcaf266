import OSGDomain

/// One order's needs compiled to the codes of a ``NodeTable``: what the search and the
/// diagnosis compare against each node.
struct OrderRequirement: Hashable, Sendable {
    /// Accepted model codes present in the fleet, ascending.
    var models: [Int32]
    /// Allowed region codes present in the fleet, ascending (all regions when unrestricted).
    var regions: [Int32]
    /// Whether the spec restricts regions at all.
    var regionsRestricted: Bool
    var gpusPerNode: Int
    var nodeCount: Int
    var minVRAMGiB: Int
    var cpuCores: Int
    var memoryGiB: Int
    var diskGiB: Int
    var jurisdictionsRestricted: Bool
    /// Allowed jurisdiction codes present in the fleet.
    var jurisdictions: [Int32]
    /// Excluded operator codes present in the fleet.
    var excludedOperators: [Int32]
    /// Carbon cap in millionths of gCO2-eq/kWh; -1 when uncapped.
    var carbonCapMicro: Int64
    /// Highest ask a node may have for this order (max_price, or the pool price).
    var maxAskMicroCredits: Int64
    /// The spec's class (standard open orders are bound by the set-aside floor).
    var jobClass: JobClass
    /// The spec's `max_duration`, for a set-aside placement's subsidy (what its pool's funding
    /// holds for the whole run, as the tenant's escrow does).
    var maxDurationSeconds: Int64
    /// When not -1, only nodes of this zone code are accepted (the carbon step's first try
    /// for an order it prefers in one zone; see CarbonShiftStep.swift).
    var onlyZone: Int32 = -1

    var totalGPUs: Int { gpusPerNode * nodeCount }

    /// The same requirement with no ceiling on the ask and the class and duration, which no
    /// filter of the cascade reads, set to fixed values: what a single-node order's static
    /// verdict depends on (``ClearingEngine/staticReason(_:pool:)``), usable as a key.
    var withoutPrice: OrderRequirement {
        var priceless = self
        priceless.maxAskMicroCredits = .max
        priceless.jobClass = .standard
        priceless.maxDurationSeconds = 0
        return priceless
    }

    /// Whether `node` meets every per-node need except model, region, free GPUs and ask
    /// (the index already sorts by those), with `host` the cores, memory and disk it still offers.
    @inline(__always)
    func accepts(node: Int, in table: NodeTable, host: HostCapacity) -> Bool {
        if table.vramGiB[node] < minVRAMGiB || !host.fits(self, node: node) { return false }
        if jurisdictionsRestricted && !jurisdictions.contains(table.jurisdiction[node]) { return false }
        if !excludedOperators.isEmpty && excludedOperators.contains(table.operatorCode[node]) { return false }
        if carbonCapMicro >= 0 {
            let carbon = table.carbonMicro[node]
            if carbon < 0 || carbon > carbonCapMicro { return false }
        }
        if onlyZone >= 0 && table.zoneCode[node] != onlyZone { return false }
        return true
    }

    /// How many filters of ``UnplacedReason/cascade`` `node` passes in a row, judged on
    /// snapshot capacity; `cascade.count` when it passes them all. The model is taken as
    /// passed: only nodes of accepted models are asked.
    func passedFilters(node: Int, in table: NodeTable, host: HostCapacity) -> Int {
        if regionsRestricted && !regions.contains(table.region[node]) { return 1 }
        if jurisdictionsRestricted && !jurisdictions.contains(table.jurisdiction[node]) { return 2 }
        if table.snapshotFreeGPUs[node] < gpusPerNode { return 3 }
        if table.vramGiB[node] < minVRAMGiB { return 4 }
        if host.cpuCores[node] < cpuCores { return 5 }
        if host.memoryGiB[node] < memoryGiB { return 6 }
        let disk = host.diskGiB[node]
        if disk >= 0 && disk < diskGiB { return 7 }
        if excludedOperators.contains(table.operatorCode[node]) { return 8 }
        if carbonCapMicro >= 0 {
            let carbon = table.carbonMicro[node]
            if carbon < 0 || carbon > carbonCapMicro { return 9 }
        }
        if table.askMicroCredits[node] > maxAskMicroCredits { return 10 }
        return 11
    }

    /// ``passedFilters(node:in:host:)`` for a packed record of a slot the order allows (so its
    /// model and region pass).
    @inline(__always)
    func passedFilters(_ record: DiagnosisRecord) -> Int {
        if jurisdictionsRestricted && !jurisdictions.contains(record.jurisdiction) { return 2 }
        if Int(record.freeGPUs) < gpusPerNode { return 3 }
        if record.vramGiB < minVRAMGiB { return 4 }
        if record.cpuCores < cpuCores { return 5 }
        if record.memoryGiB < memoryGiB { return 6 }
        if record.diskGiB >= 0 && record.diskGiB < diskGiB { return 7 }
        if !excludedOperators.isEmpty && excludedOperators.contains(record.operatorCode) { return 8 }
        if carbonCapMicro >= 0 && (record.carbonMicro < 0 || record.carbonMicro > carbonCapMicro) { return 9 }
        if record.askMicroCredits > maxAskMicroCredits { return 10 }
        return 11
    }
}
