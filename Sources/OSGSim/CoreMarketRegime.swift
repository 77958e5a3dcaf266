import OSGCore
import OSGDomain
import OSGLog
import OSGStore

/// The open regime on the product itself: every participant's action is a command logged and
/// applied by a ``CommandProcessor`` over an in-memory store, so the market, preemption,
/// backfill, set-aside floors, carbon shifting, escrow, fees and node-loss handling are the
/// coordinator's own, and the run leaves a transparency log that `osg audit` replays
/// (docs/SIMULATOR.md, "The open regimes run the coordinator").
///
/// What the simulator decides is only what participants outside the coordinator decide:
///
/// - governance (the coordinator's key) defines the newcomer and civic pools, grants every
///   newcomer and civic tenant access, deposits each tenant's worst-case spend, records every
///   zone's hourly carbon series, ticks every ``tickIntervalSeconds`` and clears at most once a
///   ``SimScenario/clearingIntervalSeconds`` after something changed (and at every tick while
///   jobs wait);
/// - operators register their nodes when they join, send a heartbeat every
///   ``heartbeatIntervalSeconds`` while their machine is up, report each running lease's usage
///   every ``usageIntervalSeconds`` (settling its escrow so far), report completion when a job
///   has run its duration, withdraw their node when they leave, and, when a failed machine comes
///   back before the coordinator noticed, end its leases as `node_fault` (what a restarted
///   agent does); a failure or the region outage is silence: the coordinator's tick notices it
///   after the genesis's heartbeat timeout and requeues the jobs;
/// - tenants submit their jobs (a newcomer or civic job to its pool while the pool has room,
///   else to the open market) and cancel a job that waited longer than
///   ``SimScenario/patienceSeconds``.
struct CoreMarketRegime {
    static let governanceID = "coordinator"
    static let newcomerPool = "newcomers"
    static let civicPool = "civic"
    /// Seconds between ticks.
    static let tickIntervalSeconds: Int64 = 300
    /// Seconds between an operator's usage reports of a running lease.
    static let usageIntervalSeconds: Int64 = 3_600

    /// Statistics of the command traffic of a run.
    struct Traffic: Hashable, Sendable {
        var commands = 0
        var heartbeats = 0
        var clearings = 0
        var ticks = 0
        /// Commands the coordinator refused, by rejection code (submissions refused for funds
        /// or a too-large shape included).
        var rejected: [String: Int] = [:]
    }

    let scenario: SimScenario
    let carbonShifting: Bool
    private(set) var processor: CommandProcessor<InMemoryCommandLogStore>
    private(set) var traffic = Traffic()
    private var queue = SimEventQueue()
    private var recorder: RunRecorder
    /// The run's log root, kept as the tree's right edge (the run publishes no proofs).
    private var tree = MerkleFrontier()
    private let genesis: Genesis
    private let heartbeatIntervalSeconds: Int64
    private let tenantIDs: [String]
    private let largestNode: (gpus: Int, cores: Int, memoryGiB: Int)

    /// Commands waiting to be logged at ``outboxTime``, each with the job it concerns (-1: none).
    private var outbox: [(command: Command, actor: String)] = []
    private var outboxJobs: [Int32] = []
    private var outboxTime: Int64 = 0

    // Per job.
    private var orderOfJob: [String?]
    private var jobOfOrder: [String: Int32] = [:]
    private var queuedSince: [Int64]
    /// Bumped whenever a job's lease or queue spell changes: stale completions and patience
    /// checks are dropped.
    private var epoch: [Int32]
    private var leaseOfJob: [String?]
    private var leaseStart: [Int64]
    private var leaseNodes: [[Int32]]
    private var leasePool: [UInt8]
    /// What usage reports have settled of each running lease so far.
    private var leasePaid: [UInt64]
    private var final: [Bool]
    private var activeJobs = 0
    private var arrivalsLeft: Int

    // Per node.
    /// Why a machine is off: bit 0 failed, 1 left, 2 not joined yet, 3 region outage.
    private var machineDown: [UInt8]
    /// When each machine last went down (failure, outage or leaving), why (the reason bit that
    /// took it down), and when it last came back up.
    private var downSince: [Int64]
    private var downReason: [UInt8]
    private var upSince: [Int64]
    private var registered: [Bool]
    private var online: [Bool]
    private var runningOnNode: [[Int32]]
    private var onlineGPUs = 0
    /// GPUs held by running leases of each pool (newcomers, civic), as the tenants see them.
    private var poolHeldGPUs = [0, 0]
    private var clearScheduled = false
    private var settledMicroCredits: UInt64 = 0

