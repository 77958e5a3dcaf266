import OSGCore
import OSGDomain
import Testing

/// Random but plausible command sequences: a mix of valid and invalid commands from a few
/// operators and tenants, so both acceptances and refusals are exercised.
struct CommandSequenceGenerator {
    var random: SplitMix64
    let operators = ["op-a", "op-b", "op-c"]
    let tenants = ["t-1", "t-2", "t-3", "t-4"]

    /// Preemption notice of the generated logs: none, or a minute.
    let notice: Int64
    /// The state after the entries generated so far, so that reports can name real nodes and
    /// running leases (and their operators) as well as wrong ones.
    var state: CoordinatorState?
    /// Time of the entry being generated.
    var now = t0

    init(seed: UInt64) {
        random = SplitMix64(seed: seed)
        notice = seed % 2 == 0 ? 0 : 60
    }

    mutating func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &random)] }

    mutating func log(length: Int) throws -> CommandLog {
        var log = CommandLog(genesis: Genesis(governanceID: governance, heartbeatTimeoutSeconds: 120, preemptionNoticeSeconds: notice))
        var time = t0
        state = CoordinatorState(genesis: log.genesis)
        for _ in 0..<length {
            time = time.adding(seconds: Int64.random(in: 0...90, using: &random))
            now = time
            let (command, actor) = log.entries.count < tenants.count
                ? (.deposit(tenantID: tenants[log.entries.count], amount: MicroCredits(200_000_000)), governance)
                : next(orders: log.entries.count)
            let entry = try log.append(command, by: actor, at: time)
            _ = state?.apply(entry)
        }
        return log
    }

    mutating func next(orders: Int) -> (Command, String) {
        let nodeID = "n\(Int.random(in: 0..<12, using: &random))"
        let op = pick(operators)
        let tenant = pick(tenants)
        switch Int.random(in: 0..<124, using: &random) {
        case 0..<15:
            let gpus = Int.random(in: 0...8, using: &random)  // 0 is refused
            return (.registerNode(node(nodeID, operator: op, gpus: gpus, region: pick(["eu", "us-west", "asia"]))), pick([op, op, tenant]))
        case 15..<20:
            return (.updateNodeAsk(nodeID: nodeID, askPerGPUHour: MicroCredits(Int64.random(in: 0...3_000_000, using: &random))), op)
        case 20..<24:
            return (.withdrawNode(nodeID: nodeID), op)
        case 24..<45:
            return (.heartbeat(nodeIDs: (0..<Int.random(in: 1...3, using: &random)).map { _ in "n\(Int.random(in: 0..<12, using: &random))" }), op)
        case 45..<75:
            let jobClass = pick([JobClass.standard, .standard, .preemptible, .setAside])
            let pool: String? = jobClass == .setAside ? pick(["students", "civic"]) : nil
            return (.submitJob(spec: spec("j\(orders)", gpus: Int.random(in: 0...8, using: &random), jobClass: jobClass), pool: pool), tenant)
        case 75..<85:
            return (.cancelJob(orderID: "job-\(Int.random(in: 0...max(0, orders), using: &random))"), tenant)
        case 85..<88:
            let name = pick(["students", "civic"])
            return (.definePool(SetAsidePool(name: name, sharePPM: Int.random(in: 1...600_000, using: &random), pricePerGPUHour: MicroCredits(500_000))), pick([governance, tenant]))
        case 92..<95:
            return (.clear, governance)
        case 95..<97:
            let reason = pick([LeaseEndReason.completed, .cancelledByTenant, .preempted, .nodeLost, .nodeWithdrawn, .maxDurationReached])
            return (.endLease(leaseID: "lease-\(Int.random(in: 0...max(0, orders), using: &random))-\(Int.random(in: 0..<3, using: &random))", reason: reason), pick([governance, op, tenant]))
        case 99..<100:
            return (.lockUp(nodeID: nodeID, gpus: Int.random(in: 0...4, using: &random), holderID: tenant, until: t0.adding(seconds: Int64.random(in: 0...20_000, using: &random))), op)
        case 97..<99:
            return (.deposit(tenantID: tenant, amount: MicroCredits(Int64.random(in: 0...50_000_000, using: &random))), pick([governance, governance, tenant]))
        case 88..<92:
            let grant = SetAsideGrant(pool: pick(["students", "civic"]), tenantID: tenant, quotaGPUSeconds: Int64.random(in: 0...400_000, using: &random), expires: t0.adding(seconds: 86_400))
            return (.grantSetAside(grant), governance)
        case 103..<106:
            // Carbon series: windows next to, over, or (refused) away from what is recorded.
            let hour = t0.secondsSinceEpoch / 3600 + Int64.random(in: -2...30, using: &random)
            let values = (0..<Int.random(in: 0...24, using: &random)).map { _ in Int64.random(in: -1...500_000, using: &random) }
            return (.recordCarbonSeries(zone: pick(["NO", "ES"]), firstHour: hour, milligramsPerKWh: values), pick([governance, governance, tenant]))
        case 106..<110:
            // Benchmarks: mostly valid, some out of range (refused), from the owner or not.
            let result = NodeBenchmark(
                tool: pick(["osg-agent-bench", "gpu-burn", "gpu-burn", ""]), toolVersion: "1.0", durationSeconds: Int64.random(in: 0...120, using: &random),
                gpusMeasured: pick([1, 1, 1, 2, 0]), fp16DenseGFLOPS: Int64.random(in: -1...1_000_000, using: &random),
                fp32GFLOPS: 60_000, memoryBandwidthMBps: Int64.random(in: 1...4_000_000, using: &random),
                hostToDeviceMBps: 50_000, deviceToHostMBps: 50_000)
            let owner = state?.nodes[nodeID]?.node.operatorID ?? op
            return (.reportBenchmark(nodeID: nodeID, result: result), pick([owner, owner, op, tenant]))
        case 110..<124:
            // Usage reports of running leases (or, refused, of ended or unknown ones), through a
            // time up to five minutes back (or, refused, ahead), with counters in and out of range.
            let running = state.map { $0.runningLeaseOfOrder.values.sorted() } ?? []
            let leaseID = running.isEmpty || Int.random(in: 0..<5, using: &random) == 0
                ? "lease-\(Int.random(in: 0...max(0, orders), using: &random))-0" : pick(running)
            let leaseOperator = state?.leases[leaseID].flatMap { state?.nodes[$0.allocations[0].nodeID]?.node.operatorID } ?? op
            let through = now.adding(seconds: Int64.random(in: -300...5, using: &random))
            let counters = UsageCounters(
                gpuUtilisationPerMille: pick([nil, 0, 750, 1_000, 1_001]), energyWh: pick([nil, t0.seconds(until: now) / 10, -1]))
            return (.reportUsage(leaseID: leaseID, through: through, counters: counters), pick([leaseOperator, leaseOperator, leaseOperator, op, tenant]))
        default:
            return (.tick, governance)
        }
    }
}

