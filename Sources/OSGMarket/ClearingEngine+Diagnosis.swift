extension ClearingEngine {
    /// The binding constraint for an order that could not be placed.
    ///
    /// If the order would not fit even the snapshot's capacity, the static cascade names the
    /// first filter no node passes. Otherwise a budget ran out (``UnplacedReason/poolExhausted``;
    /// ``UnplacedReason/setAsideFloor`` when free GPUs that fit remain) or the GPUs were taken
    /// by orders ahead (``UnplacedReason/noCapacity``).
    mutating func diagnose(_ need: OrderRequirement, pool: String?, withinBudget: Bool) -> UnplacedReason {
        guard search(need, in: snapshotIndex, host: snapshotHost) != nil else { return staticReason(need, pool: pool) }
        if withinBudget { return .noCapacity }
        if pool != nil { return .poolExhausted }
        // The floor binds only when free GPUs that fit exist but the open budget is spent.
        return search(need, in: index, host: host) != nil ? .setAsideFloor : .noCapacity
    }

    /// The first filter of ``UnplacedReason/cascade`` after which no node of the snapshot
    /// remains; for a gang whose nodes all pass, ``UnplacedReason/gangNoRegionWithEnoughNodes``.
    func staticReason(_ need: OrderRequirement, pool: String?) -> UnplacedReason {
        let cascade = UnplacedReason.cascade
        // The most filters any node can pass: a single-node order that the search could not
        // place has no node passing them all; a gang may (then no region has enough), and
        // one such node settles the verdict.
        let ceiling = need.nodeCount > 1 ? cascade.count : cascade.count - 1
        var furthest = 0
        scan: for model in need.models where emptyNodesAbsent ? presentNodesByModel[Int(model)] > 0 : !table.nodesByModel[Int(model)].isEmpty {
            furthest = max(furthest, 1)
            // Nodes outside the allowed regions stop at the region filter (1): only the
            // allowed regions' slots can get further.
            for region in need.regions {
                let slot = snapshotIndex.slot(model: model, region: region)
                let members = snapshotIndex.slotNodes[slot]
                if emptyNodesAbsent ? presentNodesBySlot[slot] == 0 : members.isEmpty { continue }
                furthest = max(furthest, 2)
                // Skip slots whose bounds prove no node gets past `furthest`.
                if snapshotIndex.slotBounds[slot].failedFilter(need) <= furthest { continue }
                for node in members {
                    // A node with no free GPUs in this pass is not in its snapshot.
                    if emptyNodesAbsent && table.snapshotFreeGPUs[Int(node)] == 0 { continue }
                    let passed = need.passedFilters(node: Int(node), in: table, host: snapshotHost)
                    if passed > furthest { furthest = passed }
                    if furthest >= ceiling { break scan }
                }
            }
        }
        if furthest < cascade.count {
            let reason = cascade[furthest]
            return reason == .maxPriceBelowAsks && pool != nil ? .poolCeilingBelowAsks : reason
        }
        // Nodes pass every filter one by one, yet the (exact) search found no region with
        // enough of them.
        precondition(need.nodeCount > 1, "an order that fits the snapshot was not found by the search")
        return .gangNoRegionWithEnoughNodes
    }
}
