import ArgumentParser
import Foundation
import OSGCore
import OSGDomain
import OSGMarket

/// `osg bench market-core`: clearings inside the coordinator's state machine (the `clear`
/// command), with the engine's share of the time measured apart, to show where a core
/// clearing spends its time.
struct MarketCoreBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "market-core",
        abstract: "Benchmark clearings of the coordinator's state machine on a seeded synthetic market.",
        discussion: """
            Registers --nodes synthetic nodes (SyntheticMarket; GPUs = the snapshot's free GPUs, \
            at least 1), the synthetic pools with a grant for every pool tenant, a deposit for \
            every tenant, 48 hours of flat carbon series per grid zone, and --jobs jobs, all as \
            log entries applied to one CoordinatorState. Then runs --clearings clearings a minute \
            apart; between clearings operators report 2 % of the running leases completed. \
            Reports clear_p50_ms / clear_max_ms (one `clear` entry), and for the first clearing \
            the engine alone on the same input: engine_index_build_ms (ClearingEngine init) and \
            engine_clear_ms (placing the queue); the rest of a clearing is the coordinator's \
            work (input, budgets, preemption, reservation and backfill passes, lease starts and \
            escrow). state_digest is the state's digest after the last clearing: two builds that \
            clear alike print the same one. Build with -c release for meaningful figures.
            """
    )

    @Option(name: .long, help: "Nodes in the synthetic fleet.")
    var nodes = 50_000

    @Option(name: .long, help: "Jobs submitted before the first clearing.")
    var jobs = 10_000

    @Option(name: .long, help: "Clearings to run.")
    var clearings = 5

    @Option(name: .long, help: "Seed of the synthetic market.")
    var seed: UInt64 = 1

    @Flag(name: .long, help: "Print one JSON object instead of text.")
    var json = false

    func validate() throws {
        guard nodes > 0, jobs > 0, clearings > 0 else { throw ValidationError("--nodes, --jobs and --clearings must be positive") }
    }

    /// Applies commands to one state with consecutive sequence numbers.
    struct Applier {
        var state: CoordinatorState
        var sequence: UInt64 = 0
        var time: Timestamp
        var rejected = 0

        @discardableResult
        mutating func apply(_ command: Command, by actor: String) -> [Event] {
            let events = state.apply(LogEntry(sequence: sequence, time: time, actor: actor, command: command))
            sequence += 1
            if case .rejected = events.first { rejected += 1 }
            return events
        }
    }

    func run() throws {
        let governance = "gov"
        let now = Timestamp(rfc3339: "2026-12-01T00:00:00Z")!
        let clock = ContinuousClock()
        let setupStart = clock.now
        let fleet = SyntheticMarket.fleet(nodes: nodes, seed: seed)
        let orders = SyntheticMarket.orders(count: jobs, seed: seed, now: now)
        var applier = Applier(state: CoordinatorState(genesis: Genesis(governanceID: governance, heartbeatTimeoutSeconds: 86_400)),
                              time: now.adding(seconds: -86_400 - 3_600))
        var zoneCarbon: [String: Int64] = [:]
        for node in fleet {
            let registered = ComputeNode(
                id: node.id, operatorID: node.operatorID, gpuModel: node.gpuModel, gpuCount: max(1, node.freeGPUs),
                vramGiB: node.vramGiB, cpuCores: node.cpuCores, memoryGiB: node.memoryGiB, diskGiB: 1_000,
                region: node.region, jurisdiction: node.jurisdiction, gridZone: node.zone, askPerGPUHour: node.askPerGPUHour)
            applier.apply(.registerNode(registered), by: node.operatorID)
            if let carbon = node.carbonMicroGCO2PerKWh { zoneCarbon[node.zone] = carbon / 1_000 }
        }
        let firstHour = now.secondsSinceEpoch / 3_600 - 1
        for zone in zoneCarbon.keys.sorted() {
            applier.apply(.recordCarbonSeries(zone: zone, firstHour: firstHour, milligramsPerKWh: Array(repeating: zoneCarbon[zone]!, count: 48)), by: governance)
        }
        for pool in SyntheticMarket.pools { applier.apply(.definePool(pool), by: governance) }
        var granted = Set<String>()
        for order in orders.sorted(by: { $0.id < $1.id }) {
            if let pool = order.pool, granted.insert(pool + "/" + order.tenantID).inserted {
                applier.apply(.grantSetAside(SetAsideGrant(pool: pool, tenantID: order.tenantID, quotaGPUSeconds: Int64.max / 4,
                                                           expires: now.adding(seconds: 365 * 86_400))), by: governance)
            }
        }
        for tenant in Set(orders.map(\.tenantID)).sorted() {
            applier.apply(.deposit(tenantID: tenant, amount: MicroCredits(1_000_000 * MicroCredits.perCredit)), by: governance)
        }
        // Jobs arrive in the order they were submitted.
        applier.time = now.adding(seconds: -86_401)
        var submitted = 0
        for order in orders.sorted(by: { ($0.submitted, $0.id) < ($1.submitted, $1.id) }) {
            applier.time = max(applier.time, order.submitted)
            let events = applier.apply(.submitJob(spec: order.spec!, pool: order.pool), by: order.tenantID)
            if case .jobQueued = events.first { submitted += 1 }
        }
        applier.time = now
        let setupTime = clock.now - setupStart

        // The engine alone on the first clearing's input, as the core builds it (carbon figures
        // from the recorded series at `now`).
        let state = applier.state
        let marketNodes = state.nodes.values.sorted { $0.node.id < $1.node.id }.compactMap { record -> MarketNode? in
            let node = record.node
            let free = node.gpuCount - (state.allocatedGPUs[node.id] ?? 0)
            guard free > 0 else { return nil }
            return MarketNode(id: node.id, operatorID: node.operatorID, gpuModel: node.gpuModel, freeGPUs: free, vramGiB: node.vramGiB,
                              cpuCores: node.cpuCores, memoryGiB: node.memoryGiB, diskGiB: node.diskGiB, region: node.region,
                              jurisdiction: node.jurisdiction, zone: node.gridZone, askPerGPUHour: node.askPerGPUHour,
                              carbonMicroGCO2PerKWh: zoneCarbon[node.gridZone].map { $0 * 1_000 })
        }
        let queued = state.queue.compactMap { state.orders[$0] }.map {
            MarketOrder(id: $0.id, tenantID: $0.tenantID, submitted: $0.submitted, pool: $0.pool, spec: $0.spec)
        }
        let buildStart = clock.now
        var engine = ClearingEngine(nodes: marketNodes, pools: state.pools.values.sorted { $0.name < $1.name }, tenants: state.tenantStandings())
        let buildTime = clock.now - buildStart
        let engineStart = clock.now
        let engineResult = engine.clear(queued, now: now)
        let engineTime = clock.now - engineStart

        var clearMillis: [Double] = []
        var placed = 0
        var preemptionNotices = 0
        var reservations = 0
        for round in 0..<clearings {
            if round > 0 {
                applier.time = applier.time.adding(seconds: 60)
                let running = applier.state.runningLeaseOfOrder.values.sorted()
                for (index, leaseID) in running.enumerated() where index % 50 == round % 50 {
                    let lease = applier.state.leases[leaseID]!
                    let op = applier.state.nodes[lease.allocations[0].nodeID]!.node.operatorID
                    applier.apply(.endLease(leaseID: leaseID, reason: .completed), by: op)
                }
            }
            applier.time = applier.time.adding(seconds: 1)
            let began = clock.now
            let events = applier.apply(.clear, by: governance)
            clearMillis.append(BenchStatistics.microseconds(clock.now - began) / 1_000)
            for event in events {
                switch event {
                case .leaseStarted: placed += 1
                case .preemptionNoticed: preemptionNotices += 1
                case .headReserved: reservations += 1
                default: break
                }
            }
        }
        let sorted = clearMillis.sorted()
        let figures: [String: Any] = [
            "bench": "market-core",
            "nodes": nodes,
            "jobs": jobs,
            "jobs_queued": submitted,
            "clearings": clearings,
            "seed": seed,
            "setup_s": MarketBench.rounded(BenchStatistics.seconds(setupTime)),
            "placements": placed,
            "preemption_notices": preemptionNotices,
            "head_reservations": reservations,
            "clear_first_ms": MarketBench.rounded(clearMillis.first ?? 0),
            "clear_p50_ms": MarketBench.rounded(BenchStatistics.percentile(sorted, 0.50)),
            "clear_max_ms": MarketBench.rounded(sorted.last ?? 0),
            "engine_index_build_ms": MarketBench.rounded(BenchStatistics.microseconds(buildTime) / 1_000),
            "engine_clear_ms": MarketBench.rounded(BenchStatistics.microseconds(engineTime) / 1_000),
            "engine_placements": engineResult.placements.count,
            "peak_rss_mib": BenchStatistics.peakResidentMiB() ?? -1,
            "state_digest": applier.state.digest,
        ]
        if json {
            JSONOutput.print(figures)
        } else {
            print("core clearings: \(nodes) nodes, \(submitted) of \(jobs) jobs queued, \(clearings) clearings, seed \(seed)")
            print("  clear first \(figures["clear_first_ms"]!) ms, p50 \(figures["clear_p50_ms"]!) ms, max \(figures["clear_max_ms"]!) ms; \(placed) leases started, \(preemptionNotices) preemption notices, \(reservations) head reservations")
            print("  engine alone on the first input: index build \(figures["engine_index_build_ms"]!) ms, clear \(figures["engine_clear_ms"]!) ms (\(engineResult.placements.count) placements)")
            print("  setup \(figures["setup_s"]!) s, peak RSS \(figures["peak_rss_mib"]!) MiB")
            print("  state digest \(figures["state_digest"]!)")
        }
    }
}
