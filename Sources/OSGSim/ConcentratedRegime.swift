import OSGLedger

/// The concentrated regime: the same GPUs pooled into one large region per grid zone, run
/// like today's hyperscale clouds and HPC centres (docs/SIMULATOR.md, "Concentrated"):
///
/// - each user submits to a home region (a fixed hash of the user id); no spill-over;
/// - FIFO by submission with EASY backfill (Slurm's sched/backfill idea): when the head job
///   does not fit, it gets a reservation at the earliest time enough GPUs free up (from the
///   running jobs' ends), and later jobs (at most ``SimScenario/backfillDepth``) start now if
///   they end before it or use only GPUs the reservation leaves over;
/// - exclusive deals: established labs' jobs go first, and ``SimScenario/exclusiveDealPercent``
///   % of each region's GPUs are theirs alone (others never hold more than the rest);
/// - one list price per GPU-hour; no carbon awareness;
/// - GPUs are fungible within a region (no node packing); a lost node removes its GPUs and,
///   if the region is then over-committed, cuts the most recently started jobs, which go back
///   to the queue in their original order.
struct ConcentratedRegime {
    /// How the scheduler decides, where the Slurm calibration varies it (docs/SIMULATOR.md,
    /// "Calibration against Slurm"); the main comparison uses the defaults.
    struct SchedulerModel: Hashable, Sendable {
        /// Whether backfill plans with the jobs' true run times. Without them (Slurm with
        /// `MaxTime=INFINITE` and no `--time`), every planned end lies beyond backfill's window,
        /// so a blocked head gets no reservation and any later job that fits starts.
        var knowsRunTimes = true
        /// Seconds of the scheduler's cycle; 0: it acts at every arrival and end. Otherwise a
        /// job that arrives at an empty queue and fits starts at once (Slurm tries a job when it
        /// is submitted), and every other start waits for the next pass on the cycle's grid (a
        /// multiple of it), armed by an arrival or an end — as Slurm's scheduler, which acts
        /// once per (real) second, looks in a replay compressed so that a second is
        /// `cycleSeconds` of trace time. A pass with nothing new since the last one starts
        /// nothing, so none is run.
        var cycleSeconds: Int64 = 0
    }

    struct Region {
        var capacity = 0
        var free = 0
        /// CPU cores free; `Int.max / 2` when the region has no CPU limit.
        var freeCPUs = Int.max / 2
        var freeMemoryGiB = Int.max / 2
        var othersUsing = 0
        var down = false
        /// Established labs' jobs, then everyone else's, each ascending job index.
        var priority: [Int32] = []
        var normal: [Int32] = []
        /// Running jobs ascending by (expected end, index).
        var running: [(end: Int64, job: Int32)] = []
        /// Whether a scheduler pass is already due (with a cycle).
        var passDue = false
    }

    let scenario: SimScenario
    let exclusiveDeals: Bool
    var regions: [Region]
    var events = SimEventQueue()
    var recorder: RunRecorder
    var accounting: SimAccounting
    var nodeDown: [UInt8]
    var onlineGPUs = 0
    var leaseStart: [Int64]
    var leaseEpoch: [Int32]
    var queueEpoch: [Int32]
    var escrows: [LeaseEscrow?]
    let watts: Int
    let model: SchedulerModel

    /// - Parameter siteCPUs: CPU cores of each region when jobs' CPUs count (the calibration
    ///   site); `nil`: GPUs only.
    /// Whether the regions' CPU cores and memory are the sum of their online nodes' (the
    /// main comparison); otherwise only `siteCPUs` (the Slurm calibration) or nothing limits them.
    let nodeResources: Bool

    init(scenario: SimScenario, exclusiveDeals: Bool, siteCPUs: Int? = nil, nodeResources: Bool = false, model: SchedulerModel = SchedulerModel()) {
        self.scenario = scenario
        self.model = model
        self.exclusiveDeals = exclusiveDeals
        self.nodeResources = nodeResources
        var region = Region()
        if let siteCPUs { region.freeCPUs = siteCPUs }
        if nodeResources {
            region.freeCPUs = 0
            region.freeMemoryGiB = 0
        }
        regions = Array(repeating: region, count: scenario.fleet.zones.count)
        recorder = RunRecorder(workload: scenario.workload, horizonSeconds: scenario.horizonSeconds)
        accounting = SimAccounting(users: scenario.workload.userClasses.count, providers: scenario.fleet.zones.count,
                                   feeBasisPoints: scenario.feeBasisPoints)
        nodeDown = Array(repeating: 0, count: scenario.fleet.nodes.count)
        let count = scenario.workload.jobs.count
        leaseStart = Array(repeating: -1, count: count)
        leaseEpoch = Array(repeating: 0, count: count)
        queueEpoch = Array(repeating: 0, count: count)
        escrows = Array(repeating: nil, count: count)
        watts = scenario.fleet.meanWattsPerGPU
    }

