import OSGDomain

/// Published valuations: what a node has earned and how it has served, from the log alone
/// (docs/LEDGER.md, "Valuations"), under a genesis with ``MoneyRules``.
///
/// The state keeps, per registered node and per UTC day (the last ``MoneyBook/incomeDays``),
/// the revenue settled to its operator, the GPU-seconds of its ended leases and the seconds of
/// its ended online spells; a valuation adds the running leases up to the state's last time and
/// the current spell up to the node's last heartbeat (the last time it was seen alive). An
/// online spell runs from registration (or a heartbeat that brought the node back) to its last
/// heartbeat before it went offline.
extension MoneyBook {
    /// Days of figures kept per node: the longest published window.
    public static let incomeDays: Int64 = 30

    /// Adds `amount` (negative: paid back) to `nodeID`'s revenue on the day of `time`.
    mutating func recordIncome(of nodeID: String, _ amount: Int64, at time: Timestamp) {
        let day = time.secondsSinceEpoch.floorDivided(by: 86_400)
        income[nodeID, default: NodeIncome()].revenueByDay[day, default: 0] += amount
        income[nodeID]!.prune(before: day - Self.incomeDays)
    }

    /// Adds `gpus` GPUs leased over `[from, to)` to `nodeID`'s leased time.
    mutating func recordLeased(on nodeID: String, gpus: Int, from: Timestamp, to: Timestamp) {
        guard income[nodeID] != nil else { return }
        income[nodeID]!.leasedGPUSecondsByDay.spread(from: from.secondsSinceEpoch, to: to.secondsSinceEpoch, weight: Int64(gpus))
        income[nodeID]!.prune(before: to.secondsSinceEpoch.floorDivided(by: 86_400) - Self.incomeDays)
    }

    /// `nodeID` is online from `time` (registered, or back after silence).
    mutating func startOnlineSpell(of nodeID: String, at time: Timestamp) {
        income[nodeID, default: NodeIncome()].onlineSince = time
    }

    /// `nodeID`'s online spell ended at `time` (its last heartbeat before going offline).
    mutating func endOnlineSpell(of nodeID: String, at time: Timestamp) {
        guard let since = income[nodeID]?.onlineSince else { return }
        income[nodeID]!.onlineSince = nil
        income[nodeID]!.onlineSecondsByDay.spread(from: since.secondsSinceEpoch, to: time.secondsSinceEpoch, weight: 1)
        income[nodeID]!.prune(before: time.secondsSinceEpoch.floorDivided(by: 86_400) - Self.incomeDays)
    }
}

extension MoneyBook.NodeIncome {
    mutating func prune(before day: Int64) {
        revenueByDay = revenueByDay.filter { $0.key >= day }
        leasedGPUSecondsByDay = leasedGPUSecondsByDay.filter { $0.key >= day }
        onlineSecondsByDay = onlineSecondsByDay.filter { $0.key >= day }
    }
}

extension Dictionary where Key == Int64, Value == Int64 {
    /// Adds `weight` per second of `[from, to)` to each UTC day it covers (at most the last
    /// ``MoneyBook/incomeDays`` + 1 days before `to`; older seconds are never published).
    mutating func spread(from: Int64, to: Int64, weight: Int64) {
        var start = Swift.max(from, to - (MoneyBook.incomeDays + 1) * 86_400)
        while start < to {
            let day = start.floorDivided(by: 86_400)
            let end = Swift.min(to, (day + 1) * 86_400)
            self[day, default: 0] += (end - start) * weight
            start = end
        }
    }

    /// The sum over days `first...` (days since the epoch).
    func sum(fromDay first: Int64) -> Int64 {
        reduce(0) { $1.key >= first ? $0 + $1.value : $0 }
    }
}

/// A node's published valuation over one trailing window.
public struct NodeValuationWindow: Hashable, Sendable, Codable {
    /// Days in the window (7 or 30): today and the days before it, UTC.
    public var days: Int64
    /// Seconds of the window the node was registered.
    public var seconds: Int64
    /// Revenue settled to the node's operator (before the fee, less what faults paid back), micro-credits.
    public var revenueMicroCredits: Int64
    /// Revenue per installed GPU-hour: revenue ÷ (GPUs × registered hours of the window), micro-credits.
    public var revenuePerGPUHourMicroCredits: Int64
    /// Leased GPU-seconds ÷ installed GPU-seconds, parts per million.
    public var utilisationPPM: Int64
    /// Online seconds ÷ registered seconds, parts per million.
    public var uptimePPM: Int64
}

