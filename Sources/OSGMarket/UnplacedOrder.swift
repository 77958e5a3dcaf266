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
