import OSGDomain
import OSGLedger
import OSGMarket

/// The market inside the state machine: clearing the queue onto nodes, and ending leases.
///
/// A clearing sees each online node's free GPUs (installed minus those held by running
/// leases, lockups and pending preemptions), every pending order and every tenant's holdings
/// (for fair share and aging), runs the published clearing rules (docs/MARKET.md) with the
/// coordinator's steps — set-aside budgets over the whole fleet, the carbon step over the
/// recorded series, preemption with notice, and a reservation for the head of the queue that
/// backfill may not delay (docs/MARKET.md, "In the coordinator") — and starts one lease per
/// placed order. Every lease end carries its reason; jobs whose lease
/// ended through no fault of their own (node lost or withdrawn, preemption) go back to the
/// queue with their original arrival time.
extension CoordinatorState {
    // MARK: Clearing

    mutating func clear(at time: Timestamp, actor: String, sequence: UInt64) -> [Event] {
        guard actor == genesis.governanceID else {
            return [.rejected(Rejection(.notGovernance, "only the coordinator runs market clearings"))]
        }
        var leaseCounter = 0
        // 1. Preemptions whose notice ran out end; jobs whose victims have gone start.
        var events = endDuePreemptions(at: time)
        events += startReadyPreemptions(at: time, sequence: sequence, leaseCounter: &leaseCounter)

        // With no pending job nothing can be placed, preempt or be reserved for.
        if queue.isEmpty {
            headReservation = nil
            events.append(.clearingCompleted(placed: 0, waiting: 0))
            return events
        }

        // 2. The plain clearing (with the carbon step when series are recorded).
        var input = clearingInput(at: time)
        var run = ClearingRun(input: input, state: self, time: time)
        var first = clearingPass(&run, input.orders, input: input, free: input.freeByNode, nodes: input.nodes, recordServiceOrder: true)
        first.unplaced += input.deferred
        let firstServed = run.served

        // 3. In service order, orders left unplaced may displace preemptible work; the first
        //    that cannot is the head of the queue and gets a reservation.
        var freeByNode = input.freeByNode
        for placement in first.placements {
            for grant in placement.grants { freeByNode[nodeIndex(of: grant.nodeID)!] -= grant.gpus }
        }
        // By node id, built when an order first may preempt.
        var free: [String: Int] = [:]
        var freeByID = false
        let placementByOrder = Dictionary(uniqueKeysWithValues: first.placements.map { ($0.orderID, $0) })
        // Why each order the engine served is unplaced: its result lists them in id order (the
        // carbon step's deferred orders, appended after, were never served).
        let reasons = UnplacedByID(first.unplaced.dropLast(input.deferred.count))
        var budgets = run.budgets.spending(first.placements, orders: orders)
        // Read only when an order may preempt; dropped (read again) after each new notice.
        var candidates: [String: [VictimCandidate]]?
        // Whether a notice changed the state since `input` was read.
        var noticed = false
        var examined = 0
        var reservationAttempts = 0
        var head: (order: Order, position: Int)?
        var preemptedNow: [(orderID: String, allocations: [NodeAllocation])] = []
        // What running work, lockups and preemptions hold until when; rebuilt after a new notice.
        var base: NodeOccupancy?
        var bounds: ModelBounds?
        for (position, orderID) in run.serviceOrder.enumerated() where placementByOrder[orderID] == nil {
            guard let order = orders[orderID], let reason = reasons[orderID] else { break }
            if reason == .poolExhausted || reason == .setAsideFloor { continue }
            // Orders no online node could ever hold neither preempt nor wait at the head, and
            // do not use up the search.
            if bounds == nil { bounds = ModelBounds(nodes) }
            guard bounds!.mayHold(order.spec, ceiling: askCeiling(of: order)) else { continue }
            guard examined < Self.headSearchLimit else { break }
            examined += 1
            let mayPreempt = order.spec.jobClass != .preemptible && budgets.admits(order)
            if mayPreempt && candidates == nil { candidates = victimCandidatesByNode() }
            if mayPreempt, let current = candidates, !current.isEmpty, !freeByID {
                free = freeGPUsByNodeID(freeByNode)
                freeByID = true
            }
            if mayPreempt, let current = candidates, !current.isEmpty,
               let plan = preemptionPlan(for: order, ceiling: askCeiling(of: order), free: free, candidates: current, at: time) {
                events += notice(plan, for: orderID, at: time)
                noticed = true
                budgets.spend(order)
                for allocation in plan.allocations {
                    let victimsThere = plan.victims.reduce(0) { sum, leaseID in
                        sum + (leases[leaseID]?.allocations.filter { $0.nodeID == allocation.nodeID }.reduce(0) { $0 + $1.gpus } ?? 0)
                    }
                    free[allocation.nodeID, default: 0] -= max(0, allocation.gpus - victimsThere)
                }
                if genesis.preemptionNoticeSeconds == 0 { preemptedNow.append((orderID, plan.allocations)) }
                candidates = nil
                base = nil
                continue
            }
            guard reservationAttempts < Self.reservationAttemptLimit else { break }
            reservationAttempts += 1
            let prefix = run.serviceOrder[..<position].compactMap { placementByOrder[$0] }
            if base == nil { base = baseOccupancy(now: time) }
            var occupancy = base!
            addOccupancy(of: prefix.map { ($0.orderID, $0.grants.map { NodeAllocation(nodeID: $0.nodeID, gpus: $0.gpus) }) }, to: &occupancy, now: time)
            if let reservation = reservation(for: order, occupancy: occupancy, at: time) {
                head = (order, position)
                headReservation = reservation
                events.append(.headReserved(orderID: orderID, start: reservation.start, nodeIDs: reservation.allocations.map(\.nodeID)))
                break
            }
        }
        if head == nil { headReservation = nil }
        // Jobs whose victims ended at once start now, on the GPUs they were given.
        if !preemptedNow.isEmpty { events += startReadyPreemptions(at: time, sequence: sequence, leaseCounter: &leaseCounter) }

        // 4. With a head: keep what was served before it, clear the rest around its reservation.
        var placements = first.placements
        var unplaced = first.unplaced
        var reasonOverrides: [String: String] = [:]
        if let head, let reservation = headReservation {
            let before = Set(run.serviceOrder[..<head.position])
            placements = first.placements.filter { before.contains($0.orderID) }
            unplaced = first.unplaced.filter { before.contains($0.orderID) || $0.orderID == head.order.id || !firstServed.contains($0.orderID) }
            // The input and the running work read before still hold unless a notice changed them.
            if noticed { input = clearingInput(at: time) }
            input.deduct(placements, in: self)
            let prefixAllocations = placements.map { ($0.orderID, $0.grants.map { NodeAllocation(nodeID: $0.nodeID, gpus: $0.gpus) }) }
            var occupancyNow = (noticed ? nil : base) ?? baseOccupancy(now: time)
            addOccupancy(of: prefixAllocations, to: &occupancyNow, now: time)
            let spare = spareAtReservedStart(reservation, occupancy: occupancyNow)
            let rest = input.orders.filter { !before.contains($0.id) && $0.id != head.order.id && firstServed.contains($0.id) }
            // Orders running past the reserved start see only the spare GPUs of reserved nodes.
            // (A pass with no orders places nothing: no engine is built for it.)
            var second = ClearingResult(placements: [], unplaced: [])
            if !rest.isEmpty {
                run = ClearingRun(input: input, state: self, time: time, already: placements)
                second = clearingPass(&run, rest, input: input, free: input.freeByNode(limitedTo: spare, in: self),
                                      nodes: input.nodes(limitedTo: spare))
            }
            placements += second.placements
            input.deduct(second.placements, in: self)
            // Orders that finish before it may use the rest of the reserved nodes' free GPUs.
            let reservedStart = reservation.start.secondsSinceEpoch
            let placedSecond = Set(second.placements.map(\.orderID))
            let short = rest.filter {
                !placedSecond.contains($0.id) && time.secondsSinceEpoch + (orders[$0.id]?.spec.maxDurationSeconds ?? .max / 2) <= reservedStart
            }
            var third = ClearingResult(placements: [], unplaced: [])
            if !short.isEmpty {
                run = ClearingRun(input: input, state: self, time: time, already: placements)
                third = clearingPass(&run, short, input: input, free: input.freeByNode, nodes: input.nodes)
            }
            placements += third.placements
            let placedThird = Set(third.placements.map(\.orderID))
            for item in second.unplaced where !placedThird.contains(item.orderID) {
                unplaced.append(item)
                // Placed by the plain clearing, kept waiting only by the reservation.
                if placementByOrder[item.orderID] != nil { reasonOverrides[item.orderID] = "behind_reservation" }
            }
            placements.sort { $0.orderID.utf8.lexicographicallyPrecedes($1.orderID.utf8) }
        }
        events += startPlacements(placements, unplaced: unplaced, unfunded: input.unfunded, at: time, sequence: sequence, leaseCounter: &leaseCounter)
        for (orderID, reason) in reasonOverrides where orders[orderID]?.status == .pending { waitingReasons[orderID] = reason }
        return events
    }

