/// What holds GPUs of each node and until when, by the node's index in
/// ``CoordinatorState/sortedNodeIDs``: the base (running leases, lockups, pending
/// preemptions) in one flat array grouped by node, plus items added afterwards (placements
/// about to start). Per node the order of the items does not matter: only sums and times are
/// read from them.
struct NodeOccupancy {
    /// The base items of node `i` are `items[offsets[i] ..< offsets[i + 1]]`.
    private let offsets: [Int]
    private let items: [CoordinatorState.Occupancy]
    /// Items added after the base, by node index.
    private var added: [Int: [CoordinatorState.Occupancy]] = [:]

    /// Groups `items` by node: `nodeOf[k]` is the node index of `items[k]`.
    init(nodeCount: Int, items unsorted: [CoordinatorState.Occupancy], nodeOf: [Int]) {
        var offsets = Array(repeating: 0, count: nodeCount + 1)
        for node in nodeOf { offsets[node + 1] += 1 }
        for index in 0..<nodeCount { offsets[index + 1] += offsets[index] }
        var cursor = offsets
        var items = unsorted
        for (item, node) in zip(unsorted, nodeOf) {
            items[cursor[node]] = item
            cursor[node] += 1
        }
        self.offsets = offsets
        self.items = items
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

    /// GPUs of node `index` still taken at `time`.
    func occupied(node index: Int, at time: Int64) -> Int {
        base(ofNode: index).reduce(0) { $0 + ($1.until > time ? $1.gpus : 0) }
            + added(toNode: index).reduce(0) { $0 + ($1.until > time ? $1.gpus : 0) }
    }

    /// The earliest time at which node `index` has `need` GPUs free out of `capacity`, given
    /// what occupies it; `nil` when it never has.
    func earliestFree(node index: Int, need: Int, capacity: Int, now: Int64) -> Int64? {
        guard capacity >= need else { return nil }
        let base = base(ofNode: index)
        let added = added(toNode: index)
        var taken = base.reduce(0) { $0 + $1.gpus } + added.reduce(0) { $0 + $1.gpus }
        if capacity - taken >= need { return now }
        for item in (Array(base) + added).sorted(by: { $0.until < $1.until }) {
            taken -= item.gpus
            if capacity - taken >= need { return max(item.until, now) }
        }
        return nil
    }
}
