import OSGCarbon
import OSGDomain

/// Everything one clearing needs: the time, the free capacity, the pending orders and the
/// set-aside pools (the input of `osg market clear`, DESIGN.md §4).
public struct MarketSnapshot: Hashable, Sendable {
    /// The clearing time (deadlines in specs are judged against it).
    public var now: Timestamp
    /// Nodes with their free GPUs.
    public var nodes: [MarketNode]
    /// Pending orders.
    public var orders: [MarketOrder]
    /// Set-aside pools with their shares and cost-based prices.
    public var pools: [SetAsidePool]
    /// Hourly carbon series by grid zone, when the snapshot carries them (the input's optional
    /// `carbon` object); `nil` clears without the carbon step.
    public var carbon: CarbonAtlas?
    /// Tenants' weights and current usage for the fair-share step; `nil` (the snapshot has no
    /// `tenants` field): the step is off and the priority is that of a snapshot without it.
    public var tenants: [TenantStanding]?
    /// The aging threshold (`starvation_after_s`): orders that have waited longer than this
    /// are served first in their group, by arrival.
    public var starvationAfterSeconds: Int64

    /// Creates a snapshot; check it with ``check()`` before clearing it.
    public init(
        now: Timestamp, nodes: [MarketNode], orders: [MarketOrder], pools: [SetAsidePool], carbon: CarbonAtlas? = nil,
        tenants: [TenantStanding]? = nil, starvationAfterSeconds: Int64 = ClearingEngine.defaultStarvationAfterSeconds
    ) {
        self.now = now
        self.nodes = nodes
        self.orders = orders
        self.pools = pools
        self.carbon = carbon
        self.tenants = tenants
        self.starvationAfterSeconds = starvationAfterSeconds
    }

    /// Checks the rules a clearing relies on: unique node ids, order ids and pool names,
    /// node figures in range, pool shares adding up to at most 100 %, unique tenant ids with
    /// weights and usage in range, a non-negative aging threshold.
    ///
    /// - Throws: ``MarketInputError`` naming the first offending item and field.
    public func check() throws(MarketInputError) {
        var nodeIDs = Set<String>()
        for (index, node) in nodes.enumerated() {
            let item = "nodes[\(index)] (id \(node.id))"
            if node.id.isEmpty { throw MarketInputError(item: "nodes[\(index)]", field: "id", "must not be empty") }
            guard nodeIDs.insert(node.id).inserted else {
                throw MarketInputError(item: item, field: "id", "duplicate node id '\(node.id)'; node ids must be unique")
            }
            if node.operatorID.isEmpty { throw MarketInputError(item: item, field: "operator", "must not be empty") }
            if node.freeGPUs < 0 || node.freeGPUs > JobSpec.Limits.maxGPUsPerNode {
                throw MarketInputError(item: item, field: "gpus", "must be between 0 and \(JobSpec.Limits.maxGPUsPerNode) free GPUs, got \(node.freeGPUs)")
            }
            if node.vramGiB < 1 { throw MarketInputError(item: item, field: "vram_gib", "must be at least 1, got \(node.vramGiB)") }
            if node.cpuCores < 1 { throw MarketInputError(item: item, field: "cpu", "must be at least 1, got \(node.cpuCores)") }
            if node.memoryGiB < 1 { throw MarketInputError(item: item, field: "memory_gib", "must be at least 1, got \(node.memoryGiB)") }
            if let disk = node.diskGiB, disk < 0 { throw MarketInputError(item: item, field: "disk_gib", "must not be negative, got \(disk)") }
            if node.region.isEmpty { throw MarketInputError(item: item, field: "region", "must not be empty") }
            if node.jurisdiction.isEmpty { throw MarketInputError(item: item, field: "jurisdiction", "must not be empty") }
            if node.askPerGPUHour.rawValue < 0 { throw MarketInputError(item: item, field: "ask_price", "must not be negative") }
            if let carbon = node.carbonMicroGCO2PerKWh, carbon < 0 {
                throw MarketInputError(item: item, field: "carbon_gco2_per_kwh", "must not be negative")
            }
        }
        var orderIDs = Set<String>()
        for (index, order) in orders.enumerated() {
            if order.id.isEmpty { throw MarketInputError(item: "orders[\(index)]", field: "id", "must not be empty") }
            guard orderIDs.insert(order.id).inserted else {
                throw MarketInputError(item: "orders[\(index)] (id \(order.id))", field: "id", "duplicate order id '\(order.id)'; order ids must be unique")
            }
        }
        var poolNames = Set<String>()
        var totalPPM = 0
        for (index, pool) in pools.enumerated() {
            let item = "pools[\(index)] (name \(pool.name))"
            if pool.name.isEmpty { throw MarketInputError(item: "pools[\(index)]", field: "name", "must not be empty") }
            guard poolNames.insert(pool.name).inserted else {
                throw MarketInputError(item: item, field: "name", "duplicate pool name '\(pool.name)'; pool names must be unique")
            }
            totalPPM += pool.sharePPM
            if totalPPM > 1_000_000 {
                throw MarketInputError(item: item, field: "share", "pool shares add up to more than 1 (100 % of the GPUs)")
            }
        }
        if starvationAfterSeconds < 0 {
            throw MarketInputError(item: "snapshot", field: "starvation_after_s", "must not be negative, got \(starvationAfterSeconds)")
        }
        var tenantIDs = Set<String>()
        for (index, tenant) in (tenants ?? []).enumerated() {
            let item = "tenants[\(index)] (id \(tenant.id))"
            if tenant.id.isEmpty { throw MarketInputError(item: "tenants[\(index)]", field: "id", "must not be empty") }
            guard tenantIDs.insert(tenant.id).inserted else {
                throw MarketInputError(item: item, field: "id", "duplicate tenant id '\(tenant.id)'; tenant ids must be unique")
            }
            if tenant.weight < 1 || tenant.weight > TenantStanding.maxWeight {
                throw MarketInputError(item: item, field: "weight", "must be a whole number from 1 to \(TenantStanding.maxWeight), got \(tenant.weight)")
            }
            for (field, value) in [("usage.gpus", tenant.usageGPUs), ("usage.cpu", tenant.usageCPUCores), ("usage.memory_gib", tenant.usageMemoryGiB)]
            where value < 0 || value > TenantStanding.maxUsage {
                throw MarketInputError(item: item, field: field, "must be between 0 and \(TenantStanding.maxUsage), got \(value)")
            }
        }
    }
}
