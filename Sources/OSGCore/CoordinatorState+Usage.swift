import OSGDomain
import OSGLedger

/// Usage reports with streamed settlement.
///
/// An operator of a running lease reports usage up to a time `through` (not in the future, not
/// before the lease's last settlement). Each of the lease's escrow parts is then settled to
/// `through` on the **cumulative** rule: the part's operator has been paid, in total,
///
///     min(reserved, cost(price, gpus, through − start))
///
/// where `price` is the part's own (``LeaseEscrowPart/pricePerGPUHour``: a set-aside pool's
/// part pays the node's ask above the pool's price, a tenant's part the lease's price) and
/// `cost` rounds up to a micro-credit (``CoordinatorState/cost(price:gpus:seconds:)``, the rule
/// the lease end uses). A report pays the difference from what earlier reports paid,
/// so rounding happens once on the total, never per interval, and the lease's end pays exactly
/// the remainder: any split of usage reports pays the same, to the micro-credit, as a single
/// settlement at the end (docs/LEDGER.md, "Leases in the coordinator").
///
/// In the ledger each paying part is one linked chain: post the part's open pending transfer
/// for the amount due (the rest is released) and reserve what is left of the budget again as a
/// new pending transfer from the same payer (tenant or pool) to the operator. A part whose
/// whole budget is paid has no open pending transfer left.
extension CoordinatorState {
    func usageRejection(leaseID: String, through: Timestamp, counters: UsageCounters, actor: String, at time: Timestamp) -> Rejection? {
        guard let lease = leases[leaseID] else {
            return Rejection(.unknownLease, "no lease with id \(leaseID)")
        }
        guard lease.end == nil, escrows[leaseID] != nil else {
            return Rejection(.leaseAlreadyEnded, "lease \(leaseID) already ended (\(lease.end?.reason.rawValue ?? "settled"))")
        }
        guard lease.allocations.contains(where: { nodes[$0.nodeID]?.node.operatorID == actor }) else {
            return Rejection(.notOwner, "lease \(leaseID) does not run on a node of \(actor); only its operators report its usage")
        }
        if let problem = usageProblem(of: lease, through: through, counters: counters, at: time) {
            return Rejection(.invalidUsage, "usage of lease \(leaseID): \(problem)")
        }
        return nil
    }

    mutating func reportUsage(leaseID: String, through: Timestamp, counters: UsageCounters, actor: String, at time: Timestamp) -> [Event] {
        if let rejection = usageRejection(leaseID: leaseID, through: through, counters: counters, actor: actor, at: time) {
            return [.rejected(rejection)]
        }
        var lease = leases[leaseID]!
        let parts = escrows[leaseID]!
        let elapsed = lease.start.seconds(until: through)
        var settledParts: [LeaseEscrowPart] = []
        var chains: [LedgerOperation] = []
        var paid: UInt64 = 0
        for part in parts {
            let settled = part.settledMicroCredits ?? 0
            let due = min(part.amountMicroCredits, Self.cost(price: part.pricePerGPUHour ?? lease.pricePerGPUHour, gpus: part.gpus, seconds: elapsed))
            assert(due >= settled, "the cumulative cost never decreases")
            var next = part
            if due > settled {
                let (events, updated) = settlementChain(for: part, paying: due - settled, at: time)
                chains.append(.linked(events))
                next = updated
                paid = paid.addingSaturated(due - settled)
            }
            settledParts.append(next)
        }
        if !chains.isEmpty {
            let results = ledger.apply(chains)
            precondition(results.allSatisfy(\.isApplied), "a running lease's escrow always settles: \(results)")
            escrows[leaseID] = settledParts
        }
        // Cumulative figures carry over a report that leaves them out, so the lease always shows
        // its latest totals and the next report is checked (and its growth counted) against them.
        var recorded = counters
        recorded.energyWh = counters.energyWh ?? lease.usage?.counters.energyWh
        recorded.cpuMilliseconds = counters.cpuMilliseconds ?? lease.usage?.counters.cpuMilliseconds
        observe(recorded, of: lease, through: through, reportedBy: actor)
        // Escrows are ledger amounts (UInt64): the figures shown are held at Int64.max, never trap.
        let total = (lease.usage?.settled.rawValue ?? 0).addingSaturated(Int64(clamping: paid))
        lease.usage = LeaseUsage(through: through, reported: time, reporterID: actor, settled: MicroCredits(total), counters: recorded)
        leases[leaseID] = lease
        return [.usageSettled(leaseID: leaseID, through: through, paid: MicroCredits(Int64(clamping: paid)))]
    }

    /// Adds a report's interval and counters to the observation of each node of `lease` that
    /// the reporting operator runs (``NodeObservation``), before the lease records the report:
    /// what an operator's agent measured describes its own nodes, never another operator's.
    private mutating func observe(_ counters: UsageCounters, of lease: Lease, through: Timestamp, reportedBy actor: String) {
        let since = lease.usage?.through ?? lease.start
        let seconds = max(0, since.seconds(until: through))
        for allocation in lease.allocations {
            guard var record = nodes[allocation.nodeID], record.node.operatorID == actor else { continue }
            record.observation = (record.observation ?? .none).adding(
                counters, previous: lease.usage?.counters, isFirstReport: lease.usage == nil, seconds: seconds, gpus: allocation.gpus)
            nodes[allocation.nodeID] = record
        }
    }

    /// Why a report for `lease` cannot be accepted at `time`, or `nil`.
    private func usageProblem(of lease: Lease, through: Timestamp, counters: UsageCounters, at time: Timestamp) -> String? {
        let since = lease.usage?.through ?? lease.start
        if through > time { return "through \(through) is in the future (now \(time))" }
        if through < since {
            return "through \(through) is before the lease's last settlement at \(since); report from there on"
        }
        if let problem = counters.problem(after: lease.usage?.counters) { return problem }
        return nil
    }

    /// The linked chain that pays `amount` of `part` now and re-reserves the rest, and the part after it.
    private mutating func settlementChain(for part: LeaseEscrowPart, paying amount: UInt64, at time: Timestamp) -> ([LedgerEvent], LeaseEscrowPart) {
        guard let pending = ledger.record(part.transferID) else {
            preconditionFailure("the open escrow transfer \(part.transferID) is in the ledger")
        }
        let settled = (part.settledMicroCredits ?? 0) + amount
        let remaining = part.amountMicroCredits - settled
        var events: [LedgerEvent] = [.resolve(.post(id: nextTransferID(), pendingID: part.transferID, amountMicroCredits: amount))]
        events += settlementTransfers(paying: amount, of: part, at: time)
        var next = part
        next.settledMicroCredits = settled
        if remaining > 0 {
            let id = nextTransferID()
            events.append(.transfer(TransferRequest(
                id: id, debitAccountID: pending.debitAccountID, creditAccountID: pending.creditAccountID,
                amountMicroCredits: remaining, isPending: true, code: pending.code)))
            next.transferID = id
        }
        return (events, next)
    }
}
