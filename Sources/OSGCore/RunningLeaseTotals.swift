import OSGDomain

/// What the running leases hold, summed per tenant, per set-aside pool and for standard open
/// work, plus the ids of running preemptible leases: kept up to date as leases start and end
/// so that a clearing does not read every running lease to learn it.
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
    /// Running leases whose order is preemptible.
    private(set) var preemptibleLeaseIDs: Set<String> = []

    /// Counts `lease` (of `order`) as running.
    mutating func add(_ lease: Lease, of order: Order) {
        apply(lease, of: order, sign: 1)
        if order.spec.jobClass == .preemptible { preemptibleLeaseIDs.insert(lease.id) }
    }

    /// Stops counting `lease` (of `order`).
    mutating func remove(_ lease: Lease, of order: Order) {
        apply(lease, of: order, sign: -1)
        preemptibleLeaseIDs.remove(lease.id)
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
    }
}
