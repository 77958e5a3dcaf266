import OSGDomain
import OSGLedger
import OSGMarket

/// The market inside the state machine: clearing the queue onto nodes, and ending leases.
///
/// A clearing sees each online node's free GPUs (installed minus those held by running
/// leases, lockups and pending preemptions) and free CPU cores, memory and disk (its size minus
/// what running leases and pending preemptions hold), every pending order and every tenant's holdings
/// (for fair share and aging), runs the published clearing rules (docs/MARKET.md) with the
/// coordinator's steps — set-aside budgets over the whole fleet, the carbon step over the
/// recorded series, preemption with notice, and a reservation for the head of the queue that
/// backfill may not delay (docs/MARKET.md, "In the coordinator") — and starts one lease per
/// placed order. Every lease end carries its reason; jobs whose lease
/// ended through no fault of their own (node lost or withdrawn, preemption) go back to the
/// queue with their original arrival time.
extension CoordinatorState {
    // MARK: Clearing

    /// One clearing, as the published steps of docs/MARKET.md ("In the coordinator"), one
    /// function each:
    ///
    /// 1. preemptions whose notice ran out end, and jobs whose victims have gone start
    ///    (``endDuePreemptions(at:)``, ``startReadyPreemptions(at:leaseIDs:)``);
    /// 2. the plain clearing of the queue, with the carbon step when series are recorded
    ///    (``plainClearing(at:)``);
    /// 3. in service order, orders left unplaced may displace preemptible work with notice,
    ///    and 4. the first that can neither be placed nor preempt is the head of the queue and
    ///    gets a reservation (``preemptOrReserve(after:at:)``);
    /// 5. the orders served after the head are cleared again around its reservation
    ///    (``backfill(around:after:inputChanged:at:)``);
    /// 6. every placement starts a lease (``startPlacements(_:at:leaseIDs:)``).
    mutating func clear(at time: Timestamp, actor: String, sequence: UInt64) -> [Event] {
        guard actor == genesis.governanceID else {
            return [.rejected(Rejection(.notGovernance, "only the coordinator runs market clearings"))]
        }
        var leaseIDs = LeaseIDs(sequence: sequence)
        keepFleetCache()
        var events = endDuePreemptions(at: time)
        events += startReadyPreemptions(at: time, leaseIDs: &leaseIDs)
        precondition(preemptions.values.allSatisfy { $0.victimLeaseIDs.contains { leases[$0]?.end == nil } },
                     "a preemption whose victims have all ended has started its job or been withdrawn")
        // With no pending job nothing can be placed, preempt or be reserved for.
        guard !queue.isEmpty else {
            headReservation = nil
            events.append(.clearingCompleted(placed: 0, waiting: 0))
            return events
        }
        let plain = plainClearing(at: time)
        let examination = preemptOrReserve(after: plain, at: time)
        events += examination.events
        headReservation = examination.head?.reservation
        // Jobs whose victims ended at once (no notice period) start now, on the GPUs they were given.
        if examination.preemptedAtOnce { events += startReadyPreemptions(at: time, leaseIDs: &leaseIDs) }
        let outcome = examination.head.map { backfill(around: $0, after: plain, inputChanged: examination.noticed, at: time) }
            ?? ClearingOutcome(placements: plain.result.placements, unplaced: plain.result.unplaced,
                               unfunded: plain.input.unfunded, behindReservation: [])
        events += startPlacements(outcome, noticeGiven: examination.noticed, at: time, leaseIDs: &leaseIDs)
        return events
    }

    /// Lease ids of one clearing, in the order leases start: `lease-<sequence>-<n>`, n from 0.
    struct LeaseIDs {
        let sequence: UInt64
        private var count = 0

        init(sequence: UInt64) { self.sequence = sequence }

        mutating func next() -> String {
            defer { count += 1 }
            return "lease-\(sequence)-\(count)"
        }
    }

