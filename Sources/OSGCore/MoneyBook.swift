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
    /// Shares of nodes whose operators issued them, by node id (see `CoordinatorState+Shares`).
    public var shares: [String: NodeShares] = [:]
    /// Each node's income, leased time and uptime by day, for its published valuation (see
    /// `CoordinatorState+Valuation`).
    public var income: [String: NodeIncome] = [:]

    public init() {}

    /// The shares of one node: a fixed count, all first held by its operator.
    public struct NodeShares: Hashable, Sendable, Codable {
        /// Shares issued (fixed).
        public var issued: Int64
        /// Shares held, by participant (holders with none are dropped).
        public var holders: [String: Int64]
        /// What each participant has earned from the node's revenue as a holder, ever, in micro-credits.
        public var earnings: [String: UInt64] = [:]
    }

    /// One node's figures by day (days since the epoch, UTC); days older than the longest
    /// published window (30 days) are dropped as new ones arrive.
    public struct NodeIncome: Hashable, Sendable, Codable {
        /// Revenue paid to the node's operator (before the fee), less what faults paid back.
        public var revenueByDay: [Int64: Int64] = [:]
        /// GPU-seconds of ended leases, by the day they ran.
        public var leasedGPUSecondsByDay: [Int64: Int64] = [:]
        /// Online seconds of ended online spells, by the day they ran.
        public var onlineSecondsByDay: [Int64: Int64] = [:]
        /// When the current online spell began (`nil` while offline).
        public var onlineSince: Timestamp?
    }

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
        public var shares: [Keyed<SharesCanonical>]
        public var income: [Keyed<IncomeCanonical>]
    }

    /// A node's shares with every map sorted by key.
    public struct SharesCanonical: Hashable, Sendable, Codable {
        public var issued: Int64
        public var holders: [Keyed<Int64>]
        public var earnings: [Keyed<UInt64>]
    }

    /// A node's income with every map sorted by day.
    public struct IncomeCanonical: Hashable, Sendable, Codable {
        public var revenueByDay: [[Int64]]
        public var leasedGPUSecondsByDay: [[Int64]]
        public var onlineSecondsByDay: [[Int64]]
        public var onlineSince: Timestamp?
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
            compensationMicroCredits: compensationMicroCredits, transferredMicroCredits: transferredMicroCredits,
            shares: shares.sorted { $0.key < $1.key }.map { key, value in
                Keyed(key: key, value: SharesCanonical(
                    issued: value.issued, holders: value.holders.sorted { $0.key < $1.key }.map { Keyed(key: $0.key, value: $0.value) },
                    earnings: value.earnings.sorted { $0.key < $1.key }.map { Keyed(key: $0.key, value: $0.value) }))
            },
            income: income.sorted { $0.key < $1.key }.map { key, value in
                let days = { (map: [Int64: Int64]) in map.sorted { $0.key < $1.key }.map { [$0.key, $0.value] } }
                return Keyed(key: key, value: IncomeCanonical(
                    revenueByDay: days(value.revenueByDay), leasedGPUSecondsByDay: days(value.leasedGPUSecondsByDay),
                    onlineSecondsByDay: days(value.onlineSecondsByDay), onlineSince: value.onlineSince))
            })
    }
}