    /// `keepingLog`: the store keeps every entry (to publish the log afterwards); otherwise it
    /// only counts them, and the run keeps the root of their leaves.
    init(scenario: SimScenario, carbonShifting: Bool, keepingLog: Bool = false) {
        self.scenario = scenario
        self.carbonShifting = carbonShifting
        let timeout = scenario.heartbeatTimeoutSeconds
        precondition(timeout > Self.tickIntervalSeconds, "the heartbeat timeout is longer than a tick interval")
        heartbeatIntervalSeconds = timeout - Self.tickIntervalSeconds
        genesis = Genesis(
            governanceID: Self.governanceID, heartbeatTimeoutSeconds: timeout,
            money: MoneyRules(protocolFeeBasisPoints: Int64(scenario.feeBasisPoints), collateralCoolingOffSeconds: 7 * 86_400,
                              slashBasisPoints: 1_000, slashMinimum: MicroCredits(MicroCredits.perCredit),
                              slashCap: MicroCredits(1_000 * MicroCredits.perCredit), faultWindowSeconds: 7 * 86_400))
        do {
            processor = try CommandProcessor(memory: InMemoryCommandLogStore(retainingEntries: keepingLog), genesis: genesis)
        } catch {
            preconditionFailure("a fresh in-memory store opens: \(error)")
        }
        let jobs = scenario.workload.jobs.count
        let nodes = scenario.fleet.nodes.count
        recorder = RunRecorder(workload: scenario.workload, horizonSeconds: scenario.horizonSeconds)
        tenantIDs = (0..<scenario.workload.userClasses.count).map { "u" + String($0) }
        largestNode = (scenario.fleet.nodes.map(\.gpus).max() ?? 0, scenario.fleet.nodes.map(\.cpuCores).max() ?? 0,
                       scenario.fleet.nodes.map(\.memoryGiB).max() ?? 0)
        orderOfJob = Array(repeating: nil, count: jobs)
        queuedSince = Array(repeating: 0, count: jobs)
        epoch = Array(repeating: 0, count: jobs)
        leaseOfJob = Array(repeating: nil, count: jobs)
        leaseStart = Array(repeating: 0, count: jobs)
        leaseNodes = Array(repeating: [], count: jobs)
        leasePool = Array(repeating: 0, count: jobs)
        leasePaid = Array(repeating: 0, count: jobs)
        final = Array(repeating: false, count: jobs)
        arrivalsLeft = jobs
        machineDown = Array(repeating: 0, count: nodes)
        downSince = Array(repeating: -1, count: nodes)
        downReason = Array(repeating: 0, count: nodes)
        upSince = Array(repeating: -1, count: nodes)
        registered = Array(repeating: false, count: nodes)
        online = Array(repeating: false, count: nodes)
        runningOnNode = Array(repeating: [], count: nodes)
    }

    /// The operator of node `index` (one node per operator).
    static func operatorID(_ index: Int) -> String { "o" + String(index) }

    /// Runs to the end (every job finished, withdrawn or refused) and returns the figures.
    mutating func run(name: String) -> RegimeMetrics {
        setUp()
        for (index, present) in queue.scheduleChurn(of: scenario.fleet).enumerated() {
            if present { register(index, at: 0) } else { machineDown[index] = 4 }
        }
        queue.scheduleFailuresOutageAndArrivals(of: scenario)
        queue.push(.tick, at: Self.tickIntervalSeconds)
        for group in 0..<Self.heartbeatGroups {
            queue.push(.heartbeat, at: 1 + Int64(group) * heartbeatIntervalSeconds / Int64(Self.heartbeatGroups), Int32(group))
        }
        flush()
        recorder.capacity(onlineGPUs, at: 0)

        while arrivalsLeft > 0 || activeJobs > 0, let event = queue.pop() {
            if event.time != outboxTime { flush() }
            outboxTime = event.time
            handle(event)
        }
        flush()
        var metrics = recorder.metrics(name: name)
        let state = processor.state
        metrics.ledgerTransfers = state.ledger.recordCount
        metrics.settledMicroCredits = settledMicroCredits
        metrics.feesMicroCredits = UInt64(clamping: state.treasuryBalance)
        metrics.logSize = state.nextSequence
        metrics.logRootHex = SimAccounting.hex(tree.rootHash())
        metrics.events = queue.processed
        metrics.resourceRefusals = 0
        return metrics
    }

