import OSGCarbon
import OSGDomain

/// The open regime's view of capacity per grid zone for carbon planning: GPUs online and in use
/// now, and a ``ZoneCapacityForecast`` of what running leases (until their expected end) and
/// jobs deferred to a later hour hold in each hour. Times are run seconds (from the scenario's
/// start); the forecast's hours are the carbon series' (seconds since the epoch).
struct SimZoneCapacity {
    let zoneNames: [String]
    let epochOffset: Int64
    private(set) var forecast: ZoneCapacityForecast
    private var online: [Int]
    private var used: [Int]
    /// A deferred job's planned slot (zone, run seconds `[from, until)`, GPUs), until it is due.
    private var plans: [Int32: (zone: Int, from: Int64, until: Int64, gpus: Int)] = [:]

    /// - Parameters:
    ///   - zoneNames: the fleet's zones, by index.
    ///   - start: the run's start.
    ///   - hours: hours the forecast covers from the start (the run, the carbon window and the
    ///     longest job).
    init(zoneNames: [String], start: Timestamp, hours: Int) {
        self.zoneNames = zoneNames
        epochOffset = start.secondsSinceEpoch
        forecast = ZoneCapacityForecast(firstHour: CarbonSeries.hour(containing: start), hourCount: max(hours, 1))
        online = Array(repeating: 0, count: zoneNames.count)
        used = Array(repeating: 0, count: zoneNames.count)
        for zone in zoneNames { forecast.setCapacity(zone: zone, gpus: 0) }
    }

    /// GPUs free now in the zone named `zone` (online, not leased; 0 for another name).
    func freeNow(_ zone: String) -> Int {
        guard let index = zoneNames.firstIndex(of: zone) else { return 0 }
        return max(0, online[index] - used[index])
    }

    /// A node of `gpus` GPUs in zone `zone` comes online (`+1`) or goes down (`-1`).
    mutating func nodeOnline(zone: Int, gpus: Int, _ sign: Int) {
        online[zone] += sign * gpus
        assert(online[zone] >= 0, "more GPUs offline than online in \(zoneNames[zone])")
        forecast.setCapacity(zone: zoneNames[zone], gpus: online[zone])
    }

    /// A lease of `gpus` in `zone` starts at `now`, expected to run until `until`.
    mutating func leaseStarted(zone: Int, gpus: Int, now: Int64, until: Int64) {
        used[zone] += gpus
        forecast.commit(zone: zoneNames[zone], gpus: gpus, fromSeconds: epochOffset + now, untilSeconds: epochOffset + until)
    }

    /// A lease of `gpus` in `zone` that was expected to run until `until` ends at `now`.
    mutating func leaseEnded(zone: Int, gpus: Int, now: Int64, until: Int64) {
        used[zone] -= gpus
        assert(used[zone] >= 0, "more GPUs released than leased in \(zoneNames[zone])")
        // The hours from now on were committed; past hours are never read again.
        forecast.release(zone: zoneNames[zone], gpus: gpus, fromSeconds: epochOffset + max(now, 0), untilSeconds: epochOffset + until)
    }

    /// `job` is deferred to run `[from, until)` (run seconds) in the zone named `zone`.
    mutating func planned(_ job: Int32, zone: String, gpus: Int, from: Int64, until: Int64) {
        guard let index = zoneNames.firstIndex(of: zone) else { return }
        precondition(plans[job] == nil, "a job is planned once at a time")
        plans[job] = (index, from, until, gpus)
        forecast.commit(zone: zone, gpus: gpus, fromSeconds: epochOffset + from, untilSeconds: epochOffset + until)
    }

    /// `job`'s planned start has come: its commitment goes (the lease, if it starts, commits
    /// its own).
    mutating func planDue(_ job: Int32) {
        guard let plan = plans.removeValue(forKey: job) else { return }
        forecast.release(zone: zoneNames[plan.zone], gpus: plan.gpus, fromSeconds: epochOffset + plan.from, untilSeconds: epochOffset + plan.until)
    }
}
