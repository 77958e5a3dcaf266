import OSGDomain

extension CarbonShiftPlanner {
    /// When a capacity-aware plan holds a job back for cleaner power.
    public struct DeferralThreshold: Hashable, Sendable {
        /// The least saving, in mgCO2-eq/kWh over the run, for which a job waits.
        public var minimumSavingMilligramsPerKWh: Int64
        /// The least saving, in percent of the mean the job would get by starting now.
        public var minimumSavingPercent: Int64
        /// Whether a job that some allowed zone has room for now may be held back too; when
        /// not, only a job that would wait anyway waits for a cleaner slot.
        public var holdsStartableJobs: Bool

        /// Only a job with no room now waits, for a slot at least 25 % and 20 gCO2-eq/kWh cleaner
        /// than the cleanest zone now (docs/CARBON.md gives the measurements behind this).
        public static let standard = DeferralThreshold(minimumSavingMilligramsPerKWh: 20_000, minimumSavingPercent: 25, holdsStartableJobs: false)

        public init(minimumSavingMilligramsPerKWh: Int64, minimumSavingPercent: Int64, holdsStartableJobs: Bool) {
            precondition(minimumSavingMilligramsPerKWh >= 0 && minimumSavingPercent >= 0)
            self.minimumSavingMilligramsPerKWh = minimumSavingMilligramsPerKWh
            self.minimumSavingPercent = minimumSavingPercent
            self.holdsStartableJobs = holdsStartableJobs
        }

        /// Whether `saving` out of a start-now mean of `nowMean` is worth a wait.
        func worthWaiting(saving: Int64, nowMean: Int64) -> Bool {
            saving > 0 && saving >= minimumSavingMilligramsPerKWh && saving * 100 >= minimumSavingPercent * nowMean
        }
    }

    /// Plans one job against free capacity now and forecast free capacity per zone and hour
    /// (docs/CARBON.md, "Capacity-aware planning").
    ///
    /// The greedy ``plan(_:now:allowedZones:)`` sends every flexible job to the same cleanest
    /// hour and zone, where they queue behind each other: at 50 % load it raised p90 waits
    /// from about a minute to 18 h and saved less carbon than choosing the zone alone. Here:
    ///
    /// 1. A job that is not flexible is not planned (`startNow(zone: nil)`).
    /// 2. **Now.** The reference is the cleanest allowed zone (under the cap, data covering the
    ///    run) with `gpus` free now (`freeNow`); when none has room, the cleanest allowed zone
    ///    (the job queues and starts as soon as a node frees).
    /// 3. **Later.** Each start `now + k` hours (`k ≥ 1`, within the deadline and the data, as
    ///    in ``plan(_:now:allowedZones:)``) in each allowed zone under the cap counts only when
    ///    the forecast shows `gpus` free in every hour of the run
    ///    (``ZoneCapacityForecast/room(zone:fromSeconds:durationSeconds:)``). The cleanest
    ///    such slot wins (ties: earliest start, then lowest zone id).
    /// 4. The job waits for that slot only when it saves at least `threshold` against the
    ///    reference; otherwise it starts now, cleanest zone with room first. The caller commits
    ///    a wait to the forecast, so the next job sees that slot's capacity taken and is
    ///    spread to the next-cleanest slot with room (water-filling by intensity) or starts now.
    ///
    /// Deterministic, no I/O; O(starts × zones × run hours).
    ///
    /// - Parameters:
    ///   - spec: the job spec (`carbon`, `deadline`, `duration`, `max_duration`).
    ///   - gpus: the GPUs the job takes in one zone (all its nodes').
    ///   - now: the planning time.
    ///   - allowedZones: zones of nodes that could host the job.
    ///   - freeNow: GPUs free now in a zone.
    ///   - forecast: capacity per zone and hour, with what is already committed.
    ///   - threshold: the least saving for which the job waits.
    public func plan(
        _ spec: JobSpec, gpus: Int, now: Timestamp, allowedZones: some Sequence<String>,
        freeNow: (String) -> Int, forecast: ZoneCapacityForecast, threshold: DeferralThreshold = .standard
    ) -> CarbonShiftDecision {
        precondition(gpus >= 1)
        guard let (deadline, capMilligrams, zones, duration) = flexibleInputs(spec, allowedZones: allowedZones) else {
            return .startNow(zone: nil, expectedMeanMilligramsPerKWh: nil)
        }

        /// The weighted intensity sum of a start in a zone, when the start is under the cap and
        /// the series covers the run.
        func sum(_ series: CarbonSeries, at start: Timestamp) -> Int64? {
            if let capMilligrams {
                guard let startIntensity = series.intensity(at: start), startIntensity <= capMilligrams else { return nil }
            }
            return series.weightedSum(from: start, durationSeconds: duration)
        }

        // Now: the cleanest zone with room, else the cleanest zone.
        var withRoom: (zone: CarbonSeries, sum: Int64)? = nil
        var anyRoom: (zone: CarbonSeries, sum: Int64)? = nil
        for series in zones {
            guard let total = sum(series, at: now) else { continue }
            if anyRoom.map({ total < $0.sum }) ?? true { anyRoom = (series, total) }
            if freeNow(series.zone) >= gpus, withRoom.map({ total < $0.sum }) ?? true { withRoom = (series, total) }
        }
        let reference = withRoom ?? anyRoom

        // Later: the cleanest slot with forecast room.
        let lastK = withRoom != nil && !threshold.holdsStartableJobs ? 0 : Self.lastStartHour(spec, deadline: deadline, now: now, zones: zones)
        var best: (k: Int64, zone: CarbonSeries, sum: Int64)? = nil
        var k: Int64 = 1
        while k <= lastK {
            let start = now.adding(seconds: k * 3600)
            for series in zones {
                guard let total = sum(series, at: start), best.map({ total < $0.sum }) ?? true,
                      forecast.room(zone: series.zone, fromSeconds: start.secondsSinceEpoch, durationSeconds: duration) >= gpus
                else { continue }
                best = (k, series, total)
            }
            k += 1
        }

        let nowMean = reference.map { CarbonSeries.roundHalfUp($0.sum, dividedBy: duration) }
        if let best, withRoom == nil || threshold.holdsStartableJobs {
            let expected = CarbonSeries.roundHalfUp(best.sum, dividedBy: duration)
            if nowMean.map({ threshold.worthWaiting(saving: $0 - expected, nowMean: $0) }) ?? true {
                return .wait(
                    until: now.adding(seconds: best.k * 3600), zone: best.zone.zone, expectedMeanMilligramsPerKWh: expected,
                    nowMeanMilligramsPerKWh: nowMean, savingVersusNowMilligramsPerKWh: nowMean.map { $0 - expected }
                )
            }
        }
        guard let reference, let nowMean else { return .noStartUnderCap }
        return .startNow(zone: reference.zone.zone, expectedMeanMilligramsPerKWh: nowMean)
    }
}