    /// Step 2's result and what the later steps read of it.
    struct PlainClearing {
        /// What it cleared: the capacity before its placements.
        let input: ClearingInput
        /// Its placements, and its unplaced orders followed by the carbon step's deferred ones
        /// (never served).
        let result: ClearingResult
        /// The orders the engine served, in the order it served them, each as its position in
        /// `input.orders`.
        let serviceOrder: [Int32]
        /// By position in `input.orders`: the order's place in ``serviceOrder``, or -1 when the
        /// engine did not serve it.
        let servicePosition: [Int32]
        let placementByOrder: [String: MarketPlacement]
        /// The position in `input.orders` of each of `result.placements`, and of each of
        /// `result.unplaced` the engine served or refused (the deferred ones, last, have none).
        let resultInputs: (placements: [Int32], unplaced: [Int32])

        /// The id of the order served `place`-th.
        func orderID(servedAt place: Int) -> String { input.orders[Int(serviceOrder[place])].id }

        /// The unplaced orders the engine served (without the deferred ones), by id.
        var servedUnplaced: UnplacedByID { UnplacedByID(result.unplaced.dropLast(input.deferred.count)) }
    }

    /// Step 2: the published clearing rules over the free capacity (GPUs, cores, memory, disk)
    /// and the queue, recording the service order.
    private mutating func plainClearing(at time: Timestamp) -> PlainClearing {
        let input = clearingInput(at: time)
        var run = ClearingRun(input: input, state: self, time: time)
        var result = clearingPass(&run, input.orders, input: input, free: input.freeByNode, host: input.freeHost,
                                  recordServiceOrder: true)
        precondition(result.placements.count + result.unplaced.count == input.orders.count,
                     "the plain clearing places or explains every order it clears, once")
        result.unplaced += input.deferred
        let placementByOrder = Dictionary(uniqueKeysWithValues: result.placements.map { ($0.orderID, $0) })
        return PlainClearing(input: input, result: result, serviceOrder: run.serviceOrder, servicePosition: run.servicePosition,
                             placementByOrder: placementByOrder, resultInputs: run.resultInputs)
    }

    /// What steps 3 and 4 decided.
    struct QueueExamination {
        /// Notices, then the head's reservation, in the order they were decided.
        var events: [Event] = []
        /// Whether a notice changed the state since the plain clearing read its input.
        var noticed = false
        /// Whether a notice ended its victims at once (no notice period): its job starts now.
        var preemptedAtOnce = false
        var head: HeadOfQueue?
    }

    /// The head of the queue (step 4): its order, its place in the service order, its
    /// reservation, and the running work read for it.
    struct HeadOfQueue {
        let order: Order
        let position: Int
        let reservation: HeadReservation
        /// Running leases, lockups and pending preemptions when the reservation was made, and
        /// the placements of the orders served before the head.
        let occupancy: NodeOccupancy
    }

    /// The preemption step's view while it examines the queue: the budgets left, each node's
    /// free figures after the plain clearing and the holds of notices given since (read when an
    /// order first may preempt), and the candidate victims (read then, and updated after each
    /// notice).
    struct PreemptionSearch {
        var budgets: MarketBudgets
        var free: FreeNodeFigures?
        /// The nodes with a free GPU when ``free`` was read, by GPU model code, in index order.
        var freeNodesByModel: [[Int]] = []
        var candidates: VictimCandidates?
    }

