extension ClearingEngine {
    /// The nodes an order would take from `capacity`, or `nil` when nothing fits.
    mutating func search(_ need: OrderRequirement, in capacity: FreeCapacityIndex) -> [Int]? {
        if need.nodeCount == 1 {
            let node = cheapestNode(need, in: capacity)
            return node < 0 ? nil : [node]
        }
        return cheapestGang(need, in: capacity)
    }

    /// The single node with the lowest (ask, free GPUs, rank) that meets `need`, or -1.
    func cheapestNode(_ need: OrderRequirement, in capacity: FreeCapacityIndex) -> Int {
        var bestAsk = Int64.max
        var bestLevel = Int.max
        var bestRank = Int32.max
        var bestNode = -1
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
                        // Within a bucket the key only grows: stop once it cannot beat the best.
                        if ask > bestAsk || (ask == bestAsk && (level > bestLevel || (level == bestLevel && rank > bestRank))) {
                            break
                        }
                        if need.accepts(node: node, in: table) {
                            bestAsk = ask
                            bestLevel = level
                            bestRank = rank
                            bestNode = node
                            break
                        }
                    }
                }
            }
        }
        return bestNode
    }

    /// `need.nodeCount` distinct nodes in one region, each meeting `need`, or `nil`.
    ///
    /// Per region, the cheapest qualifying nodes by (ask, free GPUs, rank); among regions,
    /// the lowest price (highest ask taken), then the lowest total ask, then the region name.
    mutating func cheapestGang(_ need: OrderRequirement, in capacity: FreeCapacityIndex) -> [Int]? {
        let wanted = need.nodeCount
        let wantLevels = FreeCapacityIndex.levels(atLeast: need.gpusPerNode)
        var bestPrice = Int64.max
        var bestTotal = Int64.max
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
                        // Full, and this node ranks after the worst kept: so does the rest of the bucket.
                        if gangScratch.count == wanted, gangScratch[wanted - 1].precedes(ask: ask, level: level, rank: rank) {
                            break
                        }
                        guard need.accepts(node: node, in: table) else { continue }
                        var at = gangScratch.count
                        while at > 0, !gangScratch[at - 1].precedes(ask: ask, level: level, rank: rank) { at -= 1 }
                        gangScratch.insert(GangCandidate(askMicroCredits: ask, level: level, rank: rank, node: Int32(node)), at: at)
                        if gangScratch.count > wanted { gangScratch.removeLast() }
                    }
                }
            }
            guard gangScratch.count == wanted else { continue }
            let price = gangScratch[wanted - 1].askMicroCredits
            let total = gangScratch.reduce(Int64(0)) { $0 + $1.askMicroCredits }
            if price < bestPrice || (price == bestPrice && total < bestTotal) {
                bestPrice = price
                bestTotal = total
                swap(&gangBest, &gangScratch)
            }
        }
        return gangBest.isEmpty ? nil : gangBest.map { Int($0.node) }
    }
}
