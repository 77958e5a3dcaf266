/// The published order in which a clearing serves orders (docs/MARKET.md, "Priority"):
///
/// 1. set-aside orders before open orders;
/// 2. within each, orders promoted by aging (waited longer than the starvation threshold)
///    first, among themselves by earlier `submitted`, then lower order id — price, class and
///    fair share do not matter for them;
/// 3. the others by higher `max_price`, then standard before preemptible, then (when the
///    clearing has fair share on) the tenant's lower weighted dominant share — dynamic, so the
///    engine applies it per bucket (``sharesFairShareBucket(with:)``) — then earlier
///    `submitted`, then lower order id (byte order).
///
/// This type is the static part of the key; the fair-share step is applied by the engine.
struct OrderPriority: Comparable, Sendable {
    /// 0 for set-aside orders, 1 for open orders.
    var group: Int
    /// 0 for an order promoted by aging, 1 otherwise.
    var agedRank: Int
    var maxPriceMicroCredits: Int64
    /// 0 standard (and set-aside), 1 preemptible.
    var classRank: Int
    var submittedSeconds: Int64
    var id: String
    /// The id's prefix key: ids compare on it first, and in full only when it ties.
    var idKey: UTF8ByteOrder.PrefixKey

    /// The static key of an order.
    ///
    /// - Parameters:
    ///   - order: an order with a valid spec.
    ///   - agedBefore: orders submitted strictly before this time (seconds since the epoch)
    ///     are promoted; `nil`: no aging.
    init(_ order: MarketOrder, agedBefore cutoff: Int64? = nil) {
        // Read through the box: binding the spec itself would copy it.
        let box = order.validSpec!
        group = order.pool == nil ? 1 : 0
        let submitted = order.submitted.secondsSinceEpoch
        submittedSeconds = submitted
        if let cutoff, submitted < cutoff { agedRank = 0 } else { agedRank = 1 }
        maxPriceMicroCredits = box.spec.maxPricePerGPUHour.rawValue
        classRank = box.spec.jobClass == .preemptible ? 1 : 0
        id = order.id
        idKey = UTF8ByteOrder.PrefixKey(order.id)
    }

    /// The key as integers, for sorting a long queue without reference counting: ordered as
    /// the priority is, except that two orders whose ids share their first 16 bytes get equal
    /// keys (then ``<`` decides).
    var integerKey: IntegerKey {
        let aged = agedRank == 0
        return IntegerKey(groupAndAging: Int64(group * 2 + agedRank),
                          // Higher price first: the complement reverses the order without overflow.
                          price: aged ? 0 : ~maxPriceMicroCredits, classRank: aged ? 0 : Int64(classRank),
                          submitted: submittedSeconds, idHigh: idKey.high, idLow: idKey.low)
    }

    /// ``integerKey``'s type: compared field by field in declaration order.
    struct IntegerKey: Comparable {
        var groupAndAging: Int64
        var price: Int64
        var classRank: Int64
        var submitted: Int64
        var idHigh: UInt64
        var idLow: UInt64

        static func < (lhs: IntegerKey, rhs: IntegerKey) -> Bool {
            (lhs.groupAndAging, lhs.price, lhs.classRank, lhs.submitted, lhs.idHigh, lhs.idLow)
                < (rhs.groupAndAging, rhs.price, rhs.classRank, rhs.submitted, rhs.idHigh, rhs.idLow)
        }

        /// ``OrderPriority/sharesFairShareBucket(with:)`` read from the keys.
        func sharesFairShareBucket(with other: IntegerKey) -> Bool {
            groupAndAging == other.groupAndAging && groupAndAging % 2 == 1 && price == other.price && classRank == other.classRank
        }
    }

    /// True when both orders tie on everything before the fair-share step (group, not
    /// promoted, price, class), so the tenants' shares decide between them.
    func sharesFairShareBucket(with other: OrderPriority) -> Bool {
        agedRank == 1 && other.agedRank == 1 && group == other.group
            && maxPriceMicroCredits == other.maxPriceMicroCredits && classRank == other.classRank
    }

    static func < (lhs: OrderPriority, rhs: OrderPriority) -> Bool {
        if lhs.group != rhs.group { return lhs.group < rhs.group }
        if lhs.agedRank != rhs.agedRank { return lhs.agedRank < rhs.agedRank }
        if lhs.agedRank == 1 {
            if lhs.maxPriceMicroCredits != rhs.maxPriceMicroCredits { return lhs.maxPriceMicroCredits > rhs.maxPriceMicroCredits }
            if lhs.classRank != rhs.classRank { return lhs.classRank < rhs.classRank }
        }
        if lhs.submittedSeconds != rhs.submittedSeconds { return lhs.submittedSeconds < rhs.submittedSeconds }
        if lhs.idKey != rhs.idKey { return lhs.idKey < rhs.idKey }
        return UTF8ByteOrder.precedes(lhs.id, rhs.id)
    }

    static func == (lhs: OrderPriority, rhs: OrderPriority) -> Bool {
        !(lhs < rhs) && !(rhs < lhs)
    }
}
