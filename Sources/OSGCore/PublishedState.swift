import OSGDomain
import OSGLedger

/// What the coordinator publishes beside each checkpoint (`state/<size>.json`): the figures
/// anyone can re-derive by replaying the log — balances, running leases, the queue and its
/// statistics, the price index, set-aside usage and lockups.
///
/// Its cost is proportional to what is live (accounts, running leases, the queue, grants), not
/// to the history: the full-state ``CoordinatorState/digest`` (every order and lease ever) is
/// left out, because publishing it at every checkpoint would grow without bound. The log itself
/// commits to everything else.
///
/// It is a pure function of ``CoordinatorState`` (``CoordinatorState/published``), so an auditor
/// who replays the log to the same tree size must get equal bytes. Every collection is sorted by
/// its key and every number is an integer; the canonical JSON form is documented in
/// docs/TRANSPARENCY_LOG.md ("Published state").
public struct PublishedState: Hashable, Sendable, Codable {
    /// The format tag; a new format gets a new tag.
    public static let currentFormat = "openstargate-published-state/1"

    /// Always ``currentFormat``.
    public var format: String
    /// Entries applied: the tree size of the checkpoint this state belongs to.
    public var treeSize: UInt64
    /// Time of the last applied entry (`nil` for an empty log).
    public var lastTime: Timestamp?
    /// Every ledger account with its balances, the system accounts first (`@treasury`,
    /// `@external`), then participants in id order.
    public var balances: [Balance]
    /// Running leases, by id.
    public var runningLeases: [Lease]
    /// Leases ever started (running and ended).
    public var leasesStarted: Int
    /// Pending order ids in queue order, each with the reason it is still waiting (if a
    /// clearing has seen it).
    public var queue: [QueuedOrder]
    /// Queue-time and acceptance statistics, utilisation and the price index.
    public var statistics: MarketStatistics
    /// Set-aside pools, by name.
    public var pools: [SetAsidePool]
    /// Set-aside usage per grant, by pool then tenant.
    public var setAsideUsage: [SetAsideUsage]
    /// Active public lockups, by id.
    public var lockups: [Lockup]
    /// The latest benchmark result of every registered node that has one, by node id; absent
    /// when no node has one (so states without benchmarks keep their bytes).
    public var nodeBenchmarks: [NodeBenchmarkEntry]? = nil
    /// The "claimed vs observed" figures of every registered node with a benchmark or a usage
    /// report, by node id; absent when there is none (so older states keep their bytes).
    public var nodeClaims: [NodeClaimEntry]? = nil
    /// Money beyond the balances, under a genesis with money rules: totals, pending
    /// withdrawals, shares and each registered node's valuation (absent otherwise, so older
    /// states keep their bytes).
    public var money: PublishedMoney? = nil
    /// The governance keys, quorum, carbon feeds and counter in force, under a genesis with
    /// governance keys (absent otherwise, so older states keep their bytes).
    public var governance: GovernanceBook? = nil

    /// The money figures of a published state.
    public struct PublishedMoney: Hashable, Sendable, Codable {
        public var depositedMicroCredits: UInt64
        public var withdrawnMicroCredits: UInt64
        public var feesMicroCredits: UInt64
        public var slashedMicroCredits: UInt64
        public var compensationMicroCredits: UInt64
        public var transferredMicroCredits: UInt64
        /// Withdrawals still pending, by id.
        public var pendingWithdrawals: [MoneyBook.Withdrawal]
        /// Shares of every node that has them, by node id.
        public var shares: [MoneyBook.Keyed<MoneyBook.SharesCanonical>]
        /// Every registered node's valuation, by node id.
        public var valuations: [NodeValuation]
    }

    /// A node's "claimed vs observed" figures, with the node's operator.
    public struct NodeClaimEntry: Hashable, Sendable, Codable {
        public var nodeID: String
        public var operatorID: String
        public var gpuCount: Int
        public var comparison: NodeClaimComparison
    }

