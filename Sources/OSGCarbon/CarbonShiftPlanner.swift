import OSGDomain

/// Chooses when (whole hours from now, within the deadline) and where (among allowed zones) a
/// flexible job starts so that the mean carbon intensity over its run is lowest.
///
/// Rules (docs/CARBON.md):
/// 1. A job is flexible when its spec has `carbon.shift: true` and a `deadline`. Any other job
///    starts now (``CarbonShiftDecision/startNow(zone:expectedMeanMilligramsPerKWh:)`` with no
///    zone).
/// 2. Candidate starts are `now + k` hours for `k = 0, 1, …` while `start + max_duration ≤
///    deadline` (only `k = 0` when even a start now cannot meet the deadline; the market judges
///    that). Candidate zones are the allowed zones with a series.
/// 3. A candidate counts only if the zone's series covers the whole expected run
///    `[start, start + duration)` and, when the spec has `carbon.max_gco2_per_kwh`, the
///    intensity of the **start hour** is at or under the cap: the cap is on "where and when
///    the job starts" (DESIGN.md §3), the same figure the market checks for a job starting now.
/// 4. The winner has the lowest mean intensity over the expected run (hour-weighted, see
///    ``CarbonSeries/meanMilligramsPerKWh(from:durationSeconds:)``; compared exactly, before
///    rounding); ties go to the earliest start, then the lowest zone id.
///
/// Deterministic, no I/O, O(starts × zones) (each mean is O(1) by prefix sums).
public struct CarbonShiftPlanner: Sendable {
    /// The forecast: each zone's hourly series.
    public let atlas: CarbonAtlas

    /// Creates a planner over `atlas`.
    public init(atlas: CarbonAtlas) { self.atlas = atlas }

    /// Plans one job.
    ///
    /// - Parameters:
    ///   - spec: the job spec (`carbon`, `deadline`, `duration`, `max_duration` are read).
    ///   - now: the clearing time.
    ///   - allowedZones: the zones of the nodes that could host the job (order and repeats do
    ///     not matter).
    public func plan(_ spec: JobSpec, now: Timestamp, allowedZones: some Sequence<String>) -> CarbonShiftDecision {
        guard let (deadline, capMilligrams, zones, duration) = flexibleInputs(spec, allowedZones: allowedZones) else {
            return .startNow(zone: nil, expectedMeanMilligramsPerKWh: nil)
        }
        let lastK = Self.lastStartHour(spec, deadline: deadline, now: now, zones: zones)

        var best: (k: Int64, zone: CarbonSeries, sum: Int64)? = nil
        var bestNowSum: Int64? = nil
        var k: Int64 = 0
        while k <= lastK {
            let start = now.adding(seconds: k * 3600)
            for series in zones {
                if let capMilligrams {
                    guard let startIntensity = series.intensity(at: start), startIntensity <= capMilligrams else { continue }
                }
                guard let sum = series.weightedSum(from: start, durationSeconds: duration) else { continue }
                if k == 0, bestNowSum.map({ sum < $0 }) ?? true { bestNowSum = sum }
                // Strictly lower only: earlier starts and, within a start, lower zone ids win ties.
                if best.map({ sum < $0.sum }) ?? true { best = (k, series, sum) }
            }
            k += 1
        }
        guard let best else { return .noStartUnderCap }
        let expected = CarbonSeries.roundHalfUp(best.sum, dividedBy: duration)
        if best.k == 0 {
            return .startNow(zone: best.zone.zone, expectedMeanMilligramsPerKWh: expected)
        }
        let nowMean = bestNowSum.map { CarbonSeries.roundHalfUp($0, dividedBy: duration) }
        return .wait(
            until: now.adding(seconds: best.k * 3600), zone: best.zone.zone,
            expectedMeanMilligramsPerKWh: expected, nowMeanMilligramsPerKWh: nowMean,
            savingVersusNowMilligramsPerKWh: nowMean.map { $0 - expected }
        )
    }

