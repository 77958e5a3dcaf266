/// The money side of one lease: the budget reserved from the tenant as a pending transfer to
/// the operator, and how much of it is settled so far.
///
/// A pending transfer can be posted only once, so streamed settlement replaces it at every
/// interval: post the interval's cost (the rest is released) and, in the same linked chain,
/// reserve what is left as a new pending transfer. See ``MarketTransfers``.
public struct LeaseEscrow: Sendable, Hashable {
    /// The tenant who pays.
    public let tenantAccountID: UInt64
    /// The operator who is paid.
    public let operatorAccountID: UInt64
    /// The budget reserved at lease start.
    public let budgetMicroCredits: UInt64
    /// Posted to the operator so far.
    public internal(set) var settledMicroCredits: UInt64
    /// The pending transfer that currently holds the rest of the budget (`nil` once closed).
    public internal(set) var pendingTransferID: UInt64?
    /// Timeout given to each pending transfer of this escrow (0 = never expires).
    public let timeoutSeconds: UInt64

    /// What is still reserved: budget − settled (0 once closed).
    public var reservedMicroCredits: UInt64 {
        pendingTransferID == nil ? 0 : budgetMicroCredits - settledMicroCredits
    }

    /// Creates the state of an escrow (normally through ``MarketTransfers/openEscrow(id:tenantAccountID:operatorAccountID:budgetMicroCredits:timeoutSeconds:)``).
    public init(
        tenantAccountID: UInt64, operatorAccountID: UInt64, budgetMicroCredits: UInt64,
        settledMicroCredits: UInt64 = 0, pendingTransferID: UInt64?, timeoutSeconds: UInt64
    ) {
        precondition(settledMicroCredits <= budgetMicroCredits, "settled beyond the budget")
        self.tenantAccountID = tenantAccountID
        self.operatorAccountID = operatorAccountID
        self.budgetMicroCredits = budgetMicroCredits
        self.settledMicroCredits = settledMicroCredits
        self.pendingTransferID = pendingTransferID
        self.timeoutSeconds = timeoutSeconds
    }
}
