import OSGDomain

/// The sums behind ``MarketStatistics`` and the published set-aside usage, kept up to date as
/// orders are submitted and leases start and end, so that publishing them costs what is live
/// (groups, running leases, grants) rather than a pass over every order and lease ever.
///
/// Derived state only: a function of `orders` and `leases` (``init(rebuildingFrom:)`` builds
/// it from them alone) and not part of the digest. Every figure is a count, a sum of integers
/// or a multiset of integers, so the order in which orders and leases came does not matter and
/// the published values equal those of a full pass (``CoordinatorState/statisticsByFullPass``).
struct StatisticsTotals: Sendable, Equatable {
    /// Submissions and queue times of one group of orders.
    struct Group: Sendable, Equatable {
        var submitted = 0
        var waits = WaitHistogram()
    }

    /// By requested resource class (the spec's GPU selector).
    private(set) var byResourceClass: [String: Group] = [:]
    /// By user class: `standard`, `preemptible`, or `set-aside:<pool>`.
    private(set) var byUserClass: [String: Group] = [:]
    /// Orders with at least one lease (their first start has been counted).
    private(set) var startedOrderIDs: Set<String> = []
    /// GPU-seconds of ended leases of set-aside orders, per pool and tenant.
    private(set) var endedSetAsideGPUSeconds: [CoordinatorState.GrantKey: Int64] = [:]

    init() {}

    /// The totals of `orders` and `leases`, from scratch (after loading persistent fields).
    init(orders: [String: Order], leases: [String: Lease]) {
        for order in orders.values { submitted(order) }
        var firstStart: [String: Timestamp] = [:]
        for lease in leases.values where firstStart[lease.orderID].map({ lease.start < $0 }) ?? true {
            firstStart[lease.orderID] = lease.start
        }
        for (orderID, start) in firstStart {
            guard let order = orders[orderID] else { continue }
            firstStarted(order, at: start)
        }
        for lease in leases.values where lease.end != nil {
            guard let order = orders[lease.orderID] else { continue }
            ended(lease, of: order)
        }
    }

    /// The resource class an order is counted in.
    static func resourceClass(of order: Order) -> String { order.spec.resources.gpu.selector.description }

    /// The user class an order is counted in.
    static func userClass(of order: Order) -> String { order.pool.map { "set-aside:\($0)" } ?? order.spec.jobClass.rawValue }

    /// Counts a newly accepted order.
    mutating func submitted(_ order: Order) {
        byResourceClass[Self.resourceClass(of: order), default: Group()].submitted += 1
        byUserClass[Self.userClass(of: order), default: Group()].submitted += 1
    }

    /// Counts `lease` starting for `order`; only an order's first lease gives it a queue time.
    ///
    /// Leases start in time order (log time never goes back), so the first lease seen for an
    /// order is the earliest, as in the full pass.
    mutating func started(_ lease: Lease, of order: Order) {
        guard !startedOrderIDs.contains(order.id) else { return }
        firstStarted(order, at: lease.start)
    }

    private mutating func firstStarted(_ order: Order, at start: Timestamp) {
        startedOrderIDs.insert(order.id)
        let wait = order.submitted.seconds(until: start)
        byResourceClass[Self.resourceClass(of: order), default: Group()].waits.insert(wait)
        byUserClass[Self.userClass(of: order), default: Group()].waits.insert(wait)
    }

    /// Counts the GPU-seconds of an ended lease of a set-aside order.
    mutating func ended(_ lease: Lease, of order: Order) {
        guard let pool = order.pool, let end = lease.end?.at else { return }
        let key = CoordinatorState.GrantKey(pool: pool, tenantID: order.tenantID)
        endedSetAsideGPUSeconds[key] = (endedSetAsideGPUSeconds[key] ?? 0).addingSaturated(Self.gpuSeconds(of: lease, until: end))
    }

    /// GPU-seconds `lease` holds from its start up to `end` (0 when `end` is before the start),
    /// held at `Int64.max` rather than overflowing (sums of them saturate too, so a published
    /// figure never traps or wraps; within the published bounds none comes near it).
    static func gpuSeconds(of lease: Lease, until end: Timestamp) -> Int64 {
        Int64(lease.totalGPUs).multipliedSaturated(by: max(0, lease.start.seconds(until: end)))
    }
}

/// A multiset of whole-second queue times with exact nearest-rank percentiles.
///
/// Stored as the sorted distinct values with their counts: an insertion is a binary search
/// plus, for a value not seen before, one array insertion; a percentile is one pass over the
/// distinct values. Queue times are whole seconds, so the number of distinct values is bounded
/// by the longest wait in seconds (in practice thousands), not by the number of orders; this
/// keeps both costs independent of history without a balanced tree.
struct WaitHistogram: Sendable, Equatable {
    /// Distinct values, ascending.
    private(set) var values: [Int64] = []
    /// How often each value occurs (same index as `values`).
    private(set) var counts: [Int] = []
    /// Number of values inserted.
    private(set) var total = 0

    /// Adds one occurrence of `value`.
    mutating func insert(_ value: Int64) {
        var low = 0
        var high = values.count
        while low < high {
            let middle = (low + high) / 2
            if values[middle] < value { low = middle + 1 } else { high = middle }
        }
        if low < values.count, values[low] == value {
            counts[low] += 1
        } else {
            values.insert(value, at: low)
            counts.insert(1, at: low)
        }
        total += 1
    }

    /// The nearest-rank percentiles (rank rounded up) for each of `ppms` (ascending, parts per
    /// million), as the full pass computes them over the sorted values; `nil` when empty.
    func percentiles(_ ppms: [Int]) -> [Int64?] {
        guard total > 0 else { return ppms.map { _ in nil } }
        assert(ppms == ppms.sorted(), "percentiles are asked in ascending order")
        // The full pass takes sorted[max(0, min(n, rank) - 1)]: the value whose cumulative
        // count first reaches max(1, min(n, rank)).
        var results: [Int64?] = []
        var index = 0
        var cumulative = counts.isEmpty ? 0 : counts[0]
        for ppm in ppms {
            let rank = (total * ppm + 999_999) / 1_000_000
            let target = max(1, min(total, rank))
            while cumulative < target {
                index += 1
                cumulative += counts[index]
            }
            results.append(values[index])
        }
        return results
    }
}

extension CoordinatorState {
    /// Rebuilds the derived statistics caches (``StatisticsTotals``, ``CarbonTotals``) from the
    /// persistent fields alone, e.g. after a state is loaded from a snapshot.
    mutating func rebuildStatisticsCaches() {
        statisticsTotals = StatisticsTotals(orders: orders, leases: leases)
        carbonTotals = carbonTotalsByFullPass()
    }
}
