import OSGDomain
import OSGMarket

/// Backfill with a reservation for the head of the queue (docs/MARKET.md, "Backfill"):
///
/// The head is the first order the clearing served but could neither place nor start by
/// preemption (budget verdicts aside). Its reserved start is the earliest time at which
/// nodes that fit it are expected to have its per-node GPUs, CPU cores, memory and disk free,
/// from every running lease's expected end
/// (start + its job's `duration`), the lockups' ends, pending preemptions and the placements
/// of the orders served before it in this clearing. Orders after the head may then use a
/// reserved node only with GPUs, cores, memory and disk that are still spare at the reserved
/// start, unless they finish (by their `max_duration`) before it; other nodes are unaffected.
extension CoordinatorState {
    /// GPUs, and CPU cores, memory and disk, that stay taken on a node until a time.
    struct Occupancy: Equatable {
        var gpus: Int
        var host: HostUse = .zero
        var until: Int64
    }

    /// How many orders, in service order, the clearing examines for preemption and for the
    /// head of the queue (orders that ``ModelBounds`` rules out, and budget verdicts, are
    /// passed over without counting). Bounds the work of one clearing.
    static let headSearchLimit = 64

    /// How many of those orders may be tried as the head (each try reads every online node).
    static let reservationAttemptLimit = 8

    /// The time by which a running lease is expected to have freed its GPUs: start +
    /// `duration`, or start + `max_duration` once that has passed; never before `now + 1`.
    /// A lease under a preemption notice ends by its deadline.
    func expectedEnd(of lease: Lease, now: Timestamp, noticeDeadlines: [String: Int64]) -> Int64 {
        let spec = orders[lease.orderID]!.spec
        var end = lease.start.secondsSinceEpoch + spec.durationSeconds
        if end <= now.secondsSinceEpoch { end = lease.start.secondsSinceEpoch + spec.maxDurationSeconds }
        if let deadline = noticeDeadlines[lease.id] { end = min(end, deadline) }
        return max(end, now.secondsSinceEpoch + 1)
    }

    /// Everything that holds GPUs of each node now and until when, by the node's index in
    /// ``sortedNodeIDs``: running leases, lockups, pending preemptions (their job's GPUs until
    /// its expected end) and `placements` about to start at `now` (order id, allocations).
    func occupancy(now: Timestamp, placements: [(orderID: String, allocations: [NodeAllocation])]) -> NodeOccupancy {
        var byNode = baseOccupancy(now: now)
        addOccupancy(of: placements, to: &byNode, now: now)
        return byNode
    }