    func homeRegion(_ job: Int) -> Int {
        let user = UInt64(scenario.workload.jobs[job].user)
        return Int((user &* 0x9E37_79B9_7F4A_7C15) >> 32 % UInt64(regions.count)) % regions.count
    }

    func isEstablished(_ job: Int) -> Bool {
        exclusiveDeals && scenario.workload.userClass(of: scenario.workload.jobs[job]) == .established
    }

    mutating func run(name: String) -> RegimeMetrics {
        let fleet = scenario.fleet
        for (index, present) in events.scheduleChurn(of: fleet).enumerated() {
            guard present else {
                nodeDown[index] = 4
                continue
            }
            let node = fleet.nodes[index]
            regions[node.zone].capacity += node.gpus
            regions[node.zone].free += node.gpus
            if nodeResources {
                regions[node.zone].freeCPUs += node.cpuCores
                regions[node.zone].freeMemoryGiB += node.memoryGiB
            }
            onlineGPUs += node.gpus
        }
        recorder.capacity(onlineGPUs, at: 0)
        events.scheduleFailuresOutageAndArrivals(of: scenario)

        while let event = events.pop() {
            let now = event.time
            switch event.kind {
            case .arrival:
                let job = Int(event.a)
                let region = homeRegion(job)
                if regions[region].down { recorder.outageDelayed[job] = true }
                enqueue(job, region: region, now: now)
                if model.cycleSeconds > 0 && startAtSubmission(job, region: region, now: now) { break }
                schedule(region, now: now)
            case .patience:
                // Patience expired for a job still queued since then.
                let job = Int(event.a)
                if queueEpoch[job] == event.b, leaseStart[job] < 0, recorder.finalState[job] == 0 { withdraw(job) }
            case .leaseEnd:
                let job = Int(event.a)
                if leaseEpoch[job] == event.b {
                    let region = homeRegion(job)
                    finish(job, region: region, now: now, interrupted: false)
                    schedule(region, now: now)
                }
            case .nodeDown: nodeGoesDown(Int(event.a), reason: UInt8(event.b), now: now)
            case .nodeUp: nodeComesUp(Int(event.a), reason: UInt8(event.b), now: now)
            case .outageStart:
                let zone = scenario.outage!.zone
                regions[zone].down = true
                for job in regions[zone].priority + regions[zone].normal { recorder.outageDelayed[Int(job)] = true }
                for index in fleet.nodes.indices where fleet.nodes[index].zone == zone { nodeGoesDown(index, reason: 8, now: now) }
            case .outageEnd:
                let zone = scenario.outage!.zone
                regions[zone].down = false
                for index in fleet.nodes.indices where fleet.nodes[index].zone == zone { nodeComesUp(index, reason: 8, now: now) }
            case .tick, .heartbeat, .usage:
                preconditionFailure("the concentrated regime schedules no \(event.kind)")
            case .clear:
                // A scheduler pass (only with a cycle).
                let region = Int(event.a)
                regions[region].passDue = false
                schedule(region, now: now, pass: true)
            }
        }
        for region in regions {
            for job in region.priority + region.normal { recorder.finalState[Int(job)] = 2 }
        }
        var metrics = recorder.metrics(name: name)
        metrics.ledgerTransfers = accounting.ledger.recordCount
        metrics.settledMicroCredits = accounting.settledMicroCredits
        metrics.feesMicroCredits = accounting.feesMicroCredits
        metrics.logSize = accounting.log.size
        metrics.logRootHex = accounting.logRootHex
        metrics.events = events.processed
        return metrics
    }

    mutating func enqueue(_ job: Int, region: Int, now: Int64) {
        if isEstablished(job) { regions[region].priority.insertSorted(Int32(job)) } else { regions[region].normal.insertSorted(Int32(job)) }
        queueEpoch[job] &+= 1
        events.push(.patience, at: now + scenario.patienceSeconds + 1, Int32(job), queueEpoch[job])
    }

    mutating func withdraw(_ job: Int) {
        let region = homeRegion(job)
        if let at = regions[region].priority.firstIndex(of: Int32(job)) { regions[region].priority.remove(at: at) }
        if let at = regions[region].normal.firstIndex(of: Int32(job)) { regions[region].normal.remove(at: at) }
        recorder.finalState[job] = 2
    }

    /// GPUs `job` may take now in `region` (others are held to the share the deals leave).
    func available(_ job: Int, in region: Region) -> Int {
        if !exclusiveDeals || isEstablished(job) { return region.free }
        let reserved = region.capacity * scenario.exclusiveDealPercent / 100
        return min(region.free, region.capacity - reserved - region.othersUsing)
    }

