extension ClearingEngine {
    /// The binding constraint for an order that could not be placed.
    ///
    /// If the order would not fit even the snapshot's capacity, the static cascade names the
    /// first filter no node passes. Otherwise a budget ran out (``UnplacedReason/poolExhausted``;
    /// ``UnplacedReason/setAsideFloor`` when free GPUs that fit remain) or the GPUs were taken
    /// by orders ahead (``UnplacedReason/noCapacity``).
    mutating func diagnose(_ need: OrderRequirement, pool: String?, withinBudget: Bool) -> UnplacedReason {
        guard search(need, in: snapshotIndex) != nil else { return staticReason(need, pool: pool) }
        if withinBudget { return .noCapacity }
        if pool != nil { return .poolExhausted }
        // The floor binds only when free GPUs that fit exist but the open budget is spent.
        return search(need, in: index) != nil ? .setAsideFloor : .noCapacity
    }

    /// The first filter of ``UnplacedReason/cascade`` after which no node of the snapshot
    /// remains; for a gang whose nodes all pass, ``UnplacedReason/gangNoRegionWithEnoughNodes``.
    func staticReason(_ need: OrderRequirement, pool: String?) -> UnplacedReason {
        let cascade = UnplacedReason.cascade
        var furthest = 0
        var passingPerRegion: [Int: Int] = [:]
        for model in need.models {
            for node in table.nodesByModel[Int(model)] {
                let passed = need.passedFilters(node: Int(node), in: table)
                furthest = max(furthest, passed)
                if passed == cascade.count { passingPerRegion[Int(table.region[Int(node)]), default: 0] += 1 }
            }
        }
        if furthest < cascade.count {
            let reason = cascade[furthest]
            return reason == .maxPriceBelowAsks && pool != nil ? .poolPriceBelowAsks : reason
        }
        if need.nodeCount > 1, (passingPerRegion.values.max() ?? 0) < need.nodeCount {
            return .gangNoRegionWithEnoughNodes
        }
        // The search is exact, so this means the index and the cascade disagree.
        assertionFailure("an order that fits the snapshot was not found by the search")
        return .noCapacity
    }
}