    /// Running leases, lockups and pending preemptions, per node (by index in ``sortedNodeIDs``).
    func baseOccupancy(now: Timestamp) -> NodeOccupancy {
        var items: [Occupancy] = []
        var nodeOf: [Int] = []
        items.reserveCapacity(runningTotals.rows.count + lockups.count)
        nodeOf.reserveCapacity(runningTotals.rows.count + lockups.count)
        func add(_ nodeID: String, hint: Int32 = -1, _ item: Occupancy) {
            // Only registered nodes are read (withdrawing a node ends what runs on it).
            let hinted = Int(hint)
            if hinted >= 0, hinted < sortedNodeIDs.count, sortedNodeIDs[hinted] == nodeID {
                items.append(item)
                nodeOf.append(hinted)
            } else if let index = nodeIndex(of: nodeID) {
                items.append(item)
                nodeOf.append(index)
            }
        }
        // Possible victims of a notice given later in this clearing: preemptible and not under notice.
        var tracked: [(leaseID: String, item: Int)] = []
        // The notice deadline of each allocation row whose lease is a victim (nil: none).
        let allocations = runningTotals.rows
        var deadlineOfRow: [Int64?] = []
        if !preemptions.isEmpty {
            deadlineOfRow = Array(repeating: nil, count: allocations.count)
            for notice in preemptions.values {
                for leaseID in notice.victimLeaseIDs {
                    for row in allocations.rowsOfLease[leaseID] ?? [] { deadlineOfRow[row] = notice.deadline.secondsSinceEpoch }
                }
            }
        }
        // Per node the order of the items does not matter: only sums and times are read from them
        // (``NodeOccupancy/occupied(node:at:)``, ``NodeOccupancy/earliestFree(node:need:needHost:capacity:capacityHost:now:)``),
        // so the rows are read in their own order.
        // As ``expectedEnd(of:now:noticeDeadlines:)``, from the allocations kept with their leases' durations.
        let nowSeconds = now.secondsSinceEpoch
        for row in 0..<allocations.count {
            let allocation = allocations.rows[row]
            var end = allocation.start + allocation.durationSeconds
            if end <= nowSeconds { end = allocation.start + allocation.maxDurationSeconds }
            let deadline = deadlineOfRow.isEmpty ? nil : deadlineOfRow[row]
            if let deadline { end = min(end, deadline) }
            let until = max(end, nowSeconds + 1)
            let before = items.count
            add(allocations.nodeIDs[row], hint: allocation.nodeIndexHint, Occupancy(gpus: allocation.gpus, host: allocation.host, until: until))
            if allocation.preemptible && deadline == nil && items.count > before { tracked.append((allocations.leaseIDs[row], before)) }
        }
        for lockup in lockups.values.sorted(by: { $0.id < $1.id }) {
            add(lockup.nodeID, Occupancy(gpus: lockup.gpus, until: max(lockup.until.secondsSinceEpoch, now.secondsSinceEpoch + 1)))
        }
        for orderID in preemptions.keys.sorted() {
            for held in heldByJob(of: preemptions[orderID]!) { add(held.nodeID, held.occupancy) }
        }
        return NodeOccupancy(nodeCount: sortedNodeIDs.count, items: items, nodeOf: nodeOf, tracked: tracked)
    }

    /// `occupancy` (from ``baseOccupancy(now:)``, with placements added) after the preemption
    /// notice just recorded for `orderID`: its victims end by its deadline (or have ended, with
    /// no notice period), and its job holds its nodes from then for its `duration` — what
    /// ``baseOccupancy(now:)`` read afresh would give, without reading every lease again.
    func applyNotice(of orderID: String, to occupancy: inout NodeOccupancy, now: Timestamp) {
        guard let notice = preemptions[orderID] else { return }
        let limit = max(notice.deadline.secondsSinceEpoch, now.secondsSinceEpoch + 1)
        for leaseID in notice.victimLeaseIDs {
            if leases[leaseID]?.end == nil { occupancy.capUntil(ofLease: leaseID, at: limit) } else { occupancy.release(lease: leaseID) }
        }
        for held in heldByJob(of: notice) {
            if let index = nodeIndex(of: held.nodeID) { occupancy.add(held.occupancy, toNode: index) }
        }
    }

    /// What a pending preemption's job holds on each of its nodes: its GPUs there and its
    /// per-node cores, memory and disk, from the notice's deadline for its `duration`.
    func heldByJob(of notice: PreemptionNotice) -> [(nodeID: String, occupancy: Occupancy)] {
        let spec = orders[notice.orderID]?.spec
        let until = notice.deadline.secondsSinceEpoch + (spec?.durationSeconds ?? 0)
        let host = spec.map { HostUse(perNodeOf: $0) } ?? .zero
        return notice.allocations.map { ($0.nodeID, Occupancy(gpus: $0.gpus, host: host, until: until)) }
    }

    /// Adds placements starting at `now`, each until now + its job's `duration`.
    func addOccupancy(of placements: [(orderID: String, allocations: [NodeAllocation])], to byNode: inout NodeOccupancy, now: Timestamp) {
        for placement in placements {
            let spec = orders[placement.orderID]?.spec
            let until = now.secondsSinceEpoch + (spec?.durationSeconds ?? 0)
            let host = spec.map { HostUse(perNodeOf: $0) } ?? .zero
            for allocation in placement.allocations {
                if let index = nodeIndex(of: allocation.nodeID) {
                    byNode.add(Occupancy(gpus: allocation.gpus, host: host, until: until), toNode: index)
                }
            }
        }
    }

