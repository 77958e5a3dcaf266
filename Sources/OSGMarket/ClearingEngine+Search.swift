extension ClearingEngine {
    /// The nodes an order would take from `capacity` with `host` the cores, memory and disk
    /// the nodes offer, or `nil` when nothing fits.
    mutating func search(_ need: OrderRequirement, in capacity: FreeCapacityIndex, host: HostCapacity) -> [Int]? {
        if need.nodeCount == 1 {
            let node = cheapestNode(need, in: capacity, host: host)
            return node < 0 ? nil : [node]
        }
        return cheapestGang(need, in: capacity, host: host)
    }

    /// The stranding score of `need` on `node`, with `level` its free GPUs and `host` what it offers.
    @inline(__always)
    func stranding(_ need: OrderRequirement, node: Int, level: Int, host: HostCapacity) -> Int {
        strandingScore(freeGPUsAfter: level - need.gpusPerNode, sizeGPUs: table.snapshotFreeGPUs[node],
                       freeCPUAfter: host.cpuCores[node] - need.cpuCores, sizeCPU: snapshotHost.cpuCores[node],
                       freeMemoryAfter: host.memoryGiB[node] - need.memoryGiB, sizeMemory: snapshotHost.memoryGiB[node])
    }

    /// The single node with the lowest (ask, stranding score, free GPUs, rank) that meets
    /// `need`, or -1.
    func cheapestNode(_ need: OrderRequirement, in capacity: FreeCapacityIndex, host: HostCapacity) -> Int {
        var best = GangCandidate(askMicroCredits: .max, stranding: .max, level: .max, rank: .max, node: -1)
        let wantLevels = FreeCapacityIndex.levels(atLeast: need.gpusPerNode)
        for model in need.models {
            for region in need.regions {
                let slot = capacity.slot(model: model, region: region)
                var mask = capacity.masks[slot] & wantLevels
                if mask != 0, !capacity.slotBounds[slot].admits(need) { continue }
                while mask != 0 {
                    let level = mask.trailingZeroBitCount + 1
                    mask &= mask - 1
                    let bucket = capacity.buckets[FreeCapacityIndex.bucket(slot: slot, level: level)]
                    for rank in bucket {
                        let node = Int(table.byRank[Int(rank)])
                        let ask = table.askMicroCredits[node]
                        if ask > need.maxAskMicroCredits { break }
                        // Within a bucket (ask, rank) only grows: stop once nothing left can beat the best.
                        if best.precedesRestOfBucket(ask: ask, level: level, rank: rank) { break }
                        guard need.accepts(node: node, in: table, host: host) else { continue }
                        let score = stranding(need, node: node, level: level, host: host)
                        if !best.precedes(ask: ask, stranding: score, level: level, rank: rank) {
                            best = GangCandidate(askMicroCredits: ask, stranding: score, level: level, rank: rank, node: Int32(node))
                        }
                        // A later node of this bucket asks at least as much and ranks later: only
                        // a lower score at the same ask could still beat this one.
                        if score == 0 { break }
                    }
                }
            }
        }
        return Int(best.node)
    }

    /// `need.nodeCount` distinct nodes in one region, each meeting `need`, or `nil`.
    ///
    /// Per region, the cheapest qualifying nodes by (ask, stranding score, free GPUs, rank);
    /// among regions, the lowest price (highest ask taken), then the lowest total ask, then
    /// the region name.
    mutating func cheapestGang(_ need: OrderRequirement, in capacity: FreeCapacityIndex, host: HostCapacity) -> [Int]? {
        let wanted = need.nodeCount
        let wantLevels = FreeCapacityIndex.levels(atLeast: need.gpusPerNode)
        var bestPrice = Int64.max
        var bestTotal = Int128.max
        gangBest.removeAll(keepingCapacity: true)
        for region in need.regions {
            gangScratch.removeAll(keepingCapacity: true)
            // Nodes asking more than the best region's price cannot make a better gang.
            let askCeiling = min(need.maxAskMicroCredits, bestPrice)
            for model in need.models {
                let slot = capacity.slot(model: model, region: region)
                var mask = capacity.masks[slot] & wantLevels
                if mask != 0, !capacity.slotBounds[slot].admits(need) { continue }
                while mask != 0 {
                    let level = mask.trailingZeroBitCount + 1
                    mask &= mask - 1
                    let bucket = capacity.buckets[FreeCapacityIndex.bucket(slot: slot, level: level)]
                    for rank in bucket {
                        let node = Int(table.byRank[Int(rank)])
                        let ask = table.askMicroCredits[node]
                        if ask > askCeiling { break }
                        // Full, and the rest of the bucket ranks after the worst kept.
                        if gangScratch.count == wanted, gangScratch[wanted - 1].precedesRestOfBucket(ask: ask, level: level, rank: rank) {
                            break
                        }
                        guard need.accepts(node: node, in: table, host: host) else { continue }
                        let score = stranding(need, node: node, level: level, host: host)
                        var at = gangScratch.count
                        while at > 0, !gangScratch[at - 1].precedes(ask: ask, stranding: score, level: level, rank: rank) { at -= 1 }
                        if at == wanted { continue }
                        gangScratch.insert(GangCandidate(askMicroCredits: ask, stranding: score, level: level, rank: rank, node: Int32(node)), at: at)
                        if gangScratch.count > wanted { gangScratch.removeLast() }
                    }
                }
            }
            guard gangScratch.count == wanted else { continue }
            let price = gangScratch[wanted - 1].askMicroCredits
            // Wide: asks from an older log may be near Int64.max, and a sum of them must not trap.
            let total = gangScratch.reduce(Int128(0)) { $0 + Int128($1.askMicroCredits) }
            if price < bestPrice || (price == bestPrice && total < bestTotal) {
                bestPrice = price
                bestTotal = total
                swap(&gangBest, &gangScratch)
            }
        }
        return gangBest.isEmpty ? nil : gangBest.map { Int($0.node) }
    }
}
