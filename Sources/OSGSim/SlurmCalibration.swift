import OSGCarbon
import OSGDomain

/// The calibration of DESIGN.md §10: the concentrated scheduler (FIFO + EASY backfill, no
/// deals) on one 16-GPU site, replaying the whole-GPU pods of trace days 146–149 with run time
/// capped at 24 h and GPUs at 8, next to the waits real Slurm 22.05 gave on the same jobs.
public enum SlurmCalibration {
    /// Slurm's measured queue waits (DESIGN.md §10), seconds: p50 ≈ 1.0 h, p90 ≈ 7.3 h, p99 ≈ 7.7 h.
    public static let slurmP50Seconds: Int64 = 3_600
    public static let slurmP90Seconds: Int64 = 26_280
    public static let slurmP99Seconds: Int64 = 27_720
    /// First and last trace day replayed.
    public static let firstDay: Int64 = 146
    public static let lastDay: Int64 = 149
    /// GPUs of the single site.
    public static let siteGPUs = 16

    /// The outcome: jobs replayed and the simulated wait percentiles (seconds).
    public struct Outcome: Hashable, Sendable {
        public var jobs: Int
        public var waitP50Seconds: Int64
        public var waitP90Seconds: Int64
        public var waitP99Seconds: Int64
        public var meanWaitSeconds: Int64
    }

    /// Replays the calibration window of `pods` on one 16-GPU site. `atlas` only supplies a
    /// zone and its series (carbon plays no part in the waits).
    /// - Parameter siteCPUs: CPU cores of the site when the jobs' CPUs (ceil(cpu_milli / 1000),
    ///   at most 16) should count too; `nil`: GPUs only.
    public static func run(pods: [TracePod], atlas: CarbonAtlas, siteCPUs: Int? = nil) throws(SimDataError) -> Outcome {
        let from = firstDay * 86_400
        let horizon = (lastDay - firstDay + 1) * 86_400
        let workload = WorkloadBuilder.replay(pods: pods, fromSeconds: from, horizonSeconds: horizon, users: 1, seed: 0,
                                              wholeGPUsOnly: true, maxGPUs: 8, maxCPUs: siteCPUs == nil ? 0 : 16)
        guard !workload.jobs.isEmpty else {
            throw SimDataError(.empty, file: "trace", "no whole-GPU pod was created in trace days \(firstDay)–\(lastDay)")
        }
        guard let zone = atlas.zones.first else { throw SimDataError(.empty, file: "carbon", "no zone") }
        let fleet = Fleet(nodes: [SimNode(model: GPUModel.named("V100")!, gpus: siteGPUs, askMicroCredits: 1_000_000, zone: 0,
                                          joinSeconds: 0, leaveSeconds: .max)], zones: [zone], failures: [])
        var scenario = try SimScenario(workload: workload, fleet: fleet, atlas: atlas, horizonSeconds: horizon, outage: nil,
                                       concentratedPricePerGPUHour: 1_000_000)
        // Slurm keeps a job queued until it runs.
        scenario.patienceSeconds = .max / 4
        var regime = ConcentratedRegime(scenario: scenario, exclusiveDeals: false, siteCPUs: siteCPUs)
        _ = regime.run(name: "calibration")
        var waits: [Int64] = []
        for (index, job) in workload.jobs.enumerated() where regime.recorder.firstStart[index] >= 0 {
            waits.append(regime.recorder.firstStart[index] - job.submitSeconds)
        }
        waits.sort()
        return Outcome(jobs: workload.jobs.count, waitP50Seconds: SimStatistics.percentile(waits, 50),
                       waitP90Seconds: SimStatistics.percentile(waits, 90), waitP99Seconds: SimStatistics.percentile(waits, 99),
                       meanWaitSeconds: waits.isEmpty ? 0 : waits.reduce(0, +) / Int64(waits.count))
    }
}