    /// Whether `job` fits in `region` now (GPUs within what it may take, and CPU cores).
    func fits(_ job: Int, in region: Region) -> Bool {
        let simJob = scenario.workload.jobs[job]
        return simJob.gpus <= available(job, in: region) && simJob.cpus <= region.freeCPUs && simJob.memoryGiB <= region.freeMemoryGiB
    }

    /// With a cycle: a job that arrives at an empty queue and fits starts at once, as Slurm
    /// tries a job when it is submitted; anything else waits for the next pass.
    mutating func startAtSubmission(_ job: Int, region: Int, now: Int64) -> Bool {
        guard !regions[region].down, regions[region].priority.count + regions[region].normal.count == 1,
              fits(job, in: regions[region]) else { return false }
        if regions[region].priority.first == Int32(job) { regions[region].priority.removeFirst() } else { regions[region].normal.removeFirst() }
        start(job, region: region, now: now)
        return true
    }

    /// Starts what can start: heads in order, then EASY backfill behind a blocked head — at
    /// once, or with a cycle in the next pass, which a call outside a pass arms.
    mutating func schedule(_ index: Int, now: Int64, pass: Bool = false) {
        guard !regions[index].down else { return }
        if model.cycleSeconds > 0 && !pass {
            if !regions[index].passDue {
                regions[index].passDue = true
                events.push(.clear, at: (now / model.cycleSeconds + 1) * model.cycleSeconds, Int32(index))
            }
            return
        }
        while true {
            let queueIsPriority = !regions[index].priority.isEmpty
            guard let head = queueIsPriority ? regions[index].priority.first : regions[index].normal.first else { return }
            let need = scenario.workload.jobs[Int(head)].gpus
            let needCPUs = scenario.workload.jobs[Int(head)].cpus
            let needMemory = scenario.workload.jobs[Int(head)].memoryGiB
            if fits(Int(head), in: regions[index]) {
                if queueIsPriority { regions[index].priority.removeFirst() } else { regions[index].normal.removeFirst() }
                start(Int(head), region: index, now: now)
                continue
            }
            // The head waits: its reservation is the earliest end after which enough GPUs are free.
            var freeAtShadow = regions[index].free
            var cpusAtShadow = regions[index].freeCPUs
            var memoryAtShadow = regions[index].freeMemoryGiB
            var shadow = Int64.max
            for entry in regions[index].running where model.knowsRunTimes {
                freeAtShadow += scenario.workload.jobs[Int(entry.job)].gpus
                cpusAtShadow += scenario.workload.jobs[Int(entry.job)].cpus
                memoryAtShadow += scenario.workload.jobs[Int(entry.job)].memoryGiB
                if freeAtShadow >= need && cpusAtShadow >= needCPUs && memoryAtShadow >= needMemory {
                    shadow = entry.end
                    break
                }
            }
            var extra = shadow == .max ? 0 : freeAtShadow - need
            var extraCPUs = shadow == .max ? 0 : cpusAtShadow - needCPUs
            var extraMemory = shadow == .max ? 0 : memoryAtShadow - needMemory
            var looked = 0
            var candidates: [Int32] = []
            for job in regions[index].priority.dropFirst(queueIsPriority ? 1 : 0) where looked < scenario.backfillDepth {
                candidates.append(job)
                looked += 1
            }
            for job in regions[index].normal.dropFirst(queueIsPriority ? 0 : 1) where looked < scenario.backfillDepth {
                candidates.append(job)
                looked += 1
            }
            for job in candidates {
                let simJob = scenario.workload.jobs[Int(job)]
                guard fits(Int(job), in: regions[index]) else { continue }
                let endsBeforeShadow = now + simJob.durationSeconds <= shadow
                guard endsBeforeShadow || (simJob.gpus <= extra && simJob.cpus <= extraCPUs && simJob.memoryGiB <= extraMemory) else { continue }
                if !endsBeforeShadow {
                    extra -= simJob.gpus
                    extraCPUs -= simJob.cpus
                    extraMemory -= simJob.memoryGiB
                }
                if let at = regions[index].priority.firstIndex(of: job) { regions[index].priority.remove(at: at) } else if let at = regions[index].normal.firstIndex(of: job) { regions[index].normal.remove(at: at) }
                start(Int(job), region: index, now: now)
            }
            return
        }
    }