    /// Steps 3 and 4: in service order, each order the plain clearing left unplaced (budget
    /// verdicts and orders no online node could ever hold passed over) may preempt with notice;
    /// the first that cannot is the head and gets a reservation. At most
    /// ``headSearchLimit`` orders are examined and ``reservationAttemptLimit`` tried as the head.
    private mutating func preemptOrReserve(after plain: PlainClearing, at time: Timestamp) -> QueueExamination {
        var examination = QueueExamination()
        var search = PreemptionSearch(budgets: plain.input.budgets.spending(plain.result.placements, orders: orders))
        let reasons = plain.servedUnplaced
        let bounds = currentModelBounds()
        // What running work, lockups, preemptions and the placements of the orders served
        // before `occupiedBefore` hold until when; a notice is applied to it (``applyNotice(of:to:now:)``).
        var occupancy: NodeOccupancy?
        var occupiedBefore = 0
        var examined = 0
        var reservationAttempts = 0
        for position in plain.serviceOrder.indices {
            let orderID = plain.orderID(servedAt: position)
            guard plain.placementByOrder[orderID] == nil else { continue }
            guard let order = orders[orderID], let reason = reasons[orderID] else { break }
            if reason == .poolExhausted || reason == .setAsideFloor { continue }
            guard bounds.mayHold(order.spec, ceiling: askCeiling(of: order)) else { continue }
            guard examined < Self.headSearchLimit else { break }
            examined += 1
            if let events = preemptWithNotice(order, search: &search, after: plain, at: time) {
                examination.events += events
                examination.noticed = true
                examination.preemptedAtOnce = examination.preemptedAtOnce || genesis.preemptionNoticeSeconds == 0
                if occupancy != nil {
                    applyNotice(of: orderID, to: &occupancy!, now: time)
                    assert(occupancy!.canonical == freshOccupancy(before: occupiedBefore, after: plain, at: time).canonical,
                           "a notice applied to the occupancy gives what a fresh read gives")
                }
                continue
            }
            guard reservationAttempts < Self.reservationAttemptLimit else { break }
            reservationAttempts += 1
            if occupancy == nil {
                occupancy = baseOccupancy(now: time)
                occupiedBefore = 0
            }
            // The placements of the orders served before this one, added once each.
            let placedBefore = (occupiedBefore..<position).compactMap { plain.placementByOrder[plain.orderID(servedAt: $0)] }
            addOccupancy(of: placedBefore.map { ($0.orderID, $0.allocations) }, to: &occupancy!, now: time)
            occupiedBefore = position
            if let reservation = reservation(for: order, occupancy: occupancy!, fleet: plain.input.fleet, at: time) {
                precondition(reservation.start > time && reservation.orderID == orderID, "the head's reserved start is in the future")
                examination.head = HeadOfQueue(order: order, position: position, reservation: reservation, occupancy: occupancy!)
                examination.events.append(.headReserved(orderID: orderID, start: reservation.start, nodeIDs: reservation.allocations.map(\.nodeID)))
                break
            }
        }
        return examination
    }

    /// Running work, lockups and preemptions read afresh, with the placements of the orders
    /// served before `position` (debug checks of the occupancy kept through notices).
    private func freshOccupancy(before position: Int, after plain: PlainClearing, at time: Timestamp) -> NodeOccupancy {
        let placed = (0..<position).compactMap { plain.placementByOrder[plain.orderID(servedAt: $0)] }
        return occupancy(now: time, placements: placed.map { ($0.orderID, $0.allocations) })
    }

    /// Step 3 for one order: notice to the victims of the best preemption plan and its events,
    /// or `nil` when the order may not preempt (preemptible, or over its budget) or no plan
    /// makes room for it in every resource.
    private mutating func preemptWithNotice(_ order: Order, search: inout PreemptionSearch, after plain: PlainClearing,
                                            at time: Timestamp) -> [Event]? {
        guard order.spec.jobClass != .preemptible && search.budgets.admits(order) else { return nil }
        if search.candidates == nil { search.candidates = victimCandidatesByNode() }
        guard !search.candidates!.isEmpty else { return nil }
        if search.free == nil {
            let free = freeFigures(after: plain)
            search.free = free
            search.freeNodesByModel = Self.nodesWithFreeGPU(free, fleet: plain.input.fleet)
        }
        guard let plan = preemptionPlan(for: order, ceiling: askCeiling(of: order), free: search.free!,
                                        freeNodesByModel: search.freeNodesByModel,
                                        fleet: plain.input.fleet, candidates: search.candidates!, at: time)
        else { return nil }
        precondition(!plan.victims.isEmpty && plan.allocations.count == order.spec.nodeCount,
                     "a preemption has victims and gives the job all its nodes")
        let events = notice(plan, for: order.id, at: time)
        search.budgets.spend(order)
        // The job's figures on its nodes are held for it, less what its victims hold there.
        let need = NodeFigures(gpus: order.spec.resources.gpu.countPerNode, host: HostUse(perNodeOf: order.spec))
        for allocation in plan.allocations {
            var victimsThere = NodeFigures.zero
            for leaseID in plan.victims {
                guard let lease = leases[leaseID], let victim = orders[lease.orderID] else { continue }
                for held in lease.allocations where held.nodeID == allocation.nodeID {
                    victimsThere.gpus += held.gpus
                    victimsThere.host += HostUse(perNodeOf: victim.spec)
                }
            }
            let index = nodeIndex(of: allocation.nodeID)!
            var free = search.free![index]
            free.gpus -= max(0, need.gpus - victimsThere.gpus)
            free.host -= (need.host - victimsThere.host).atLeastZero
            search.free![index] = free
        }
        // The victims are no longer candidates (as a fresh read would find).
        let victimNodes = Set(plan.victims.flatMap { leases[$0]?.allocations.compactMap { nodeIndex(of: $0.nodeID) } ?? [] })
        search.candidates!.remove(plan.victims, onNodesAt: victimNodes)
        assert(search.candidates!.leaseIDsByNode == victimCandidatesByNode().leaseIDsByNode,
               "the candidates left after a notice are those a fresh read finds")
        return events
    }

