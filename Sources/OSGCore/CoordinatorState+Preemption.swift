import OSGDomain

/// Preemption with notice (docs/MARKET.md, "Preemption"):
///
/// - Only `preemptible` leases are ever victims; standard work never displaces standard work
///   and nothing displaces set-aside work.
/// - A set-aside job whose pool still has room under its floor, or a standard job within the
///   open budget, that the clearing could not place may displace preemptible leases.
/// - Victims are chosen by a published rule: fewest victims, then the victims in victim order
///   (lowest price per GPU-hour, then most recent start, then lease id) compared one by one,
///   then the cheapest node set (highest ask, then node id; for a gang the region name).
/// - The victims get a notice; at the first tick or clearing at or after the deadline
///   (`Genesis.preemptionNoticeSeconds` later; 0: at once) their leases end as `preempted`:
///   paid for the time they ran, the rest of their escrow released, the jobs requeued with
///   their original arrival time. The GPUs the job was given are held for it meanwhile, and
///   it starts at the first clearing after its victims have ended.
extension CoordinatorState {
    /// One running preemptible lease as a candidate victim on one node.
    struct VictimCandidate {
        var leaseID: String
        var price: Int64
        var start: Int64
        /// GPUs the lease holds on the node in question.
        var gpus: Int

        /// Victim order: lowest price, then most recent start, then lease id.
        static func precedes(_ a: VictimCandidate, _ b: VictimCandidate) -> Bool {
            if a.price != b.price { return a.price < b.price }
            if a.start != b.start { return a.start > b.start }
            return a.leaseID.utf8.lexicographicallyPrecedes(b.leaseID.utf8)
        }

        /// Compares two victim sets, each sorted in victim order: fewer first, then one by one.
        static func setPrecedes(_ a: [VictimCandidate], _ b: [VictimCandidate]) -> Bool {
            if a.count != b.count { return a.count < b.count }
            for (x, y) in zip(a, b) where x.leaseID != y.leaseID { return precedes(x, y) }
            return false
        }
    }

    /// A chosen preemption: where the job runs and which leases make room.
    struct PreemptionPlan {
        var allocations: [NodeAllocation]
        var victims: [String]
    }

    /// Running preemptible leases not already under notice, by node.
    func victimCandidatesByNode() -> [String: [VictimCandidate]] {
        let noticed = Set(preemptions.values.flatMap(\.victimLeaseIDs))
        var byNode: [String: [VictimCandidate]] = [:]
        // The running preemptible leases are kept as they start and end (``RunningLeaseTotals``).
        for leaseID in runningTotals.preemptibleLeaseIDs.sorted() where !noticed.contains(leaseID) {
            guard let lease = leases[leaseID], orders[lease.orderID]?.spec.jobClass == .preemptible else { continue }
            for allocation in lease.allocations {
                byNode[allocation.nodeID, default: []].append(VictimCandidate(
                    leaseID: leaseID, price: lease.pricePerGPUHour.rawValue, start: lease.start.secondsSinceEpoch, gpus: allocation.gpus))
            }
        }
        return byNode
    }

    /// The fewest victims among `candidates` that free `need − free` GPUs, earliest in victim
    /// order at equal count; `[]` when `free` already covers `need`; `nil` when even all of
    /// them are not enough.
    static func victimsOnNode(need: Int, free: Int, candidates: [VictimCandidate]) -> [VictimCandidate]? {
        let deficit = need - free
        if deficit <= 0 { return [] }
        let bySize = candidates.map(\.gpus).sorted(by: >)
        var count = 0
        var sum = 0
        while sum < deficit {
            guard count < bySize.count else { return nil }
            sum += bySize[count]
            count += 1
        }
        // The smallest set of that size in victim order: take the earliest candidate that can
        // still be completed by the largest of the rest.
        var remaining = candidates.sorted(by: VictimCandidate.precedes)
        var chosen: [VictimCandidate] = []
        var freed = 0
        while chosen.count < count {
            let slotsAfter = count - chosen.count - 1
            var picked = -1
            for index in remaining.indices {
                var others = remaining.indices.filter { $0 != index }.map { remaining[$0].gpus }
                others.sort(by: >)
                if freed + remaining[index].gpus + others.prefix(slotsAfter).reduce(0, +) >= deficit {
                    picked = index
                    break
                }
            }
            precondition(picked >= 0, "a set of the minimal size exists")
            freed += remaining[picked].gpus
            chosen.append(remaining.remove(at: picked))
        }
        return chosen
    }