    /// Starts one lease per placement (in order id order), records why the rest wait.
    private mutating func startPlacements(_ placements: [MarketPlacement], unplaced: [UnplacedOrder], unfunded: [String],
                                          at time: Timestamp, sequence: UInt64, leaseCounter: inout Int) -> [Event] {
        var events: [Event] = []
        var started: Set<String> = []
        for placement in placements {
            let leaseID = "lease-\(sequence)-\(leaseCounter)"
            leaseCounter += 1
            let allocations = placement.grants.map { NodeAllocation(nodeID: $0.nodeID, gpus: $0.gpus) }
            guard let event = startLease(leaseID, orderID: placement.orderID, allocations: allocations,
                                         price: placement.pricePerGPUHour, at: time)
            else { continue }
            started.insert(placement.orderID)
            events.append(event)
        }
        if !started.isEmpty { queue.removeAll { started.contains($0) } }
        for orderID in unfunded { waitingReasons[orderID] = "insufficient_funds" }
        for item in unplaced where (preemptions.isEmpty || preemptions[item.orderID] == nil) && orders[item.orderID]?.status == .pending {
            waitingReasons[item.orderID] = item.reason.code
        }
        events.append(.clearingCompleted(placed: started.count, waiting: queue.count))
        return events
    }

    /// Starts a lease for a pending order, reserving its budget; `nil` (and the order waits
    /// with `insufficient_funds`) when its tenant cannot cover it. The caller removes the order
    /// from the queue.
    mutating func startLease(_ leaseID: String, orderID: String, allocations: [NodeAllocation], price: MicroCredits, at time: Timestamp) -> Event? {
        let lease = Lease(id: leaseID, orderID: orderID, allocations: allocations, pricePerGPUHour: price, start: time)
        guard let order = orders[orderID],
              reserveBudget(for: lease, tenantID: order.tenantID, maxDurationSeconds: order.spec.maxDurationSeconds)
        else {
            // Several jobs of one tenant placed together can exceed its funds: this one waits.
            waitingReasons[orderID] = "insufficient_funds"
            return nil
        }
        leases[lease.id] = lease
        runningLeaseOfOrder[orderID] = lease.id
        runningTotals.add(lease, of: order)
        statisticsTotals.started(lease, of: order)
        runningTotals.setNodeIndexHints(allocations.map { Int32(nodeIndex(of: $0.nodeID) ?? -1) }, leaseID: lease.id)
        for allocation in allocations { allocatedGPUs[allocation.nodeID, default: 0] += allocation.gpus }
        orders[orderID]?.status = .running
        waitingReasons[orderID] = nil
        return .leaseStarted(lease)
    }