    // MARK: Setting up

    /// Governance's opening commands: pools, grants, deposits and carbon series.
    private mutating func setUp() {
        let governance = Self.governanceID
        let poolPrice = MicroCredits(scenario.poolPricePerGPUHour)
        send(.definePool(SetAsidePool(name: Self.newcomerPool, sharePPM: scenario.newcomerPoolPPM, pricePerGPUHour: poolPrice)), by: governance)
        send(.definePool(SetAsidePool(name: Self.civicPool, sharePPM: scenario.civicPoolPPM, pricePerGPUHour: poolPrice)), by: governance)
        let workload = scenario.workload
        let expires = scenario.start.adding(seconds: scenario.horizonSeconds + 366 * 86_400)
        var spend = Array(repeating: UInt128(0), count: workload.userClasses.count)
        for job in workload.jobs {
            spend[Int(job.user)] += UInt128(scenario.maxPricePerGPUHour) * UInt128(job.gpus) * UInt128(maxDuration(of: job)) / 3600 + 1
        }
        for (user, tenant) in tenantIDs.enumerated() {
            switch workload.userClasses[user] {
            case .established: break
            case .newcomer, .civic:
                let pool = workload.userClasses[user] == .newcomer ? Self.newcomerPool : Self.civicPool
                send(.grantSetAside(SetAsideGrant(pool: pool, tenantID: tenant, quotaGPUSeconds: Int64.max / 4, expires: expires)), by: governance)
            }
            // Every job of the tenant could run at the highest price for its longest at once.
            let deposit = Int64(clamping: spend[user] + 1_000_000)
            send(.deposit(tenantID: tenant, amount: MicroCredits(deposit)), by: governance)
        }
        let firstHour = scenario.start.secondsSinceEpoch / 3600 - 1
        let hours = Int((scenario.horizonSeconds + scenario.flexibleWindowSeconds) / 3600) + 72
        for zone in scenario.fleet.zones {
            let series = scenario.atlas[zone]!
            var values: [Int64] = []
            values.reserveCapacity(hours)
            for hour in 0..<Int64(hours) {
                let at = Timestamp(secondsSinceEpoch: (firstHour + hour) * 3600)
                values.append(series.intensity(at: at) ?? series.milligramsPerKWh.last!)
            }
            for chunk in stride(from: 0, to: values.count, by: CoordinatorState.maxCarbonWindowHours) {
                let window = Array(values[chunk..<min(values.count, chunk + CoordinatorState.maxCarbonWindowHours)])
                send(.recordCarbonSeries(zone: zone, firstHour: firstHour + Int64(chunk), milligramsPerKWh: window), by: governance)
            }
        }
    }

    /// A job's `max_duration`: its run time and ten minutes, so the operator's completion
    /// report always comes first.
    private func maxDuration(of job: SimJob) -> Int64 { job.durationSeconds + 600 }

    /// A node's region: its grid zone in the API's form (lower case, `-` for anything else).
    static func region(of zone: String) -> String {
        String(zone.lowercased().map { ($0.isLetter && $0.isASCII) || $0.isNumber ? $0 : "-" })
    }

    private func spec(_ job: SimJob, pool: String?) -> JobSpec {
        let flexible = carbonShifting && job.flexible
        return JobSpec(
            name: "sim-job", command: ["sleep", String(job.durationSeconds)],
            resources: ResourceRequest(gpu: GPURequest(selector: .any, countPerNode: job.gpusPerNode), cpuCores: job.cpusPerNode,
                                       memoryGiB: job.memoryGiBPerNode),
            nodeCount: job.nodes, durationSeconds: job.durationSeconds, maxDurationSeconds: maxDuration(of: job),
            maxPricePerGPUHour: MicroCredits(scenario.maxPricePerGPUHour),
            deadline: flexible ? scenario.start.adding(seconds: job.submitSeconds + scenario.flexibleWindowSeconds + job.durationSeconds) : nil,
            carbon: CarbonPolicy(shift: flexible), jobClass: pool == nil ? .standard : .setAside)
    }

