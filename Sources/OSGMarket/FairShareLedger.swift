import OSGDomain

/// What each tenant holds and what the fleet has, for the fair-share step of the priority
/// (docs/MARKET.md, "Fair share").
///
/// Capacity per resource (GPUs, CPU cores, memory GiB) is fixed when the ledger is built: the
/// totals over the snapshot's nodes (free GPUs, CPU, memory) plus the usage of every listed
/// tenant. A tenant's weighted dominant share is max over resources of usage / capacity,
/// divided by its weight; a resource with capacity 0 is skipped. Placements add to the
/// tenant's usage (GPUs, CPU and memory per node times the node count).
///
/// Sums saturate: capacities at 2^52 and usage at 2^62, far beyond any fleet, so that every
/// product in ``WeightedShare`` fits in 128 bits.
struct FairShareLedger: Sendable {
    static let capacityLimit: UInt64 = 1 << 52
    static let usageLimit: UInt64 = 1 << 62

    /// GPUs, CPU cores, memory GiB.
    private(set) var capacity: [UInt64]
    var tenantCodes: [String: Int32] = [:]
    var weights: [UInt64] = []
    /// Three figures per tenant: GPUs, CPU cores, memory GiB.
    var usage: [UInt64] = []

    /// Capacity sums (GPUs, CPU cores, memory GiB), saturating at ``capacityLimit``.
    struct CapacityTotals {
        // Three fields rather than an array: a clearing adds every node's figures here.
        private var gpus: UInt64 = 0
        private var cpuCores: UInt64 = 0
        private var memoryGiB: UInt64 = 0

        /// GPUs, CPU cores, memory GiB.
        var values: [UInt64] { [gpus, cpuCores, memoryGiB] }

        mutating func add(gpus: Int, cpuCores: Int, memoryGiB: Int) {
            Self.add(gpus, to: &self.gpus)
            Self.add(cpuCores, to: &self.cpuCores)
            Self.add(memoryGiB, to: &self.memoryGiB)
        }

        private static func add(_ value: Int, to total: inout UInt64) {
            let (sum, overflow) = total.addingReportingOverflow(UInt64(max(0, value)))
            total = overflow ? FairShareLedger.capacityLimit : min(sum, FairShareLedger.capacityLimit)
        }
    }

    init(nodes: [MarketNode], tenants: [TenantStanding]) {
        var totals = CapacityTotals()
        for node in nodes { totals.add(gpus: node.freeGPUs, cpuCores: node.cpuCores, memoryGiB: node.memoryGiB) }
        self.init(nodeTotals: totals, tenants: tenants)
    }

    /// A ledger whose nodes sum to `nodeTotals` (free GPUs, CPU cores and memory of every node).
    init(nodeTotals: CapacityTotals, tenants: [TenantStanding]) {
        var totals = nodeTotals
        for tenant in tenants {
            totals.add(gpus: tenant.usageGPUs, cpuCores: tenant.usageCPUCores, memoryGiB: tenant.usageMemoryGiB)
        }
        capacity = totals.values
        // Sorted by id so codes do not depend on the input order (they never reach the output).
        for tenant in tenants.sorted(by: { $0.id.utf8.lexicographicallyPrecedes($1.id.utf8) }) {
            precondition(tenantCodes[tenant.id] == nil, "tenant ids must be unique; check the snapshot first")
            let code = self.code(tenant.id)
            weights[Int(code)] = UInt64(min(max(tenant.weight, 1), TenantStanding.maxWeight))
            record(code, gpus: tenant.usageGPUs, cpuCores: tenant.usageCPUCores, memoryGiB: tenant.usageMemoryGiB)
        }
    }

    /// Starts over as ``init(nodeTotals:tenants:)`` would, keeping the tenant codes handed out
    /// so far (codes never reach a result: ties go by queue position). Tenants not listed are
    /// back to weight 1 and no usage.
    mutating func reset(nodeTotals: CapacityTotals, tenants: [TenantStanding]) {
        assert(Set(tenants.map(\.id)).count == tenants.count, "tenant ids must be unique; check the snapshot first")
        var totals = nodeTotals
        for tenant in tenants {
            totals.add(gpus: tenant.usageGPUs, cpuCores: tenant.usageCPUCores, memoryGiB: tenant.usageMemoryGiB)
        }
        capacity = totals.values
        for index in weights.indices { weights[index] = 1 }
        for index in usage.indices { usage[index] = 0 }
        for tenant in tenants {
            let code = self.code(tenant.id)
            weights[Int(code)] = UInt64(min(max(tenant.weight, 1), TenantStanding.maxWeight))
            record(code, gpus: tenant.usageGPUs, cpuCores: tenant.usageCPUCores, memoryGiB: tenant.usageMemoryGiB)
        }
    }

    /// The code of a tenant, adding an unlisted tenant with weight 1 and no usage.
    mutating func code(_ tenant: String) -> Int32 {
        if let code = tenantCodes[tenant] { return code }
        let code = Int32(weights.count)
        tenantCodes[tenant] = code
        weights.append(1)
        usage.append(contentsOf: [0, 0, 0])
        return code
    }

    /// Adds a placement (or running leases) to a tenant's usage.
    mutating func record(_ tenant: Int32, gpus: Int, cpuCores: Int, memoryGiB: Int) {
        let base = 3 * Int(tenant)
        for (offset, value) in [gpus, cpuCores, memoryGiB].enumerated() {
            let (sum, overflow) = usage[base + offset].addingReportingOverflow(UInt64(max(0, value)))
            usage[base + offset] = overflow ? Self.usageLimit : min(sum, Self.usageLimit)
        }
    }

    /// The tenant's weighted dominant share now.
    func share(_ tenant: Int32) -> WeightedShare {
        let base = 3 * Int(tenant)
        var used: UInt64 = 0
        var of: UInt64 = 1
        for resource in 0..<3 where capacity[resource] > 0 {
            let u = usage[base + resource]
            // u / capacity > used / of, exactly.
            let left = u.multipliedFullWidth(by: of)
            let right = used.multipliedFullWidth(by: capacity[resource])
            if left.high > right.high || (left.high == right.high && left.low > right.low) {
                used = u
                of = capacity[resource]
            }
        }
        return WeightedShare(numerator: used, denominator: of * weights[Int(tenant)])
    }
}
