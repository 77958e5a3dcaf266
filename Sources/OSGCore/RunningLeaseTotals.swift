import OSGDomain

/// What the running leases hold, summed per tenant, per set-aside pool, for standard open
/// work and per node (CPU cores, memory and disk), plus each running lease with its job's
/// durations and per-node host needs and its allocations as rows: kept up to date as
/// leases start and end so that a clearing or a tick does not look every running lease and its
/// order up to learn it.
///
/// Derived state only: it is a function of the running leases (rebuilt identically by every
/// replay, since leases only start in ``CoordinatorState/startLease(_:orderID:allocations:price:at:)``
/// and only end in ``CoordinatorState/finishLease(_:reason:at:)``) and is not part of the digest.
/// Every figure is a sum of integers, so the order in which leases came and went does not matter.
struct RunningLeaseTotals: Sendable {
    /// A tenant's running leases: GPUs, CPU cores and memory (per node, times nodes) and how many.
    struct TenantUsage: Sendable, Equatable {
        var gpus = 0
        var cpu = 0
        var memory = 0
        var leases = 0
    }

    /// GPUs and lease count of running leases.
    struct Held: Sendable, Equatable {
        var gpus = 0
        var leases = 0
    }

    /// Per tenant with at least one running lease.
    private(set) var byTenant: [String: TenantUsage] = [:]
    /// Per pool with at least one running lease of a set-aside order of that pool.
    private(set) var byPool: [String: Held] = [:]
    /// GPUs of running leases of standard open work (no pool).
    private(set) var standardGPUs = 0
    /// Every running lease with its job's durations, by lease id.
    private(set) var leases: [String: RunningLease] = [:]
    /// CPU cores, memory and disk the running leases hold on each node (a lease holds its
    /// job's per-node figures on every node it uses); nodes with no running lease are absent.
    private(set) var hostByNode: [String: HostUse] = [:]
    /// Every allocation of the running leases as a row of integers (the clearing's scans).
    private(set) var rows = RunningAllocationRows()

    /// What the running leases hold on `nodeID`.
    func hostUse(on nodeID: String) -> HostUse { hostByNode[nodeID] ?? .zero }

    /// A running lease as the backfill and the tick read it.
    struct RunningLease: Sendable {
        var id: String
        var allocations: [NodeAllocation]
        /// Start, in seconds since the epoch.
        var start: Int64
        /// The job's expected `duration` and its `max_duration`, in seconds.
        var durationSeconds: Int64
        var maxDurationSeconds: Int64
        /// CPU cores, memory and disk the lease holds on each of its nodes.
        var host: HostUse = .zero
        /// Whether its job is preemptible (a possible victim of a preemption).
        var preemptible = false
        /// Its price per GPU-hour, in micro-credits (a victim's rank).
        var pricePerGPUHour: Int64 = 0
        /// Per allocation, the index of its node in ``CoordinatorState/sortedNodeIDs`` when the
        /// lease started (-1 or missing: unknown); a hint only, checked against the id on use.
        var nodeIndexHints: [Int32] = []
    }

    /// Records where the nodes of running lease `leaseID` were in the sorted node ids.
    mutating func setNodeIndexHints(_ hints: [Int32], leaseID: String) {
        leases[leaseID]?.nodeIndexHints = hints
        rows.setNodeIndexHints(hints, leaseID: leaseID)
    }

    /// Forgets every node position hint (readers then search the sorted node ids).
    mutating func dropNodeIndexHints() {
        for leaseID in Array(leases.keys) { leases[leaseID]!.nodeIndexHints = [] }
        rows.dropNodeIndexHints()
    }

    /// Counts `lease` (of `order`) as running.
    mutating func add(_ lease: Lease, of order: Order) {
        apply(lease, of: order, sign: 1)
        leases[lease.id] = RunningLease(id: lease.id, allocations: lease.allocations, start: lease.start.secondsSinceEpoch,
                                        durationSeconds: order.spec.durationSeconds, maxDurationSeconds: order.spec.maxDurationSeconds,
                                        host: HostUse(perNodeOf: order.spec), preemptible: order.spec.jobClass == .preemptible,
                                        pricePerGPUHour: lease.pricePerGPUHour.rawValue)
        rows.add(leases[lease.id]!)
    }

    /// Stops counting `lease` (of `order`).
    mutating func remove(_ lease: Lease, of order: Order) {
        apply(lease, of: order, sign: -1)
        leases[lease.id] = nil
        rows.remove(leaseID: lease.id)
    }

    private mutating func apply(_ lease: Lease, of order: Order, sign: Int) {
        let nodeCount = lease.allocations.count
        let gpus = lease.totalGPUs
        var usage = byTenant[order.tenantID] ?? TenantUsage()
        usage.gpus += sign * gpus
        usage.cpu += sign * order.spec.resources.cpuCores * nodeCount
        usage.memory += sign * order.spec.resources.memoryGiB * nodeCount
        usage.leases += sign
        assert(usage.leases >= 0, "a lease ends only once, after it started")
        byTenant[order.tenantID] = usage.leases > 0 ? usage : nil
        if let pool = order.pool {
            var held = byPool[pool] ?? Held()
            held.gpus += sign * gpus
            held.leases += sign
            byPool[pool] = held.leases > 0 ? held : nil
        } else if order.spec.jobClass == .standard {
            standardGPUs += sign * gpus
        }
        let perNode = HostUse(perNodeOf: order.spec)
        for allocation in lease.allocations {
            var held = hostByNode[allocation.nodeID] ?? .zero
            if sign > 0 { held += perNode } else { held -= perNode }
            assert(held.isNonNegative, "a lease frees only the cores, memory and disk it held")
            hostByNode[allocation.nodeID] = held == .zero ? nil : held
        }
    }
}