    private mutating func register(_ index: Int, at now: Int64) {
        let node = scenario.fleet.nodes[index]
        let zone = scenario.fleet.zones[node.zone]
        let computeNode = ComputeNode(
            id: Fleet.nodeID(index), operatorID: Self.operatorID(index), gpuModel: node.model, gpuCount: node.gpus,
            vramGiB: node.model.maxVRAMGiB, cpuCores: node.cpuCores, memoryGiB: node.memoryGiB, diskGiB: 1_000, region: Self.region(of: zone),
            jurisdiction: String(zone.prefix(2)), gridZone: zone, askPerGPUHour: MicroCredits(node.askMicroCredits), simulated: true)
        send(.registerNode(computeNode), by: Self.operatorID(index))
    }

    /// Heartbeats go out in ``heartbeatGroups`` groups of nodes (node index modulo the count),
    /// each at its own offset in the interval, so they spread over it: a registration or a
    /// recovery heartbeat is never more than an interval from its group's next round.
    static let heartbeatGroups = 64

    // MARK: Events

    private mutating func handle(_ event: SimEvent) {
        let now = event.time
        switch event.kind {
        case .arrival: arrive(Int(event.a), now: now)
        case .clear:
            clearScheduled = false
            clear()
        case .tick:
            send(.tick, by: Self.governanceID)
            traffic.ticks += 1
            if waitingJobs > 0 && !clearScheduled { clear() }
            queue.push(.tick, at: now + Self.tickIntervalSeconds)
        case .heartbeat:
            // One group's round: each of its operators whose machine is up sends its heartbeat.
            for index in stride(from: Int(event.a), to: scenario.fleet.nodes.count, by: Self.heartbeatGroups)
            where machineDown[index] == 0 && registered[index] {
                send(.heartbeat(nodeIDs: [Fleet.nodeID(index)]), by: Self.operatorID(index))
                traffic.heartbeats += 1
            }
            queue.push(.heartbeat, at: now + heartbeatIntervalSeconds, event.a)
        case .usage:
            let job = Int(event.a)
            guard epoch[job] == event.b, let leaseID = leaseOfJob[job] else { return }
            let nodes = leaseNodes[job]
            // A dead machine reports nothing.
            guard nodes.allSatisfy({ machineDown[Int($0)] == 0 }) else { return }
            send(.reportUsage(leaseID: leaseID, through: scenario.start.adding(seconds: now),
                              counters: UsageCounters(energyWh: energyWh(of: job, seconds: now - leaseStart[job]))),
                 by: Self.operatorID(Int(nodes[0])), job: job)
            scheduleUsage(job, after: now)
        case .leaseEnd:
            let job = Int(event.a)
            guard epoch[job] == event.b, let leaseID = leaseOfJob[job] else { return }
            let nodes = leaseNodes[job]
            // A job on a machine that failed died with it: nobody reports its completion.
            guard nodes.allSatisfy({ machineDown[Int($0)] == 0 }) else { return }
            send(.endLease(leaseID: leaseID, reason: .completed, exitCode: 0), by: Self.operatorID(Int(nodes[0])))
        case .patience:
            let job = Int(event.a)
            guard epoch[job] == event.b, !final[job], leaseOfJob[job] == nil, let orderID = orderOfJob[job] else { return }
            send(.cancelJob(orderID: orderID), by: tenantIDs[Int(scenario.workload.jobs[job].user)], job: job)
        case .nodeDown: machineGoesDown(Int(event.a), reason: UInt8(event.b), now: now)
        case .nodeUp: machineComesUp(Int(event.a), reason: UInt8(event.b), now: now)
        case .outageStart:
            for index in scenario.fleet.nodes.indices where scenario.fleet.nodes[index].zone == scenario.outage!.zone {
                machineGoesDown(index, reason: 8, now: now)
            }
        case .outageEnd:
            flush()
            for index in scenario.fleet.nodes.indices where scenario.fleet.nodes[index].zone == scenario.outage!.zone {
                machineComesUp(index, reason: 8, now: now)
            }
        }
    }

