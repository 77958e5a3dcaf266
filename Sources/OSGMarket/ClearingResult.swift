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
