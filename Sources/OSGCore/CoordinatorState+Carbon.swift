import OSGCarbon
import OSGDomain

/// Carbon data inside the state machine: governance records each grid zone's hourly
/// intensity in the log, and every clearing runs the same carbon step as `osg market clear`
/// (docs/CARBON.md) over the recorded series, so a replay takes the same decisions.
extension CoordinatorState {
    /// The most hours one command may carry (a little over a year).
    public static let maxCarbonWindowHours = 9_000
    /// The most hours a zone's recorded series may span (ten years); older hours are kept.
    public static let maxCarbonSeriesHours = 87_600

    mutating func recordCarbonSeries(zone: String, firstHour: Int64, milligramsPerKWh values: [Int64], actor: String) -> [Event] {
        guard mayRecordCarbon(actor) else {
            return [.rejected(notGovernance("only governance (or a carbon feed its rules name) records carbon series"))]
        }
        guard !zone.isEmpty, zone.utf8.count <= 64, zone.utf8.allSatisfy(IdentifierText.isVisibleASCII) else {
            return [.rejected(Rejection(.invalidCarbonSeries, "zone must be 1 to 64 printable ASCII characters without spaces, got '\(zone)'"))]
        }
        guard (1...Self.maxCarbonWindowHours).contains(values.count) else {
            return [.rejected(Rejection(.invalidCarbonSeries, "zone \(zone): a window holds 1 to \(Self.maxCarbonWindowHours) hours, got \(values.count)"))]
        }
        if let bad = values.firstIndex(where: { $0 < 0 || $0 >= CarbonSeries.limitMilligramsPerKWh }) {
            return [.rejected(Rejection(.invalidCarbonSeries, "zone \(zone): hour \(firstHour + Int64(bad)) has \(values[bad]) mg/kWh; intensities are 0 to under 1,000,000 g/kWh"))]
        }
        guard firstHour >= 0, firstHour <= Int64(Int32.max) else {
            return [.rejected(Rejection(.invalidCarbonSeries, "zone \(zone): first hour \(firstHour) is out of range"))]
        }
        let window = CarbonWindow(zone: zone, firstHour: firstHour, milligramsPerKWh: values)
        guard let merged = Self.merge(window, into: carbonSeries[zone]) else {
            let existing = carbonSeries[zone]!
            return [.rejected(Rejection(.invalidCarbonSeries, "zone \(zone): hours \(firstHour)..<\(window.endHour) leave a gap next to the recorded hours \(existing.firstHour)..<\(existing.endHour); windows must overlap or touch them"))]
        }
        guard merged.milligramsPerKWh.count <= Self.maxCarbonSeriesHours else {
            return [.rejected(Rejection(.invalidCarbonSeries, "zone \(zone): the series would span \(merged.milligramsPerKWh.count) hours, more than \(Self.maxCarbonSeriesHours)"))]
        }
        replaceCarbonSeries(zone: zone, with: merged, changed: window.firstHour..<window.endHour)
        return [.carbonSeriesRecorded(zone: zone, firstHour: firstHour, hours: values.count)]
    }

    /// `window` laid over `existing` (its hours win); `nil` when they neither overlap nor touch.
    static func merge(_ window: CarbonWindow, into existing: CarbonWindow?) -> CarbonWindow? {
        guard let existing else { return window }
        guard window.firstHour <= existing.endHour, window.endHour >= existing.firstHour else { return nil }
        let first = min(existing.firstHour, window.firstHour)
        let end = max(existing.endHour, window.endHour)
        var values = [Int64](repeating: 0, count: Int(end - first))
        for (offset, value) in existing.milligramsPerKWh.enumerated() { values[Int(existing.firstHour - first) + offset] = value }
        for (offset, value) in window.milligramsPerKWh.enumerated() { values[Int(window.firstHour - first) + offset] = value }
        return CarbonWindow(zone: window.zone, firstHour: first, milligramsPerKWh: values)
    }

    /// The recorded series as the planner's atlas; `nil` when nothing is recorded.
    func carbonAtlas() -> CarbonAtlas? {
        guard !carbonSeries.isEmpty else { return nil }
        let series = carbonSeries.keys.sorted().map { zone -> CarbonSeries in
            let window = carbonSeries[zone]!
            return CarbonSeries(zone: zone, firstHour: window.firstHour, milligramsPerKWh: window.milligramsPerKWh)
        }
        do {
            return try CarbonAtlas(series: series)
        } catch {
            preconditionFailure("one contiguous series per zone always forms an atlas: \(error)")
        }
    }