    /// Governance clears; then tenants whose set-aside order found no node within its pool
    /// (a pool can have room yet no node asking at most its price) cancel it and submit the job
    /// to the open market, and flexible jobs the carbon step deferred are counted.
    private mutating func clear() {
        send(.clear, by: Self.governanceID)
        traffic.clearings += 1
        flush()
        let reasons = processor.state.waitingReasons
        if !waitingInPool.isEmpty {
            for job in waitingInPool.sorted() {
                guard let orderID = orderOfJob[Int(job)], reasons[orderID] != nil else { continue }
                waitingInPool.remove(job)
                jobOfOrder[orderID] = nil
                orderOfJob[Int(job)] = nil
                leasePool[Int(job)] = 0
                send(.cancelJob(orderID: orderID), by: tenantIDs[Int(scenario.workload.jobs[Int(job)].user)])
                submit(Int(job), pool: nil, now: outboxTime)
            }
        }
        // Only counted, so the set's order does not matter (the pool loop above sends, so it sorts).
        if !waitingFlexible.isEmpty {
            let deferred = waitingFlexible.filter { job in
                orderOfJob[Int(job)].map { reasons[$0] == "deferred_for_cleaner_power" } ?? false
            }
            waitingFlexible.subtract(deferred)
            recorder.deferredForCarbon += deferred.count
        }
    }

    private var waitingJobs: Int { activeJobs - runningJobs }
    /// Queued set-aside orders not yet through a clearing, and queued flexible jobs not yet
    /// deferred by the carbon step.
    private var waitingInPool = Set<Int32>()
    private var waitingFlexible = Set<Int32>()
    private var runningJobs = 0

    private mutating func arrive(_ index: Int, now: Int64) {
        arrivalsLeft -= 1
        let job = scenario.workload.jobs[index]
        if job.gpusPerNode > largestNode.gpus || job.cpusPerNode > largestNode.cores || job.memoryGiBPerNode > largestNode.memoryGiB {
            // No node of the fleet could ever hold it: the tenant does not submit it.
            recorder.finalState[index] = 2
            final[index] = true
            return
        }
        var pool: String? = nil
        let userClass = scenario.workload.userClass(of: job)
        if userClass != .established {
            let slot = userClass == .newcomer ? 0 : 1
            let share = userClass == .newcomer ? scenario.newcomerPoolPPM : scenario.civicPoolPPM
            let reserved = onlineGPUs * share / 1_000_000
            if reserved - poolHeldGPUs[slot] >= job.gpus { pool = slot == 0 ? Self.newcomerPool : Self.civicPool }
        }
        activeJobs += 1
        queuedSince[index] = now
        if carbonShifting && job.flexible { waitingFlexible.insert(Int32(index)) }
        submit(index, pool: pool, now: now)
    }

    private mutating func submit(_ index: Int, pool: String?, now: Int64) {
        let job = scenario.workload.jobs[index]
        leasePool[index] = pool == nil ? 0 : (pool == Self.newcomerPool ? 1 : 2)
        if pool != nil { waitingInPool.insert(Int32(index)) }
        send(.submitJob(spec: spec(job, pool: pool), pool: pool), by: tenantIDs[Int(job.user)], job: index)
        requestClear(now: now)
    }

    private mutating func requestClear(now: Int64) {
        guard !clearScheduled else { return }
        let interval = scenario.clearingIntervalSeconds
        queue.push(.clear, at: (now + interval - 1) / interval * interval)
        clearScheduled = true
    }

    private mutating func machineGoesDown(_ index: Int, reason: UInt8, now: Int64) {
        let wasUp = machineDown[index] == 0
        machineDown[index] |= reason
        if wasUp {
            downSince[index] = now
            downReason[index] = reason
        }
        guard wasUp, registered[index] else { return }
        if reason == 2 {
            // The operator leaves: it takes its node off the market (its leases end and requeue).
            send(.withdrawNode(nodeID: Fleet.nodeID(index)), by: Self.operatorID(index))
        }
        // A failure or the outage is silence: heartbeats stop, the coordinator's tick notices.
    }

