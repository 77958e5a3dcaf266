/// A node considered for a gang, ordered by (ask, stranding score, free GPUs, rank).
struct GangCandidate: Sendable {
    var askMicroCredits: Int64
    /// ``strandingScore(freeGPUsAfter:sizeGPUs:freeCPUAfter:sizeCPU:freeMemoryAfter:sizeMemory:)``
    /// of the order on this node.
    var stranding: Int
    var level: Int
    var rank: Int32
    var node: Int32

    @inline(__always)
    func precedes(ask: Int64, stranding: Int, level: Int, rank: Int32) -> Bool {
        if askMicroCredits != ask { return askMicroCredits < ask }
        if self.stranding != stranding { return self.stranding < stranding }
        if self.level != level { return self.level < level }
        return self.rank < rank
    }

    /// Whether every node after this one in a bucket (same level, higher rank, ask not lower)
    /// ranks after this candidate too, whatever its stranding score.
    @inline(__always)
    func precedesRestOfBucket(ask: Int64, level: Int, rank: Int32) -> Bool {
        if askMicroCredits != ask { return askMicroCredits < ask }
        return stranding == 0 && (self.level < level || (self.level == level && self.rank < rank))
    }
}