    /// Every tenant with a pending or running job, with what its running leases (and
    /// `placements` about to start) hold: the input of the clearing's fair-share step (weights
    /// are 1 until weights are governed).
    public func tenantStandings(adding placements: [MarketPlacement] = []) -> [TenantStanding] {
        tenantStandings(adding: placements, withQueued: true).sorted { $0.id < $1.id }
    }

    /// What a clearing's engine needs of ``tenantStandings(adding:)``: the tenants that hold
    /// something, in no particular order. An engine gives the same result without the tenants
    /// that hold nothing (weight 1, no usage, adding nothing to the capacity: exactly how it
    /// counts a tenant it was not given) and whatever the order of its tenants.
    func clearingTenantStandings(adding placements: [MarketPlacement]) -> [TenantStanding] {
        tenantStandings(adding: placements, withQueued: false)
    }

    private func tenantStandings(adding placements: [MarketPlacement], withQueued: Bool) -> [TenantStanding] {
        var usage: [String: (gpus: Int, cpu: Int, memory: Int)] = [:]
        for placement in placements {
            guard let order = orders[placement.orderID] else { continue }
            var held = usage[order.tenantID] ?? (0, 0, 0)
            held.gpus += placement.totalGPUs
            held.cpu += order.spec.resources.cpuCores * placement.grants.count
            held.memory += order.spec.resources.memoryGiB * placement.grants.count
            usage[order.tenantID] = held
        }
        for orderID in queue where withQueued {
            if let tenant = orders[orderID]?.tenantID, usage[tenant] == nil { usage[tenant] = (0, 0, 0) }
        }
        // Running leases, summed as they start and end (see ``RunningLeaseTotals``).
        for (tenant, running) in runningTotals.byTenant {
            var held = usage[tenant] ?? (0, 0, 0)
            held.gpus += running.gpus
            held.cpu += running.cpu
            held.memory += running.memory
            usage[tenant] = held
        }
        return usage.map {
            TenantStanding(id: $0.key, usageGPUs: $0.value.gpus, usageCPUCores: $0.value.cpu, usageMemoryGiB: $0.value.memory)
        }
    }

    // MARK: Ending leases