    /// The online nodes with at least one free GPU in `free`, by GPU model code, in index order.
    private static func nodesWithFreeGPU(_ free: FreeNodeFigures, fleet: FleetView) -> [[Int]] {
        var byModel = Array(repeating: [Int](), count: fleet.models.count)
        for index in 0..<fleet.count where free.gpus[index] > 0 && fleet.online[index] {
            byModel[Int(fleet.modelOfNode[index])].append(index)
        }
        return byModel
    }

    /// Each node's free figures (by index) once the plain clearing's placements are taken.
    private func freeFigures(after plain: PlainClearing) -> FreeNodeFigures {
        var free = FreeNodeFigures(gpus: plain.input.freeByNode, host: plain.input.freeHost)
        deduct(plain.result.placements, gpus: &free.gpus, host: &free.host)
        return free
    }

    /// What a clearing starts and why the rest wait.
    struct ClearingOutcome {
        var placements: [MarketPlacement]
        var unplaced: [UnplacedOrder]
        /// Orders whose tenant cannot cover their maximum cost.
        var unfunded: [String]
        /// Orders the plain clearing placed but the head's reservation keeps waiting.
        var behindReservation: [String]
    }

    /// Step 5: the placements of orders served before the head stand; the orders after it are
    /// cleared again with each reserved node offering at most its spare GPUs, cores, memory and
    /// disk at the reserved start; then orders that finish by the reserved start may use the
    /// rest of the reserved nodes. `inputChanged`: a notice changed the state since step 2.
    private mutating func backfill(around head: HeadOfQueue, after plain: PlainClearing, inputChanged: Bool,
                                   at time: Timestamp) -> ClearingOutcome {
        // Where an order stands against the head: served before it, the head itself, served
        // after it (cleared again), or not served by the plain clearing at all. Read by the
        // order's position in the plain clearing's input (the queue is long: no id look-ups).
        func isAfterHead(input: Int32) -> Bool { plain.servicePosition[Int(input)] > head.position }
        let kept = zip(plain.result.placements, plain.resultInputs.placements).filter { !isAfterHead(input: $1) }.map(\.0)
        let served = plain.result.unplaced.count - plain.input.deferred.count
        var unplaced = zip(plain.result.unplaced[..<served], plain.resultInputs.unplaced).filter { !isAfterHead(input: $1) }.map(\.0)
            + plain.result.unplaced[served...]
        assert({
            let afterHead = servedAfterHead(plain, head)
            return kept.map(\.orderID) == plain.result.placements.map(\.orderID).filter { !afterHead($0) }
                && unplaced.map(\.orderID) == plain.result.unplaced.map(\.orderID).filter { !afterHead($0) }
        }(), "the placements and unplaced orders split by position are those split by id")
        // The input and the running work read before still hold unless a notice changed them.
        var input = inputChanged ? clearingInput(at: time) : plain.input
        input.deduct(kept, in: self)
        var occupancy = head.occupancy
        if inputChanged {
            occupancy = baseOccupancy(now: time)
            addOccupancy(of: kept.map { ($0.orderID, $0.allocations) }, to: &occupancy, now: time)
        }
        let spare = spareAtReservedStart(head.reservation, occupancy: occupancy)
        let rest: [MarketOrder]
        if inputChanged {
            // A fresh input lists its orders in its own order: read them by id.
            let afterHead = Set(plain.serviceOrder[(head.position + 1)...].map { plain.input.orders[Int($0)].id })
            rest = input.orders.filter { afterHead.contains($0.id) }
        } else {
            rest = input.orders.indices.filter { isAfterHead(input: Int32($0)) }.map { input.orders[$0] }
        }
        assert(rest.map(\.id) == input.orders.map(\.id).filter(servedAfterHead(plain, head)), "the orders after the head, by position or by id")
        // Orders running past the reserved start see only the spare figures of reserved nodes.
        let limited = input.free(limitedTo: spare, in: self)
        let second = backfillPass(rest, input: input, free: limited.gpus, host: limited.host, already: kept, at: time)
        input.deduct(second.placements, in: self)
        // Orders that finish before it may use the rest of the reserved nodes' free capacity.
        let reservedStart = head.reservation.start.secondsSinceEpoch
        let placedSecond = Set(second.placements.map(\.orderID))
        // An order's market spec has its own max_duration (``marketSpec(of:)`` changes only the excluded operators).
        let short = rest.filter {
            assert($0.spec?.maxDurationSeconds == withOrder($0.id, \.spec.maxDurationSeconds), "a market order keeps its job's max_duration")
            return time.secondsSinceEpoch + ($0.spec?.maxDurationSeconds ?? .max / 2) <= reservedStart
                && (placedSecond.isEmpty || !placedSecond.contains($0.id))
        }
        let third = backfillPass(short, input: input, free: input.freeByNode, host: input.freeHost,
                                 already: kept + second.placements, at: time)
        let placedThird = Set(third.placements.map(\.orderID))
        var behind: [String] = []
        // Whether the plain clearing placed any order after the head (else none waits behind it).
        let placedAfterHead = kept.count < plain.result.placements.count
        for item in second.unplaced where placedThird.isEmpty || !placedThird.contains(item.orderID) {
            unplaced.append(item)
            // Placed by the plain clearing, kept waiting only by the reservation.
            if placedAfterHead && plain.placementByOrder[item.orderID] != nil { behind.append(item.orderID) }
        }
        var placements = kept + second.placements + third.placements
        placements.sort { $0.orderID.utf8.lexicographicallyPrecedes($1.orderID.utf8) }
        precondition(zip(placements, placements.dropFirst()).allSatisfy { $0.orderID != $1.orderID }
                     && !placements.contains { $0.orderID == head.order.id },
                     "backfill places each order at most once, and never the head")
        return ClearingOutcome(placements: placements, unplaced: unplaced, unfunded: input.unfunded, behindReservation: behind)
    }

