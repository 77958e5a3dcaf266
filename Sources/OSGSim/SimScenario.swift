import OSGCarbon
import OSGDomain

/// Everything a run needs: the workload, the fleet, the carbon data, the clock and the rules
/// shared by every regime. Built once; each regime runs on the same scenario.
public struct SimScenario: Sendable {
    /// A whole-region outage: every node of one grid zone is down for a while.
    public struct RegionOutage: Hashable, Sendable {
        /// Index of the zone in ``Fleet/zones``.
        public var zone: Int
        /// Start, seconds from the run's start.
        public var atSeconds: Int64
        /// Length in seconds.
        public var durationSeconds: Int64

        public init(zone: Int, atSeconds: Int64, durationSeconds: Int64) {
            self.zone = zone
            self.atSeconds = atSeconds
            self.durationSeconds = durationSeconds
        }
    }

    /// The jobs.
    public var workload: Workload
    /// The operators' nodes.
    public var fleet: Fleet
    /// Hourly carbon per zone (every fleet zone has a series).
    public var atlas: CarbonAtlas
    /// Wall-clock time of second 0 (on the hour; every zone's series covers it).
    public var start: Timestamp
    /// Length of the measured period, in seconds (jobs still running at the end finish).
    public var horizonSeconds: Int64
    /// The region outage, if any.
    public var outage: RegionOutage?
    /// The list price per GPU-hour of the concentrated regions (median on-demand price of a
    /// hyperscale catalog), micro-credits.
    public var concentratedPricePerGPUHour: Int64
    /// The market clears at most once per this many seconds (when something changed).
    public var clearingIntervalSeconds: Int64 = 60
    /// A job not started this long after it was queued is withdrawn (not accepted).
    public var patienceSeconds: Int64 = 86_400
    /// A flexible job may start at most this long after submission (the carbon window).
    public var flexibleWindowSeconds: Int64 = 86_400
    /// At most this many waiting orders go into one clearing (oldest first).
    public var maxOrdersPerClearing = 1024
    /// Most a user pays per GPU-hour (every class), micro-credits.
    public var maxPricePerGPUHour: Int64 = 6_000_000
    /// Share of each concentrated region held by exclusive deals for established labs (percent).
    public var exclusiveDealPercent = 40
    /// Jobs after the blocked head that backfill looks at (Slurm's `bf_max_job_test` idea).
    public var backfillDepth = 100
    /// Set-aside pools of the open regime: share of the fleet (ppm) and price.
    public var newcomerPoolPPM = 100_000
    public var civicPoolPPM = 50_000
    public var poolPricePerGPUHour: Int64 = 1_000_000
    /// Protocol fee on settled leases, basis points.
    public var feeBasisPoints: UInt16 = 100
    /// The heartbeat timeout of the open regimes' genesis: a machine silent this long (failed,
    /// or in the outage) goes offline at the next tick and its jobs are requeued. Operators
    /// send a heartbeat every timeout − 5 minutes (the fewest that keep a live node online,
    /// since the log keeps every one).
    public var heartbeatTimeoutSeconds: Int64 = 3_600

    /// Creates a scenario; checks that every zone has carbon data covering the run and two
    /// more days (long jobs, deferrals).
    ///
    /// - Throws: ``SimDataError`` `.inconsistent` naming the zone whose series is missing or
    ///   too short.
    public init(workload: Workload, fleet: Fleet, atlas: CarbonAtlas, horizonSeconds: Int64,
                outage: RegionOutage?, concentratedPricePerGPUHour: Int64) throws(SimDataError) {
        precondition(horizonSeconds > 0)
        var latestStart: Int64 = .min
        for zone in fleet.zones {
            guard let series = atlas[zone] else {
                throw SimDataError(.inconsistent, file: "carbon", "no hourly series for zone \(zone)")
            }
            latestStart = max(latestStart, series.firstHour * 3600)
        }
        let start = Timestamp(secondsSinceEpoch: latestStart)
        for zone in fleet.zones {
            let series = atlas[zone]!
            guard series.end.secondsSinceEpoch >= latestStart + horizonSeconds else {
                throw SimDataError(.inconsistent, file: "carbon",
                                   "the series of zone \(zone) ends at \(series.end), before the run's end \(start.adding(seconds: horizonSeconds)); use fewer --days or more data")
            }
        }
        self.workload = workload
        self.fleet = fleet
        self.atlas = atlas
        self.start = start
        self.horizonSeconds = horizonSeconds
        self.outage = outage
        self.concentratedPricePerGPUHour = concentratedPricePerGPUHour
    }

    /// Grams of CO2-eq for `gpus` GPUs of `watts` each running `seconds` from `atSeconds` in
    /// zone `zone`: Σ intensity × energy, hour by hour; past the end of the series the last
    /// hour's value holds.
    func emissionsGrams(zone: Int, atSeconds: Int64, seconds: Int64, gpus: Int, watts: Int) -> Double {
        guard seconds > 0 else { return 0 }
        let series = atlas[fleet.zones[zone]]!
        let from = start.adding(seconds: atSeconds)
        let coveredEnd = min(from.secondsSinceEpoch + seconds, series.end.secondsSinceEpoch)
        var milligramSeconds: Double = 0
        if coveredEnd > from.secondsSinceEpoch, let sum = series.weightedSum(from: from, durationSeconds: coveredEnd - from.secondsSinceEpoch) {
            milligramSeconds = Double(sum)
        }
        let rest = from.secondsSinceEpoch + seconds - max(coveredEnd, from.secondsSinceEpoch)
        if rest > 0 { milligramSeconds += Double(series.milligramsPerKWh.last!) * Double(rest) }
        // mg/kWh · s · W → g: × W / 3.6e6 (W·s per kWh) / 1000 (mg per g).
        return milligramSeconds * Double(gpus * watts) / 3.6e9
    }
}