    /// Per GPU model, the lowest ask and the most GPUs, cores, memory and disk of any online
    /// node: enough to rule out, without reading every node, an order that no node could ever
    /// hold (a set-aside order whose pool price is below every ask of its models, a count, or
    /// per-node cores, memory or disk, that no node of its models has).
    struct ModelBounds: Sendable {
        /// One GPU model name of the online nodes: its catalogue entry (`nil`: not in the
        /// catalogue, looked up once), lowest ask, most GPUs and, each on its own, most cores,
        /// memory and disk. A fleet has few models, so a short list searched by name is cheaper
        /// than hashing every node's model name.
        struct ModelBound: Sendable {
            var name: String
            var model: GPUModel?
            var minAsk: Int64
            var maxGPUs: Int
            var maxHost: HostUse
        }
        private(set) var models: [ModelBound] = []

        /// The bounds of `fleet`'s online nodes, models in the order their first online node
        /// comes in the fleet (nodes of model codes with one name counted together).
        init(_ fleet: FleetView) {
            // Per model code in locals over the fleet's flat arrays (this runs over every node
            // after the fleet changes), then merged by name in order of first appearance.
            let codeCount = fleet.models.count
            var firstPosition = Array(repeating: Int.max, count: codeCount)
            var minAsk = Array(repeating: Int64.max, count: codeCount)
            var maxGPUs = Array(repeating: Int.min, count: codeCount)
            var maxHost = Array(repeating: HostUse(cpuCores: .min, memoryGiB: .min, diskGiB: .min), count: codeCount)
            for position in 0..<fleet.count where fleet.online[position] {
                let code = Int(fleet.modelOfNode[position])
                if firstPosition[code] == Int.max { firstPosition[code] = position }
                minAsk[code] = min(minAsk[code], fleet.askMicroCredits[position])
                maxGPUs[code] = max(maxGPUs[code], fleet.gpuCount[position])
                maxHost[code] = maxHost[code].widened(to: fleet.size[position])
            }
            for code in (0..<codeCount).filter({ firstPosition[$0] != Int.max }).sorted(by: { firstPosition[$0] < firstPosition[$1] }) {
                let name = fleet.models[code].name
                if let index = models.firstIndex(where: { $0.name == name }) {
                    models[index].minAsk = min(models[index].minAsk, minAsk[code])
                    models[index].maxGPUs = max(models[index].maxGPUs, maxGPUs[code])
                    models[index].maxHost = models[index].maxHost.widened(to: maxHost[code])
                } else {
                    models.append(ModelBound(name: name, model: GPUModel.named(name), minAsk: minAsk[code], maxGPUs: maxGPUs[code],
                                             maxHost: maxHost[code]))
                }
            }
        }

        /// False when no online node of an accepted model asks at most `ceiling` with the
        /// spec's per-node GPUs, or when none has its per-node cores, memory or disk.
        func mayHold(_ spec: JobSpec, ceiling: Int64) -> Bool {
            let needHost = HostUse(perNodeOf: spec)
            return models.contains { bound in
                bound.model.map(spec.resources.gpu.selector.accepts) ?? false
                    && bound.minAsk <= ceiling && bound.maxGPUs >= spec.resources.gpu.countPerNode
                    && bound.maxHost.covers(needHost)
            }
        }
    }

