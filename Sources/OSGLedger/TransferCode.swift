/// Why a transfer was made, like TigerBeetle's transfer `code` field.
///
/// Stored with the transfer, compared for idempotency, never interpreted by the ledger.
public struct TransferCode: RawRepresentable, Sendable, Hashable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// No reason given (the contract's default).
    public static let unspecified = TransferCode(rawValue: 0)
    /// Money entering the market from outside.
    public static let deposit = TransferCode(rawValue: 1)
    /// A lease's escrow (pending, tenant → operator).
    public static let escrow = TransferCode(rawValue: 2)
    /// The protocol fee on a settlement (operator → treasury).
    public static let protocolFee = TransferCode(rawValue: 3)
    /// A fractional owner's share of a settlement (operator → owner).
    public static let revenueShare = TransferCode(rawValue: 4)
    /// An operator's stake locked as collateral: operator → the node's collateral account
    /// (``MarketTransfers/holdStake(id:operatorAccountID:treasuryAccountID:amountMicroCredits:)``
    /// holds it as a pending transfer to the treasury instead).
    public static let stake = TransferCode(rawValue: 5)
    /// Compensation paid out of a slashed stake to those a fault cost: collateral → tenant or pool
    /// (``MarketTransfers/slash(_:rule:brokenLeaseValueMicroCredits:tenantAccountID:restake:ids:)``: treasury → tenant).
    public static let slashCompensation = TransferCode(rawValue: 6)
    /// Money leaving the market.
    public static let withdrawal = TransferCode(rawValue: 7)
    /// A set-aside pool's share of a lease's escrow: what the lease's nodes ask above the
    /// pool's price (pending, pool → operator).
    public static let poolSubsidy = TransferCode(rawValue: 8)
    /// A withdrawn node's collateral returning to its operator after the cooling-off period.
    public static let collateralReturn = TransferCode(rawValue: 9)
    /// The part of a slash the affected tenants' losses did not take (collateral → treasury).
    public static let slash = TransferCode(rawValue: 10)
    /// What a lease lost to a node fault had already paid an operator, paid back to its payer.
    public static let faultRefund = TransferCode(rawValue: 11)
    /// Credits one participant sends another.
    public static let participantTransfer = TransferCode(rawValue: 12)
    /// A shareholder's pro-rata part of a slash of the node, paid to its operator.
    public static let slashShare = TransferCode(rawValue: 13)
}