@Suite("Replaying the log gives the same state, bit for bit")
struct ReplayPropertyTests {
    @Test("random command sequences replay to an identical state digest", arguments: 0..<40)
    func replayIsDeterministic(seed: Int) throws {
        var generator = CommandSequenceGenerator(seed: UInt64(seed))
        let log = try generator.log(length: 300)
        let first = log.replay()
        let second = log.replay()
        #expect(first.state.digest == second.state.digest)
        #expect(first.events == second.events)

        // Through the persisted form and back: the same state.
        let reread = try CommandLog.read(jsonLines: log.jsonLines())
        #expect(reread.entries == log.entries)
        #expect(reread.replay().state.digest == first.state.digest)
        #expect(reread.jsonLines() == log.jsonLines())
    }

    @Test("a state rebuilt from any prefix and continued equals the full replay")
    func prefixReplay() throws {
        var generator = CommandSequenceGenerator(seed: 99)
        let log = try generator.log(length: 400)
        var state = CoordinatorState(genesis: log.genesis)
        for (index, entry) in log.entries.enumerated() {
            _ = state.apply(entry)
            if index == 199 {
                // "Crash": throw the state away and rebuild it from the log so far.
                var rebuilt = CoordinatorState(genesis: log.genesis)
                for earlier in log.entries[...index] { _ = rebuilt.apply(earlier) }
                #expect(rebuilt.digest == state.digest)
                state = rebuilt
            }
        }
        #expect(state.digest == log.replay().state.digest)
    }

    @Test("different logs give different digests")
    func digestsDiscriminate() throws {
        var a = CommandSequenceGenerator(seed: 1)
        var b = CommandSequenceGenerator(seed: 2)
        #expect(try a.log(length: 100).replay().state.digest != b.log(length: 100).replay().state.digest)
    }

    @Test("the sequences exercise both acceptances and refusals")
    func coverage() throws {
        var generator = CommandSequenceGenerator(seed: 5)
        let events = try generator.log(length: 500).replay().events.flatMap { $0 }
        let refused = events.filter { if case .rejected = $0 { true } else { false } }.count
        let queued = events.filter { if case .jobQueued = $0 { true } else { false } }.count
        let started = events.filter { if case .leaseStarted = $0 { true } else { false } }.count
        let ended = events.filter { if case .leaseEnded = $0 { true } else { false } }.count
        let benchmarks = events.filter { if case .benchmarkRecorded = $0 { true } else { false } }.count
        let settled = events.filter { if case .usageSettled(_, _, let paid) = $0 { paid > .zero } else { false } }.count
        #expect(refused > 50 && queued > 50, "refused \(refused), queued \(queued)")
        #expect(started > 10 && ended > 5, "leases started \(started), ended \(ended)")
        #expect(benchmarks > 2 && settled > 2, "benchmarks recorded \(benchmarks), usage reports that paid \(settled)")
    }

    @Test("a damaged log file is refused with the line that is wrong")
    func damagedLog() throws {
        var generator = CommandSequenceGenerator(seed: 3)
        var lines = try generator.log(length: 5).jsonLines().split(separator: 0x0A).map(Array.init)
        lines.swapAt(2, 3)
        let bytes = lines.joined(separator: [0x0A]).map { $0 }
        #expect(throws: CommandLog.Failure.self) { try CommandLog.read(jsonLines: bytes) }
        #expect(throws: CommandLog.Failure.self) { try CommandLog.read(jsonLines: Array("{\"nope\":1}\n".utf8)) }
        #expect(throws: CommandLog.Failure.self) { try CommandLog.read(jsonLines: []) }
    }
}
