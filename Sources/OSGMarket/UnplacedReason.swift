import OSGDomain

/// The binding constraint that kept an order from being placed, with a stable code.
///
/// Static reasons (``noNodeMatchesModel`` … ``gangNoRegionWithEnoughNodes``) mean no node of
/// the snapshot could take the order even if it were empty: they are checked as a cascade in
/// the order of the cases, and the reason is the first filter after which no node remains.
/// ``poolExhausted``, ``setAsideFloor`` and ``noCapacity`` mean nodes that fit exist but
/// their GPUs went to orders ahead in the published priority, or a budget ran out.
/// See docs/MARKET.md.
public enum UnplacedReason: Hashable, Sendable, CustomStringConvertible {
    /// The spec failed validation; the problems as `field: message`.
    case invalidSpec(problems: [String])
    /// The order names a pool the snapshot does not have.
    case poolUnknown
    /// The spec's class is `set-aside` but the order names no pool.
    case setAsideNeedsPool
    /// The order names a pool but its spec's class is not `set-aside`.
    case poolNeedsSetAsideClass
    /// A set-aside order whose max_price is below its pool's price.
    case maxPriceBelowPoolPrice
    /// No node has an accepted GPU model.
    case noNodeMatchesModel
    /// Not in an allowed region.
    case region
    /// Not in an allowed jurisdiction.
    case jurisdiction
    /// No node left has that many GPUs free, even before this clearing.
    case gpuCount
    /// Too little memory per GPU.
    case vram
    /// Too few CPU cores.
    case cpu
    /// Too little memory.
    case memory
    /// Too little local disk.
    case disk
    /// Only excluded operators remain.
    case excludedOperator
    /// Only nodes above the carbon cap (or with no carbon figure) remain.
    case carbonCap
    /// Every remaining node asks more than max_price.
    case maxPriceBelowAsks
    /// Every remaining node asks more than the pool's ceiling (set-aside orders).
    case poolCeilingBelowAsks
    /// Nodes fit one by one, but no region has `nodes` of them.
    case gangNoRegionWithEnoughNodes
    /// The pool's reserved GPUs left are fewer than the order needs.
    case poolExhausted
    /// Standard open orders may not use GPUs reserved for set-aside pools, and the rest is taken.
    case setAsideFloor
    /// Nodes that fit exist, but their GPUs went to orders ahead in priority.
    case noCapacity
    /// A set-aside order within its pool's share that fits, but whose placement would cost
    /// the pool's funding more than it has left (each node's ask above the pool's price).
    case poolUnfunded
    /// A flexible order waits on purpose: starting at `start` in grid `zone` gives a lower mean
    /// carbon intensity over its run (the carbon step, docs/CARBON.md).
    case deferredForCleanerPower(start: Timestamp, zone: String)

    /// The stable machine-readable code, e.g. `vram` or `invalid_spec: resources.cpu: ...`.
    public var code: String {
        switch self {
        case .invalidSpec(let problems): "invalid_spec: " + problems.joined(separator: "; ")
        case .poolUnknown: "pool_unknown"
        case .setAsideNeedsPool: "set_aside_needs_pool"
        case .poolNeedsSetAsideClass: "pool_needs_set_aside_class"
        case .maxPriceBelowPoolPrice: "max_price_below_pool_price"
        case .noNodeMatchesModel: "no_node_matches_model"
        case .gpuCount: "gpu_count"
        case .vram: "vram"
        case .cpu: "cpu"
        case .memory: "memory"
        case .disk: "disk"
        case .region: "region"
        case .jurisdiction: "jurisdiction"
        case .excludedOperator: "excluded_operator"
        case .carbonCap: "carbon_cap"
        case .maxPriceBelowAsks: "max_price_below_asks"
        case .poolCeilingBelowAsks: "pool_ceiling_below_asks"
        case .poolUnfunded: "pool_unfunded"
        case .gangNoRegionWithEnoughNodes: "gang_no_region_with_enough_nodes"
        case .poolExhausted: "pool_exhausted"
        case .setAsideFloor: "set_aside_floor"
        case .noCapacity: "no_capacity"
        case .deferredForCleanerPower: "deferred_for_cleaner_power"
        }
    }

    public var description: String { code }

    /// The single-node filter cascade, in the order reasons are attributed.
    static let cascade: [UnplacedReason] = [
        .noNodeMatchesModel, .region, .jurisdiction, .gpuCount, .vram, .cpu, .memory, .disk,
        .excludedOperator, .carbonCap, .maxPriceBelowAsks,
    ]
}
