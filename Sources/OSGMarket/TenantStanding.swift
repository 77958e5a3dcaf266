/// A tenant's standing for the fair-share step of a clearing (docs/MARKET.md, "Fair share"):
/// its weight and what its running leases hold now.
///
/// This is the `tenants[]` entry of a market snapshot:
///
/// ```json
/// {"id": "t1", "weight": 2, "usage": {"gpus": 8, "cpu": 64, "memory_gib": 512}}
/// ```
///
/// A tenant with orders but no entry has weight 1 and holds nothing.
public struct TenantStanding: Hashable, Sendable {
    /// The largest accepted weight; it keeps the fair-share arithmetic inside 128 bits.
    public static let maxWeight = 1_000
    /// The largest accepted usage figure per resource (10^12).
    public static let maxUsage = 1_000_000_000_000

    /// The tenant id, as in the orders' `tenant` field.
    public var id: String
    /// The tenant's weight (1...``maxWeight``): a tenant of weight 2 is entitled to twice the
    /// dominant share of a tenant of weight 1.
    public var weight: Int
    /// GPUs held by the tenant's running leases.
    public var usageGPUs: Int
    /// CPU cores held by the tenant's running leases.
    public var usageCPUCores: Int
    /// Memory held by the tenant's running leases, in GiB.
    public var usageMemoryGiB: Int

    /// Creates a standing; check it with ``MarketSnapshot/check()``.
    public init(id: String, weight: Int = 1, usageGPUs: Int = 0, usageCPUCores: Int = 0, usageMemoryGiB: Int = 0) {
        self.id = id
        self.weight = weight
        self.usageGPUs = usageGPUs
        self.usageCPUCores = usageCPUCores
        self.usageMemoryGiB = usageMemoryGiB
    }
}
