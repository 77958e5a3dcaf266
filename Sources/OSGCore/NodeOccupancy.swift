/// What holds GPUs (and CPU cores, memory and disk) of each node and until when, by the node's
/// index in ``CoordinatorState/sortedNodeIDs``: the base (running leases, lockups, pending
/// preemptions) in one flat array grouped by node, plus items added afterwards (placements
/// about to start). Per node the order of the items does not matter: only sums and times are
/// read from them.
struct NodeOccupancy {
    /// The base items of node `i` are `items[offsets[i] ..< offsets[i + 1]]`.
    private let offsets: [Int]
    private var items: [CoordinatorState.Occupancy]
    /// Items added after the base, by node index.
    private var added: [Int: [CoordinatorState.Occupancy]] = [:]
    /// The tracked leases (those that may still get a preemption notice) with the position in
    /// ``items`` of each of their items, so that a notice can be applied without reading every
    /// lease again.
    private let tracked: [(leaseID: String, position: Int)]
    /// Per lease, the first of its entries in ``tracked``, made at the first notice applied
    /// (most occupancies get none); ``nextTracked`` chains the rest.
    private var firstTracked: [String: Int]?
    /// Per entry of ``tracked``, the next entry of the same lease (-1: none).
    private var nextTracked: [Int] = []

    /// Groups `items` by node: `nodeOf[k]` is the node index of `items[k]`; `tracked` names
    /// the lease of some items (`(leaseID, k)`).
    init(nodeCount: Int, items unsorted: [CoordinatorState.Occupancy], nodeOf: [Int], tracked: [(leaseID: String, item: Int)] = []) {
        var offsets = Array(repeating: 0, count: nodeCount + 1)
        for node in nodeOf { offsets[node + 1] += 1 }
        for index in 0..<nodeCount { offsets[index + 1] += offsets[index] }
        var cursor = offsets
        var items = unsorted
        var placedAt = Array(repeating: 0, count: unsorted.count)
        for (k, (item, node)) in zip(unsorted, nodeOf).enumerated() {
            items[cursor[node]] = item
            placedAt[k] = cursor[node]
            cursor[node] += 1
        }
        self.offsets = offsets
        self.items = items
        self.tracked = tracked.map { ($0.leaseID, placedAt[$0.item]) }
    }

    /// The positions of a tracked lease's items; `removing` forgets them.
    private mutating func trackedPositions(of leaseID: String, removing: Bool) -> [Int] {
        if firstTracked == nil {
            var first: [String: Int] = [:]
            first.reserveCapacity(tracked.count)
            nextTracked = Array(repeating: -1, count: tracked.count)
            for entry in tracked.indices.reversed() {
                nextTracked[entry] = first.updateValue(entry, forKey: tracked[entry].leaseID) ?? -1
            }
            firstTracked = first
        }
        var entry = (removing ? firstTracked!.removeValue(forKey: leaseID) : firstTracked![leaseID]) ?? -1
        var positions: [Int] = []
        while entry >= 0 {
            positions.append(tracked[entry].position)
            entry = nextTracked[entry]
        }
        return positions
    }

    /// A tracked lease now ends by `limit` at the latest (its preemption notice's deadline).
    mutating func capUntil(ofLease leaseID: String, at limit: Int64) {
        for position in trackedPositions(of: leaseID, removing: false) { items[position].until = min(items[position].until, limit) }
    }

    /// A tracked lease has ended: it holds nothing any more.
    mutating func release(lease leaseID: String) {
        for position in trackedPositions(of: leaseID, removing: true) {
            items[position].gpus = 0
            items[position].host = .zero
        }
    }

    /// Per node, what holds it (GPUs, host, until), sorted, without empty items: two
    /// occupancies that read alike have the same (debug checks).
    var canonical: [[CoordinatorState.Occupancy]] {
        (0..<(offsets.count - 1)).map { node in
            (Array(base(ofNode: node)) + added(toNode: node))
                .filter { $0.gpus != 0 || $0.host != .zero }
                .sorted { ($0.until, $0.gpus, $0.host.cpuCores, $0.host.memoryGiB, $0.host.diskGiB)
                    < ($1.until, $1.gpus, $1.host.cpuCores, $1.host.memoryGiB, $1.host.diskGiB) }
        }
    }

    /// Adds `item` to node `index`.
    mutating func add(_ item: CoordinatorState.Occupancy, toNode index: Int) {
        added[index, default: []].append(item)
    }

    /// The base items of node `index`.
    func base(ofNode index: Int) -> ArraySlice<CoordinatorState.Occupancy> {
        items[offsets[index] ..< offsets[index + 1]]
    }

    /// Items added to node `index` after the base.
    func added(toNode index: Int) -> [CoordinatorState.Occupancy] {
        added.isEmpty ? [] : added[index] ?? []
    }

    /// GPUs, and cores, memory and disk, of node `index` still taken at `time`.
    func occupied(node index: Int, at time: Int64) -> (gpus: Int, host: HostUse) {
        var gpus = 0
        var host = HostUse.zero
        for item in base(ofNode: index) where item.until > time {
            gpus += item.gpus
            host += item.host
        }
        for item in added(toNode: index) where item.until > time {
            gpus += item.gpus
            host += item.host
        }
        return (gpus, host)
    }

    /// The earliest time at which node `index` has `need` GPUs and `needHost` cores, memory and
    /// disk free out of `capacity` and `capacityHost`, given what occupies it; `nil` when it
    /// never has.
    func earliestFree(node index: Int, need: Int, needHost: HostUse, capacity: Int, capacityHost: HostUse, now: Int64) -> Int64? {
        guard capacity >= need, capacityHost.covers(needHost) else { return nil }
        let base = base(ofNode: index)
        let added = added(toNode: index)
        var taken = 0
        var takenHost = HostUse.zero
        for item in base { taken += item.gpus; takenHost += item.host }
        for item in added { taken += item.gpus; takenHost += item.host }
        func fits() -> Bool { capacity - taken >= need && (capacityHost - takenHost).covers(needHost) }
        if fits() { return now }
        for item in (Array(base) + added).sorted(by: { $0.until < $1.until }) {
            taken -= item.gpus
            takenHost -= item.host
            if fits() { return max(item.until, now) }
        }
        return nil
    }
}