    /// ``carbonAtlas()``, kept in ``carbonAtlasCache`` until a series changes (a clearing reads
    /// it every time, and building it walks every recorded hour).
    mutating func keptCarbonAtlas() -> CarbonAtlas? {
        guard !carbonSeries.isEmpty else { return nil }
        if let kept = carbonAtlasCache {
            assert(kept == carbonAtlas(), "the kept atlas is dropped whenever a series changes")
            return kept
        }
        carbonAtlasCache = carbonAtlas()
        return carbonAtlasCache
    }

    /// The intensity of `zone` at `time` in millionths of a gram per kWh, as the market reads
    /// it; `nil` when no recorded hour covers it.
    func carbonMicro(zone: String, at time: Timestamp) -> Int64? {
        guard !carbonSeries.isEmpty, let window = carbonSeries[zone] else { return nil }
        let hour = CarbonSeries.hour(containing: time)
        guard hour >= window.firstHour, hour < window.endHour else { return nil }
        return window.milligramsPerKWh[Int(hour - window.firstHour)] * 1000
    }
}

extension CoordinatorState {
    /// The cleanest recorded hour over every zone from `fromHour` to `throughHour` (inclusive;
    /// `nil`: to the end of each series), with its zone and intensity (the earliest zone in id
    /// order on a tie); `nil` when no zone has a recorded hour in that range.
    public func lowestRecordedCarbon(fromHour: Int64, throughHour: Int64?) -> (zone: String, hour: Int64, milligramsPerKWh: Int64)? {
        var best: (zone: String, hour: Int64, milligramsPerKWh: Int64)?
        for zone in carbonSeries.keys.sorted() {
            let window = carbonSeries[zone]!
            let first = max(fromHour, window.firstHour)
            let end = min(window.endHour, (throughHour ?? Int64.max - 1) + 1)
            guard first < end else { continue }
            for hour in first..<end {
                let value = window.milligramsPerKWh[Int(hour - window.firstHour)]
                if best == nil || value < best!.milligramsPerKWh { best = (zone, hour, value) }
            }
        }
        return best
    }
}

extension CoordinatorState {
    /// The hours ahead a clearing's capacity forecast covers (flexible windows past it see
    /// those hours as free).
    static let capacityForecastHours = 7 * 24

    /// Capacity per grid zone and hour for the carbon step's plan (docs/CARBON.md,
    /// "Capacity-aware planning"): each zone's online GPUs less lockups, with every running
    /// lease committed until its expected end (start + `duration`, or + `max_duration` once that
    /// has passed). Built only when a flexible order waits; O(leases × run hours).
    func capacityForecast(now: Timestamp) -> ZoneCapacityForecast {
        let cache = fleet
        let view = cache.view
        // Read through the kept fleet by zone code: a clearing builds this whenever a flexible
        // order waits, and a node-by-node walk of `nodes` hashed every node's zone.
        var forecast = ZoneCapacityForecast(firstHour: CarbonSeries.hour(containing: now), hourCount: Self.capacityForecastHours)
        var capacity = [Int](repeating: 0, count: view.zones.count)
        for index in 0..<view.count where view.online[index] { capacity[Int(view.zoneOfNode[index])] += view.gpuCount[index] }
        for lockup in lockups.values {
            guard let index = cache.index(of: lockup.nodeID), view.online[index] else { continue }
            capacity[Int(view.zoneOfNode[index])] -= lockup.gpus
        }
        // A zone with no online node gets 0, which the forecast answers for a zone never set too.
        for (code, zone) in view.zones.enumerated() { forecast.setCapacity(zone: zone, gpus: max(0, capacity[code])) }
        let nowSeconds = now.secondsSinceEpoch
        for lease in runningTotals.leases.values {
            var end = lease.start + lease.durationSeconds
            if end <= nowSeconds { end = lease.start + lease.maxDurationSeconds }
            end = max(end, nowSeconds + 1)
            for allocation in lease.allocations {
                guard let index = cache.index(of: allocation.nodeID), view.online[index] else { continue }
                forecast.commit(zone: view.zones[Int(view.zoneOfNode[index])], gpus: allocation.gpus, fromSeconds: nowSeconds, untilSeconds: end)
            }
        }
        return forecast
    }
}
