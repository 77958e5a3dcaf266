/// What an account is for in the market, like TigerBeetle's `code` field.
///
/// The ledger itself never looks at the code: it only stores it, includes it in idempotency
/// comparisons and in the state digest. The market helpers (``MarketTransfers``) and read
/// models use it to tell tenants from operators. It is a small integer so the JSON contract
/// of `osg ledger apply` stays unchanged (absent means ``unspecified``).
public struct AccountCode: RawRepresentable, Sendable, Hashable, Comparable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// No role given (the contract's default).
    public static let unspecified = AccountCode(rawValue: 0)
    /// The outside world: deposits come from it and withdrawals go to it (no limit flags).
    public static let external = AccountCode(rawValue: 1)
    /// A user who rents compute.
    public static let tenant = AccountCode(rawValue: 2)
    /// A provider who operates nodes.
    public static let `operator` = AccountCode(rawValue: 3)
    /// The protocol treasury (fees, the treasury cut of slashing).
    public static let treasury = AccountCode(rawValue: 4)
    /// A set-aside pool reserved for newcomers.
    public static let setAsidePool = AccountCode(rawValue: 5)
    /// A fractional owner of a node, paid pro rata from its revenue.
    public static let ownershipShare = AccountCode(rawValue: 6)
    /// A node's locked collateral: its operator's stake, slashed on the node's faults.
    public static let collateral = AccountCode(rawValue: 7)

    public static func < (lhs: AccountCode, rhs: AccountCode) -> Bool { lhs.rawValue < rhs.rawValue }
}
