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

    init(table: NodeTable, freeGPUs: [Int]) {
        regionCount = max(table.regionNames.count, 1)
        let slots = max(table.models.count, 1) * regionCount
        buckets = Array(repeating: [], count: slots * Self.levels)
        masks = Array(repeating: 0, count: slots)
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

    @inline(__always)
    func slot(model: Int32, region: Int32) -> Int { Int(model) * regionCount + Int(region) }

    @inline(__always)
    static func bucket(slot: Int, level: Int) -> Int { slot * levels + level - 1 }

    /// Bits for the levels that hold at least `gpus` free GPUs.
    @inline(__always)
    static func levels(atLeast gpus: Int) -> UInt64 { ~0 << UInt64(gpus - 1) }

    /// Moves a node from `oldLevel` free GPUs to `newLevel` (0 removes it).
    mutating func move(rank: Int32, slot: Int, from oldLevel: Int, to newLevel: Int) {
        let old = Self.bucket(slot: slot, level: oldLevel)
        let at = Self.position(of: rank, in: buckets[old])
        precondition(at < buckets[old].count && buckets[old][at] == rank, "index out of step with free capacity")
        buckets[old].remove(at: at)
        if buckets[old].isEmpty { masks[slot] &= ~(1 << UInt64(oldLevel - 1)) }
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
