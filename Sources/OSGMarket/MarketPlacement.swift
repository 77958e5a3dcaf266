import OSGDomain

/// One placed order: the GPUs it got on each node and the price it pays.
public struct MarketPlacement: Hashable, Sendable {
    /// The order.
    public var orderID: String
    /// GPUs granted per node, sorted by node id (one entry per gang member).
    public var grants: [NodeGrant]
    /// What the order pays per GPU-hour.
    public var pricePerGPUHour: MicroCredits
    /// For a set-aside order: what its pool's funding pays for the whole `max_duration` (each
    /// node's ask above the pool's price, rounded up); 0 otherwise.
    public var poolSubsidy: MicroCredits

    /// Creates a placement.
    public init(orderID: String, grants: [NodeGrant], pricePerGPUHour: MicroCredits, poolSubsidy: MicroCredits = MicroCredits(0)) {
        self.orderID = orderID
        self.grants = grants
        self.pricePerGPUHour = pricePerGPUHour
        self.poolSubsidy = poolSubsidy
    }

    /// GPUs the placement holds in total.
    public var totalGPUs: Int { grants.reduce(0) { $0 + $1.gpus } }
}