    /// A node's latest benchmark result, with the node's operator and hardware.
    public struct NodeBenchmarkEntry: Hashable, Sendable, Codable {
        public var nodeID: String
        public var operatorID: String
        public var gpuModel: String
        public var gpuCount: Int
        public var reported: Timestamp
        public var result: NodeBenchmark
    }

    /// One ledger account's balances, in micro-credits.
    public struct Balance: Hashable, Sendable, Codable {
        /// The participant id, or `@treasury` / `@external` for the system accounts.
        public var holder: String
        /// The ledger account id.
        public var accountID: UInt64
        /// Credits posted minus debits posted.
        public var postedMicroCredits: Int64
        /// Debits reserved by pending transfers (lease escrows).
        public var pendingDebitsMicroCredits: Int64
        /// Credits reserved for this account by pending transfers.
        public var pendingCreditsMicroCredits: Int64
        /// Posted minus pending debits: what the holder can spend now.
        public var availableMicroCredits: Int64
    }

    /// A pending order and why it waits.
    public struct QueuedOrder: Hashable, Sendable, Codable {
        public var orderID: String
        public var tenantID: String
        /// The reason code of the last clearing (`nil` before any clearing saw it).
        public var waitingReason: String?
    }

    /// How much of a set-aside grant is used.
    public struct SetAsideUsage: Hashable, Sendable, Codable {
        public var pool: String
        public var tenantID: String
        public var quotaGPUSeconds: Int64
        public var expires: Timestamp
        /// GPU-seconds held by leases of this tenant's jobs in this pool, up to ``PublishedState/lastTime``
        /// (running leases count up to that time).
        public var leasedGPUSeconds: Int64
        /// Leases of this tenant's jobs in this pool that are running now.
        public var runningLeases: Int
    }
}

extension CoordinatorState {
    /// The published state as of the last applied entry: costs what is live, not the history
    /// (statistics and set-aside use are kept incrementally; equal to ``publishedByFullPass``).
    public var published: PublishedState {
        published(statistics: statistics, setAsideUsage: publishedSetAsideUsage)
    }

    /// The published state with statistics and set-aside use recomputed by a pass over every
    /// order and lease (the reference definition).
    public var publishedByFullPass: PublishedState {
        published(statistics: statisticsByFullPass, setAsideUsage: setAsideUsageByFullPass)
    }

    private func published(statistics: MarketStatistics, setAsideUsage: [PublishedState.SetAsideUsage]) -> PublishedState {
        PublishedState(
            format: PublishedState.currentFormat,
            treeSize: nextSequence,
            lastTime: lastTime,
            balances: publishedBalances,
            runningLeases: runningLeaseOfOrder.values.compactMap { leases[$0] }.sorted { $0.id < $1.id },
            leasesStarted: leases.count,
            queue: queue.map { orderID in
                PublishedState.QueuedOrder(
                    orderID: orderID, tenantID: orders[orderID]?.tenantID ?? "", waitingReason: waitingReasons[orderID])
            },
            statistics: statistics,
            pools: pools.values.sorted { $0.name < $1.name },
            setAsideUsage: setAsideUsage,
            lockups: lockups.values.sorted { $0.id < $1.id },
            nodeBenchmarks: publishedNodeBenchmarks,
            nodeClaims: publishedNodeClaims,
            money: publishedMoney,
            governance: governance)
    }

    private var publishedMoney: PublishedState.PublishedMoney? {
        guard let money else { return nil }
        let canonical = money.canonical
        return PublishedState.PublishedMoney(
            depositedMicroCredits: money.depositedMicroCredits, withdrawnMicroCredits: money.withdrawnMicroCredits,
            feesMicroCredits: money.feesMicroCredits, slashedMicroCredits: money.slashedMicroCredits,
            compensationMicroCredits: money.compensationMicroCredits, transferredMicroCredits: money.transferredMicroCredits,
            pendingWithdrawals: canonical.withdrawals.filter { $0.status == .pending },
            shares: canonical.shares, valuations: valuations ?? [])
    }

