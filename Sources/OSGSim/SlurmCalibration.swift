import OSGCarbon
import OSGDomain

/// The calibration of DESIGN.md §10: the concentrated scheduler (FIFO + EASY backfill, no
/// deals, no patience limit) on one site of G GPUs and C cores, replaying a window of a pod
/// list with the selection of ../shared/peers/slurm_replay.py, so its waits compare with a real
/// Slurm's on the same jobs.
public enum SlurmCalibration {
    /// The replayed window and the site (contract: `osg sim --calibrate-slurm --from-day D
    /// --hours H --site-gpus G --site-cpus C`); the defaults are DESIGN.md §10's.
    public struct Window: Hashable, Sendable {
        /// First trace day: the window starts at `fromDay × 86,400` trace seconds.
        public var fromDay: Int
        /// Hours of pod creations replayed.
        public var hours: Double
        /// GPUs of the site.
        public var siteGPUs: Int
        /// CPU cores of the site.
        public var siteCPUs: Int

        /// DESIGN.md §10's window: trace days 146–148 (72 h) on one node of 16 GPUs and 128 cores.
        public init(fromDay: Int = 146, hours: Double = 72, siteGPUs: Int = 16, siteCPUs: Int = 128) {
            self.fromDay = fromDay
            self.hours = hours
            self.siteGPUs = siteGPUs
            self.siteCPUs = siteCPUs
        }

        /// The window's first trace second.
        public var startSeconds: Int64 { Int64(fromDay) * 86_400 }
        /// Whether a pod created at `seconds` is in the window (`[start, start + hours·3600)`,
        /// compared as the harness does, so a fractional hour cuts at the same second).
        public func contains(creationSeconds seconds: Int64) -> Bool {
            seconds >= startSeconds && Double(seconds) < Double(startSeconds) + hours * 3_600
        }

        /// What is wrong with the window, or `nil`.
        public var problem: String? {
            if fromDay < 0 || fromDay > 100_000 { return "--from-day must be 0...100000" }
            if !(hours > 0 && hours <= 24 * 366) { return "--hours must be in (0, 8784]" }
            if siteGPUs < 8 || siteGPUs > 1_000_000 { return "--site-gpus must be 8...1000000 (the selection asks up to 8 GPUs per job)" }
            if siteCPUs < 16 || siteCPUs > 100_000_000 { return "--site-cpus must be 16...100000000 (the selection asks up to 16 cores per job)" }
            return nil
        }
    }

    /// The most GPUs and cores one replayed job asks (the harness's caps).
    public static let maxJobGPUs = 8
    public static let maxJobCPUs = 16
    /// Jobs Slurm's backfill considers per pass (`bf_max_job_test`, 500 by default in 22.05).
    public static let bfMaxJobTest = 500
    /// The longest run time replayed, seconds (24 h).
    public static let maxRunSeconds: Int64 = 86_400

    /// The time compression of DESIGN.md §10's measurement (one real second = 240 trace seconds).
    public static let designCompress = 240.0
    /// Jobs of DESIGN.md §10's window, as the harness selected them.
    public static let designSlurmJobs = 1_264

    /// One replayed job: the harness's selection of one pod.
    public struct Job: Hashable, Sendable {
        public var name: String
        /// Seconds from the window's start.
        public var arrivalSeconds: Int64
        public var runSeconds: Int64
        public var gpus: Int
        public var cpus: Int
    }

    /// The jobs of `window` (contract, as slurm_replay.py selects them): every pod with
    /// `num_gpu` ≥ 1 created in the window, scheduled or not (a GPU-sharing pod gets one whole
    /// GPU); GPUs = min(num_gpu, 8); CPUs = min(16, ceil(cpu_milli / 1000)), at least 1; run
    /// time = deletion − (scheduled, or creation when never scheduled), 1 s to 24 h; in
    /// (creation, name) order.
    public static func jobs(of contents: PodListTrace.Contents, in window: Window) -> [Job] {
        var jobs: [Job] = []
        for pod in [contents.pods, contents.unscheduledGPUPods].joined()
        where pod.wholeGPUs && window.contains(creationSeconds: pod.creationSeconds) {
            jobs.append(Job(name: pod.name, arrivalSeconds: pod.creationSeconds - window.startSeconds,
                            runSeconds: min(max(pod.runSeconds, 1), maxRunSeconds), gpus: min(pod.gpus, maxJobGPUs),
                            cpus: max(1, min(maxJobCPUs, pod.cores))))
        }
        jobs.sort { $0.arrivalSeconds != $1.arrivalSeconds ? $0.arrivalSeconds < $1.arrivalSeconds : $0.name < $1.name }
        return jobs
    }

    /// How the simulated site's scheduler decides (FIFO with backfill either way).
    public struct Scheduler: Hashable, Sendable {
        /// Whether backfill plans with the true run times (reserving for a blocked head).
        public var knowsRunTimes: Bool
        /// Trace seconds per scheduler cycle (0: it acts at every arrival and end).
        public var cycleSeconds: Int64

        public init(knowsRunTimes: Bool, cycleSeconds: Int64) {
            self.knowsRunTimes = knowsRunTimes
            self.cycleSeconds = cycleSeconds
        }

        /// The harness's Slurm as the simulator models it: no time limits (`MaxTime=INFINITE`,
        /// no `--time`), so backfill reserves nothing and starts any later job that fits; and
        /// a scheduler that acts once per real second (`bf_interval=1` and the controller's
        /// one-second loop), i.e. once per `compress` trace seconds of a compressed replay.
        public static func slurmReplay(compress: Double) -> Scheduler {
            Scheduler(knowsRunTimes: false, cycleSeconds: Int64(compress.rounded()))
        }

