/// The published order in which a clearing serves orders (docs/MARKET.md):
/// set-aside orders first, then higher `max_price`, then standard before preemptible, then
/// earlier `submitted`, then lower order id (byte order).
struct OrderPriority: Comparable, Sendable {
    /// 0 for set-aside orders, 1 for open orders.
    var group: Int
    var maxPriceMicroCredits: Int64
    /// 0 standard (and set-aside), 1 preemptible.
    var classRank: Int
    var submittedSeconds: Int64
    var id: String

    init(_ order: MarketOrder) {
        let spec = order.spec!
        group = order.pool == nil ? 1 : 0
        maxPriceMicroCredits = spec.maxPricePerGPUHour.rawValue
        classRank = spec.jobClass == .preemptible ? 1 : 0
        submittedSeconds = order.submitted.secondsSinceEpoch
        id = order.id
    }

    static func < (lhs: OrderPriority, rhs: OrderPriority) -> Bool {
        if lhs.group != rhs.group { return lhs.group < rhs.group }
        if lhs.maxPriceMicroCredits != rhs.maxPriceMicroCredits { return lhs.maxPriceMicroCredits > rhs.maxPriceMicroCredits }
        if lhs.classRank != rhs.classRank { return lhs.classRank < rhs.classRank }
        if lhs.submittedSeconds != rhs.submittedSeconds { return lhs.submittedSeconds < rhs.submittedSeconds }
        return lhs.id.utf8.lexicographicallyPrecedes(rhs.id.utf8)
    }

    static func == (lhs: OrderPriority, rhs: OrderPriority) -> Bool {
        lhs.group == rhs.group && lhs.maxPriceMicroCredits == rhs.maxPriceMicroCredits && lhs.classRank == rhs.classRank
            && lhs.submittedSeconds == rhs.submittedSeconds && lhs.id == rhs.id
    }
}