    private mutating func machineComesUp(_ index: Int, reason: UInt8, now: Int64) {
        guard machineDown[index] & reason != 0 else { return }
        machineDown[index] &= ~reason
        guard machineDown[index] == 0 else { return }
        upSince[index] = now
        if !registered[index] {
            if reason == 4 { register(index, at: now) }
            return
        }
        // The agent restarts: what the coordinator still thinks runs here died with the machine.
        flush()
        for job in runningOnNode[index] {
            guard let leaseID = leaseOfJob[Int(job)] else { continue }
            send(.endLease(leaseID: leaseID, reason: .nodeFault), by: Self.operatorID(index))
        }
        send(.heartbeat(nodeIDs: [Fleet.nodeID(index)]), by: Self.operatorID(index))
        traffic.heartbeats += 1
    }

    // MARK: Commands and their events

    private mutating func send(_ command: Command, by actor: String, job: Int = -1) {
        outbox.append((command, actor))
        outboxJobs.append(Int32(job))
    }

    /// Logs and applies the commands waiting in the outbox, then follows their events.
    private mutating func flush() {
        guard !outbox.isEmpty else { return }
        // Taken, not copied: emptying a shared array while keeping its capacity allocates a new
        // buffer of that capacity, and the opening batch (every registration) leaves it large.
        var batch: [(command: Command, actor: String)] = []
        var jobs: [Int32] = []
        swap(&batch, &outbox)
        swap(&jobs, &outboxJobs)
        let time = scenario.start.adding(seconds: outboxTime)
        let results: [[OSGCore.Event]]
        do {
            let logged = try processor.submitInMemory(batch, at: time)
            results = logged.events
            for leaf in logged.leaves { _ = tree.append(entry: leaf) }
        } catch {
            preconditionFailure("the simulator's in-memory log refused a batch: \(error)")
        }
        traffic.commands += batch.count
        for (offset, events) in results.enumerated() {
            for event in events { follow(event, job: Int(jobs[offset]), now: outboxTime) }
        }
    }

    private mutating func follow(_ event: OSGCore.Event, job: Int, now: Int64) {
        switch event {
        case .jobQueued(let orderID, _):
            orderOfJob[job] = orderID
            jobOfOrder[orderID] = Int32(job)
            schedulePatience(job, now: now)
        case .rejected(let rejection):
            traffic.rejected[rejection.code.rawValue, default: 0] += 1
            if job >= 0, orderOfJob[job] == nil, !final[job] {
                // The submission was refused: the job never enters the market.
                recorder.finalState[job] = 2
                finish(job)
            }
        case .jobCancelled(let orderID):
            guard let job = jobOfOrder[orderID] else { return }
            recorder.finalState[Int(job)] = 2
            finish(Int(job))
        case .leaseStarted(let lease):
            guard let job = jobOfOrder[lease.orderID].map(Int.init) else { return }
            recorder.started(job, at: now)
            waitingInPool.remove(Int32(job))
            waitingFlexible.remove(Int32(job))
            epoch[job] &+= 1
            leaseOfJob[job] = lease.id
            leaseStart[job] = now
            let nodes = lease.allocations.map { Int32(Self.nodeIndex($0.nodeID)) }
            leaseNodes[job] = nodes
            for node in nodes { runningOnNode[Int(node)].append(Int32(job)) }
            if leasePool[job] > 0 { poolHeldGPUs[Int(leasePool[job]) - 1] += lease.totalGPUs }
            runningJobs += 1
            leasePaid[job] = 0
            queue.push(.leaseEnd, at: now + scenario.workload.jobs[job].durationSeconds, Int32(job), epoch[job])
            scheduleUsage(job, after: now)
        case .usageSettled(_, _, let paid):
            guard job >= 0 else { return }
            leasePaid[job] += UInt64(max(0, paid.rawValue))
        case .leaseEnded(_, let orderID, let reason, let requeued, let paid):
            guard let job = jobOfOrder[orderID].map(Int.init) else { return }
            leaseEnded(job, reason: reason, requeued: requeued, paid: paid, now: now)
        case .nodeRegistered(let nodeID):
            let index = Self.nodeIndex(nodeID)
            registered[index] = true
            setOnline(index, true, now: now)
        case .nodeWentOffline(let nodeID, _): setOnline(Self.nodeIndex(nodeID), false, now: now)
        case .nodeCameBack(let nodeID): setOnline(Self.nodeIndex(nodeID), true, now: now)
        case .nodeWithdrawn(let nodeID):
            let index = Self.nodeIndex(nodeID)
            setOnline(index, false, now: now)
            registered[index] = false
        default: break
        }
    }

