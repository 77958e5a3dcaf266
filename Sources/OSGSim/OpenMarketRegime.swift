import OSGCarbon
import OSGDomain
import OSGLedger
import OSGMarket

/// The open regime: every operator's node on the OpenStargate market. One real
/// ``ClearingEngine`` lives for the whole run (set-aside pools for newcomers and civic users,
/// fair share on, best-fit cheapest); it clears at most once a minute when something changed,
/// and capacity comes back incrementally as leases end. With carbon shifting, flexible jobs
/// are planned by the real ``CarbonShiftPlanner``: deferred to the cleanest hour within 24 h,
/// or sent to the cleanest zones first (docs/CARBON.md).
struct OpenMarketRegime {
    static let newcomerPool = "newcomers"
    static let civicPool = "civic"

    let scenario: SimScenario
    let carbonShifting: Bool
    var engine: ClearingEngine
    var events = SimEventQueue()
    var recorder: RunRecorder
    var accounting: SimAccounting
    let planner: CarbonShiftPlanner
    let zoneNames: [String]
    let tenantIDs: [String]

    /// Waiting jobs (eligible now), ascending job index; requeued jobs keep their place.
    var pending: [Int32] = []
    var queuedSince: [Int64]
    /// Per running job: node, pool (0 open, 1 newcomers, 2 civic), price, start, escrow.
    var leaseNode: [Int32]
    var leasePool: [UInt8]
    var leasePrice: [Int64]
    var leaseStart: [Int64]
    var leaseEpoch: [Int32]
    var escrows: [LeaseEscrow?]
    /// Jobs whose set-aside order went unplaced once: they try the open market from then on
    /// (a pool can have room yet no node asking at most its price).
    var skipPool: [Bool]
    var nodeLeases: [[Int32]]
    /// Why a node is off: bit 0 failed, 1 left, 2 not joined yet, 3 region outage.
    var nodeDown: [UInt8]
    var onlineGPUs = 0
    var clearScheduled = false
    /// A gang's nodes and escrows (one per node, the first is `leaseNode`/`escrows`).
    var gangNodes: [Int32: [Int32]] = [:]
    var gangEscrows: [Int32: [LeaseEscrow]] = [:]
    /// CPU cores and memory held by leases per node. The engine is told what each node has
    /// left (``updateHostResources(_:)``); within one clearing it does not count them between
    /// orders, so the regime checks every placement and refuses one that does not fit
    /// (docs/SIMULATOR.md, "Regimes").
    var nodeUsedCPUs: [Int]
    var nodeUsedMemoryGiB: [Int]
    /// Placements refused because a node's remaining cores or memory did not fit.
    var resourceRefusals = 0
    /// The largest node of the fleet (GPUs, cores, memory): a job asking more per node can
    /// never be placed and is not accepted at once (it would be withdrawn after its patience
    /// anyway, having made every clearing search the whole fleet for it).
    let largestNode: (gpus: Int, cores: Int, memoryGiB: Int)
    /// GPUs per zone now and forecast per hour, for the capacity-aware carbon plan.
    var zoneCapacity: SimZoneCapacity