    mutating func start(_ job: Int, region: Int, now: Int64) {
        let simJob = scenario.workload.jobs[job]
        regions[region].free -= simJob.gpus
        regions[region].freeCPUs -= simJob.cpus
        regions[region].freeMemoryGiB -= simJob.memoryGiB
        if exclusiveDeals && !isEstablished(job) { regions[region].othersUsing += simJob.gpus }
        precondition(regions[region].free >= 0, "a region never gives more GPUs than it has free")
        let end = now + simJob.durationSeconds
        var low = 0
        var high = regions[region].running.count
        while low < high {
            let mid = (low + high) / 2
            let entry = regions[region].running[mid]
            if entry.end < end || (entry.end == end && entry.job < Int32(job)) { low = mid + 1 } else { high = mid }
        }
        regions[region].running.insert((end, Int32(job)), at: low)
        recorder.started(job, at: now)
        leaseStart[job] = now
        leaseEpoch[job] &+= 1
        queueEpoch[job] &+= 1
        escrows[job] = accounting.openLease(user: simJob.user, provider: region, price: scenario.concentratedPricePerGPUHour,
                                            gpus: simJob.gpus, seconds: simJob.durationSeconds)
        accounting.append("start job=\(job) region=\(region) gpus=\(simJob.gpus) price=\(scenario.concentratedPricePerGPUHour) t=\(now)")
        events.push(.leaseEnd, at: end, Int32(job), leaseEpoch[job])
    }

    mutating func finish(_ job: Int, region: Int, now: Int64, interrupted: Bool) {
        let simJob = scenario.workload.jobs[job]
        let ran = now - leaseStart[job]
        if let at = regions[region].running.firstIndex(where: { $0.job == Int32(job) }) { regions[region].running.remove(at: at) }
        regions[region].free += simJob.gpus
        regions[region].freeCPUs += simJob.cpus
        regions[region].freeMemoryGiB += simJob.memoryGiB
        if exclusiveDeals && !isEstablished(job) { regions[region].othersUsing -= simJob.gpus }
        let price = scenario.concentratedPricePerGPUHour
        accounting.closeLease(escrows[job]!, price: price, gpus: simJob.gpus, seconds: ran)
        escrows[job] = nil
        let grams = scenario.emissionsGrams(zone: region, atSeconds: leaseStart[job], seconds: ran, gpus: simJob.gpus, watts: watts)
        recorder.ran(job, from: leaseStart[job], seconds: ran, cost: SimAccounting.cost(price: price, gpus: simJob.gpus, seconds: ran), grams: grams)
        leaseStart[job] = -1
        leaseEpoch[job] &+= 1
        if interrupted {
            accounting.append("cut job=\(job) region=\(region) ran=\(ran) t=\(now)")
            enqueue(job, region: region, now: now)
        } else {
            accounting.append("end job=\(job) region=\(region) ran=\(ran) t=\(now)")
            recorder.finalState[job] = 1
        }
    }

    mutating func nodeGoesDown(_ node: Int, reason: UInt8, now: Int64) {
        let wasUp = nodeDown[node] == 0
        nodeDown[node] |= reason
        guard wasUp else { return }
        let zone = scenario.fleet.nodes[node].zone
        let gpus = scenario.fleet.nodes[node].gpus
        regions[zone].capacity -= gpus
        regions[zone].free -= gpus
        if nodeResources {
            regions[zone].freeCPUs -= scenario.fleet.nodes[node].cpuCores
            regions[zone].freeMemoryGiB -= scenario.fleet.nodes[node].memoryGiB
        }
        onlineGPUs -= gpus
        recorder.capacity(onlineGPUs, at: now)
        // Over-committed: cut the most recently started jobs until the rest fit.
        while regions[zone].free < 0 || regions[zone].freeCPUs < 0 || regions[zone].freeMemoryGiB < 0 {
            var latest = -1
            for entry in regions[zone].running {
                let job = Int(entry.job)
                if latest < 0 || leaseStart[job] > leaseStart[latest] || (leaseStart[job] == leaseStart[latest] && job > latest) { latest = job }
            }
            precondition(latest >= 0, "an over-committed region has running jobs")
            if reason == 8 {
                recorder.outageInterrupted += 1
                recorder.outageDelayed[latest] = true
                recorder.outageGPUSecondsLost += Int64(scenario.workload.jobs[latest].gpus) * (now - leaseStart[latest])
            } else {
                recorder.interruptedByNodes += 1
            }
            finish(latest, region: zone, now: now, interrupted: true)
        }
        schedule(zone, now: now)
    }

    mutating func nodeComesUp(_ node: Int, reason: UInt8, now: Int64) {
        guard nodeDown[node] & reason != 0 else { return }
        nodeDown[node] &= ~reason
        guard nodeDown[node] == 0 else { return }
        let zone = scenario.fleet.nodes[node].zone
        regions[zone].capacity += scenario.fleet.nodes[node].gpus
        regions[zone].free += scenario.fleet.nodes[node].gpus
        if nodeResources {
            regions[zone].freeCPUs += scenario.fleet.nodes[node].cpuCores
            regions[zone].freeMemoryGiB += scenario.fleet.nodes[node].memoryGiB
        }
        onlineGPUs += scenario.fleet.nodes[node].gpus
        recorder.capacity(onlineGPUs, at: now)
        schedule(zone, now: now)
    }
}
