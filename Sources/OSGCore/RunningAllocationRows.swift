import OSGDomain

/// Every allocation of every running lease as one row of integers, beside its lease id and
/// node id: what the scans of a clearing's later steps (the base occupancy of the backfill,
/// the preemption step's victim candidates) read, without copying a lease record or hashing
/// its id per lease.
///
/// Derived state, kept by ``RunningLeaseTotals`` as leases start and end. Rows are in no
/// particular order (a leaving lease's rows are filled from the end), so readers only sum
/// them or sort what they take from them.
struct RunningAllocationRows: Sendable {
    /// One allocation of a running lease.
    struct Row: Sendable, Equatable {
        /// The lease's start, in seconds since the epoch.
        var start: Int64
        /// Its job's expected `duration` and its `max_duration`, in seconds.
        var durationSeconds: Int64
        var maxDurationSeconds: Int64
        /// CPU cores, memory and disk the lease holds on the node.
        var host: HostUse
        /// GPUs the lease holds on the node.
        var gpus: Int
        /// The lease's price per GPU-hour, in micro-credits.
        var pricePerGPUHour: Int64
        /// The node's index in ``CoordinatorState/sortedNodeIDs`` when hinted, else -1; a hint
        /// only, checked against ``RunningAllocationRows/nodeIDs`` on use.
        var nodeIndexHint: Int32 = -1
        /// Whether the lease's job is preemptible.
        var preemptible: Bool
    }

    private(set) var rows: [Row] = []
    /// Per row, its lease's id.
    private(set) var leaseIDs: [String] = []
    /// Per row, its node's id.
    private(set) var nodeIDs: [String] = []
    /// The rows of each running lease, in the order of its allocations.
    private(set) var rowsOfLease: [String: [Int]] = [:]

    var count: Int { rows.count }

    /// Adds the rows of a lease that starts.
    mutating func add(_ lease: RunningLeaseTotals.RunningLease) {
        precondition(rowsOfLease[lease.id] == nil, "a lease starts once")
        var positions: [Int] = []
        positions.reserveCapacity(lease.allocations.count)
        for (position, allocation) in lease.allocations.enumerated() {
            positions.append(rows.count)
            rows.append(Row(start: lease.start, durationSeconds: lease.durationSeconds, maxDurationSeconds: lease.maxDurationSeconds,
                            host: lease.host, gpus: allocation.gpus, pricePerGPUHour: lease.pricePerGPUHour,
                            nodeIndexHint: position < lease.nodeIndexHints.count ? lease.nodeIndexHints[position] : -1,
                            preemptible: lease.preemptible))
            leaseIDs.append(lease.id)
            nodeIDs.append(allocation.nodeID)
        }
        rowsOfLease[lease.id] = positions
    }

    /// Removes the rows of a lease that ends, moving the last rows into their places.
    mutating func remove(leaseID: String) {
        guard let positions = rowsOfLease.removeValue(forKey: leaseID) else { return }
        // Highest first: the last row is then never one of this lease's rows still to remove.
        for position in positions.sorted(by: >) {
            let last = rows.count - 1
            if position != last {
                rows[position] = rows[last]
                leaseIDs[position] = leaseIDs[last]
                nodeIDs[position] = nodeIDs[last]
                let moved = leaseIDs[position]
                assert(moved != leaseID, "a lease's remaining rows lie below the row being removed")
                rowsOfLease[moved] = rowsOfLease[moved]!.map { $0 == last ? position : $0 }
            }
            rows.removeLast()
            leaseIDs.removeLast()
            nodeIDs.removeLast()
        }
    }

    /// Records where the nodes of lease `leaseID` are in the sorted node ids, by allocation.
    mutating func setNodeIndexHints(_ hints: [Int32], leaseID: String) {
        guard let positions = rowsOfLease[leaseID] else { return }
        for (allocation, row) in positions.enumerated() { rows[row].nodeIndexHint = allocation < hints.count ? hints[allocation] : -1 }
    }

    /// Forgets every node position hint.
    mutating func dropNodeIndexHints() {
        for row in rows.indices { rows[row].nodeIndexHint = -1 }
    }

    /// Per row, whether its lease is one of `leaseIDs` (all false when there are none).
    func marks(_ leaseIDs: some Sequence<String>) -> [Bool] {
        var marked = [Bool](repeating: false, count: rows.count)
        for leaseID in leaseIDs {
            for row in rowsOfLease[leaseID] ?? [] { marked[row] = true }
        }
        return marked
    }

    /// The node index of row `row` in `sortedNodeIDs`: its hint when it still holds, else by
    /// `lookup` (nil: the node is not registered).
    @inline(__always)
    func nodeIndex(ofRow row: Int, sortedNodeIDs: [String], lookup: (String) -> Int?) -> Int? {
        let hint = Int(rows[row].nodeIndexHint)
        if hint >= 0 && hint < sortedNodeIDs.count && sortedNodeIDs[hint] == nodeIDs[row] { return hint }
        return lookup(nodeIDs[row])
    }

    /// Whether the rows are exactly the allocations of `leases` (debug checks).
    func matches(_ leases: [String: RunningLeaseTotals.RunningLease]) -> Bool {
        guard rowsOfLease.count == leases.count, rows.count == leases.values.reduce(0, { $0 + $1.allocations.count }) else { return false }
        return leases.values.allSatisfy { lease in
            guard let positions = rowsOfLease[lease.id], positions.count == lease.allocations.count else { return false }
            return zip(positions, lease.allocations).enumerated().allSatisfy { allocation, pair in
                let (row, held) = pair
                let hint = allocation < lease.nodeIndexHints.count ? lease.nodeIndexHints[allocation] : -1
                return leaseIDs[row] == lease.id && nodeIDs[row] == held.nodeID
                    && rows[row] == Row(start: lease.start, durationSeconds: lease.durationSeconds, maxDurationSeconds: lease.maxDurationSeconds,
                                        host: lease.host, gpus: held.gpus, pricePerGPUHour: lease.pricePerGPUHour,
                                        nodeIndexHint: hint, preemptible: lease.preemptible)
            }
        }
    }
}
