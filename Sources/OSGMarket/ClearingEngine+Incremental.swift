import OSGDomain

/// Incremental capacity changes, so one engine can live across many clearings (the
/// simulator clears every minute for weeks): GPUs come back when a lease ends, nodes leave
/// (failure, churn, outage) and come back, and flexible orders get their zone preference
/// without rebuilding the engine.
///
/// Nodes are addressed by their position in id order (``nodePosition(of:)``); the engine never
/// adds or removes a node, so a fleet that grows later is built with every node and the
/// newcomers withdrawn until they join.
extension ClearingEngine {
    /// Number of nodes in the engine.
    public var nodeCount: Int { table.count }

    /// The position of `nodeID` in id order (byte order of the ids), or `nil` for an unknown node.
    public func nodePosition(of nodeID: String) -> Int? {
        var low = 0
        var high = table.count
        while low < high {
            let mid = (low + high) / 2
            if table.ids[mid].utf8.lexicographicallyPrecedes(nodeID.utf8) { low = mid + 1 } else { high = mid }
        }
        return low < table.count && table.ids[low] == nodeID ? low : nil
    }

    /// GPUs free now on the node at `position`.
    public func freeGPUs(at position: Int) -> Int { freeGPUs[position] }

    /// GPUs a pool may hold at most, or `nil` for an unknown pool.
    public func reservedGPUs(pool name: String) -> Int? { pools[name]?.reservedGPUs }

    /// Gives `gpus`, and the cores, memory and disk a lease held there, back to the free
    /// capacity of the node at `position` (a lease ended, or a node that was withdrawn came
    /// back). The node never exceeds 64 free GPUs, nor its size in cores, memory or disk.
    public mutating func returnCapacity(at position: Int, gpus: Int, cpuCores: Int = 0, memoryGiB: Int = 0, diskGiB: Int = 0) {
        precondition(gpus >= 0 && cpuCores >= 0 && memoryGiB >= 0 && diskGiB >= 0, "capacity returned must not be negative")
        host.cpuCores[position] += cpuCores
        host.memoryGiB[position] += memoryGiB
        if host.diskGiB[position] >= 0 { host.diskGiB[position] += diskGiB }
        precondition(host.cpuCores[position] <= table.cpuCores[position] && host.memoryGiB[position] <= table.memoryGiB[position]
                     && host.diskGiB[position] <= table.diskGiB[position], "a node never gets back more than its size")
        guard gpus > 0 else { return }
        let before = freeGPUs[position]
        let after = before + gpus
        precondition(after <= FreeCapacityIndex.levels, "a node holds at most 64 GPUs")
        freeGPUs[position] = after
        let slot = index.slot(model: table.model[position], region: table.region[position])
        index.move(rank: table.rank[position], slot: slot, from: before, to: after)
    }

    /// Takes every free GPU of the node at `position` off the market (the node failed, left or
    /// lost its region) and says how many were free.
    public mutating func withdrawCapacity(at position: Int) -> Int {
        let free = freeGPUs[position]
        if free > 0 { take(node: position, gpus: free) }
        return free
    }

    /// Ends the accounting of a placed lease: its pool (or the standard open budget) and its
    /// tenant's fair-share usage shrink by what it held. Capacity is returned separately with
    /// ``returnCapacity(at:gpus:)`` (not at all when the node is gone).
    ///
    /// - Parameters:
    ///   - pool: the pool the order drew on, `nil` for an open order.
    ///   - jobClass: the order's class (standard open orders count against the open budget).
    ///   - tenantID: the tenant, for fair share (ignored when fair share is off).
    ///   - gpus, cpuCores, memoryGiB: what the lease held in total (per node × nodes).
    public mutating func endLease(pool: String?, jobClass: JobClass, tenantID: String, gpus: Int, cpuCores: Int, memoryGiB: Int) {
        if let pool {
            precondition(pools[pool] != nil, "ending a lease of an unknown pool")
            pools[pool]!.usedGPUs -= gpus
            precondition(pools[pool]!.usedGPUs >= 0, "a pool never holds fewer than 0 GPUs")
        } else if jobClass == .standard {
            standardOpenGPUs -= gpus
            precondition(standardOpenGPUs >= 0, "standard open orders never hold fewer than 0 GPUs")
        }
        if fairShare != nil, let code = fairShare!.tenantCodes[tenantID] {
            fairShare!.release(code, gpus: gpus, cpuCores: cpuCores, memoryGiB: memoryGiB)
        }
    }

    /// Sets the zones an order tries first, cleanest first (what ``CarbonShiftStep`` does for a
    /// flexible order that starts now); `nil` or empty clears the preference.
    public mutating func setPreferredZones(_ zones: [String]?, orderID: String) {
        if let zones, !zones.isEmpty { preferredZones[orderID] = zones } else { preferredZones[orderID] = nil }
    }
}

extension FairShareLedger {
    /// Removes a finished lease from a tenant's usage (never below 0).
    mutating func release(_ tenant: Int32, gpus: Int, cpuCores: Int, memoryGiB: Int) {
        let base = 3 * Int(tenant)
        for (offset, value) in [gpus, cpuCores, memoryGiB].enumerated() {
            let amount = UInt64(max(0, value))
            usage[base + offset] = usage[base + offset] >= amount ? usage[base + offset] - amount : 0
        }
    }
}