    /// Where `order` could run by displacing preemptible leases, chosen by the published rule,
    /// or `nil`. `free` is each online node's free GPUs after this clearing's placements.
    func preemptionPlan(for order: Order, ceiling: Int64, free: [String: Int],
                        candidates: [String: [VictimCandidate]], at time: Timestamp) -> PreemptionPlan? {
        let spec = order.spec
        let need = spec.resources.gpu.countPerNode
        struct NodeOption {
            var nodeID: String
            var region: String
            var ask: Int64
            var victims: [VictimCandidate]
        }
        func precedes(_ a: NodeOption, _ b: NodeOption) -> Bool {
            if VictimCandidate.setPrecedes(a.victims, b.victims) { return true }
            if VictimCandidate.setPrecedes(b.victims, a.victims) { return false }
            if a.ask != b.ask { return a.ask < b.ask }
            return a.nodeID.utf8.lexicographicallyPrecedes(b.nodeID.utf8)
        }
        func option(_ nodeID: String) -> NodeOption? {
            guard let record = nodes[nodeID], record.online,
                  nodeAdmits(spec, node: record.node, ceiling: ceiling, at: time),
                  let victims = Self.victimsOnNode(need: need, free: free[nodeID] ?? 0, candidates: candidates[nodeID] ?? [])
            else { return nil }
            return NodeOption(nodeID: nodeID, region: record.node.region, ask: record.node.askPerGPUHour.rawValue, victims: victims)
        }
        if spec.nodeCount == 1 {
            var best: NodeOption?
            for nodeID in candidates.keys.sorted() {
                guard let option = option(nodeID), !option.victims.isEmpty else { continue }
                if best.map({ precedes(option, $0) }) ?? true { best = option }
            }
            guard let best else { return nil }
            return PreemptionPlan(allocations: [NodeAllocation(nodeID: best.nodeID, gpus: need)], victims: best.victims.map(\.leaseID))
        }
        // A gang: nodes with victims, and nodes free enough already, in regions that have victims.
        let regions = Set(candidates.keys.compactMap { nodes[$0]?.node.region })
        var byRegion: [String: [NodeOption]] = [:]
        for record in nodes.values where regions.contains(record.node.region) {
            let nodeID = record.node.id
            guard candidates[nodeID] != nil || (free[nodeID] ?? 0) >= need, let option = option(nodeID) else { continue }
            byRegion[record.node.region, default: []].append(option)
        }
        var best: (key: [VictimCandidate], ask: Int64, region: String, options: [NodeOption])?
        for region in byRegion.keys.sorted() {
            let options = byRegion[region]!.sorted(by: precedes)
            guard options.count >= spec.nodeCount else { continue }
            let chosen = Array(options.prefix(spec.nodeCount))
            var seen = Set<String>()
            let union = chosen.flatMap(\.victims).filter { seen.insert($0.leaseID).inserted }.sorted(by: VictimCandidate.precedes)
            guard !union.isEmpty else { continue }
            let ask = chosen.map(\.ask).max()!
            if let current = best {
                if VictimCandidate.setPrecedes(current.key, union) { continue }
                if !VictimCandidate.setPrecedes(union, current.key) && current.ask <= ask { continue }
            }
            best = (union, ask, region, chosen)
        }
        guard let best else { return nil }
        return PreemptionPlan(
            allocations: best.options.map { NodeAllocation(nodeID: $0.nodeID, gpus: need) }.sorted { $0.nodeID < $1.nodeID },
            victims: best.key.map(\.leaseID).sorted())
    }

    /// Whether `node` meets every per-node need of `spec` with an ask of at most `ceiling`
    /// (free GPUs aside); a carbon cap is judged against the node's zone's recorded intensity now.
    func nodeAdmits(_ spec: JobSpec, node: ComputeNode, ceiling: Int64, at time: Timestamp) -> Bool {
        let gpu = spec.resources.gpu
        guard gpu.selector.accepts(node.gpuModel), node.gpuCount >= gpu.countPerNode, node.vramGiB >= (gpu.minVRAMGiB ?? 0),
              node.cpuCores >= spec.resources.cpuCores, node.memoryGiB >= spec.resources.memoryGiB,
              node.diskGiB >= spec.resources.diskGiB, node.askPerGPUHour.rawValue <= ceiling
        else { return false }
        let placement = spec.placement
        if !placement.regions.isEmpty && !placement.regions.contains(node.region) { return false }
        if !placement.jurisdictions.isEmpty && !placement.jurisdictions.contains(node.jurisdiction) { return false }
        if placement.excludedOperators.contains(node.operatorID) { return false }
        if let cap = spec.carbon.maxGCO2PerKWh {
            guard let carbon = carbonMicro(zone: node.gridZone, at: time), carbon <= Int64(cap) * 1_000_000 else { return false }
        }
        return true
    }

    /// The highest ask an order may use: its pool's price for a set-aside job, else max_price.
    func askCeiling(of order: Order) -> Int64 {
        if let pool = order.pool, let price = pools[pool]?.pricePerGPUHour { return price.rawValue }
        return order.spec.maxPricePerGPUHour.rawValue
    }