    mutating func endLease(_ leaseID: String, reason: LeaseEndReason, actor: String, at time: Timestamp) -> [Event] {
        guard let lease = leases[leaseID] else {
            return [.rejected(Rejection(.unknownLease, "no lease with id \(leaseID)"))]
        }
        guard lease.end == nil else {
            return [.rejected(Rejection(.leaseAlreadyEnded, "lease \(leaseID) already ended (\(lease.end!.reason.rawValue))"))]
        }
        guard mayEnd(lease, reason: reason, actor: actor) else {
            return [.rejected(Rejection(.notAllowedToEnd, "\(actor) may not end lease \(leaseID) as \(reason.rawValue): tenants cancel their own, operators report completion or withdrawal of their nodes, the coordinator decides the rest"))]
        }
        return finishLease(leaseID, reason: reason, at: time)
    }

    /// Who may end a lease, and why.
    private func mayEnd(_ lease: Lease, reason: LeaseEndReason, actor: String) -> Bool {
        if actor == genesis.governanceID { return true }
        let operators = Set(lease.allocations.compactMap { nodes[$0.nodeID]?.node.operatorID })
        switch reason {
        case .cancelledByTenant: return orders[lease.orderID]?.tenantID == actor
        case .completed, .nodeWithdrawn: return operators.contains(actor)
        case .maxDurationReached, .preempted, .nodeLost: return false
        }
    }

    /// Ends a running lease: frees its GPUs and moves its order on.
    mutating func finishLease(_ leaseID: String, reason: LeaseEndReason, at time: Timestamp) -> [Event] {
        guard var lease = leases[leaseID], lease.end == nil else { return [] }
        lease.end = LeaseEnd(at: time, reason: reason)
        leases[leaseID] = lease
        for allocation in lease.allocations {
            let remaining = (allocatedGPUs[allocation.nodeID] ?? 0) - allocation.gpus
            allocatedGPUs[allocation.nodeID] = remaining > 0 ? remaining : nil
        }
        runningLeaseOfOrder[lease.orderID] = nil
        if let order = orders[lease.orderID] {
            runningTotals.remove(lease, of: order)
            statisticsTotals.ended(lease, of: order)
        }
        bookEnergy(ofEnded: lease, at: time)
        let paid = settle(lease, at: time, reason: reason)
        let requeue: Bool
        switch reason {
        case .completed: orders[lease.orderID]?.status = .completed; requeue = false
        case .cancelledByTenant: orders[lease.orderID]?.status = .cancelled; requeue = false
        case .maxDurationReached: orders[lease.orderID]?.status = .failed; requeue = false
        case .preempted, .nodeLost, .nodeWithdrawn:
            orders[lease.orderID]?.status = .pending
            queue.append(lease.orderID)
            requeue = true
        }
        return [.leaseEnded(leaseID: leaseID, orderID: lease.orderID, reason: reason, requeued: requeue, paid: paid)]
    }

    /// Ends every running lease that holds GPUs on `nodeID`, in lease-id order.
    mutating func endLeases(onNode nodeID: String, reason: LeaseEndReason, at time: Timestamp) -> [Event] {
        let affected = runningLeaseOfOrder.values
            .filter { leases[$0]?.allocations.contains { $0.nodeID == nodeID } == true }
            .sorted()
        return affected.flatMap { finishLease($0, reason: reason, at: time) }
    }

    /// Ends leases whose job has run for its whole `max_duration`.
    mutating func endOverdueLeases(at time: Timestamp) -> [Event] {
        let overdue = runningTotals.leases.values.filter { lease in
            Timestamp(secondsSinceEpoch: lease.start).adding(seconds: lease.maxDurationSeconds) <= time
        }.map(\.id).sorted()
        return overdue.flatMap { finishLease($0, reason: .maxDurationReached, at: time) }
    }

    // MARK: Invariants

    /// No node gives more GPUs than it has; each running order has exactly one running lease.
    func assertLeaseInvariants() {
        assert(allocatedGPUs.allSatisfy { nodeID, gpus in gpus > 0 && gpus <= (nodes[nodeID]?.node.gpuCount ?? 0) },
               "a node never gives more GPUs than it has")
        assert(nodes.values.allSatisfy { (allocatedGPUs[$0.node.id] ?? 0) + lockedGPUs(on: $0.node.id) <= $0.node.gpuCount },
               "leases and lockups together never exceed a node's GPUs")
        assert(runningLeaseOfOrder.allSatisfy { orderID, leaseID in
            orders[orderID]?.status == .running && leases[leaseID]?.end == nil && leases[leaseID]?.orderID == orderID
        }, "each running order holds exactly its running lease")
        assert(orders.values.filter { $0.status == .running }.count == runningLeaseOfOrder.count,
               "every running order has a running lease")
        assert(preemptions.allSatisfy { orderID, notice in
            notice.orderID == orderID && notice.victimLeaseIDs.allSatisfy { leases[$0].map { orders[$0.orderID]?.spec.jobClass == .preemptible } ?? false }
        }, "only preemptible leases are ever preempted")
    }
}
