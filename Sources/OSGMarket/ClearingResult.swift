import OSGDomain

/// The outcome of one clearing: every order exactly once, placed or unplaced with a reason.
public struct ClearingResult: Hashable, Sendable {
    /// Placed orders, sorted by order id.
    public var placements: [MarketPlacement]
    /// Orders left waiting, sorted by order id.
    public var unplaced: [UnplacedOrder]

    /// Creates a result.
    public init(placements: [MarketPlacement], unplaced: [UnplacedOrder]) {
        self.placements = placements
        self.unplaced = unplaced
    }
}

/// One placed order: the GPUs it got on each node and the price it pays.
public struct MarketPlacement: Hashable, Sendable {
    /// The order.
    public var orderID: String
    /// GPUs granted per node, sorted by node id (one entry per gang member).
    public var grants: [NodeGrant]
    /// What the order pays per GPU-hour.
    public var pricePerGPUHour: MicroCredits

    /// Creates a placement.
    public init(orderID: String, grants: [NodeGrant], pricePerGPUHour: MicroCredits) {
        self.orderID = orderID
        self.grants = grants
        self.pricePerGPUHour = pricePerGPUHour
    }

    /// GPUs the placement holds in total.
    public var totalGPUs: Int { grants.reduce(0) { $0 + $1.gpus } }
}

/// GPUs granted to an order on one node.
public struct NodeGrant: Hashable, Sendable {
    /// The node.
    public var nodeID: String
    /// GPUs granted on it.
    public var gpus: Int

    /// Creates a grant.
    public init(nodeID: String, gpus: Int) {
        self.nodeID = nodeID
        self.gpus = gpus
    }
}

/// An order the clearing could not place, with the constraint that kept it waiting.
public struct UnplacedOrder: Hashable, Sendable {
    /// The order.
    public var orderID: String
    /// Why it was not placed.
    public var reason: UnplacedReason

    /// Creates an unplaced entry.
    public init(orderID: String, reason: UnplacedReason) {
        self.orderID = orderID
        self.reason = reason
    }
}
