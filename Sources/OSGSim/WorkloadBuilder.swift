import OSGDomain

/// The statistics a synthetic workload copies from a trace: the joint distribution of
/// (GPUs, run time, flexibility) and the hour-of-day profile of arrivals.
public struct WorkloadModel: Hashable, Sendable {
    /// One job shape observed in the trace.
    public struct Shape: Hashable, Sendable {
        public var gpus: Int
        public var durationSeconds: Int64
        public var flexible: Bool
    }

    /// Every observed shape (bootstrap sampling draws from these uniformly).
    public var shapes: [Shape]
    /// Arrivals per hour of day (24 weights, at least one positive).
    public var hourWeights: [Int]

    /// Run times are capped at this (DESIGN.md §10 calibration: 24 h).
    public static let durationCapSeconds: Int64 = 86_400

    /// Builds the model from trace pods (run time capped at 24 h, at least 1 s).
    public init(pods: [TracePod]) {
        precondition(!pods.isEmpty, "a workload model needs at least one pod")
        shapes = pods.map {
            Shape(gpus: $0.gpus, durationSeconds: min(max($0.runSeconds, 1), Self.durationCapSeconds), flexible: $0.qos == "BE")
        }
        var hours = Array(repeating: 0, count: 24)
        for pod in pods { hours[Int((pod.creationSeconds / 3600) % 24)] += 1 }
        hourWeights = hours.map { max($0, 1) }
    }

    /// Mean GPU-seconds of a shape.
    public var meanGPUSeconds: Double {
        Double(shapes.reduce(Int64(0)) { $0 + Int64($1.gpus) * $1.durationSeconds }) / Double(shapes.count)
    }
}

/// Builds workloads: a seeded synthetic stream with a trace's statistics, or a replay of a
/// trace window; both assign users and classes by the documented rule.
public enum WorkloadBuilder {
    /// Share of the demanded GPU-hours that the established labs (the heaviest users) cover.
    public static let establishedDemandPercent = 60
    /// Every `civicEvery`-th other user (by id) is civic.
    public static let civicEvery = 5

    /// A synthetic workload: `count` jobs over `horizonSeconds`, shapes drawn uniformly from
    /// the model's observed shapes (a bootstrap of the trace), arrival times following the
    /// model's hour-of-day profile, users drawn with Zipf(1) popularity over `users` users.
    public static func synthetic(model: WorkloadModel, count: Int, horizonSeconds: Int64, users: Int, seed: UInt64) -> Workload {
        precondition(count >= 0 && horizonSeconds > 0 && users >= 1)
        var random = SplitMix64(seed: seed ^ 0x776F_726B_6C6F_6164)
        let hourTotal = model.hourWeights.reduce(0, +)
        var hourCumulative: [Int] = []
        var running = 0
        for weight in model.hourWeights { running += weight; hourCumulative.append(running) }
        let popularity = ZipfSampler(count: users)
        var jobs: [SimJob] = []
        jobs.reserveCapacity(count)
        let days = max(1, (horizonSeconds + 86_399) / 86_400)
        for _ in 0..<count {
            let shape = model.shapes[Int(random.next(below: UInt64(model.shapes.count)))]
            // Day uniform, hour by the profile, second uniform within the hour.
            var submit: Int64
            repeat {
                let day = Int64(random.next(below: UInt64(days)))
                let pick = Int(random.next(below: UInt64(hourTotal)))
                let hour = Int64(hourCumulative.firstIndex { $0 > pick }!)
                submit = day * 86_400 + hour * 3600 + Int64(random.next(below: 3600))
            } while submit >= horizonSeconds
            let user = Int32(popularity.sample(&random))
            jobs.append(SimJob(submitSeconds: submit, gpus: shape.gpus, durationSeconds: shape.durationSeconds,
                               user: user, flexible: shape.flexible))
        }
        return Workload(jobs: jobs, userClasses: classify(jobs: jobs, users: users))
    }

    /// The trace's pods created in `[fromSeconds, fromSeconds + horizonSeconds)`, shifted to
    /// start at 0, with run times capped at `durationCapSeconds` and GPUs at `maxGPUs`, and
    /// users drawn as in ``synthetic(model:count:horizonSeconds:users:seed:)``. With `maxCPUs`
    /// > 0 each job also needs ceil(`cpu_milli` / 1000) cores, at most `maxCPUs`.
    public static func replay(
        pods: [TracePod], fromSeconds: Int64, horizonSeconds: Int64, users: Int, seed: UInt64,
        wholeGPUsOnly: Bool = false, maxGPUs: Int = 64, durationCapSeconds: Int64 = WorkloadModel.durationCapSeconds,
        maxCPUs: Int = 0
    ) -> Workload {
        var random = SplitMix64(seed: seed ^ 0x7265_706C_6179)
        let popularity = ZipfSampler(count: users)
        var jobs: [SimJob] = []
        for pod in pods where pod.creationSeconds >= fromSeconds && pod.creationSeconds < fromSeconds + horizonSeconds {
            if wholeGPUsOnly && !pod.wholeGPUs { continue }
            let user = Int32(popularity.sample(&random))
            jobs.append(SimJob(submitSeconds: pod.creationSeconds - fromSeconds, gpus: min(pod.gpus, maxGPUs),
                               durationSeconds: min(max(pod.runSeconds, 1), durationCapSeconds), user: user,
                               flexible: pod.qos == "BE", cpus: maxCPUs > 0 ? min((pod.cpuMilli + 999) / 1000, maxCPUs) : 0))
        }
        return Workload(jobs: jobs, userClasses: classify(jobs: jobs, users: users))
    }

    /// The class rule: users sorted by demanded GPU-seconds (descending, then id); the
    /// heaviest, until they cover ``establishedDemandPercent`` % of the demand, are
    /// established labs (the user that crosses the line included); of the others, those whose
    /// id is a multiple of ``civicEvery`` are civic, the rest newcomers.
    public static func classify(jobs: [SimJob], users: Int) -> [UserClass] {
        var demand = Array(repeating: Int64(0), count: users)
        for job in jobs { demand[Int(job.user)] += job.gpuSeconds }
        let total = demand.reduce(0, +)
        var classes = (0..<users).map { $0 % civicEvery == 0 ? UserClass.civic : .newcomer }
        let order = (0..<users).sorted { demand[$0] != demand[$1] ? demand[$0] > demand[$1] : $0 < $1 }
        var covered: Int64 = 0
        for user in order {
            guard total > 0, covered * 100 < total * Int64(establishedDemandPercent) else { break }
            classes[user] = .established
            covered += demand[user]
        }
        return classes
    }
}

/// Draws user ranks with probability proportional to 1 / (rank + 1).
struct ZipfSampler {
    /// Cumulative weights, scaled to integers.
    let cumulative: [UInt64]

    init(count: Int) {
        var sum: UInt64 = 0
        var values: [UInt64] = []
        values.reserveCapacity(count)
        for rank in 0..<count {
            sum += 1_000_000_000 / UInt64(rank + 1)
            values.append(sum)
        }
        cumulative = values
    }

    func sample(_ random: inout SplitMix64) -> Int {
        let pick = random.next(below: cumulative.last!)
        var low = 0
        var high = cumulative.count - 1
        while low < high {
            let mid = (low + high) / 2
            if cumulative[mid] > pick { high = mid } else { low = mid + 1 }
        }
        return low
    }
}