    /// The reservation for `order`: the nodes, by the placement rules, on which it can start
    /// earliest with its per-node GPUs and its cores, memory and disk free (only nodes whose size
    /// holds them: ``nodeAdmits(_:node:ceiling:at:)``) — single node: earliest, then lowest ask,
    /// then node id; gang: per region the best `nodes` by that key, the region whose last node
    /// frees up first, then region name; `nil` when no set of online nodes could ever hold it or
    /// it could start now.
    /// `fleet` is every registered node by its index in ``sortedNodeIDs``.
    ///
    /// The scan stops as soon as the order could start now (a node, or for a gang `nodes` nodes
    /// of one region, free enough now): there is then no reservation to make. With
    /// `stopsEarly: false` it reads every node (debug builds check the early answer that way).
    func reservation(for order: Order, occupancy: NodeOccupancy, fleet: FleetView, at time: Timestamp,
                     stopsEarly: Bool = true) -> HeadReservation? {
        assert(fleet.count == sortedNodeIDs.count, "the fleet is read by node index")
        let spec = marketSpec(of: order)
        let need = spec.resources.gpu.countPerNode
        let needHost = HostUse(perNodeOf: spec)
        let ceiling = askCeiling(of: order)
        let now = time.secondsSinceEpoch
        struct Option {
            var nodeID: String
            var region: String
            var start: Int64
            var ask: Int64
        }
        func precedes(_ a: Option, _ b: Option) -> Bool {
            if a.start != b.start { return a.start < b.start }
            if a.ask != b.ask { return a.ask < b.ask }
            return a.nodeID.utf8.lexicographicallyPrecedes(b.nodeID.utf8)
        }
        var byRegion: [String: [Option]] = [:]
        // Per region, the nodes on which the order could start now.
        var startableNow: [String: Int] = [:]
        // Codes and integers first: they rule out most nodes without copying them.
        let admission = FleetAdmission(spec, ceiling: ceiling, fleet: fleet, carbonMicro: { carbonMicro(zone: $0, at: time) })
        for index in 0..<fleet.count where admission.admits(index) {
            assert(nodeAdmits(spec, node: fleet.nodes[index], ceiling: ceiling, at: time), "the fleet's admission agrees with the node's")
            guard let start = occupancy.earliestFree(node: index, need: need, needHost: needHost, capacity: fleet.gpuCount[index],
                                                     capacityHost: fleet.size[index], now: now)
            else { continue }
            let node = fleet.nodes[index]
            if stopsEarly && start <= now {
                startableNow[node.region, default: 0] += 1
                if startableNow[node.region]! >= spec.nodeCount {
                    assert(reservation(for: order, occupancy: occupancy, fleet: fleet, at: time, stopsEarly: false) == nil,
                           "an order that could start now gets no reservation")
                    return nil
                }
            }
            byRegion[node.region, default: []].append(Option(nodeID: node.id, region: node.region, start: start, ask: node.askPerGPUHour.rawValue))
        }
        var best: (start: Int64, options: [Option])?
        for region in byRegion.keys.sorted() {
            let options = byRegion[region]!.sorted(by: precedes)
            guard options.count >= spec.nodeCount else { continue }
            let chosen = Array(options.prefix(spec.nodeCount))
            let start = chosen.map(\.start).max()!
            if spec.nodeCount == 1 {
                if best.map({ precedes(chosen[0], $0.options[0]) }) ?? true { best = (start, chosen) }
            } else if best.map({ start < $0.start }) ?? true {
                best = (start, chosen)
            }
        }
        guard let best, best.start > now else { return nil }
        return HeadReservation(
            orderID: order.id, start: Timestamp(secondsSinceEpoch: best.start),
            allocations: best.options.map { NodeAllocation(nodeID: $0.nodeID, gpus: need) }.sorted { $0.nodeID < $1.nodeID })
    }

    /// GPUs, cores, memory and disk of each reserved node that orders running past the reserved
    /// start may still take: what is expected to be spare at the start beyond the head's needs.
    func spareAtReservedStart(_ reservation: HeadReservation, occupancy: NodeOccupancy) -> [String: NodeFigures] {
        let needHost = orders[reservation.orderID].map { HostUse(perNodeOf: $0.spec) } ?? .zero
        var spare: [String: NodeFigures] = [:]
        for allocation in reservation.allocations {
            let node = nodes[allocation.nodeID]!.node
            let taken = occupancy.occupied(node: nodeIndex(of: allocation.nodeID)!, at: reservation.start.secondsSinceEpoch)
            spare[allocation.nodeID] = NodeFigures(gpus: max(0, node.gpuCount - taken.gpus - allocation.gpus),
                                                   host: (HostUse(sizeOf: node) - taken.host - needHost).atLeastZero)
        }
        return spare
    }
}
