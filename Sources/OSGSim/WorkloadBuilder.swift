import OSGDomain

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
    public static func synthetic(model: WorkloadModel, count: Int, horizonSeconds: Int64, users: Int, seed: UInt64,
                                 largeJobs: LargeJobs? = nil) -> Workload {
        precondition(count >= 0 && horizonSeconds > 0 && users >= 1)
        let largeDurations = model.shapes.filter { $0.gpus >= 8 }.map(\.durationSeconds)
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
            var shape = model.shapes[Int(random.next(below: UInt64(model.shapes.count)))]
            if let largeJobs, random.next(below: 1000) < UInt64(largeJobs.permille) {
                shape.gpus = largeJobs.drawGPUs(&random)
                if !largeDurations.isEmpty { shape.durationSeconds = largeDurations[Int(random.next(below: UInt64(largeDurations.count)))] }
            }
            // Day uniform, hour by the profile, second uniform within the hour.
            var submit: Int64
            repeat {
                let day = Int64(random.next(below: UInt64(days)))
                let pick = Int(random.next(below: UInt64(hourTotal)))
                let hour = Int64(hourCumulative.firstIndex { $0 > pick }!)
                submit = day * 86_400 + hour * 3600 + Int64(random.next(below: 3600))
            } while submit >= horizonSeconds
            let user = Int32(popularity.sample(&random))
            jobs.append(SimJob.shaped(submitSeconds: submit, gpus: shape.gpus, durationSeconds: shape.durationSeconds,
                                      user: user, flexible: shape.flexible, cpus: shape.cpus, memoryGiB: shape.memoryGiB))
        }
        return Workload(jobs: jobs, userClasses: classify(jobs: jobs, users: users))
    }

    /// The trace's pods created in `[fromSeconds, fromSeconds + horizonSeconds)`, shifted to
    /// start at 0, with run times capped at `durationCapSeconds` and GPUs at `maxGPUs`, and
    /// users drawn as in ``synthetic(model:count:horizonSeconds:users:seed:)``. With `maxCPUs`
    /// > 0 each job also needs ceil(`cpu_milli` / 1000) cores, at most `maxCPUs`.
    /// A synthetic workload of `count` jobs over `days` days with `max(20, count / 100)` users.
    public static func synthetic(model: WorkloadModel, count: Int, horizonSecondsOf days: Int, seed: UInt64, largeJobs: LargeJobs? = nil) -> Workload {
        synthetic(model: model, count: count, horizonSeconds: Int64(days) * 86_400, users: max(20, count / 100), seed: seed, largeJobs: largeJobs)
    }

    public static func replay(
        pods: [TracePod], fromSeconds: Int64, horizonSeconds: Int64, users: Int, seed: UInt64,
        wholeGPUsOnly: Bool = false, maxGPUs: Int = 64, durationCapSeconds: Int64 = WorkloadModel.durationCapSeconds,
        maxCPUs: Int = 0, resources: Bool = false
    ) -> Workload {
        var random = SplitMix64(seed: seed ^ 0x7265_706C_6179)
        let popularity = ZipfSampler(count: users)
        var jobs: [SimJob] = []
        for pod in pods where pod.creationSeconds >= fromSeconds && pod.creationSeconds < fromSeconds + horizonSeconds {
            if wholeGPUsOnly && !pod.wholeGPUs { continue }
            let user = Int32(popularity.sample(&random))
            if resources {
                jobs.append(SimJob.shaped(submitSeconds: pod.creationSeconds - fromSeconds, gpus: min(pod.gpus, maxGPUs),
                                          durationSeconds: min(max(pod.runSeconds, 1), durationCapSeconds), user: user,
                                          flexible: pod.qos == "BE", cpus: pod.cores, memoryGiB: pod.memoryGiB))
                continue
            }
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