    /// Whether an order (by id) was served after the head by the plain clearing, read through
    /// a table of the plain clearing's orders by id (debug checks of the split by position).
    private func servedAfterHead(_ plain: PlainClearing, _ head: HeadOfQueue) -> (String) -> Bool {
        let inputByID = Dictionary(uniqueKeysWithValues: plain.input.orders.enumerated().map { ($1.id, $0) })
        return { orderID in inputByID[orderID].map { plain.servicePosition[$0] > head.position } ?? false }
    }

    /// One pass of the backfill over `orders` (none: no engine is built) after `already`.
    private mutating func backfillPass(_ orders: [MarketOrder], input: ClearingInput, free: [Int], host: [HostUse],
                                       already: [MarketPlacement], at time: Timestamp) -> ClearingResult {
        guard !orders.isEmpty else { return ClearingResult(placements: [], unplaced: []) }
        var run = ClearingRun(input: input, state: self, time: time, already: already)
        return clearingPass(&run, orders, input: input, free: free, host: host)
    }

    /// Step 6: starts one lease per placement (in order id order), records why the rest wait.
    /// `noticeGiven`: whether step 3 gave a preemption notice, so that some unplaced order may
    /// now wait on its preemption or have started (else every one is a pending order).
    private mutating func startPlacements(_ outcome: ClearingOutcome, noticeGiven: Bool, at time: Timestamp,
                                          leaseIDs: inout LeaseIDs) -> [Event] {
        var events: [Event] = []
        var started: Set<String> = []
        for placement in outcome.placements {
            guard let event = startLease(leaseIDs.next(), orderID: placement.orderID, allocations: placement.allocations,
                                         price: placement.pricePerGPUHour, at: time)
            else { continue }
            started.insert(placement.orderID)
            events.append(event)
        }
        if !started.isEmpty { dequeue { started.contains($0) } }
        for orderID in outcome.unfunded { waitingReasons[orderID] = "insufficient_funds" }
        func waitsInTheQueue(_ orderID: String) -> Bool {
            (preemptions.isEmpty || preemptions[orderID] == nil) && withOrder(orderID, \.status) == .pending
        }
        for item in outcome.unplaced {
            // The clearing read pending orders without a preemption, and only step 3 changes that
            // for an order it leaves unplaced: without a notice, no look-up per order of a long queue.
            if noticeGiven {
                guard waitsInTheQueue(item.orderID) else { continue }
            } else {
                assert(waitsInTheQueue(item.orderID), "without a notice every unplaced order is pending with no preemption")
            }
            waitingReasons[item.orderID] = item.reason.code
        }
        events.append(.clearingCompleted(placed: started.count, waiting: queue.count))
        for orderID in outcome.behindReservation where withOrder(orderID, \.status) == .pending {
            waitingReasons[orderID] = "behind_reservation"
        }
        return events
    }