    init(scenario: SimScenario, carbonShifting: Bool) {
        self.scenario = scenario
        self.carbonShifting = carbonShifting
        let fleet = scenario.fleet
        let jobCount = scenario.workload.jobs.count
        zoneNames = fleet.zones
        var marketNodes: [MarketNode] = []
        marketNodes.reserveCapacity(fleet.nodes.count)
        for (index, node) in fleet.nodes.enumerated() {
            let zone = fleet.zones[node.zone]
            marketNodes.append(MarketNode(
                id: Fleet.nodeID(index), operatorID: "o" + String(index), gpuModel: node.model, freeGPUs: node.gpus,
                vramGiB: node.model.maxVRAMGiB, cpuCores: node.cpuCores, memoryGiB: node.memoryGiB, region: zone,
                jurisdiction: String(zone.prefix(2)), zone: zone, askPerGPUHour: MicroCredits(node.askMicroCredits)))
        }
        let pools = [
            SetAsidePool(name: Self.newcomerPool, sharePPM: scenario.newcomerPoolPPM, pricePerGPUHour: MicroCredits(scenario.poolPricePerGPUHour)),
            SetAsidePool(name: Self.civicPool, sharePPM: scenario.civicPoolPPM, pricePerGPUHour: MicroCredits(scenario.poolPricePerGPUHour)),
        ]
        engine = ClearingEngine(nodes: marketNodes, pools: pools, tenants: [])
        precondition(engine.nodeCount == fleet.nodes.count)
        recorder = RunRecorder(workload: scenario.workload, horizonSeconds: scenario.horizonSeconds)
        accounting = SimAccounting(users: scenario.workload.userClasses.count, providers: fleet.nodes.count,
                                   feeBasisPoints: scenario.feeBasisPoints)
        planner = CarbonShiftPlanner(atlas: scenario.atlas)
        tenantIDs = (0..<scenario.workload.userClasses.count).map { "u" + String($0) }
        queuedSince = Array(repeating: 0, count: jobCount)
        leaseNode = Array(repeating: -1, count: jobCount)
        leasePool = Array(repeating: 0, count: jobCount)
        leasePrice = Array(repeating: 0, count: jobCount)
        leaseStart = Array(repeating: 0, count: jobCount)
        leaseEpoch = Array(repeating: 0, count: jobCount)
        escrows = Array(repeating: nil, count: jobCount)
        skipPool = Array(repeating: false, count: jobCount)
        nodeLeases = Array(repeating: [], count: fleet.nodes.count)
        nodeDown = Array(repeating: 0, count: fleet.nodes.count)
        largestNode = (fleet.nodes.map(\.gpus).max() ?? 0, fleet.nodes.map(\.cpuCores).max() ?? 0, fleet.nodes.map(\.memoryGiB).max() ?? 0)
        nodeUsedCPUs = Array(repeating: 0, count: fleet.nodes.count)
        nodeUsedMemoryGiB = Array(repeating: 0, count: fleet.nodes.count)
        let longestJobHours = Int((scenario.workload.jobs.map(\.durationSeconds).max() ?? 0) / 3600)
        zoneCapacity = SimZoneCapacity(
            zoneNames: fleet.zones, start: scenario.start,
            hours: Int(scenario.horizonSeconds / 3600) + Int(scenario.flexibleWindowSeconds / 3600) + longestJobHours + 2)
    }

    /// Runs to the end (every job finished or withdrawn) and returns the figures.
    mutating func run(name: String) -> RegimeMetrics {
        let fleet = scenario.fleet
        for (index, node) in fleet.nodes.enumerated() {
            if node.joinSeconds > 0 {
                nodeDown[index] = 4
                _ = engine.withdrawCapacity(at: index)
                events.push(.nodeUp, at: node.joinSeconds, Int32(index), 4)
            } else {
                onlineGPUs += node.gpus
                zoneCapacity.nodeOnline(zone: node.zone, gpus: node.gpus, +1)
            }
            if node.leaveSeconds != .max { events.push(.nodeDown, at: node.leaveSeconds, Int32(index), 2) }
        }
        recorder.capacity(onlineGPUs, at: 0)
        events.scheduleFailuresOutageAndArrivals(of: scenario)

        while let event = events.pop() {
            let now = event.time
            switch event.kind {
            case .arrival: arrive(Int(event.a), now: now)
            case .eligible:
                zoneCapacity.planDue(event.a)
                enqueue(Int(event.a), now: now)
            case .clear: clear(now: now)
            case .leaseEnd:
                if leaseEpoch[Int(event.a)] == event.b { endLease(Int(event.a), now: now, interrupted: false) }
            case .nodeDown: nodeGoesDown(Int(event.a), reason: UInt8(event.b), now: now)
            case .nodeUp: nodeComesUp(Int(event.a), reason: UInt8(event.b), now: now)
            case .outageStart:
                for index in fleet.nodes.indices where fleet.nodes[index].zone == scenario.outage!.zone {
                    nodeGoesDown(index, reason: 8, now: now)
                }
            case .outageEnd:
                for index in fleet.nodes.indices where fleet.nodes[index].zone == scenario.outage!.zone {
                    nodeComesUp(index, reason: 8, now: now)
                }
            }
        }
        for job in pending { recorder.finalState[Int(job)] = 2 }
        var metrics = recorder.metrics(name: name)
        metrics.ledgerTransfers = accounting.ledger.recordCount
        metrics.settledMicroCredits = accounting.settledMicroCredits
        metrics.feesMicroCredits = accounting.feesMicroCredits
        metrics.logSize = accounting.log.size
        metrics.logRootHex = accounting.logRootHex
        metrics.events = events.processed
        metrics.resourceRefusals = resourceRefusals
        return metrics
    }