    /// GPUs each node holds for pending preemptions: the job's GPUs there minus what its
    /// victims still hold there.
    func preemptionHolds() -> [String: Int] {
        var holds: [String: Int] = [:]
        for notice in preemptions.values {
            for allocation in notice.allocations {
                let victimsThere = notice.victimLeaseIDs.reduce(0) { sum, leaseID in
                    guard let lease = leases[leaseID], lease.end == nil else { return sum }
                    return sum + lease.allocations.filter { $0.nodeID == allocation.nodeID }.reduce(0) { $0 + $1.gpus }
                }
                let hold = allocation.gpus - victimsThere
                if hold > 0 { holds[allocation.nodeID, default: 0] += hold }
            }
        }
        return holds
    }

    // MARK: Notice lifecycle

    /// Records a preemption decided by the clearing at `time`. With no notice period the
    /// victims end at once and the caller starts the job.
    mutating func notice(_ plan: PreemptionPlan, for orderID: String, at time: Timestamp) -> [Event] {
        let deadline = time.adding(seconds: genesis.preemptionNoticeSeconds)
        preemptions[orderID] = PreemptionNotice(
            orderID: orderID, victimLeaseIDs: plan.victims, allocations: plan.allocations, noticed: time, deadline: deadline)
        waitingReasons[orderID] = "awaiting_preemption"
        var events: [Event] = [.preemptionNoticed(orderID: orderID, victimLeaseIDs: plan.victims, deadline: deadline)]
        if genesis.preemptionNoticeSeconds == 0 { events += endVictims(of: orderID, at: time) }
        return events
    }

    /// Ends the still-running victims of `orderID`'s preemption as `preempted`.
    mutating func endVictims(of orderID: String, at time: Timestamp) -> [Event] {
        guard let notice = preemptions[orderID] else { return [] }
        var events: [Event] = []
        for leaseID in notice.victimLeaseIDs where leases[leaseID]?.end == nil {
            let victimOrder = leases[leaseID]!.orderID
            events += finishLease(leaseID, reason: .preempted, at: time)
            waitingReasons[victimOrder] = "preempted"
        }
        return events
    }

    /// At a tick or clearing: drops preemptions whose job left the queue, and ends the victims
    /// whose notice has run out (in job id order).
    mutating func endDuePreemptions(at time: Timestamp) -> [Event] {
        var events: [Event] = []
        for orderID in preemptions.keys.sorted() {
            guard let notice = preemptions[orderID] else { continue }
            if orders[orderID]?.status != .pending {
                preemptions[orderID] = nil
                events.append(.preemptionWithdrawn(orderID: orderID, reason: "job_not_pending"))
                continue
            }
            if notice.deadline <= time { events += endVictims(of: orderID, at: time) }
        }
        return events
    }

    /// At a clearing: starts every job whose victims have all ended on the GPUs held for it
    /// (in job id order), or drops the preemption when a node, an ask or the funds changed.
    mutating func startReadyPreemptions(at time: Timestamp, sequence: UInt64, leaseCounter: inout Int) -> [Event] {
        var events: [Event] = []
        for orderID in preemptions.keys.sorted() {
            guard let notice = preemptions[orderID],
                  notice.victimLeaseIDs.allSatisfy({ leases[$0]?.end != nil }),
                  let order = orders[orderID]
            else { continue }
            preemptions[orderID] = nil
            let ceiling = askCeiling(of: order)
            let holds = preemptionHolds()
            var price: Int64 = 0
            var usable = true
            for allocation in notice.allocations {
                guard let record = nodes[allocation.nodeID], record.online,
                      record.node.askPerGPUHour.rawValue <= ceiling
                else { usable = false; break }
                let free = record.node.gpuCount - (allocatedGPUs[allocation.nodeID] ?? 0) - lockedGPUs(on: allocation.nodeID)
                    - (holds[allocation.nodeID] ?? 0)
                if free < allocation.gpus { usable = false; break }
                price = max(price, record.node.askPerGPUHour.rawValue)
            }
            guard usable else {
                events.append(.preemptionWithdrawn(orderID: orderID, reason: "nodes_changed"))
                waitingReasons[orderID] = nil
                continue
            }
            if order.pool != nil { price = ceiling }
            let leaseID = "lease-\(sequence)-\(leaseCounter)"
            leaseCounter += 1
            if let started = startLease(leaseID, orderID: orderID, allocations: notice.allocations, price: MicroCredits(price), at: time) {
                queue.removeAll { $0 == orderID }
                events.append(started)
            } else {
                events.append(.preemptionWithdrawn(orderID: orderID, reason: "insufficient_funds"))
            }
        }
        return events
    }
}