    /// Starts a lease for a pending order, reserving its budget; `nil` (and the order waits
    /// with `insufficient_funds`, or `pool_unfunded` when its set-aside pool cannot pay what
    /// the nodes ask above the pool's price) when the budget cannot be reserved. The caller
    /// removes the order from the queue.
    mutating func startLease(_ leaseID: String, orderID: String, allocations: [NodeAllocation], price: MicroCredits, at time: Timestamp) -> Event? {
        let lease = Lease(id: leaseID, orderID: orderID, allocations: allocations, pricePerGPUHour: price, start: time)
        guard let order = orders[orderID] else { return nil }
        if let refusal = reserveLeaseBudget(for: lease, tenantID: order.tenantID, maxDurationSeconds: order.spec.maxDurationSeconds) {
            // Several jobs of one tenant (or one pool) placed together can exceed its funds: this one waits.
            waitingReasons[orderID] = refusal.code
            return nil
        }
        leases[lease.id] = lease
        runningLeaseOfOrder[orderID] = lease.id
        runningTotals.add(lease, of: order)
        for allocation in allocations {
            guard let node = nodes[allocation.nodeID]?.node else { continue }
            precondition(HostUse(sizeOf: node).covers(runningTotals.hostUse(on: node.id)),
                         "a node never gives more CPU cores, memory or disk than it has")
        }
        statisticsTotals.started(lease, of: order)
        runningTotals.setNodeIndexHints(allocations.map { Int32(nodeIndex(of: $0.nodeID) ?? -1) }, leaseID: lease.id)
        for allocation in allocations { allocatedGPUs[allocation.nodeID, default: 0] += allocation.gpus }
        fleetCache?.leaseHolds(allocations, host: HostUse(perNodeOf: order.spec), starts: true)
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

    func leaseEndRejection(_ leaseID: String, reason: LeaseEndReason, exitCode: Int? = nil, outputs: [OutputBlob?]? = nil,
                           actor: String) -> Rejection? {
        guard let lease = leases[leaseID] else {
            return Rejection(.unknownLease, "no lease with id \(leaseID)")
        }
        guard lease.end == nil else {
            return Rejection(.leaseAlreadyEnded, "lease \(leaseID) already ended (\(lease.end!.reason.rawValue))")
        }
        guard mayEnd(lease, reason: reason, actor: actor) else {
            return Rejection(.notAllowedToEnd, "\(actor) may not end lease \(leaseID) as \(reason.rawValue): tenants cancel their own, operators report completion, the job's failure, a node fault or withdrawal of their nodes, the coordinator decides the rest")
        }
        if let exitCode {
            guard LeaseEnd.exitCodes.contains(exitCode) else {
                return Rejection(.invalidExitCode, "exit code \(exitCode) is outside \(LeaseEnd.exitCodes.lowerBound)...\(LeaseEnd.exitCodes.upperBound)")
            }
            guard reason == .completed || reason == .jobFailed else {
                return Rejection(.invalidExitCode, "only a completed or failed job has an exit code, not \(reason.rawValue)")
            }
            guard (exitCode == 0) == (reason == .completed) else {
                return Rejection(.invalidExitCode, reason == .completed
                    ? "a completed job exits 0, got \(exitCode); report it as job_failed"
                    : "a failed job does not exit 0; report it as completed")
            }
        }
        if let outputs {
            guard reason == .completed || reason == .jobFailed else {
                return Rejection(.invalidOutputs, "only a completed or failed job returns outputs, not \(reason.rawValue)")
            }
            let wanted = orders[lease.orderID]?.spec.outputs ?? []
            guard !wanted.isEmpty else { return Rejection(.invalidOutputs, "the job's spec lists no outputs; report none") }
            guard outputs.count == wanted.count else {
                return Rejection(.invalidOutputs, "the spec lists \(wanted.count) outputs; the end reports \(outputs.count)")
            }
            for (index, (output, spec)) in zip(outputs, wanted).enumerated() {
                guard let output else { continue }
                guard JobDataPath.isDigest(output.sha256) else {
                    return Rejection(.invalidOutputs, "output \(index) (\(spec.path)): the digest must be 64 lower-case hex digits")
                }
                guard (0...spec.maxBytes).contains(output.size) else {
                    return Rejection(.invalidOutputs, "output \(index) (\(spec.path)): \(output.size) bytes is outside 0...\(spec.maxBytes), its cap")
                }
            }
        }
        return nil
    }

    mutating func endLease(_ leaseID: String, reason: LeaseEndReason, exitCode: Int? = nil, outputs: [OutputBlob?]? = nil,
                           actor: String, at time: Timestamp) -> [Event] {
        if let rejection = leaseEndRejection(leaseID, reason: reason, exitCode: exitCode, outputs: outputs, actor: actor) { return [.rejected(rejection)] }
        guard reason.isNodeFault, let lease = leases[leaseID] else {
            var losses: [UInt64: UInt64] = [:]
            return finishLease(leaseID, reason: reason, exitCode: exitCode, outputs: outputs, at: time, faulty: [], losses: &losses)
        }
        // The faulty nodes: the reporting operator's own in the lease (governance: every node).
        let faulty = Set(lease.allocations.map(\.nodeID).filter { isGovernance(actor) || nodes[$0]?.node.operatorID == actor })
        var losses: [UInt64: UInt64] = [:]
        var events = finishLease(leaseID, reason: reason, exitCode: exitCode, at: time, faulty: faulty, losses: &losses)
        for nodeID in faulty.sorted() { events += slashForFault(of: nodeID, losses: &losses, at: time) }
        return events
    }

    /// Who may end a lease, and why.
    private func mayEnd(_ lease: Lease, reason: LeaseEndReason, actor: String) -> Bool {
        if isGovernance(actor) { return true }
        let operators = Set(lease.allocations.compactMap { nodes[$0.nodeID]?.node.operatorID })
        switch reason {
        case .cancelledByTenant: return orders[lease.orderID]?.tenantID == actor
        case .completed, .nodeWithdrawn, .jobFailed, .inputFailed, .nodeFault: return operators.contains(actor)
        case .maxDurationReached, .preempted, .nodeLost: return false
        }
    }

    /// Ends a running lease: frees its GPUs and moves its order on.
    mutating func finishLease(_ leaseID: String, reason: LeaseEndReason, exitCode: Int? = nil, at time: Timestamp) -> [Event] {
        var losses: [UInt64: UInt64] = [:]
        return finishLease(leaseID, reason: reason, exitCode: exitCode, at: time, faulty: [], losses: &losses)
    }

    /// Ends a running lease; a lease lost to a fault of its `faulty` nodes under ``MoneyRules``
    /// adds to `losses` what each of its payers could not get back (``refundFaultedLease(_:faulty:)``),
    /// for the slash.
    mutating func finishLease(_ leaseID: String, reason: LeaseEndReason, exitCode: Int? = nil, outputs: [OutputBlob?]? = nil,
                              at time: Timestamp, faulty: Set<String>, losses: inout [UInt64: UInt64]) -> [Event] {
        guard var lease = leases[leaseID], lease.end == nil else { return [] }
        lease.end = LeaseEnd(at: time, reason: reason, exitCode: exitCode, outputs: outputs)
        leases[leaseID] = lease
        for allocation in lease.allocations {
            let remaining = (allocatedGPUs[allocation.nodeID] ?? 0) - allocation.gpus
            allocatedGPUs[allocation.nodeID] = remaining > 0 ? remaining : nil
        }
        runningLeaseOfOrder[lease.orderID] = nil
        let order = orders[lease.orderID]
        // As `allocatedGPUs` and `runningTotals` above and below: GPUs always, host figures with the order.
        fleetCache?.leaseHolds(lease.allocations, host: order.map { HostUse(perNodeOf: $0.spec) } ?? .zero, starts: false)
        if let order {
            runningTotals.remove(lease, of: order)
            statisticsTotals.ended(lease, of: order)
        }
        bookEnergy(ofEnded: lease, at: time)
        for allocation in lease.allocations { money?.recordLeased(on: allocation.nodeID, gpus: allocation.gpus, from: lease.start, to: time) }
        let paid: MicroCredits
        if reason.isNodeFault, genesis.money != nil {
            losses.merge(refundFaultedLease(lease, faulty: faulty), uniquingKeysWith: +)
            paid = .zero
        } else {
            paid = settle(lease, at: time, reason: reason)
        }
        let requeue: Bool
        switch reason {
        case .completed: orders[lease.orderID]?.status = .completed; requeue = false
        case .cancelledByTenant: orders[lease.orderID]?.status = .cancelled; requeue = false
        case .maxDurationReached: orders[lease.orderID]?.status = .failed; requeue = false
        case .preempted, .nodeLost, .nodeWithdrawn, .nodeFault:
            orders[lease.orderID]?.status = .pending
            enqueue(lease.orderID)
            requeue = true
        case .jobFailed, .inputFailed:
            // The job's own failure (or its input's): it runs again only while its spec's retries allow.
            let failedRuns = (orders[lease.orderID]?.failedRuns ?? 0) + 1
            orders[lease.orderID]?.failedRuns = failedRuns
            requeue = failedRuns <= (orders[lease.orderID]?.spec.retryLimit ?? 0)
            if requeue {
                orders[lease.orderID]?.status = .pending
                enqueue(lease.orderID)
            } else {
                orders[lease.orderID]?.status = .failed
            }
        }
        return [.leaseEnded(leaseID: leaseID, orderID: lease.orderID, reason: reason, requeued: requeue, paid: paid)]
    }

    /// Ends every running lease that holds GPUs on `nodeID`, in lease-id order.
    mutating func endLeases(onNode nodeID: String, reason: LeaseEndReason, at time: Timestamp) -> [Event] {
        // Every running allocation holds at least one GPU, so a node with none allocated runs
        // no lease: the usual case for a node lost or withdrawn, answered without reading
        // every running lease.
        guard allocatedGPUs[nodeID] != nil else {
            assert(!runningLeaseOfOrder.values.contains { leases[$0]?.allocations.contains { $0.nodeID == nodeID } == true },
                   "a node with a running lease has GPUs allocated")
            return []
        }
        let affected = runningLeaseOfOrder.values
            .filter { leases[$0]?.allocations.contains { $0.nodeID == nodeID } == true }
            .sorted()
        var losses: [UInt64: UInt64] = [:]
        var events = affected.flatMap { finishLease($0, reason: reason, at: time, faulty: [nodeID], losses: &losses) }
        // A fault that cost leases slashes the node once, whatever it cost.
        if reason.isNodeFault, !affected.isEmpty { events += slashForFault(of: nodeID, losses: &losses, at: time) }
        return events
    }

    /// Ends leases whose job has run for its whole `max_duration`.
    mutating func endOverdueLeases(at time: Timestamp) -> [Event] {
        let overdue = runningTotals.leases.values.filter { lease in
            Timestamp(secondsSinceEpoch: lease.start).adding(seconds: lease.maxDurationSeconds) <= time
        }.map(\.id).sorted()
        return overdue.flatMap { finishLease($0, reason: .maxDurationReached, at: time) }
    }

    // MARK: Invariants

    /// No node gives more GPUs, CPU cores, memory or disk than it has; each running order has
    /// exactly one running lease.
    func assertLeaseInvariants() {
        assert(runningTotals.hostByNode.allSatisfy { nodeID, held in
            nodes[nodeID].map { HostUse(sizeOf: $0.node).covers(held) } ?? false
        }, "per node, the running leases' cores, memory and disk never exceed the node's")
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

extension MarketPlacement {
    /// The placement's GPUs on each node, as a lease holds them.
    var allocations: [NodeAllocation] { grants.map { NodeAllocation(nodeID: $0.nodeID, gpus: $0.gpus) } }
}
