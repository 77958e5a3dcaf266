/// An operator's stake held as collateral: a pending transfer from the operator to the
/// treasury that is normally never posted (timeout 0), only posted in part when the operator
/// is slashed.
public struct OperatorStake: Sendable, Hashable {
    /// The operator whose stake it is.
    public let operatorAccountID: UInt64
    /// The treasury the pending transfer credits.
    public let treasuryAccountID: UInt64
    /// The pending transfer holding the stake.
    public let pendingTransferID: UInt64
    /// The amount held.
    public let amountMicroCredits: UInt64

    /// Creates the state of a stake (normally through ``MarketTransfers/holdStake(id:operatorAccountID:treasuryAccountID:amountMicroCredits:)``).
    public init(operatorAccountID: UInt64, treasuryAccountID: UInt64, pendingTransferID: UInt64, amountMicroCredits: UInt64) {
        self.operatorAccountID = operatorAccountID
        self.treasuryAccountID = treasuryAccountID
        self.pendingTransferID = pendingTransferID
        self.amountMicroCredits = amountMicroCredits
    }
}
