/// What a regime records while it runs, per job and in total; ``metrics(name:)`` turns it into
/// the reported figures.
struct RunRecorder {
    let workload: Workload
    let horizonSeconds: Int64
    /// First start per job, seconds; -1 never started.
    var firstStart: [Int64]
    /// 0 waiting or running, 1 finished, 2 withdrawn (not started within the patience).
    var finalState: [UInt8]
    /// Jobs touched by the region outage (interrupted, or queued in the region while it was down).
    var outageDelayed: [Bool]
    var outageInterrupted = 0
    var outageGPUSecondsLost: Int64 = 0
    var interruptedByNodes = 0
    var userServedGPUSeconds: [Int64]
    var servedGPUSecondsInHorizon: Int64 = 0
    var servedGPUSeconds: Int64 = 0
    var costMicroCredits: UInt64 = 0
    var emissionsGrams: Double = 0
    var deferredForCarbon = 0
    /// ∫ online GPUs dt over the horizon.
    var capacityGPUSeconds: Int64 = 0
    private var onlineGPUs = 0
    private var lastCapacityChange: Int64 = 0

    init(workload: Workload, horizonSeconds: Int64) {
        self.workload = workload
        self.horizonSeconds = horizonSeconds
        firstStart = Array(repeating: -1, count: workload.jobs.count)
        finalState = Array(repeating: 0, count: workload.jobs.count)
        outageDelayed = Array(repeating: false, count: workload.jobs.count)
        userServedGPUSeconds = Array(repeating: 0, count: workload.userClasses.count)
    }

    /// The online GPUs change to `gpus` at `now`.
    mutating func capacity(_ gpus: Int, at now: Int64) {
        let end = min(now, horizonSeconds)
        if end > lastCapacityChange { capacityGPUSeconds += Int64(onlineGPUs) * (end - lastCapacityChange) }
        lastCapacityChange = max(lastCapacityChange, end)
        onlineGPUs = gpus
    }

    mutating func started(_ job: Int, at now: Int64) {
        if firstStart[job] < 0 { firstStart[job] = now }
    }

    /// A lease of `job` ran from `start` for `seconds` at `price`, emitting `grams`.
    mutating func ran(_ job: Int, from start: Int64, seconds: Int64, cost: UInt64, grams: Double) {
        let gpus = Int64(workload.jobs[job].gpus)
        servedGPUSeconds += gpus * seconds
        let inHorizon = max(0, min(start + seconds, horizonSeconds) - max(start, 0))
        servedGPUSecondsInHorizon += gpus * inHorizon
        userServedGPUSeconds[Int(workload.jobs[job].user)] += gpus * seconds
        costMicroCredits += cost
        emissionsGrams += grams
    }

    func metrics(name: String) -> RegimeMetrics {
        capacityClosed().metricsAfterClose(name: name)
    }

    private func capacityClosed() -> RunRecorder {
        var copy = self
        copy.capacity(onlineGPUs, at: horizonSeconds)
        return copy
    }

    private func metricsAfterClose(name: String) -> RegimeMetrics {
        var waits = Array(repeating: [Int64](), count: UserClass.allCases.count)
        var submitted = Array(repeating: 0, count: UserClass.allCases.count)
        var outageLost = 0
        var outageDelayedCount = 0
        var gangJobs = 0
        var gangJobsStarted = 0
        var userDemand = Array(repeating: Int64(0), count: workload.userClasses.count)
        for (index, job) in workload.jobs.enumerated() {
            let userClass = workload.userClass(of: job).rawValue
            submitted[userClass] += 1
            userDemand[Int(job.user)] += job.gpuSeconds
            if job.nodes > 1 {
                gangJobs += 1
                if firstStart[index] >= 0 { gangJobsStarted += 1 }
            }
            if firstStart[index] >= 0 { waits[userClass].append(firstStart[index] - job.submitSeconds) }
            if outageDelayed[index] {
                outageDelayedCount += 1
                if finalState[index] != 1 { outageLost += 1 }
            }
        }
        var classes: [ClassMetrics] = []
        for userClass in UserClass.allCases {
            var sorted = waits[userClass.rawValue]
            sorted.sort()
            classes.append(ClassMetrics(
                userClass: userClass, submitted: submitted[userClass.rawValue], accepted: sorted.count,
                waitP50Seconds: SimStatistics.percentile(sorted, 50), waitP90Seconds: SimStatistics.percentile(sorted, 90),
                waitP99Seconds: SimStatistics.percentile(sorted, 99)))
        }
        var satisfaction: [Double] = []
        for (user, demand) in userDemand.enumerated() where demand > 0 {
            satisfaction.append(min(1, Double(userServedGPUSeconds[user]) / Double(demand)))
        }
        let gpuHours = Double(servedGPUSeconds) / 3600
        let accepted = waits.reduce(0) { $0 + $1.count }
        let waited = waits.reduce(Int64(0)) { $0 + $1.reduce(0, +) }
        var metrics = RegimeMetrics(
            name: name, classes: classes,
            utilisation: capacityGPUSeconds == 0 ? 0 : Double(servedGPUSecondsInHorizon) / Double(capacityGPUSeconds),
            meanPricePerGPUHour: gpuHours == 0 ? 0 : Double(costMicroCredits) / 1_000_000 / gpuHours,
            gramsCO2PerGPUHour: gpuHours == 0 ? 0 : emissionsGrams / gpuHours,
            jainFairness: SimStatistics.jainIndex(satisfaction),
            gpuHoursServed: gpuHours,
            outageInterrupted: outageInterrupted, outageDelayed: outageDelayedCount, outageLost: outageLost,
            outageGPUHoursLost: Double(outageGPUSecondsLost) / 3600,
            interruptedByNodeLoss: interruptedByNodes, deferredForCarbon: deferredForCarbon,
            ledgerTransfers: 0, settledMicroCredits: 0, feesMicroCredits: 0, logSize: 0, logRootHex: "", events: 0,
            gangJobs: gangJobs, gangJobsStarted: gangJobsStarted)
        metrics.meanWaitSeconds = accepted == 0 ? 0 : Double(waited) / Double(accepted)
        return metrics
    }
}