    func spec(_ job: SimJob, now: Int64) -> JobSpec {
        let flexible = carbonShifting && job.flexible
        return JobSpec(
            name: "sim-job",
            resources: ResourceRequest(gpu: GPURequest(selector: .any, countPerNode: job.gpusPerNode), cpuCores: job.cpusPerNode,
                                       memoryGiB: job.memoryGiBPerNode),
            nodeCount: job.nodes, durationSeconds: job.durationSeconds, maxPricePerGPUHour: MicroCredits(scenario.maxPricePerGPUHour),
            deadline: flexible ? scenario.start.adding(seconds: job.submitSeconds + scenario.flexibleWindowSeconds + job.durationSeconds) : nil,
            carbon: CarbonPolicy(shift: flexible))
    }

    mutating func arrive(_ index: Int, now: Int64) {
        let job = scenario.workload.jobs[index]
        if job.gpusPerNode > largestNode.gpus || job.cpusPerNode > largestNode.cores || job.memoryGiBPerNode > largestNode.memoryGiB {
            recorder.finalState[index] = 2
            return
        }
        if carbonShifting && job.flexible {
            let capacity = zoneCapacity
            let decision = planner.plan(spec(job, now: now), gpus: job.gpus, now: scenario.start.adding(seconds: now), allowedZones: zoneNames,
                                        freeNow: { capacity.freeNow($0) }, forecast: capacity.forecast, threshold: scenario.carbonDeferralThreshold)
            if case .wait(let until, let zone, _, _, _) = decision {
                let start = until.secondsSinceEpoch - scenario.start.secondsSinceEpoch
                recorder.deferredForCarbon += 1
                // As in the core, a job that waits anyway (no room now) is not held back: it
                // queues and starts once a node frees, cleanest zone first; only a threshold
                // that holds startable jobs keeps it out of the queue until its slot.
                guard scenario.carbonDeferralThreshold.holdsStartableJobs else {
                    enqueue(index, now: now)
                    return
                }
                zoneCapacity.planned(Int32(index), zone: zone, gpus: job.gpus, from: start, until: start + job.durationSeconds)
                events.push(.eligible, at: start, Int32(index))
                return
            }
        }
        enqueue(index, now: now)
    }

    mutating func enqueue(_ index: Int, now: Int64) {
        let job = scenario.workload.jobs[index]
        if carbonShifting && job.flexible {
            let zones = planner.zonesCleanestFirst(spec(job, now: now), now: scenario.start.adding(seconds: now), allowedZones: zoneNames)
            engine.setPreferredZones(zones, orderID: Self.orderID(index))
        }
        queuedSince[index] = now
        insertPending(Int32(index))
        requestClear(now: now)
    }

    mutating func insertPending(_ job: Int32) {
        var low = 0
        var high = pending.count
        while low < high {
            let mid = (low + high) / 2
            if pending[mid] < job { low = mid + 1 } else { high = mid }
        }
        pending.insert(job, at: low)
    }

    mutating func requestClear(now: Int64) {
        guard !clearScheduled else { return }
        let interval = scenario.clearingIntervalSeconds
        let at = (now + interval - 1) / interval * interval
        events.push(.clear, at: at)
        clearScheduled = true
    }

