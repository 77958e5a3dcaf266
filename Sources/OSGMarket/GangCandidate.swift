/// A node considered for a gang, ordered by (ask, free GPUs, rank).
struct GangCandidate: Sendable {
    var askMicroCredits: Int64
    var level: Int
    var rank: Int32
    var node: Int32

    @inline(__always)
    func precedes(ask: Int64, level: Int, rank: Int32) -> Bool {
        if askMicroCredits != ask { return askMicroCredits < ask }
        if self.level != level { return self.level < level }
        return self.rank < rank
    }
}
