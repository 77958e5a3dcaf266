import OSGDomain
import OSGLedger
import OSGMarket

/// The market inside the state machine: clearing the queue onto nodes, and ending leases.
///
/// A clearing sees each online node's free GPUs (installed minus those held by running
/// leases), every pending order and every tenant's holdings (for fair share and aging), runs
/// the published clearing rules (docs/MARKET.md), and
/// starts one lease per placed order. Every lease end carries its reason; jobs whose lease
/// ended through no fault of their own (node lost or withdrawn, preemption) go back to the
/// queue with their original arrival time.
extension CoordinatorState {
    // MARK: Clearing

    mutating func clear(at time: Timestamp, actor: String, sequence: UInt64) -> [Event] {
        guard actor == genesis.governanceID else {
            return [.rejected(Rejection(.notGovernance, "only the coordinator runs market clearings"))]
        }
        let marketNodes = nodes.values
            .filter { $0.online }
            .sorted { $0.node.id < $1.node.id }
            .compactMap { record -> MarketNode? in
                let free = record.node.gpuCount - (allocatedGPUs[record.node.id] ?? 0) - lockedGPUs(on: record.node.id)
                guard free > 0 else { return nil }
                let node = record.node
                return MarketNode(
                    id: node.id, operatorID: node.operatorID, gpuModel: node.gpuModel, freeGPUs: free,
                    vramGiB: node.vramGiB, cpuCores: node.cpuCores, memoryGiB: node.memoryGiB, diskGiB: node.diskGiB,
                    region: node.region, jurisdiction: node.jurisdiction, zone: node.gridZone,
                    askPerGPUHour: node.askPerGPUHour)
            }
        // Jobs whose tenant cannot cover their maximum cost wait; the rest go to the market.
        var unfunded: [String] = []
        let marketOrders = queue.compactMap { orderID -> MarketOrder? in
            guard let order = orders[orderID] else { return nil }
            if availableFunds(of: order.tenantID) < order.spec.maxCost {
                unfunded.append(orderID)
                return nil
            }
            return MarketOrder(id: order.id, tenantID: order.tenantID, submitted: order.submitted, pool: order.pool, spec: order.spec)
        }
        var engine = ClearingEngine(
            nodes: marketNodes, pools: pools.values.sorted { $0.name < $1.name }, tenants: tenantStandings())
        let result = engine.clear(marketOrders, now: time)

        var events: [Event] = []
        var started: Set<String> = []
        for (index, placement) in result.placements.enumerated() {
            let lease = Lease(
                id: "lease-\(sequence)-\(index)", orderID: placement.orderID,
                allocations: placement.grants.map { NodeAllocation(nodeID: $0.nodeID, gpus: $0.gpus) },
                pricePerGPUHour: placement.pricePerGPUHour, start: time)
            guard let order = orders[lease.orderID],
                  reserveBudget(for: lease, tenantID: order.tenantID, maxDurationSeconds: order.spec.maxDurationSeconds)
            else {
                // Several jobs of one tenant placed together can exceed its funds: this one waits.
                waitingReasons[lease.orderID] = "insufficient_funds"
                continue
            }
            started.insert(lease.orderID)
            leases[lease.id] = lease
            runningLeaseOfOrder[lease.orderID] = lease.id
            for allocation in lease.allocations { allocatedGPUs[allocation.nodeID, default: 0] += allocation.gpus }
            orders[lease.orderID]?.status = .running
            waitingReasons[lease.orderID] = nil
            events.append(.leaseStarted(lease))
        }
        queue.removeAll { started.contains($0) }
        for orderID in unfunded { waitingReasons[orderID] = "insufficient_funds" }
        for unplaced in result.unplaced {
            waitingReasons[unplaced.orderID] = unplaced.reason.code
        }
        events.append(.clearingCompleted(placed: result.placements.count, waiting: queue.count))
        return events
    }

    /// Every tenant with a pending or running job, with what its running leases hold: the
    /// input of the clearing's fair-share step (weights are 1 until weights are governed).
    func tenantStandings() -> [TenantStanding] {
        var usage: [String: (gpus: Int, cpu: Int, memory: Int)] = [:]
        for orderID in queue {
            if let tenant = orders[orderID]?.tenantID, usage[tenant] == nil { usage[tenant] = (0, 0, 0) }
        }
        for (orderID, leaseID) in runningLeaseOfOrder {
            guard let order = orders[orderID], let lease = leases[leaseID] else { continue }
            let nodeCount = lease.allocations.count
            var held = usage[order.tenantID] ?? (0, 0, 0)
            held.gpus += lease.totalGPUs
            held.cpu += order.spec.resources.cpuCores * nodeCount
            held.memory += order.spec.resources.memoryGiB * nodeCount
            usage[order.tenantID] = held
        }
        return usage.sorted { $0.key < $1.key }.map {
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
        let overdue = runningLeaseOfOrder.values.filter { leaseID in
            guard let lease = leases[leaseID], let order = orders[lease.orderID] else { return false }
            return lease.start.adding(seconds: order.spec.maxDurationSeconds) <= time
        }.sorted()
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
    }
}