    static func orderID(_ index: Int) -> String { "j" + String(index) }

    mutating func clear(now: Int64) {
        clearScheduled = false
        // Withdraw jobs that waited past their patience.
        pending.removeAll { job in
            if now - queuedSince[Int(job)] > scenario.patienceSeconds {
                recorder.finalState[Int(job)] = 2
                engine.setPreferredZones(nil, orderID: Self.orderID(Int(job)))
                return true
            }
            return false
        }
        guard !pending.isEmpty else { return }
        let batch = pending.prefix(scenario.maxOrdersPerClearing)
        var orders: [MarketOrder] = []
        orders.reserveCapacity(batch.count)
        var poolRoom = [
            (engine.reservedGPUs(pool: Self.newcomerPool) ?? 0) - (engine.usedGPUs(pool: Self.newcomerPool) ?? 0),
            (engine.reservedGPUs(pool: Self.civicPool) ?? 0) - (engine.usedGPUs(pool: Self.civicPool) ?? 0),
        ]
        let submitted = scenario.start.adding(seconds: 0)
        var poolOf: [Int32: UInt8] = [:]
        for job in batch {
            let index = Int(job)
            let simJob = scenario.workload.jobs[index]
            var spec = spec(simJob, now: now)
            var pool: String? = nil
            switch skipPool[index] ? .established : scenario.workload.userClass(of: simJob) {
            case .established: break
            case .newcomer where poolRoom[0] >= simJob.gpus:
                pool = Self.newcomerPool
                poolRoom[0] -= simJob.gpus
            case .civic where poolRoom[1] >= simJob.gpus:
                pool = Self.civicPool
                poolRoom[1] -= simJob.gpus
            default: break
            }
            if let pool {
                spec.jobClass = .setAside
                poolOf[job] = pool == Self.newcomerPool ? 1 : 2
                // A set-aside order pays the pool's price wherever it runs: with carbon
                // shifting it tries the cleanest zones first (as the core's carbon step does).
                if carbonShifting && !simJob.flexible {
                    engine.setPreferredZones(planner.zonesCleanestFirst(spec, now: scenario.start.adding(seconds: now), allowedZones: zoneNames),
                                             orderID: Self.orderID(index))
                }
            }
            orders.append(MarketOrder(id: Self.orderID(index), tenantID: tenantIDs[Int(simJob.user)],
                                      submitted: submitted.adding(seconds: queuedSince[index]), pool: pool, spec: spec))
        }
        let result = engine.clear(orders, now: scenario.start.adding(seconds: now))
        for unplaced in result.unplaced {
            let job = Int32(unplaced.orderID.dropFirst())!
            if poolOf[job] != nil {
                skipPool[Int(job)] = true
                if !scenario.workload.jobs[Int(job)].flexible { engine.setPreferredZones(nil, orderID: unplaced.orderID) }
            }
        }
        guard !result.placements.isEmpty else { return }
        var placed = Set<Int32>()
        for placement in result.placements {
            let index = Int(placement.orderID.dropFirst())!
            let job = scenario.workload.jobs[index]
            precondition(placement.grants.count == job.nodes, "a gang gets one grant per node")
            let nodes = placement.grants.map { Self.nodeIndex($0.nodeID) }
            let poolCode = poolOf[Int32(index)] ?? 0
            if refuseIfNodesTooSmall(job, nodes: nodes, pool: poolCode) {
                requestClear(now: now + 1)
                continue
            }
            startLease(index, nodes: nodes, pool: poolCode, price: placement.pricePerGPUHour.rawValue, now: now)
            placed.insert(Int32(index))
        }
        pending.removeAll { placed.contains($0) }
        // What did not fit waits for the next change (a lease ending, a node coming back).
    }

    static func nodeIndex(_ id: String) -> Int {
        var value = 0
        for byte in id.utf8.dropFirst() { value = value * 10 + Int(byte - 48) }
        return value
    }

