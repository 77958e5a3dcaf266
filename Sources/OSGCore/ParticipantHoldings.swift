import OSGMarket
import OSGDomain

/// What each participant holds in the state that its own requests made and that costs the
/// coordinator to keep: waiting jobs (and the most they can cost together) per tenant, nodes
/// per operator. Derived from `queue`, `orders` and `nodes`, kept as they change, so the
/// coordinator's door can check a per-key cap or a new job's funds in O(1).
public struct ParticipantHoldings: Hashable, Sendable {
    /// A tenant's jobs waiting in the queue.
    public struct Queued: Hashable, Sendable {
        /// How many.
        public var jobs = 0
        /// The most they can cost together (``JobSpec/maxCost`` of each job that pays its
        /// own price; set-aside jobs, paid at their pool's price under a grant, count 0), in
        /// micro-credits (wide: exact for any number of jobs within the spec bounds).
        public var maxCost: UInt128 = 0
    }

    private var queuedByTenant: [String: Queued] = [:]
    private var nodesByOperator: [String: Int] = [:]

    public init() {}

    /// The waiting jobs of `tenantID`.
    public func queued(of tenantID: String) -> Queued { queuedByTenant[tenantID] ?? Queued() }

    /// The registered nodes of `operatorID`.
    public func nodes(of operatorID: String) -> Int { nodesByOperator[operatorID] ?? 0 }

    /// The amount a queued order counts for in ``Queued/maxCost``.
    public static func committedCost(of order: Order) -> UInt128 {
        order.pool == nil ? maxCost(of: order.spec, at: order.spec.maxPricePerGPUHour) : 0
    }

    /// `price` × the spec's GPUs × its max duration, rounded up to a micro-credit; wide, and
    /// saturating where even 128 bits would not hold it, so no spec makes it trap.
    public static func maxCost(of spec: JobSpec, at price: MicroCredits) -> UInt128 {
        // Each factor is below 2^63: GPU-seconds fit 126 bits; the product saturates.
        let gpuSeconds = UInt128(max(0, spec.totalGPUs)) * UInt128(max(0, spec.maxDurationSeconds))
        let (product, overflow) = UInt128(max(0, price.rawValue)).multipliedReportingOverflow(by: gpuSeconds)
        return overflow ? .max : product / 3_600 + (product % 3_600 > 0 ? 1 : 0)
    }

    mutating func queue(_ order: Order) {
        var figures = queuedByTenant[order.tenantID] ?? Queued()
        figures.jobs += 1
        figures.maxCost = figures.maxCost.addingSaturated(Self.committedCost(of: order))
        queuedByTenant[order.tenantID] = figures
    }

    mutating func dequeue(_ order: Order) {
        guard var figures = queuedByTenant[order.tenantID] else {
            assertionFailure("order \(order.id) leaves the queue without having entered it")
            return
        }
        figures.jobs -= 1
        assert(figures.jobs >= 0 && figures.maxCost >= Self.committedCost(of: order), "a tenant's queued figures never go below 0")
        // Exact unless a sum saturated (impossible within the spec bounds); never below 0.
        figures.maxCost -= min(figures.maxCost, Self.committedCost(of: order))
        queuedByTenant[order.tenantID] = figures.jobs > 0 ? figures : nil
    }

    mutating func registered(_ node: ComputeNode) {
        nodesByOperator[node.operatorID, default: 0] += 1
    }

    mutating func withdrew(_ node: ComputeNode) {
        let left = (nodesByOperator[node.operatorID] ?? 0) - 1
        assert(left >= 0, "an operator never has fewer than 0 nodes")
        nodesByOperator[node.operatorID] = left > 0 ? left : nil
    }
}

extension ParticipantHoldings: EmptyDerivedCache {}

extension CoordinatorState {
    /// Puts `orderID` at the end of the queue, counting it for its tenant.
    mutating func enqueue(_ orderID: String) {
        // The kept market orders follow the queue once a clearing built them.
        if queuedMarketOrders.count == queue.count { queuedMarketOrders.append(nil) }
        queue.append(orderID)
        if let order = orders[orderID] { holdings.queue(order) }
    }

    /// Takes every order that `leaves` names out of the queue (keeping the rest in order).
    mutating func dequeue(where leaves: (String) -> Bool) {
        var kept: [String] = []
        kept.reserveCapacity(queue.count)
        let aligned = queuedMarketOrders.count == queue.count
        // Taken out while it is rebuilt (no copy of a shared buffer).
        let market = aligned ? queuedMarketOrders : []
        queuedMarketOrders = []
        var keptMarket: [MarketOrder?] = []
        if aligned { keptMarket.reserveCapacity(queue.count) }
        for (place, orderID) in queue.enumerated() {
            if leaves(orderID) {
                if let order = orders[orderID] { holdings.dequeue(order) }
            } else {
                kept.append(orderID)
                if aligned { keptMarket.append(market[place]) }
            }
        }
        queue = kept
        queuedMarketOrders = keptMarket
    }

    /// Rebuilds ``holdings`` from the queue and the nodes.
    mutating func rebuildHoldings() {
        var rebuilt = ParticipantHoldings()
        for orderID in queue { if let order = orders[orderID] { rebuilt.queue(order) } }
        for record in nodes.values { rebuilt.registered(record.node) }
        holdings = rebuilt
    }

    /// The jobs `tenantID` has waiting, and the most they can cost together.
    public func queuedJobs(of tenantID: String) -> ParticipantHoldings.Queued { holdings.queued(of: tenantID) }

    /// How many nodes `operatorID` has registered.
    public func nodeCount(of operatorID: String) -> Int { holdings.nodes(of: operatorID) }
}

extension CoordinatorState {
    /// The most a job of `spec` can cost its tenant: its max price × GPUs × max duration, or for
    /// a set-aside job (`pool` set) the pool's price instead of the max price (the pool's
    /// funding pays the rest). Wide, so no spec makes it wrap.
    public func maxCostToTenant(of spec: JobSpec, pool: String?) -> UInt128 {
        ParticipantHoldings.maxCost(of: spec, at: pool.flatMap { pools[$0]?.pricePerGPUHour } ?? spec.maxPricePerGPUHour)
    }
}

extension UInt128 {
    /// `self + other`, held at `UInt128.max` instead of overflowing.
    public func addingSaturated(_ other: UInt128) -> UInt128 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? .max : sum
    }
}