        /// The concentrated regime of the main comparison: EASY backfill on the true run
        /// times, acting at every event.
        public static let concentratedRegime = Scheduler(knowsRunTimes: true, cycleSeconds: 0)

        var model: ConcentratedRegime.SchedulerModel { .init(knowsRunTimes: knowsRunTimes, cycleSeconds: cycleSeconds) }

        /// A job's wait as the replay measures it. With a cycle, on the replay's clock, which
        /// ticks once per cycle (Slurm's `SubmitTime` and `StartTime` are whole real seconds,
        /// one second being a cycle): the ticks between the submission and the start, so a
        /// job started at its submission waits 0 and one started by the first pass after it
        /// arrived waits one cycle. Without a cycle, exactly.
        public func measuredWait(submit: Int64, start: Int64) -> Int64 {
            precondition(start >= submit, "a job starts after it is submitted")
            guard cycleSeconds > 0 else { return start - submit }
            return (start / cycleSeconds - submit / cycleSeconds) * cycleSeconds
        }
    }

    /// The outcome: jobs replayed and the simulated wait percentiles (seconds, as
    /// ``Scheduler/measuredWait(submit:start:)`` measures them).
    public struct Outcome: Hashable, Sendable {
        public var window: Window
        public var scheduler: Scheduler
        public var waitP50Seconds: Int64
        public var waitP90Seconds: Int64
        public var waitP99Seconds: Int64
        public var meanWaitSeconds: Int64
        /// The last job's end, seconds from the window's start (the replay's makespan).
        public var makespanSeconds: Int64
        /// The replayed jobs in submission order, and when each started (seconds from the
        /// window's start), for checking the schedule.
        public var replayed: [Job]
        public var startSeconds: [Int64]

        /// Jobs replayed.
        public var jobs: Int { replayed.count }
    }

    /// The percentile the harness reports: the `min(n − 1, ⌊p/100 · n⌋)`-th smallest value
    /// (in the same floating point as its Python), so equal waits give equal figures.
    public static func harnessPercentile(_ sorted: [Int64], _ percent: Int) -> Int64 {
        guard !sorted.isEmpty else { return 0 }
        let index = Int(Double(percent) / 100 * Double(sorted.count))
        return sorted[min(sorted.count - 1, index)]
    }

    /// Replays `window` of `contents` on one site. `atlas` only supplies a zone and its series
    /// (carbon plays no part in the waits).
    public static func run(_ contents: PodListTrace.Contents, window: Window = Window(), scheduler: Scheduler = .concentratedRegime,
                           atlas: CarbonAtlas) throws(SimDataError) -> Outcome {
        let selected = jobs(of: contents, in: window)
        guard !selected.isEmpty else {
            throw SimDataError(.empty, file: "trace", "no pod with num_gpu ≥ 1 was created in the window (trace day \(window.fromDay), \(window.hours) h)")
        }
        guard let zone = atlas.zones.first else { throw SimDataError(.empty, file: "carbon", "no zone") }
        let simJobs = selected.map {
            SimJob(submitSeconds: $0.arrivalSeconds, gpus: $0.gpus, durationSeconds: $0.runSeconds, user: 0, flexible: false, cpus: $0.cpus)
        }
        let workload = Workload(jobs: simJobs, userClasses: [.established])
        let lastArrival = selected.last!.arrivalSeconds
        // Long enough for every job to run: all of them back to back after the last arrival,
        // each after a scheduler cycle.
        let horizon = lastArrival + selected.reduce(Int64(0)) { $0 + $1.runSeconds + scheduler.cycleSeconds } + scheduler.cycleSeconds + 1
        let fleet = Fleet(nodes: [SimNode(model: GPUModel.named("V100")!, gpus: window.siteGPUs, askMicroCredits: 1_000_000, zone: 0,
                                          joinSeconds: 0, leaveSeconds: .max)], zones: [zone], failures: [])
        var scenario = try SimScenario(workload: workload, fleet: fleet, atlas: atlas, horizonSeconds: horizon, outage: nil,
                                       concentratedPricePerGPUHour: 1_000_000)
        // Slurm keeps a job queued until it runs; its backfill looks at up to bf_max_job_test jobs.
        scenario.patienceSeconds = .max / 4
        scenario.backfillDepth = bfMaxJobTest
        var regime = ConcentratedRegime(scenario: scenario, exclusiveDeals: false, siteCPUs: window.siteCPUs, model: scheduler.model)
        _ = regime.run(name: "calibration")
        var waits: [Int64] = []
        var makespan: Int64 = 0
        let starts = regime.recorder.firstStart
        for (index, job) in workload.jobs.enumerated() {
            precondition(starts[index] >= 0, "every calibration job fits the site and runs before the horizon")
            waits.append(scheduler.measuredWait(submit: job.submitSeconds, start: starts[index]))
            makespan = max(makespan, starts[index] + job.durationSeconds)
        }
        waits.sort()
        return Outcome(window: window, scheduler: scheduler, waitP50Seconds: harnessPercentile(waits, 50),
                       waitP90Seconds: harnessPercentile(waits, 90), waitP99Seconds: harnessPercentile(waits, 99),
                       meanWaitSeconds: waits.reduce(0, +) / Int64(waits.count), makespanSeconds: makespan,
                       replayed: selected, startSeconds: Array(starts))
    }
}