    /// Refuses a placement when a granted node has fewer free cores or less free memory than
    /// the job needs there: the engine's accounting is undone and the GPUs, cores and memory go
    /// back; the job stays queued. The engine counts cores and memory within a clearing too,
    /// so this is a guard that should never fire (`resourceRefusals` stays 0).
    mutating func refuseIfNodesTooSmall(_ job: SimJob, nodes: [Int], pool: UInt8) -> Bool {
        let fleet = scenario.fleet
        let tooSmall = nodes.map {
            nodeUsedCPUs[$0] + job.cpusPerNode > fleet.nodes[$0].cpuCores
                || nodeUsedMemoryGiB[$0] + job.memoryGiBPerNode > fleet.nodes[$0].memoryGiB
        }
        guard tooSmall.contains(true) else { return false }
        resourceRefusals += 1
        let poolName: String? = pool == 0 ? nil : (pool == 1 ? Self.newcomerPool : Self.civicPool)
        engine.endLease(pool: poolName, jobClass: poolName == nil ? .standard : .setAside, tenantID: tenantIDs[Int(job.user)],
                        gpus: job.gpus, cpuCores: job.cpusPerNode * job.nodes, memoryGiB: job.memoryGiBPerNode * job.nodes)
        for node in nodes {
            engine.returnCapacity(at: node, gpus: job.gpusPerNode)
            updateHostResources(node)
        }
        return true
    }

    /// Tells the engine the cores and memory `node` has left, so later clearings only offer
    /// it to orders that fit there (refusals then only catch several orders placed on one
    /// node in the same clearing).
    mutating func updateHostResources(_ node: Int) {
        let size = scenario.fleet.nodes[node]
        engine.setFreeHostResources(at: node, cpuCores: size.cpuCores - nodeUsedCPUs[node], memoryGiB: size.memoryGiB - nodeUsedMemoryGiB[node])
    }

    /// The nodes a running job holds (several for a gang).
    func nodesOf(_ index: Int) -> [Int32] { gangNodes[Int32(index)] ?? [leaseNode[index]] }

    mutating func startLease(_ index: Int, nodes: [Int], pool: UInt8, price: Int64, now: Int64) {
        let job = scenario.workload.jobs[index]
        recorder.started(index, at: now)
        leaseNode[index] = Int32(nodes[0])
        leasePool[index] = pool
        leasePrice[index] = price
        leaseStart[index] = now
        leaseEpoch[index] &+= 1
        for node in nodes {
            zoneCapacity.leaseStarted(zone: scenario.fleet.nodes[node].zone, gpus: job.gpusPerNode, now: now, until: now + job.durationSeconds)
            nodeLeases[node].append(Int32(index))
            nodeUsedCPUs[node] += job.cpusPerNode
            nodeUsedMemoryGiB[node] += job.memoryGiBPerNode
            updateHostResources(node)
        }
        engine.setPreferredZones(nil, orderID: Self.orderID(index))
        let perNode = nodes.map {
            accounting.openLease(user: job.user, provider: $0, price: price, gpus: job.gpusPerNode, seconds: job.durationSeconds)
        }
        escrows[index] = perNode[0]
        if nodes.count > 1 {
            gangNodes[Int32(index)] = nodes.map(Int32.init)
            gangEscrows[Int32(index)] = perNode
        }
        accounting.append("start job=\(index) node=\(nodes.map(String.init).joined(separator: "+")) gpus=\(job.gpus) price=\(price) t=\(now)")
        events.push(.leaseEnd, at: now + job.durationSeconds, Int32(index), leaseEpoch[index])
    }