/// A node's published valuation: its windows, faults, slashes, benchmark and shares.
public struct NodeValuation: Hashable, Sendable, Codable {
    public var nodeID: String
    public var operatorID: String
    public var gpuModel: String
    public var gpus: Int
    public var windows: [NodeValuationWindow]
    /// Faults that cost leases, ever, and those within the fault window.
    public var faults: Int
    public var recentFaults: Int
    /// Collateral slashed ever, and locked now, micro-credits.
    public var slashedMicroCredits: UInt64
    public var collateralMicroCredits: Int64
    /// The node's latest benchmark (nil when none).
    public var benchmark: NodeBenchmarkReport?
    /// Shares issued (0: none) and how many participants hold them.
    public var sharesIssued: Int64
    public var shareholders: Int
}

extension CoordinatorState {
    /// The trailing windows every valuation publishes, in days.
    public static let valuationWindows: [Int64] = [7, 30]

    /// The valuation of every registered node, by node id (`nil` under a genesis without money rules).
    public var valuations: [NodeValuation]? {
        guard money != nil else { return nil }
        let running = runningGPUsByNode()
        return sortedNodeIDs.compactMap { valuation(of: $0, running: running[$0] ?? []) }
    }

    /// `nodeID`'s valuation as of the state's last time.
    public func valuation(of nodeID: String) -> NodeValuation? {
        valuation(of: nodeID, running: runningGPUsByNode()[nodeID] ?? [])
    }

    /// The running leases' GPUs and start on each node.
    private func runningGPUsByNode() -> [String: [(gpus: Int, start: Int64)]] {
        var byNode: [String: [(gpus: Int, start: Int64)]] = [:]
        for lease in runningTotals.leases.values {
            for allocation in lease.allocations { byNode[allocation.nodeID, default: []].append((allocation.gpus, lease.start)) }
        }
        return byNode
    }

    private func valuation(of nodeID: String, running: [(gpus: Int, start: Int64)]) -> NodeValuation? {
        guard let money, let record = nodes[nodeID], let now = lastTime?.secondsSinceEpoch else { return nil }
        let income = money.income[nodeID] ?? MoneyBook.NodeIncome()
        let today = now.floorDivided(by: 86_400)
        // Running leases and the current online spell count up to now.
        var leased = income.leasedGPUSecondsByDay
        for lease in running { leased.spread(from: lease.start, to: now, weight: Int64(lease.gpus)) }
        var online = income.onlineSecondsByDay
        if let since = income.onlineSince, record.online {
            online.spread(from: since.secondsSinceEpoch, to: record.lastHeartbeat.secondsSinceEpoch, weight: 1)
        }
        let windows = Self.valuationWindows.map { days -> NodeValuationWindow in
            let firstDay = today - days + 1
            let seconds = max(0, now - max(firstDay * 86_400, record.registered.secondsSinceEpoch))
            let capacity = Int128(seconds) * Int128(record.node.gpuCount)
            let revenue = income.revenueByDay.sum(fromDay: firstDay)
            return NodeValuationWindow(
                days: days, seconds: seconds, revenueMicroCredits: revenue,
                revenuePerGPUHourMicroCredits: capacity > 0 ? Int64(clamping: Int128(revenue) * 3_600 / capacity) : 0,
                utilisationPPM: capacity > 0 ? Int64(clamping: Int128(leased.sum(fromDay: firstDay)) * 1_000_000 / capacity) : 0,
                uptimePPM: seconds > 0 ? Int64(clamping: Int128(online.sum(fromDay: firstDay)) * 1_000_000 / Int128(seconds)) : 0)
        }
        let collateral = money.collateral[nodeID]
        let window = genesis.money?.faultWindowSeconds ?? 0
        let shares = money.shares[nodeID]
        return NodeValuation(
            nodeID: nodeID, operatorID: record.node.operatorID, gpuModel: record.node.gpuModel.name, gpus: record.node.gpuCount,
            windows: windows, faults: collateral?.faults ?? 0,
            recentFaults: collateral?.recentFaults.filter { now - $0 < window }.count ?? 0,
            slashedMicroCredits: collateral?.slashedMicroCredits ?? 0, collateralMicroCredits: lockedCollateral(of: nodeID).rawValue,
            benchmark: record.benchmark, sharesIssued: shares?.issued ?? 0, shareholders: shares?.holders.count ?? 0)
    }
}

extension Int64 {
    /// `self ÷ divisor` rounded towards minus infinity (a day index of any time, before 1970 too).
    func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
