/// The protocol fee taken from each settlement: `floor(cost × basisPoints / 10,000)`, paid by the
/// operator to the treasury in the same linked chain as the settlement.
public struct ProtocolFee: Sendable, Hashable {
    /// The treasury account that receives the fee.
    public var treasuryAccountID: UInt64
    /// Fee rate in basis points (1/10,000); at most 10,000.
    public var basisPoints: UInt16

    /// Creates a fee rule.
    public init(treasuryAccountID: UInt64, basisPoints: UInt16) {
        precondition(basisPoints <= 10_000, "a fee above 100% is a programming error")
        self.treasuryAccountID = treasuryAccountID
        self.basisPoints = basisPoints
    }

    /// The fee on `amountMicroCredits`, rounded down (the operator keeps the fraction).
    public func feeMicroCredits(on amountMicroCredits: UInt64) -> UInt64 {
        UInt64(UInt128(amountMicroCredits) * UInt128(basisPoints) / 10_000)
    }
}