    /// Ends a lease: completed, or cut short (the job goes back to the queue).
    mutating func endLease(_ index: Int, now: Int64, interrupted: Bool) {
        let job = scenario.workload.jobs[index]
        let node = Int(leaseNode[index])
        precondition(node >= 0, "ending a lease that is not running")
        let ran = now - leaseStart[index]
        let price = leasePrice[index]
        let pool: String? = leasePool[index] == 0 ? nil : (leasePool[index] == 1 ? Self.newcomerPool : Self.civicPool)
        engine.endLease(pool: pool, jobClass: pool == nil ? .standard : .setAside, tenantID: tenantIDs[Int(job.user)],
                        gpus: job.gpus, cpuCores: job.cpusPerNode * job.nodes, memoryGiB: job.memoryGiBPerNode * job.nodes)
        let nodes = nodesOf(index)
        let perNodeEscrows = gangEscrows[Int32(index)] ?? [escrows[index]!]
        var grams = 0.0
        for (held, escrow) in zip(nodes, perNodeEscrows) {
            let at = Int(held)
            zoneCapacity.leaseEnded(zone: scenario.fleet.nodes[at].zone, gpus: job.gpusPerNode, now: now,
                                    until: leaseStart[index] + job.durationSeconds)
            nodeUsedCPUs[at] -= job.cpusPerNode
            nodeUsedMemoryGiB[at] -= job.memoryGiBPerNode
            updateHostResources(at)
            if nodeDown[at] == 0 { engine.returnCapacity(at: at, gpus: job.gpusPerNode) }
            if let position = nodeLeases[at].firstIndex(of: Int32(index)) { nodeLeases[at].remove(at: position) }
            accounting.closeLease(escrow, price: price, gpus: job.gpusPerNode, seconds: ran)
            grams += scenario.emissionsGrams(zone: scenario.fleet.nodes[at].zone, atSeconds: leaseStart[index], seconds: ran,
                                             gpus: job.gpusPerNode, watts: GPUPower.watts(scenario.fleet.nodes[at].model))
        }
        escrows[index] = nil
        gangNodes[Int32(index)] = nil
        gangEscrows[Int32(index)] = nil
        recorder.ran(index, from: leaseStart[index], seconds: ran, cost: SimAccounting.cost(price: price, gpus: job.gpus, seconds: ran), grams: grams)
        leaseNode[index] = -1
        leaseEpoch[index] &+= 1
        if interrupted {
            accounting.append("cut job=\(index) node=\(node) ran=\(ran) t=\(now)")
            queuedSince[index] = now
            insertPending(Int32(index))
        } else {
            accounting.append("end job=\(index) node=\(node) ran=\(ran) t=\(now)")
            recorder.finalState[index] = 1
        }
        requestClear(now: now)
    }

    mutating func nodeGoesDown(_ node: Int, reason: UInt8, now: Int64) {
        let wasUp = nodeDown[node] == 0
        nodeDown[node] |= reason
        guard wasUp else { return }
        _ = engine.withdrawCapacity(at: node)
        onlineGPUs -= scenario.fleet.nodes[node].gpus
        zoneCapacity.nodeOnline(zone: scenario.fleet.nodes[node].zone, gpus: scenario.fleet.nodes[node].gpus, -1)
        recorder.capacity(onlineGPUs, at: now)
        for job in nodeLeases[node] {
            let index = Int(job)
            if reason == 8 {
                recorder.outageInterrupted += 1
                recorder.outageDelayed[index] = true
                recorder.outageGPUSecondsLost += Int64(scenario.workload.jobs[index].gpus) * (now - leaseStart[index])
            } else {
                recorder.interruptedByNodes += 1
            }
            endLease(index, now: now, interrupted: true)
        }
        nodeLeases[node].removeAll()
    }

    mutating func nodeComesUp(_ node: Int, reason: UInt8, now: Int64) {
        guard nodeDown[node] & reason != 0 else { return }
        nodeDown[node] &= ~reason
        guard nodeDown[node] == 0 else { return }
        precondition(nodeLeases[node].isEmpty && engine.freeGPUs(at: node) == 0, "a node comes back empty")
        engine.returnCapacity(at: node, gpus: scenario.fleet.nodes[node].gpus)
        onlineGPUs += scenario.fleet.nodes[node].gpus
        zoneCapacity.nodeOnline(zone: scenario.fleet.nodes[node].zone, gpus: scenario.fleet.nodes[node].gpus, +1)
        recorder.capacity(onlineGPUs, at: now)
        requestClear(now: now)
    }
}