    /// What planning a job needs when it is flexible (`carbon.shift` with a deadline) and some
    /// allowed zone has a series: its deadline, its cap in mg/kWh, those zones' series in byte
    /// order of their ids, and its expected run in seconds (at least 1); `nil` otherwise.
    func flexibleInputs(
        _ spec: JobSpec, allowedZones: some Sequence<String>
    ) -> (deadline: Timestamp, capMilligrams: Int64?, zones: [CarbonSeries], duration: Int64)? {
        guard spec.carbon.shift, let deadline = spec.deadline else { return nil }
        let zones = Set(allowedZones).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.compactMap { atlas[$0] }
        guard !zones.isEmpty else { return nil }
        return (deadline, spec.carbon.maxGCO2PerKWh.map { Int64($0) * 1000 }, zones, max(spec.durationSeconds, 1))
    }

    /// The last whole hour `k` from `now` at which a start `now + k h` still meets the deadline
    /// (`start + max_duration ≤ deadline`; 0 when even a start now cannot) and some series of
    /// `zones` still covers the expected run: bounds the search however far the deadline is.
    static func lastStartHour(_ spec: JobSpec, deadline: Timestamp, now: Timestamp, zones: [CarbonSeries]) -> Int64 {
        let duration = max(spec.durationSeconds, 1)
        let latestStart = deadline.adding(seconds: -spec.maxDurationSeconds)
        let lastK = latestStart >= now ? now.seconds(until: latestStart) / 3600 : 0
        let dataEnd = zones.map(\.end).max()!
        return min(lastK, max(0, now.seconds(until: dataEnd.adding(seconds: -duration)) / 3600))
    }

    /// The allowed zones a job may start in now, cleanest first: each has a series covering the
    /// expected run from `now` and, with a cap, a current hour at or under it; ordered by the
    /// run's mean intensity, then zone id (byte order). The first is the zone of
    /// ``CarbonShiftDecision/startNow(zone:expectedMeanMilligramsPerKWh:)``; the market tries
    /// the others in turn when that zone has no room left.
    public func zonesCleanestFirst(_ spec: JobSpec, now: Timestamp, allowedZones: some Sequence<String>) -> [String] {
        zonesCleanestFirst(ZoneRankingKey(spec), now: now, allowedZones: allowedZones)
    }

    /// What ``zonesCleanestFirst(_:now:allowedZones:)`` reads of a job: its cap and its
    /// expected run. Jobs with equal keys get equal rankings at one instant over one set of
    /// zones, so a caller ranking many jobs ranks each key once.
    public struct ZoneRankingKey: Hashable, Sendable {
        /// `carbon.max_gco2_per_kwh`, if any.
        public var capGCO2PerKWh: Int?
        /// `duration` in seconds.
        public var durationSeconds: Int64

        public init(_ spec: JobSpec) {
            capGCO2PerKWh = spec.carbon.maxGCO2PerKWh
            durationSeconds = spec.durationSeconds
        }
    }

    /// ``zonesCleanestFirst(_:now:allowedZones:)`` for the jobs of `key`.
    public func zonesCleanestFirst(_ key: ZoneRankingKey, now: Timestamp, allowedZones: some Sequence<String>) -> [String] {
        let capMilligrams = key.capGCO2PerKWh.map { Int64($0) * 1000 }
        let duration = max(key.durationSeconds, 1)
        var ranked: [(sum: Int64, zone: String)] = []
        for zone in Set(allowedZones) {
            guard let series = atlas[zone] else { continue }
            if let capMilligrams {
                guard let value = series.intensity(at: now), value <= capMilligrams else { continue }
            }
            guard let sum = series.weightedSum(from: now, durationSeconds: duration) else { continue }
            ranked.append((sum, zone))
        }
        ranked.sort { $0.sum != $1.sum ? $0.sum < $1.sum : $0.zone.utf8.lexicographicallyPrecedes($1.zone.utf8) }
        return ranked.map(\.zone)
    }
}
