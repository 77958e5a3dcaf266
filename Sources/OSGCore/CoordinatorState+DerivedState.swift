import OSGDomain

extension CoordinatorState {
    /// Rebuilds every derived cache from the persistent fields alone.
    ///
    /// This is the one place where derived caches are rebuilt after a state is decoded from
    /// a snapshot: whoever adds a derived cache to `CoordinatorState` marks it
    /// `@DerivedCache` (so snapshots leave it out) and adds its rebuild here. A rebuilt cache
    /// must be exactly what replaying the log would have built, so a restored state replays
    /// the rest of the log to the same digest and events. ``StateSnapshot/decode(_:genesis:)``
    /// calls it; a state decoded any other way has empty caches until it is called.
    ///
    /// Tolerates inconsistent persistent fields (it never traps); ``restoredStateProblems()``
    /// reports them.
    mutating func rebuildDerivedState() {
        sortedNodeIDs = nodes.keys.sorted()
        var totals = RunningLeaseTotals()
        for (orderID, leaseID) in runningLeaseOfOrder {
            guard let lease = leases[leaseID], let order = orders[orderID] else { continue }
            totals.add(lease, of: order)
        }
        runningTotals = totals
        rebuildStatisticsCaches()
        rebuildHoldings()
    }

    /// What is inconsistent in a restored state's persistent fields (empty when nothing is):
    /// the state invariants that `assertInvariants()` checks in debug builds, checked for real
    /// because the state came from bytes rather than from `apply`.
    func restoredStateProblems() -> [String] {
        var problems: [String] = []
        if !queue.allSatisfy({ orders[$0]?.status == .pending }) { problems.append("the queue holds an order that is not pending") }
        if Set(queue).count != queue.count { problems.append("an order is queued twice") }
        if !nodes.allSatisfy({ $0.key == $0.value.node.id }) { problems.append("a node is keyed by another id") }
        for (orderID, leaseID) in runningLeaseOfOrder where leases[leaseID]?.orderID != orderID || orders[orderID] == nil {
            problems.append("running lease \(leaseID) of order \(orderID) has no such lease or order")
        }
        if Set(escrows.keys) != Set(runningLeaseOfOrder.values) { problems.append("escrows do not match the running leases") }
        if pools.values.reduce(0, { $0 + $1.sharePPM }) > 1_000_000 { problems.append("pools reserve more than 100 %") }
        problems += ledger.checkInvariants().map { "ledger: \($0.description)" }
        return problems
    }
}
