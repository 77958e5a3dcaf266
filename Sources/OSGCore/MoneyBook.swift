import OSGDomain

/// What the state keeps about money beyond the ledger's balances, under a genesis with
/// ``MoneyRules``: each node's collateral account and fault record, collateral cooling off,
/// credit withdrawals, and running totals behind the published figures (docs/LEDGER.md).
///
/// Every collection is a dictionary keyed by a string; the digest and the published state
/// list them sorted by key (``canonical``).
public struct MoneyBook: Hashable, Sendable, Codable {
    /// Per registered node: its collateral account and faults.
    public var collateral: [String: NodeCollateral] = [:]
    /// Per withdrawn node whose collateral is cooling off: the same, with its release time.
    public var coolingOff: [String: NodeCollateral] = [:]
    /// Credit withdrawals by id (`wd-<sequence>`), pending, paid or voided.
    public var withdrawals: [String: Withdrawal] = [:]
    /// Credits that entered from outside (deposits and pool funding), in micro-credits.
    public var depositedMicroCredits: UInt64 = 0
    /// Credits paid out by withdrawals governance posted.
    public var withdrawnMicroCredits: UInt64 = 0
    /// Protocol fees paid to the treasury.
    public var feesMicroCredits: UInt64 = 0
    /// Collateral slashed, in all.
    public var slashedMicroCredits: UInt64 = 0
    /// Of the slashed collateral, what went to tenants (and pools) as compensation.
    public var compensationMicroCredits: UInt64 = 0
    /// Credits moved between participants by transfers.
    public var transferredMicroCredits: UInt64 = 0

    public init() {}

    /// Counts credits that entered from outside (a deposit or a pool's funding).
    mutating func recordDeposit(_ amount: UInt64) {
        depositedMicroCredits = depositedMicroCredits.addingSaturated(amount)
    }

    /// A node's collateral and its record of faults.
    public struct NodeCollateral: Hashable, Sendable, Codable {
        /// The node's operator (kept after the node is withdrawn, to return the collateral to).
        public var operatorID: String
        /// The ledger account holding the locked collateral (`nil`: the node staked nothing).
        public var accountID: UInt64?
        /// The stake the registration locked.
        public var lockedMicroCredits: UInt64
        /// Times (seconds since the epoch) of the node's faults within the fault window.
        public var recentFaults: [Int64] = []
        /// Faults ever.
        public var faults: Int = 0
        /// Collateral slashed ever.
        public var slashedMicroCredits: UInt64 = 0
        /// When a withdrawn node's collateral returns to its operator; `nil` while the node is registered.
        public var releaseAt: Timestamp? = nil
    }

    /// A request to take credits out of the market: held (a pending transfer to the external
    /// account) until governance posts it as paid or voids it.
    public struct Withdrawal: Hashable, Sendable, Codable {
        public var id: String
        /// Who asked, whose credits are held.
        public var accountHolder: String
        public var amount: MicroCredits
        /// A public payout reference the holder chose (may be empty).
        public var reference: String
        public var requested: Timestamp
        /// The pending ledger transfer holding the credits.
        public var transferID: UInt64
        public var status: Status
        /// When governance posted or voided it.
        public var settled: Timestamp? = nil

        /// Where a withdrawal stands.
        public enum Status: String, Hashable, Sendable, Codable {
            /// Held, waiting for governance.
            case pending
            /// Paid out: the credits left the market.
            case paid
            /// Voided: the credits came back.
            case voided
        }
    }

    /// The book in canonical order (every collection sorted by key), for the state digest.
    public struct Canonical: Hashable, Sendable, Codable {
        public var collateral: [Keyed<NodeCollateral>]
        public var coolingOff: [Keyed<NodeCollateral>]
        public var withdrawals: [Withdrawal]
        public var depositedMicroCredits: UInt64
        public var withdrawnMicroCredits: UInt64
        public var feesMicroCredits: UInt64
        public var slashedMicroCredits: UInt64
        public var compensationMicroCredits: UInt64
        public var transferredMicroCredits: UInt64
    }

    /// A value with the key it is filed under.
    public struct Keyed<Value: Hashable & Sendable & Codable>: Hashable, Sendable, Codable {
        public var key: String
        public var value: Value
    }

    /// The book in canonical order.
    public var canonical: Canonical {
        Canonical(
            collateral: collateral.sorted { $0.key < $1.key }.map { Keyed(key: $0.key, value: $0.value) },
            coolingOff: coolingOff.sorted { $0.key < $1.key }.map { Keyed(key: $0.key, value: $0.value) },
            withdrawals: withdrawals.values.sorted { $0.id < $1.id },
            depositedMicroCredits: depositedMicroCredits, withdrawnMicroCredits: withdrawnMicroCredits,
            feesMicroCredits: feesMicroCredits, slashedMicroCredits: slashedMicroCredits,
            compensationMicroCredits: compensationMicroCredits, transferredMicroCredits: transferredMicroCredits)
    }
}
