/// Some shares of one node held by one account.
public struct ShareHolding: Sendable, Hashable {
    /// The owner's account.
    public let accountID: UInt64
    /// Number of shares (a node's shares need not add up to any particular total).
    public let shares: UInt64

    /// Creates a holding.
    public init(accountID: UInt64, shares: UInt64) {
        self.accountID = accountID
        self.shares = shares
    }
}
