/// Free capacity indexed by (GPU model, region, free-GPU count): each bucket lists its nodes
/// in (ask, node id) order, and a bit mask per (model, region) says which counts are present.
///
/// A placement looks only at buckets whose count is at least what the order needs, reads
/// each in ask order, and stops at the first node that passes the order's other filters, so
/// the work per order grows with the number of shapes, not the number of nodes.
struct FreeCapacityIndex: Sendable {
    /// Free-GPU counts a bucket can have (1 ... 64).
    static let levels = 64

    let regionCount: Int
    /// Bucket → node ranks, ascending.
    private(set) var buckets: [[Int32]]
    /// (model, region) slot → bit `level - 1` set when that bucket is not empty.
    private(set) var masks: [UInt64]
    /// (model, region) slot → the best figures of any node in it, to skip whole slots.
    private(set) var slotBounds: [SlotBounds]
    /// (model, region) slot → every node of the slot in the snapshot, by node id.
    private(set) var slotNodes: [[Int32]]

    /// The most any node of a slot offers (and the cleanest carbon figure, the lowest ask),
    /// from the snapshot: enough to rule a whole slot out without reading its nodes.
    struct SlotBounds: Sendable {
        var maxFreeGPUs = 0
        var maxVRAMGiB = 0
        var maxCPUCores = 0
        var maxMemoryGiB = 0
        /// Largest disk; `Int.max` when some node does not state its disk.
        var maxDiskGiB = 0
        /// Lowest carbon figure; `Int64.max` when no node of the slot has one.
        var minCarbonMicro = Int64.max
        var minAskMicroCredits = Int64.max
        /// Jurisdiction codes present in the slot.
        var jurisdictions: [Int32] = []

        /// Whether some node of the slot might meet `need` (a cheap, conservative test).
        @inline(__always)
        func admits(_ need: OrderRequirement) -> Bool {
            failedFilter(need) == UnplacedReason.cascade.count
        }

        /// The first filter of ``UnplacedReason/cascade`` that every node of the slot fails,
        /// or `cascade.count` when the bounds cannot tell: no node passes more filters.
        func failedFilter(_ need: OrderRequirement) -> Int {
            if need.jurisdictionsRestricted && !jurisdictions.contains(where: { need.jurisdictions.contains($0) }) { return 2 }
            if maxFreeGPUs < need.gpusPerNode { return 3 }
            if maxVRAMGiB < need.minVRAMGiB { return 4 }
            if maxCPUCores < need.cpuCores { return 5 }
            if maxMemoryGiB < need.memoryGiB { return 6 }
            if maxDiskGiB < need.diskGiB { return 7 }
            if need.carbonCapMicro >= 0 && minCarbonMicro > need.carbonCapMicro { return 9 }
            if minAskMicroCredits > need.maxAskMicroCredits { return 10 }
            return 11
        }
    }

    init(table: NodeTable, freeGPUs: [Int]) {
        regionCount = max(table.regionNames.count, 1)
        let slots = max(table.models.count, 1) * regionCount
        buckets = Array(repeating: [], count: slots * Self.levels)
        masks = Array(repeating: 0, count: slots)
        var bounds = Array(repeating: SlotBounds(), count: slots)
        var members = Array(repeating: [Int32](), count: slots)
        for node in 0..<table.count {
            let slot = Int(table.model[node]) * regionCount + Int(table.region[node])
            members[slot].append(Int32(node))
            bounds[slot].cover(node, of: table, freeGPUs: freeGPUs[node])
        }
        slotBounds = bounds
        slotNodes = members
        // Visiting nodes in rank order appends to every bucket already sorted.
        for rank in 0..<table.count {
            let node = Int(table.byRank[rank])
            let level = freeGPUs[node]
            guard level > 0 else { continue }
            let slot = self.slot(model: table.model[node], region: table.region[node])
            buckets[Self.bucket(slot: slot, level: level)].append(Int32(rank))
            masks[slot] |= 1 << UInt64(level - 1)
        }
    }

    /// Each node's place in its slot's ``slotNodes`` (node positions `0..<nodeCount`).
    func offsetsInSlots(nodeCount: Int) -> [Int32] {
        var offsets = [Int32](repeating: -1, count: nodeCount)
        for members in slotNodes {
            for (offset, node) in members.enumerated() { offsets[Int(node)] = Int32(offset) }
        }
        assert(!offsets.contains(-1), "every node sits in one slot")
        return offsets
    }

    /// Sets each slot's cleanest carbon figure from `carbonMicro` (by node, -1: none), as
    /// ``init(table:freeGPUs:)`` computes it.
    mutating func refreshCarbonBounds(_ carbonMicro: [Int64]) {
        for slot in slotNodes.indices {
            var cleanest = Int64.max
            for node in slotNodes[slot] where carbonMicro[Int(node)] >= 0 { cleanest = min(cleanest, carbonMicro[Int(node)]) }
            slotBounds[slot].minCarbonMicro = cleanest
        }
    }

    @inline(__always)
    func slot(model: Int32, region: Int32) -> Int { Int(model) * regionCount + Int(region) }

    @inline(__always)
    static func bucket(slot: Int, level: Int) -> Int { slot * levels + level - 1 }

    /// Bits for the levels that hold at least `gpus` free GPUs.
    @inline(__always)
    static func levels(atLeast gpus: Int) -> UInt64 { ~0 << UInt64(gpus - 1) }

    /// Moves a node from `oldLevel` free GPUs to `newLevel` (0 removes it; from 0 adds it).
    mutating func move(rank: Int32, slot: Int, from oldLevel: Int, to newLevel: Int) {
        if oldLevel > 0 {
            let old = Self.bucket(slot: slot, level: oldLevel)
            let at = Self.position(of: rank, in: buckets[old])
            precondition(at < buckets[old].count && buckets[old][at] == rank, "index out of step with free capacity")
            buckets[old].remove(at: at)
            if buckets[old].isEmpty { masks[slot] &= ~(1 << UInt64(oldLevel - 1)) }
        }
        guard newLevel > 0 else { return }
        let new = Self.bucket(slot: slot, level: newLevel)
        buckets[new].insert(rank, at: Self.position(of: rank, in: buckets[new]))
        masks[slot] |= 1 << UInt64(newLevel - 1)
    }

    /// First position whose rank is not below `rank` (binary search).
    private static func position(of rank: Int32, in bucket: [Int32]) -> Int {
        var low = 0
        var high = bucket.count
        while low < high {
            let mid = (low + high) / 2
            if bucket[mid] < rank { low = mid + 1 } else { high = mid }
        }
        return low
    }
}

extension FreeCapacityIndex {
    /// Takes in the node now at `node` (rank `rank`) with no free GPUs: every later node and
    /// rank moves up by one, the node joins its slot's members, and the slot's bounds grow to
    /// cover it, with `mostFreeGPUs` as the most GPUs it will offer.
    mutating func insert(node: Int, rank: Int, table: NodeTable, mostFreeGPUs: Int) {
        for bucket in buckets.indices where !buckets[bucket].isEmpty { NodeTable.shift(&buckets[bucket], atOrAbove: Int32(rank)) }
        for slot in slotNodes.indices { NodeTable.shift(&slotNodes[slot], atOrAbove: Int32(node)) }
        let slot = self.slot(model: table.model[node], region: table.region[node])
        slotNodes[slot].insertSorted(Int32(node))
        slotBounds[slot].cover(node, of: table, freeGPUs: mostFreeGPUs)
    }
}
