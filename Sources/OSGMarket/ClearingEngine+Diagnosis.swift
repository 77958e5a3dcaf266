extension ClearingEngine {
    /// The binding constraint for an order that could not be placed.
    ///
    /// If the order would fit the snapshot's capacity, the GPUs were taken or a budget ran
    /// out (``UnplacedReason/noCapacity``, ``UnplacedReason/poolExhausted``,
    /// ``UnplacedReason/setAsideFloor``). Otherwise the static cascade names the first filter
    /// that no node passes.
    mutating func diagnose(_ need: OrderRequirement, pool: String?, withinBudget: Bool) -> UnplacedReason {
        if search(need, in: snapshotIndex) != nil {
            if withinBudget { return .noCapacity }
            return pool == nil ? .setAsideFloor : .poolExhausted
        }
        return staticReason(need, pool: pool)
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
