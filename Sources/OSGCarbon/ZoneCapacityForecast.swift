import OSGDomain

/// Forecast free GPUs per grid zone and hour: each zone's online GPUs minus what is committed
/// to each hour — running leases until their expected end, and flexible jobs already planned
/// for a later hour (docs/CARBON.md, "Capacity-aware planning").
///
/// Hours are whole hours since the epoch (``CarbonSeries/hour(containing:)``); the forecast
/// covers `[firstHour, firstHour + hourCount)` and sees nothing committed outside it. A
/// commitment of `[from, until)` holds every hour that interval touches, so a forecast never
/// shows a partly taken hour as free. Pure value type: the caller records what starts, ends and
/// is planned, and reads ``room(zone:from:durationSeconds:)``.
public struct ZoneCapacityForecast: Sendable {
    /// The first hour covered.
    public let firstHour: Int64
    /// The hours covered.
    public let hourCount: Int
    /// Zone name → index in ``capacity`` and ``committed``.
    private var zoneCodes: [String: Int] = [:]
    /// Online GPUs per zone (the same for every future hour: the forecast does not guess churn).
    private var capacity: [Int] = []
    /// GPUs committed per zone and hour (index = hour − firstHour).
    private var committed: [[Int32]] = []

    /// Creates an empty forecast over `hourCount` hours from `firstHour`.
    public init(firstHour: Int64, hourCount: Int) {
        precondition(hourCount > 0, "a forecast covers at least one hour")
        self.firstHour = firstHour
        self.hourCount = hourCount
    }

    private mutating func code(_ zone: String) -> Int {
        if let code = zoneCodes[zone] { return code }
        let code = capacity.count
        zoneCodes[zone] = code
        capacity.append(0)
        committed.append(Array(repeating: 0, count: hourCount))
        return code
    }

    /// Sets the GPUs online in `zone`.
    public mutating func setCapacity(zone: String, gpus: Int) {
        precondition(gpus >= 0, "capacity is not negative")
        capacity[code(zone)] = gpus
    }

    /// The GPUs online in `zone` (0 for a zone never set).
    public func capacity(zone: String) -> Int { zoneCodes[zone].map { capacity[$0] } ?? 0 }

    /// The covered hour indices that `[fromSeconds, untilSeconds)` touches.
    private func hourRange(fromSeconds: Int64, untilSeconds: Int64) -> Range<Int>? {
        guard untilSeconds > fromSeconds else { return nil }
        let first = CarbonSeries.hour(containing: Timestamp(secondsSinceEpoch: fromSeconds)) - firstHour
        let last = CarbonSeries.hour(containing: Timestamp(secondsSinceEpoch: untilSeconds - 1)) - firstHour
        let lower = max(first, 0)
        let upper = min(last + 1, Int64(hourCount))
        guard lower < upper else { return nil }
        return Int(lower)..<Int(upper)
    }

    /// Commits `gpus` of `zone` to every hour `[fromSeconds, untilSeconds)` touches (a lease that
    /// starts, a job planned for later).
    public mutating func commit(zone: String, gpus: Int, fromSeconds: Int64, untilSeconds: Int64) {
        add(zone: zone, delta: Int32(gpus), fromSeconds: fromSeconds, untilSeconds: untilSeconds)
    }

    /// Takes back a commitment of `gpus` for the hours `[fromSeconds, untilSeconds)` touches, as
    /// made by ``commit(zone:gpus:fromSeconds:untilSeconds:)`` (pass the original `untilSeconds`
    /// and, for a lease that ends early, its end as `fromSeconds`: past hours are never read).
    public mutating func release(zone: String, gpus: Int, fromSeconds: Int64, untilSeconds: Int64) {
        add(zone: zone, delta: -Int32(gpus), fromSeconds: fromSeconds, untilSeconds: untilSeconds)
    }

    private mutating func add(zone: String, delta: Int32, fromSeconds: Int64, untilSeconds: Int64) {
        guard let range = hourRange(fromSeconds: fromSeconds, untilSeconds: untilSeconds) else { return }
        let zoneCode = code(zone)
        for hour in range {
            committed[zoneCode][hour] += delta
            assert(committed[zoneCode][hour] >= 0, "more released than committed in \(zone), hour \(firstHour + Int64(hour))")
        }
    }

    /// The GPUs of `zone` free in every hour that `[fromSeconds, fromSeconds + durationSeconds)`
    /// touches (the smallest hour's figure; hours outside the forecast count as free; never
    /// negative).
    public func room(zone: String, fromSeconds: Int64, durationSeconds: Int64) -> Int {
        guard let zoneCode = zoneCodes[zone] else { return 0 }
        let total = capacity[zoneCode]
        guard let range = hourRange(fromSeconds: fromSeconds, untilSeconds: fromSeconds + max(durationSeconds, 1)) else {
            return total
        }
        var busiest: Int32 = 0
        for hour in range { busiest = max(busiest, committed[zoneCode][hour]) }
        return max(0, total - Int(busiest))
    }
}