    private var publishedNodeClaims: [PublishedState.NodeClaimEntry]? {
        let entries = sortedNodeIDs.compactMap { id -> PublishedState.NodeClaimEntry? in
            guard let record = nodes[id], record.benchmark != nil || record.observation != nil else { return nil }
            return PublishedState.NodeClaimEntry(
                nodeID: id, operatorID: record.node.operatorID, gpuCount: record.node.gpuCount,
                comparison: record.claimComparison)
        }
        return entries.isEmpty ? nil : entries
    }

    private var publishedNodeBenchmarks: [PublishedState.NodeBenchmarkEntry]? {
        let entries = sortedNodeIDs.compactMap { id -> PublishedState.NodeBenchmarkEntry? in
            guard let record = nodes[id], let report = record.benchmark else { return nil }
            return PublishedState.NodeBenchmarkEntry(
                nodeID: id, operatorID: record.node.operatorID, gpuModel: record.node.gpuModel.name,
                gpuCount: record.node.gpuCount, reported: report.reported, result: report.result)
        }
        return entries.isEmpty ? nil : entries
    }

    private var publishedBalances: [PublishedState.Balance] {
        let holders = [("@treasury", Self.treasuryAccountID), ("@external", Self.externalAccountID)]
            + accountIDs.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        return holders.compactMap { holder, accountID in
            guard let account = ledger.account(accountID) else { return nil }
            return PublishedState.Balance(
                holder: holder, accountID: accountID,
                postedMicroCredits: Int64(clamping: account.postedBalanceMicroCredits),
                pendingDebitsMicroCredits: Int64(clamping: account.debitsPendingMicroCredits),
                pendingCreditsMicroCredits: Int64(clamping: account.creditsPendingMicroCredits),
                availableMicroCredits: Int64(clamping: account.availableMicroCredits))
        }
    }

    /// Set-aside use: the ended leases' GPU-seconds kept in ``StatisticsTotals`` plus the
    /// running leases up to ``lastTime``.
    private var publishedSetAsideUsage: [PublishedState.SetAsideUsage] {
        let now = lastTime ?? Timestamp(secondsSinceEpoch: 0)
        var usage: [GrantKey: (seconds: Int64, running: Int)] = statisticsTotals.endedSetAsideGPUSeconds.mapValues { ($0, 0) }
        for leaseID in runningLeaseOfOrder.values {
            guard let lease = leases[leaseID], let order = orders[lease.orderID], let pool = order.pool else { continue }
            let key = GrantKey(pool: pool, tenantID: order.tenantID)
            var entry = usage[key] ?? (0, 0)
            entry.seconds = entry.seconds.addingSaturated(StatisticsTotals.gpuSeconds(of: lease, until: now))
            entry.running += 1
            usage[key] = entry
        }
        return setAsideUsage(usage)
    }

    private var setAsideUsageByFullPass: [PublishedState.SetAsideUsage] {
        let now = lastTime ?? Timestamp(secondsSinceEpoch: 0)
        var usage: [GrantKey: (seconds: Int64, running: Int)] = [:]
        for lease in leases.values {
            guard let order = orders[lease.orderID], let pool = order.pool else { continue }
            let key = GrantKey(pool: pool, tenantID: order.tenantID)
            let end = lease.end?.at ?? now
            var entry = usage[key] ?? (0, 0)
            entry.seconds = entry.seconds.addingSaturated(StatisticsTotals.gpuSeconds(of: lease, until: end))
            if lease.end == nil { entry.running += 1 }
            usage[key] = entry
        }
        return setAsideUsage(usage)
    }

    private func setAsideUsage(_ usage: [GrantKey: (seconds: Int64, running: Int)]) -> [PublishedState.SetAsideUsage] {
        grants.sorted { $0.key < $1.key }.map { key, grant in
            PublishedState.SetAsideUsage(
                pool: grant.pool, tenantID: grant.tenantID, quotaGPUSeconds: grant.quotaGPUSeconds,
                expires: grant.expires, leasedGPUSeconds: usage[key]?.seconds ?? 0, runningLeases: usage[key]?.running ?? 0)
        }
    }
}
