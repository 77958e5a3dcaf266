import OSGDomain

/// Preemption with notice (docs/MARKET.md, "Preemption"):
///
/// - Only `preemptible` leases are ever victims; standard work never displaces standard work
///   and nothing displaces set-aside work.
/// - A set-aside job whose pool still has room under its floor, or a standard job within the
///   open budget, that the clearing could not place may displace preemptible leases.
/// - A node qualifies only if, once its victims end, it has the job's per-node GPUs and its
///   CPU cores, memory and disk: victims free all four, and the victim set must make room in
///   every one of them.
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
        /// CPU cores, memory and disk the lease holds there (its job's per-node figures).
        var host: HostUse = .zero

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

    /// One online node with running preemptible leases not under notice: what the preemption
    /// step reads of it.
    struct CandidateNode {
        /// The node's index in ``CoordinatorState/sortedNodeIDs`` (and in a ``FleetView``).
        let index: Int
        /// Its candidates, in lease id order.
        var victims: [VictimCandidate]
        /// What all of them hold on the node together.
        var total: NodeFigures

        init(index: Int, victims: [VictimCandidate]) {
            self.index = index
            self.victims = victims
            total = victims.reduce(.zero) { $0 + NodeFigures(gpus: $1.gpus, host: $1.host) }
        }
    }

    /// Running preemptible leases not already under notice, grouped by the online node they
    /// hold, the nodes in id order: what the preemption step of one clearing chooses victims
    /// from. Built once per clearing; the per-order search then reads arrays, not the state's
    /// dictionaries.
    struct VictimCandidates {
        /// The nodes that had candidates when the clearing read them, in node id order; a node
        /// whose candidates all got notices stays with none (skipped by every reader).
        private(set) var nodes: [CandidateNode]
        /// How many of ``nodes`` still have candidates.
        private(set) var nonEmptyCount: Int
        /// ``nodes``' indices and totals (zero once emptied) as flat arrays, for the scans.
        private(set) var nodeIndices: [Int]
        private(set) var totals: [NodeFigures]
        /// Whether each of ``nodes`` still has candidates.
        private(set) var hasVictims: [Bool]
        /// Positions in ``nodes`` by the node's GPU model code (of the fleet the nodes are read
        /// from), so that a search reads only the nodes of the models an order accepts.
        let positionsByModel: [[Int]]
        /// Every candidate on every node (one entry per node a lease holds), by the node's GPU
        /// model: what ``CoordinatorState/bestSingleVictim(need:models:free:fleet:candidates:admits:)``
        /// scans.
        let entries: VictimEntries
        /// Candidates that got a notice since the candidates were read (the one-victim scan skips them).
        private(set) var noticed: Set<String> = []
        /// Whether some node has more candidates than ``CoordinatorState/victimSearchStepLimit``:
        /// its one-victim answer is then the bounded search's, not the one-victim scan's.
        let exceedsStepLimit: Bool

        /// - Parameter modelOfNode: each node's GPU model code, by node index.
        init(nodes: [CandidateNode], modelOfNode: [Int32], modelCount: Int) {
            precondition(nodes.allSatisfy { !$0.victims.isEmpty }, "a node is listed for its candidates")
            precondition(zip(nodes, nodes.dropFirst()).allSatisfy { $0.index < $1.index }, "the nodes are in index order, once each")
            self.nodes = nodes
            nodeIndices = nodes.map(\.index)
            totals = nodes.map(\.total)
            hasVictims = Array(repeating: true, count: nodes.count)
            var positionsByModel = Array(repeating: [Int](), count: modelCount)
            for (position, node) in nodes.enumerated() { positionsByModel[Int(modelOfNode[node.index])].append(position) }
            self.positionsByModel = positionsByModel
            nonEmptyCount = nodes.count
            entries = VictimEntries(nodes, modelOfNode: modelOfNode, modelCount: modelCount)
            exceedsStepLimit = nodes.contains { $0.victims.count > CoordinatorState.victimSearchStepLimit }
        }

        /// Position in ``nodes`` of the node at `index` (``CoordinatorState/sortedNodeIDs``), if
        /// it is listed: ``nodeIndices`` is in index order.
        private func position(ofNode index: Int) -> Int? { nodeIndices.sortedIndex(of: index) }

        /// Whether `leaseID` got a notice since the candidates were read.
        func isNoticed(_ leaseID: String) -> Bool { !noticed.isEmpty && noticed.contains(leaseID) }

        var isEmpty: Bool { nonEmptyCount == 0 }

        /// The candidates on the node at `index` (``CoordinatorState/sortedNodeIDs``), if it has any.
        func node(at index: Int) -> CandidateNode? {
            guard let position = position(ofNode: index), !nodes[position].victims.isEmpty else { return nil }
            return nodes[position]
        }

        /// The nodes that still have candidates.
        var nonEmpty: some Sequence<CandidateNode> { nodes.lazy.filter { !$0.victims.isEmpty } }

        /// Each node's candidates' lease ids, by node index (for checks against a fresh read).
        var leaseIDsByNode: [Int: [String]] {
            Dictionary(uniqueKeysWithValues: nonEmpty.map { ($0.index, $0.victims.map(\.leaseID)) })
        }

        /// Takes the leases of a notice out of the lists of the nodes at `indices` (the nodes
        /// they hold): they are no longer candidates. Gives what
        /// ``CoordinatorState/victimCandidatesByNode()`` gives once the notice is recorded
        /// (whether or not its victims ended at once), without reading every lease again.
        mutating func remove(_ victims: [String], onNodesAt indices: Set<Int>) {
            let gone = Set(victims)
            noticed.formUnion(gone)
            for index in indices {
                guard let position = position(ofNode: index), !nodes[position].victims.isEmpty else { continue }
                let kept = nodes[position].victims.filter { !gone.contains($0.leaseID) }
                if kept.isEmpty { nonEmptyCount -= 1 }
                nodes[position] = CandidateNode(index: index, victims: kept)
                totals[position] = nodes[position].total
                hasVictims[position] = !kept.isEmpty
            }
            assert(hasVictims == nodes.map { !$0.victims.isEmpty }, "the flat flags follow the lists")
        }
    }

    /// Every (candidate, node) pair of a ``VictimCandidates``, split by the node's GPU model,
    /// as flat arrays: a lease that holds several nodes has one entry per node.
    struct VictimEntries {
        /// One model's entries, in the order of ``VictimCandidates/nodes`` and their lists.
        struct Entries {
            /// Each entry's node as its position in ``VictimCandidates/nodes``.
            var position: [Int] = []
            /// What the entry's lease holds on that node.
            var figures: [NodeFigures] = []
            var price: [Int64] = []
            var start: [Int64] = []
            var leaseID: [String] = []

            var count: Int { position.count }
        }

        /// Entries by the GPU model code of their node.
        let byModel: [Entries]

        init(_ nodes: [CandidateNode], modelOfNode: [Int32], modelCount: Int) {
            var byModel = Array(repeating: Entries(), count: modelCount)
            for (position, node) in nodes.enumerated() {
                let model = Int(modelOfNode[node.index])
                for victim in node.victims {
                    byModel[model].position.append(position)
                    byModel[model].figures.append(NodeFigures(gpus: victim.gpus, host: victim.host))
                    byModel[model].price.append(victim.price)
                    byModel[model].start.append(victim.start)
                    byModel[model].leaseID.append(victim.leaseID)
                }
            }
            self.byModel = byModel
        }
    }

    /// Running preemptible leases not already under notice, by online node. Each node's list
    /// is in lease id order; readers do not depend on it (``victimsOnNode(need:free:candidates:)``
    /// ranks by the victim order), so the leases are read in any order and each list sorted.
    func victimCandidatesByNode() -> VictimCandidates {
        let cache = fleet
        let allocations = runningTotals.rows
        let noticed = preemptions.isEmpty ? [] : allocations.marks(preemptions.values.lazy.flatMap(\.victimLeaseIDs))
        // Each candidate row keyed by its node's index (high half) and the row (low half):
        // sorting the keys groups the rows by node, the nodes in index order.
        var keys: [UInt64] = []
        // The running leases' allocations are kept as rows as leases start and end (``RunningLeaseTotals``).
        for row in 0..<allocations.count where allocations.rows[row].preemptible && (noticed.isEmpty || !noticed[row]) {
            assert(leases[allocations.leaseIDs[row]].map { lease in
                let allocation = allocations.rows[row]
                return lease.start.secondsSinceEpoch == allocation.start && lease.pricePerGPUHour.rawValue == allocation.pricePerGPUHour
                    && lease.allocations.contains { $0.nodeID == allocations.nodeIDs[row] && $0.gpus == allocation.gpus }
            } ?? false, "a running allocation's kept figures are its lease's")
            // Only an online node can be chosen; offline nodes hold no running leases anyway.
            guard let index = allocations.nodeIndex(ofRow: row, sortedNodeIDs: sortedNodeIDs, lookup: { cache.index(of: $0) }),
                  cache.view.online[index]
            else { continue }
            precondition(row <= Int(UInt32.max) && index <= Int(UInt32.max), "rows and node indices fit a key's half")
            keys.append(UInt64(index) << 32 | UInt64(row))
        }
        keys.sort()
        var candidateNodes: [CandidateNode] = []
        var next = 0
        while next < keys.count {
            let index = Int(keys[next] >> 32)
            var victims: [VictimCandidate] = []
            while next < keys.count && Int(keys[next] >> 32) == index {
                let row = Int(keys[next] & 0xFFFF_FFFF)
                let allocation = allocations.rows[row]
                victims.append(VictimCandidate(leaseID: allocations.leaseIDs[row], price: allocation.pricePerGPUHour,
                                               start: allocation.start, gpus: allocation.gpus, host: allocation.host))
                next += 1
            }
            if victims.count > 1 { victims.sort { $0.leaseID.utf8.lexicographicallyPrecedes($1.leaseID.utf8) } }
            candidateNodes.append(CandidateNode(index: index, victims: victims))
        }
        return VictimCandidates(nodes: candidateNodes, modelOfNode: cache.view.modelOfNode, modelCount: cache.view.models.count)
    }

    /// The fewest victims among `candidates` that free `need − free` GPUs, earliest in victim
    /// order at equal count; `[]` when `free` already covers `need`; `nil` when even all of
    /// them are not enough. (GPUs only: ``victimsOnNode(need:free:candidates:)`` with figures.)
    static func victimsOnNode(need: Int, free: Int, candidates: [VictimCandidate]) -> [VictimCandidate]? {
        victimsOnNode(need: NodeFigures(gpus: need, host: .zero), free: NodeFigures(gpus: free, host: .zero), candidates: candidates)
    }

    /// Most subsets ``victimsOnNode(need:free:candidates:)`` looks at on one node; past it the
    /// node offers no victim set (a bound on the work of a clearing: nodes hold few leases, and
    /// the pruning below settles realistic ones in a few dozen steps).
    static let victimSearchStepLimit = 100_000

    /// The fewest victims among `candidates` whose GPUs, cores, memory and disk, with `free`,
    /// cover `need` in every resource; among sets of that size the earliest in victim order,
    /// compared member by member; `[]` when `free` already covers `need`; `nil` when no set does.
    ///
    /// Sets of each size are visited in that order (depth first over the candidates in victim
    /// order), so the first that covers the deficit is the answer; a branch is cut when even the
    /// largest of the candidates after it cannot cover the deficit in some resource.
    static func victimsOnNode(need: NodeFigures, free: NodeFigures, candidates: [VictimCandidate]) -> [VictimCandidate]? {
        let deficitFigures = NodeFigures(gpus: need.gpus - free.gpus, host: need.host - free.host)
        if NodeFigures.zero.covers(deficitFigures) { return [] }
        // Even all of them together fall short in some resource: no set does.
        var total = NodeFigures.zero
        for candidate in candidates {
            total.gpus += candidate.gpus
            total.host += candidate.host
        }
        if !total.covers(deficitFigures) { return nil }
        // One victim is the answer when any covers the deficit alone: the first in victim order
        // that does (what the search below finds for size 1, without its bounds or a sort).
        if candidates.count <= victimSearchStepLimit {
            var single: VictimCandidate?
            for candidate in candidates where NodeFigures(gpus: candidate.gpus, host: candidate.host).covers(deficitFigures) {
                if single.map({ VictimCandidate.precedes(candidate, $0) }) ?? true { single = candidate }
            }
            if let single { return [single] }
        }
        let deficit = [deficitFigures.gpus, deficitFigures.host.cpuCores, deficitFigures.host.memoryGiB, deficitFigures.host.diskGiB]
        let ordered = candidates.sorted(by: VictimCandidate.precedes)
        let values = ordered.map { [$0.gpus, $0.host.cpuCores, $0.host.memoryGiB, $0.host.diskGiB] }
        // Per resource, the candidates from index i on sorted by that figure, largest first:
        // the optimistic bound for the slots still open.
        let largestFrom: [[[Int]]] = (0...ordered.count).map { start in
            (0..<4).map { resource in values[start...].map { $0[resource] }.sorted(by: >) }
        }
        var steps = 0
        var chosen: [Int] = []
        // Whether a set of `size` extending `chosen` (with `sums`) from index `from` on covers.
        func extend(from: Int, size: Int, sums: [Int]) -> Bool {
            if chosen.count == size { return (0..<4).allSatisfy { sums[$0] >= deficit[$0] } }
            let open = size - chosen.count
            guard ordered.count - from >= open else { return false }
            for resource in 0..<4 where sums[resource] + largestFrom[from][resource].prefix(open).reduce(0, +) < deficit[resource] {
                return false
            }
            for index in from..<ordered.count {
                steps += 1
                if steps > victimSearchStepLimit { return false }
                chosen.append(index)
                if extend(from: index + 1, size: size, sums: (0..<4).map { sums[$0] + values[index][$0] }) { return true }
                chosen.removeLast()
            }
            return false
        }
        for size in 1...max(1, ordered.count) {
            if extend(from: 0, size: size, sums: [0, 0, 0, 0]) { return chosen.map { ordered[$0] } }
        }
        return nil
    }

    /// Where `order` could run by displacing preemptible leases, chosen by the published rule,
    /// or `nil`. `free` is each node's free GPUs, cores, memory and disk after this clearing's
    /// placements: an online node qualifies when, after its victims end, it has the order's
    /// per-node GPUs and cores, memory and disk.
    /// `freeNodesByModel` lists, by GPU model code, the nodes that had a free GPU when the step
    /// began (free figures only shrink during it). `fleet` is every registered node by the
    /// same index.
    func preemptionPlan(for order: Order, ceiling: Int64, free: FreeNodeFigures, freeNodesByModel: [[Int]], fleet: FleetView,
                        candidates victimCandidates: VictimCandidates, at time: Timestamp) -> PreemptionPlan? {
        let spec = marketSpec(of: order)
        let need = spec.resources.gpu.countPerNode
        let needFigures = NodeFigures(gpus: need, host: HostUse(perNodeOf: spec))
        /// A node that could hold the order (by its index in `fleet`), its ask and the victims it needs.
        struct NodeOption {
            var index: Int
            var ask: Int64
            var victims: [VictimCandidate]
        }
        func precedes(_ a: NodeOption, _ b: NodeOption) -> Bool {
            if VictimCandidate.setPrecedes(a.victims, b.victims) { return true }
            if VictimCandidate.setPrecedes(b.victims, a.victims) { return false }
            if a.ask != b.ask { return a.ask < b.ask }
            return fleet.nodes[a.index].id.utf8.lexicographicallyPrecedes(fleet.nodes[b.index].id.utf8)
        }
        let admission = FleetAdmission(spec, ceiling: ceiling, fleet: fleet, carbonMicro: { carbonMicro(zone: $0, at: time) })
        /// Whether the node at `index` is online and admits the order (codes and integers only).
        func admits(_ index: Int) -> Bool {
            let admitted = admission.admits(index)
            assert(admitted == (fleet.online[index] && nodeAdmits(spec, node: fleet.nodes[index], ceiling: ceiling, at: time)),
                   "the fleet's admission agrees with the node's")
            return admitted
        }
        /// The option of the node at `index` (online), with its candidates (if any) and its free figures.
        func option(_ index: Int, candidates: CandidateNode?, free: NodeFigures) -> NodeOption? {
            // The integer tests first: even every candidate together may not make room, and
            // the node's size and ask may rule it out, without reading its strings.
            guard (free + (candidates?.total ?? .zero)).covers(needFigures), admits(index),
                  let victims = Self.victimsOnNode(need: needFigures, free: free, candidates: candidates?.victims ?? [])
            else { return nil }
            return NodeOption(index: index, ask: fleet.askMicroCredits[index], victims: victims)
        }
        if spec.nodeCount == 1 {
            /// The best option over every candidate node of an accepted model.
            func searchEveryNode() -> NodeOption? {
                var best: NodeOption?
                // Only the nodes of accepted models; the best is the same in any order (`precedes`
                // ends on the node id).
                for model in admission.acceptedModels where Int(model) < victimCandidates.positionsByModel.count {
                    for position in victimCandidates.positionsByModel[Int(model)] {
                        // A node free enough already needs no victims (the clearing had its chance
                        // there), and one whose candidates together cannot make room offers none
                        // (integers only; an emptied node's total is zero).
                        let index = victimCandidates.nodeIndices[position]
                        let freeThere = free[index]
                        guard !freeThere.covers(needFigures), (freeThere + victimCandidates.totals[position]).covers(needFigures),
                              admits(index),
                              let victims = Self.victimsOnNode(need: needFigures, free: freeThere, candidates: victimCandidates.nodes[position].victims)
                        else { continue }
                        let option = NodeOption(index: index, ask: fleet.askMicroCredits[index], victims: victims)
                        if best.map({ precedes(option, $0) }) ?? true { best = option }
                    }
                }
                return best
            }
            // One victim beats more: one scan of the entries finds the best such plan without
            // reading every node; only when there is none does the search read them all.
            if !victimCandidates.exceedsStepLimit,
               let single = Self.bestSingleVictim(need: needFigures, models: admission.acceptedModels, free: free, fleet: fleet,
                                                  candidates: victimCandidates, admits: admits) {
                assert(searchEveryNode().map { $0.index == single.index && $0.victims.map(\.leaseID) == [single.leaseID] } ?? false,
                       "the one-victim scan finds the plan the search over every node finds")
                return PreemptionPlan(allocations: [NodeAllocation(nodeID: fleet.nodes[single.index].id, gpus: need)],
                                      victims: [single.leaseID])
            }
            guard let best = searchEveryNode() else { return nil }
            assert(best.victims.count > 1 || victimCandidates.exceedsStepLimit, "the one-victim scan finds every one-victim plan")
            return PreemptionPlan(allocations: [NodeAllocation(nodeID: fleet.nodes[best.index].id, gpus: need)],
                                  victims: best.victims.map(\.leaseID))
        }
        // A gang: nodes with victims, and online nodes free enough already, in regions where
        // some admitting node makes room with victims (no other region can give a plan with
        // victims). Within a region options rank those needing no victims first (fewer victims
        // precede more), so a region with `nodeCount` such nodes would give an empty union and
        // is passed over; otherwise all of them are chosen, with the best of the rest. Only the
        // nodes of accepted models are read: no other node admits the order.
        struct RegionOptions {
            var needingNone: [NodeOption] = []
            var withVictims: [NodeOption] = []
        }
        var byRegion: [Int32: RegionOptions] = [:]
        var isCandidate = [Bool](repeating: false, count: fleet.count)
        var regionHasVictims = [Bool](repeating: false, count: fleet.regionCodes.count)
        let models = admission.acceptedModels.map(Int.init)
        for model in models where model < victimCandidates.positionsByModel.count {
            // Flat arrays first: a node's own list is read only when its candidates together
            // could make room (as ``option`` tests first).
            for position in victimCandidates.positionsByModel[model] where victimCandidates.hasVictims[position] {
                let index = victimCandidates.nodeIndices[position]
                isCandidate[index] = true
                guard (free[index] + victimCandidates.totals[position]).covers(needFigures),
                      let option = option(index, candidates: victimCandidates.nodes[position], free: free[index])
                else { continue }
                let region = fleet.regionOfNode[index]
                if option.victims.isEmpty {
                    byRegion[region, default: RegionOptions()].needingNone.append(option)
                } else {
                    regionHasVictims[Int(region)] = true
                    byRegion[region, default: RegionOptions()].withVictims.append(option)
                }
            }
        }
        // Per region code: whether it has victims and is not yet passed over (fewer than
        // `nodeCount` nodes needing none so far).
        var open = regionHasVictims
        for (code, options) in byRegion where options.needingNone.count >= spec.nodeCount { open[Int(code)] = false }
        // The outcome does not depend on the order nodes are read in: a region that fills up
        // is passed over, and one that does not keeps every such node.
        let freeNodes = need > 0 ? models.flatMap { $0 < freeNodesByModel.count ? freeNodesByModel[$0] : [] } : Array(0..<fleet.count)
        for index in freeNodes where free.gpus[index] >= need {
            let region = fleet.regionOfNode[index]
            guard open[Int(region)], !isCandidate[index], free[index].covers(needFigures), admits(index) else { continue }
            byRegion[region, default: RegionOptions()].needingNone.append(NodeOption(index: index, ask: fleet.askMicroCredits[index], victims: []))
            if byRegion[region]!.needingNone.count >= spec.nodeCount { open[Int(region)] = false }
        }
        var best: (key: [VictimCandidate], ask: Int64, options: [NodeOption])?
        for code in fleet.regionCodes.sorted(by: { $0.key < $1.key }).map(\.value) {
            guard let options = byRegion[code], options.needingNone.count < spec.nodeCount else { continue }
            let wanted = spec.nodeCount - options.needingNone.count
            guard options.withVictims.count >= wanted else { continue }
            let chosen = options.needingNone + options.withVictims.sorted(by: precedes).prefix(wanted)
            var seen = Set<String>()
            let union = chosen.flatMap(\.victims).filter { seen.insert($0.leaseID).inserted }.sorted(by: VictimCandidate.precedes)
            assert(!union.isEmpty, "a chosen node with victims gives the union one at least")
            let ask = chosen.map(\.ask).max()!
            if let current = best {
                if VictimCandidate.setPrecedes(current.key, union) { continue }
                if !VictimCandidate.setPrecedes(union, current.key) && current.ask <= ask { continue }
            }
            best = (union, ask, chosen)
        }
        guard let best else { return nil }
        return PreemptionPlan(
            allocations: best.options.map { NodeAllocation(nodeID: fleet.nodes[$0.index].id, gpus: need) }.sorted { $0.nodeID < $1.nodeID },
            victims: best.key.map(\.leaseID).sorted())
    }

    /// The best one-victim preemption for a single-node order needing `need` on a node of one
    /// of `models`, or `nil` when no node makes room with one victim (the best plan then has
    /// more, or there is none).
    ///
    /// By the published rule fewer victims win, so a one-victim plan beats every other, and
    /// among those the earliest victim in victim order wins, then the lowest ask, then the node
    /// id. A node's one-victim answer is its first candidate in victim order that alone covers
    /// its deficit (``victimsOnNode(need:free:candidates:)``), so the answer is the least
    /// (candidate, node) entry in that order among those that make room on a node that admits
    /// the order: one pass over the models' entries, integers first, admission read only for
    /// an entry that would be the best so far. A node already free enough is passed over, as
    /// in the search over every node.
    static func bestSingleVictim(need: NodeFigures, models: [Int32], free: FreeNodeFigures, fleet: FleetView,
                                 candidates: VictimCandidates, admits: (Int) -> Bool) -> (index: Int, leaseID: String)? {
        let byModel = candidates.entries.byModel
        var best: (model: Int, entry: Int, index: Int)?
        /// Whether entry `entry` of `entries`, on the node at `index`, precedes the best so far.
        func precedesBest(_ entries: VictimEntries.Entries, _ entry: Int, _ index: Int) -> Bool {
            guard let best else { return true }
            let (other, at) = (byModel[best.model], best.entry)
            if entries.price[entry] != other.price[at] { return entries.price[entry] < other.price[at] }
            if entries.start[entry] != other.start[at] { return entries.start[entry] > other.start[at] }
            if entries.leaseID[entry] != other.leaseID[at] {
                return entries.leaseID[entry].utf8.lexicographicallyPrecedes(other.leaseID[at].utf8)
            }
            // The same lease on another node: the lowest ask, then the node id.
            let (ask, bestAsk) = (fleet.askMicroCredits[index], fleet.askMicroCredits[best.index])
            if ask != bestAsk { return ask < bestAsk }
            return fleet.nodes[index].id.utf8.lexicographicallyPrecedes(fleet.nodes[best.index].id.utf8)
        }
        for model in models.map(Int.init) where model < byModel.count {
            let entries = byModel[model]
            for entry in 0..<entries.count {
                let index = candidates.nodeIndices[entries.position[entry]]
                let freeThere = free[index]
                guard !freeThere.covers(need), (freeThere + entries.figures[entry]).covers(need),
                      precedesBest(entries, entry, index), !candidates.isNoticed(entries.leaseID[entry]), admits(index)
                else { continue }
                best = (model, entry, index)
            }
        }
        return best.map { ($0.index, byModel[$0.model].leaseID[$0.entry]) }
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

    /// The highest ask an order may use: for a set-aside job its pool's ceiling (the pool's
    /// price when it has none: such a pool clears without subsidy, see ``fundedClearingPools()``),
    /// else max_price.
    func askCeiling(of order: Order) -> Int64 {
        if let poolName = order.pool, let pool = pools[poolName] {
            return max(pool.ceilingPerGPUHour ?? pool.pricePerGPUHour, pool.pricePerGPUHour).rawValue
        }
        return order.spec.maxPricePerGPUHour.rawValue
    }

    /// What each node holds for pending preemptions: per resource, the job's GPUs (and its
    /// per-node cores, memory and disk) there minus what its victims still hold there.
    func preemptionHolds() -> [String: NodeFigures] {
        var holds: [String: NodeFigures] = [:]
        for notice in preemptions.values {
            let need = orders[notice.orderID].map { HostUse(perNodeOf: $0.spec) } ?? .zero
            for allocation in notice.allocations {
                let victimsThere = heldByVictims(of: notice, on: allocation.nodeID)
                let hold = NodeFigures(gpus: max(0, allocation.gpus - victimsThere.gpus), host: (need - victimsThere.host).atLeastZero)
                guard hold != .zero else { continue }
                var total = holds[allocation.nodeID] ?? .zero
                total.gpus += hold.gpus
                total.host += hold.host
                holds[allocation.nodeID] = total
            }
        }
        return holds
    }

    /// What the still-running victims of `notice` hold on `nodeID`.
    func heldByVictims(of notice: PreemptionNotice, on nodeID: String) -> NodeFigures {
        var held = NodeFigures.zero
        for leaseID in notice.victimLeaseIDs {
            guard let lease = leases[leaseID], lease.end == nil else { continue }
            for allocation in lease.allocations where allocation.nodeID == nodeID {
                held.gpus += allocation.gpus
                held.host += runningTotals.leases[leaseID]?.host ?? .zero
            }
        }
        return held
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
    mutating func startReadyPreemptions(at time: Timestamp, leaseIDs: inout LeaseIDs) -> [Event] {
        var events: [Event] = []
        for orderID in preemptions.keys.sorted() {
            guard let notice = preemptions[orderID],
                  notice.victimLeaseIDs.allSatisfy({ leases[$0]?.end != nil }),
                  let order = orders[orderID]
            else { continue }
            preemptions[orderID] = nil
            let ceiling = askCeiling(of: order)
            let holds = preemptionHolds()
            let need = HostUse(perNodeOf: order.spec)
            var price: Int64 = 0
            var usable = true
            for allocation in notice.allocations {
                guard let record = nodes[allocation.nodeID], record.online,
                      record.node.askPerGPUHour.rawValue <= ceiling
                else { usable = false; break }
                let free = freeFigures(of: record.node, holds: holds)
                if free.gpus < allocation.gpus || !free.host.covers(need) { usable = false; break }
                price = max(price, record.node.askPerGPUHour.rawValue)
            }
            guard usable else {
                events.append(.preemptionWithdrawn(orderID: orderID, reason: "nodes_changed"))
                waitingReasons[orderID] = nil
                continue
            }
            // A set-aside job pays its pool's price; its pool's funding pays the asks above it.
            if let pool = order.pool.flatMap({ pools[$0] }) { price = pool.pricePerGPUHour.rawValue }
            let leaseID = leaseIDs.next()
            if let started = startLease(leaseID, orderID: orderID, allocations: notice.allocations, price: MicroCredits(price), at: time) {
                dequeue { $0 == orderID }
                events.append(started)
            } else {
                events.append(.preemptionWithdrawn(orderID: orderID, reason: waitingReasons[orderID] ?? "insufficient_funds"))
            }
        }
        return events
    }
}