    private mutating func leaseEnded(_ job: Int, reason: LeaseEndReason, requeued: Bool, paid: MicroCredits, now: Int64) {
        let simJob = scenario.workload.jobs[job]
        let start = leaseStart[job]
        // A job on a machine that went down (and is down, or came back just now) stopped working
        // then, whenever the coordinator noticed; the outage is to blame if it took that
        // machine down.
        var end = now
        var cutByOutage = false
        if reason == .nodeLost || reason == .nodeWithdrawn || reason == .nodeFault {
            for node in leaseNodes[job].map(Int.init) where downSince[node] >= 0 && (machineDown[node] != 0 || upSince[node] == now) {
                let down = max(start, downSince[node])
                if down < end || (down == end && !cutByOutage) {
                    end = down
                    cutByOutage = downReason[node] & 8 != 0
                }
            }
        }
        let ran = end - start
        var grams = 0.0
        for node in leaseNodes[job] {
            let size = scenario.fleet.nodes[Int(node)]
            grams += scenario.emissionsGrams(zone: size.zone, atSeconds: start, seconds: ran, gpus: simJob.gpusPerNode,
                                             watts: GPUPower.watts(size.model))
            runningOnNode[Int(node)].removeAll { $0 == Int32(job) }
        }
        let cost = leasePaid[job] + UInt64(max(0, paid.rawValue))
        leasePaid[job] = 0
        settledMicroCredits += cost
        recorder.ran(job, from: start, seconds: ran, cost: cost, grams: grams)
        if leasePool[job] > 0 { poolHeldGPUs[Int(leasePool[job]) - 1] -= simJob.gpus }
        epoch[job] &+= 1
        leaseOfJob[job] = nil
        leaseNodes[job] = []
        runningJobs -= 1
        switch reason {
        case .nodeLost, .nodeWithdrawn, .nodeFault:
            if cutByOutage {
                recorder.outageInterrupted += 1
                recorder.outageDelayed[job] = true
                recorder.outageGPUSecondsLost += Int64(simJob.gpus) * ran
            } else {
                recorder.interruptedByNodes += 1
            }
        default: break
        }
        if requeued {
            queuedSince[job] = now
            schedulePatience(job, now: now)
            requestClear(now: now)
        } else {
            recorder.finalState[job] = reason == .completed ? 1 : 2
            finish(job)
            requestClear(now: now)
        }
    }

    private mutating func finish(_ job: Int) {
        guard !final[job] else { return }
        final[job] = true
        activeJobs -= 1
        epoch[job] &+= 1
        waitingInPool.remove(Int32(job))
        waitingFlexible.remove(Int32(job))
    }

    /// The next usage report of `job`'s lease, while it runs short of its duration.
    private mutating func scheduleUsage(_ job: Int, after now: Int64) {
        let next = now + Self.usageIntervalSeconds
        guard next < leaseStart[job] + scenario.workload.jobs[job].durationSeconds else { return }
        queue.push(.usage, at: next, Int32(job), epoch[job])
    }

    /// The energy `job`'s GPUs drew over `seconds` at their TDP, in Wh (the simulator's power
    /// model; its GPUs are virtual).
    private func energyWh(of job: Int, seconds: Int64) -> Int64 {
        let simJob = scenario.workload.jobs[job]
        return leaseNodes[job].reduce(Int64(0)) { sum, node in
            sum + Int64(simJob.gpusPerNode * GPUPower.watts(scenario.fleet.nodes[Int(node)].model)) * seconds / 3600
        }
    }

    private mutating func schedulePatience(_ job: Int, now: Int64) {
        epoch[job] &+= 1
        queue.push(.patience, at: now + scenario.patienceSeconds + 1, Int32(job), epoch[job])
    }

    private mutating func setOnline(_ index: Int, _ isOnline: Bool, now: Int64) {
        guard online[index] != isOnline else { return }
        online[index] = isOnline
        onlineGPUs += isOnline ? scenario.fleet.nodes[index].gpus : -scenario.fleet.nodes[index].gpus
        recorder.capacity(onlineGPUs, at: now)
        if isOnline { requestClear(now: now) }
    }

    static func nodeIndex(_ id: String) -> Int {
        var value = 0
        for byte in id.utf8.dropFirst() { value = value * 10 + Int(byte - 48) }
        return value
    }
}

