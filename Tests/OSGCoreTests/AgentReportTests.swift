import OSGCore
import OSGDomain
import Testing

/// A benchmark result within every limit.
func sampleBenchmark(gpus: Int = 8, fp16: Int64 = 750_000) -> NodeBenchmark {
    NodeBenchmark(
        tool: "osg-agent-bench", toolVersion: "1.0.0", durationSeconds: 90, gpusMeasured: gpus, fp16DenseGFLOPS: fp16,
        fp32GFLOPS: 60_000, memoryBandwidthMBps: 3_000_000, hostToDeviceMBps: 50_000, deviceToHostMBps: 48_000)
}

func usageSettlements(_ events: [Event]) -> [(leaseID: String, through: Timestamp, paid: MicroCredits)] {
    events.compactMap { if case .usageSettled(let lease, let through, let paid) = $0 { (lease, through, paid) } else { nil } }
}

@Suite("Benchmark results are recorded for an operator's own nodes and published")
struct BenchmarkReportTests {
    @Test("only the node's operator reports, with values in range; a newer report replaces the older")
    func recording() throws {
        var driver = Driver()
        try driver.run(.registerNode(node("n1", operator: "alice", gpus: 4)), by: "alice")
        #expect(rejection(try driver.run(.reportBenchmark(nodeID: "n9", result: sampleBenchmark(gpus: 4)), by: "alice")) == .unknownNode)
        #expect(rejection(try driver.run(.reportBenchmark(nodeID: "n1", result: sampleBenchmark(gpus: 4)), by: "mallory")) == .notOwner)
        var bad = sampleBenchmark(gpus: 5)  // more GPUs than the node has
        #expect(rejection(try driver.run(.reportBenchmark(nodeID: "n1", result: bad), by: "alice")) == .invalidBenchmark)
        for mutate in [
            { (b: inout NodeBenchmark) in b.fp16DenseGFLOPS = -1 },
            { (b: inout NodeBenchmark) in b.fp32GFLOPS = 0 },
            { (b: inout NodeBenchmark) in b.memoryBandwidthMBps = Int64.max },
            { (b: inout NodeBenchmark) in b.hostToDeviceMBps = 10_000_001 },
            { (b: inout NodeBenchmark) in b.durationSeconds = 0 },
            { (b: inout NodeBenchmark) in b.tool = String(repeating: "x", count: 65) },
            { (b: inout NodeBenchmark) in b.toolVersion = "1 0" },
            { (b: inout NodeBenchmark) in b.tool = "" },
        ] {
            bad = sampleBenchmark(gpus: 4)
            mutate(&bad)
            let events = try driver.run(.reportBenchmark(nodeID: "n1", result: bad), by: "alice")
            #expect(rejection(events) == .invalidBenchmark, "\(bad)")
        }
        #expect(driver.state.nodes["n1"]?.benchmark == nil)
        #expect(driver.state.published.nodeBenchmarks == nil, "nothing published before a report")

        let before = driver.state.digest
        #expect(try driver.run(.reportBenchmark(nodeID: "n1", result: sampleBenchmark(gpus: 4)), by: "alice") == [.benchmarkRecorded(nodeID: "n1")])
        #expect(driver.state.nodes["n1"]?.benchmark == NodeBenchmarkReport(reported: driver.time, result: sampleBenchmark(gpus: 4)))
        #expect(driver.state.digest != before, "the benchmark is in the digest")
        try driver.run(.reportBenchmark(nodeID: "n1", result: sampleBenchmark(gpus: 2, fp16: 800_000)), by: "alice", after: 60)
        #expect(driver.state.nodes["n1"]?.benchmark?.result.fp16DenseGFLOPS == 800_000)
        let published = try #require(driver.state.published.nodeBenchmarks)
        #expect(published.map(\.nodeID) == ["n1"] && published[0].operatorID == "alice" && published[0].result.gpusMeasured == 2)
        #expect(published[0].reported == driver.time)

        // Withdrawing the node drops its result.
        try driver.run(.withdrawNode(nodeID: "n1"), by: "alice")
        #expect(driver.state.published.nodeBenchmarks == nil)
    }
}

@Suite("Usage reports settle a running lease's escrow as it runs")
struct UsageReportTests {
    /// A two-node lease (alice's n1, bob's n2), `gpus` GPUs on each, and its id.
    func runningLease(ask: Int64 = 1_500_000, gpus: Int = 2, maxDuration: Int64 = 7_200) throws -> (Driver, Lease) {
        var driver = Driver()
        try driver.run(.registerNode(pricedNode("n1", operator: "alice", ask: ask)), by: "alice")
        try driver.run(.registerNode(pricedNode("n2", operator: "bob", ask: ask)), by: "bob")
        try driver.run(.deposit(tenantID: "t1", amount: MicroCredits(1_000 * MicroCredits.perCredit)), by: governance)
        try driver.run(.submitJob(spec: timedSpec("a", gpus: gpus, duration: min(3_600, maxDuration), maxDuration: maxDuration, maxPrice: max(ask, 2_000_000), nodes: 2), pool: nil), by: "t1")
        let lease = try #require(leaseStarts(try driver.run(.clear, by: governance)).first)
        return (driver, lease)
    }

    @Test("refusals: unknown or ended lease, not its operator, a time in the future or before the last settlement, bad counters")
    func refusals() throws {
        var (driver, lease) = try runningLease()
        let now = { driver.time }
        #expect(rejection(try driver.run(.reportUsage(leaseID: "lease-0-0", through: now(), counters: UsageCounters()), by: "alice")) == .unknownLease)
        #expect(rejection(try driver.run(.reportUsage(leaseID: lease.id, through: now(), counters: UsageCounters()), by: "t1")) == .notOwner)
        #expect(rejection(try driver.run(.reportUsage(leaseID: lease.id, through: now(), counters: UsageCounters()), by: "carol")) == .notOwner)
        #expect(rejection(try driver.run(.reportUsage(leaseID: lease.id, through: now().adding(seconds: 100), counters: UsageCounters()), by: "alice")) == .invalidUsage)
        #expect(rejection(try driver.run(.reportUsage(leaseID: lease.id, through: lease.start.adding(seconds: -1), counters: UsageCounters()), by: "alice")) == .invalidUsage)
        #expect(rejection(try driver.run(.reportUsage(leaseID: lease.id, through: now(), counters: UsageCounters(gpuUtilisationPerMille: 1_001)), by: "alice")) == .invalidUsage)
        #expect(rejection(try driver.run(.reportUsage(leaseID: lease.id, through: now(), counters: UsageCounters(energyWh: -1)), by: "alice")) == .invalidUsage)

        driver.time = driver.time.adding(seconds: 600)
        let settledThrough = driver.time
        try driver.run(.reportUsage(leaseID: lease.id, through: settledThrough, counters: UsageCounters(gpuUtilisationPerMille: 900, energyWh: 50)), by: "bob", after: 0)
        #expect(driver.state.leases[lease.id]?.usage?.through == settledThrough)
        #expect(rejection(try driver.run(.reportUsage(leaseID: lease.id, through: settledThrough.adding(seconds: -1), counters: UsageCounters()), by: "alice")) == .invalidUsage)
        #expect(rejection(try driver.run(.reportUsage(leaseID: lease.id, through: now(), counters: UsageCounters(energyWh: 49)), by: "alice")) == .invalidUsage,
                "energy is cumulative")
        try driver.run(.endLease(leaseID: lease.id, reason: .completed), by: "alice")
        #expect(rejection(try driver.run(.reportUsage(leaseID: lease.id, through: now(), counters: UsageCounters()), by: "alice")) == .leaseAlreadyEnded)
    }

    @Test("a report pays the time since the last settlement, is published on the lease, and the end pays the rest")
    func streamed() throws {
        var (driver, lease) = try runningLease(gpus: 2)
        let price = lease.pricePerGPUHour.rawValue
        try driver.run(.heartbeat(nodeIDs: ["n1"]), by: "alice", after: 1_000)
        let first = try driver.run(.reportUsage(leaseID: lease.id, through: lease.start.adding(seconds: 1_000), counters: UsageCounters(gpuUtilisationPerMille: 870, energyWh: 300)), by: "alice")
        // Two parts (alice's and bob's), each 2 GPUs for 1,000 s, rounded up per part.
        let perPart = (price * 2 * 1_000 + 3_599) / 3_600
        #expect(usageSettlements(first).map(\.paid) == [MicroCredits(2 * perPart)])
        #expect(driver.state.availableFunds(of: "alice") == MicroCredits(perPart))
        #expect(driver.state.availableFunds(of: "bob") == MicroCredits(perPart))
        let usage = try #require(driver.state.leases[lease.id]?.usage)
        #expect(usage.through == lease.start.adding(seconds: 1_000) && usage.reporterID == "alice" && usage.settled == MicroCredits(2 * perPart))
        #expect(usage.counters == UsageCounters(gpuUtilisationPerMille: 870, energyWh: 300))
        #expect(driver.state.published.runningLeases.first { $0.id == lease.id }?.usage == usage, "the last report is published")

        // A report that adds no time pays nothing but records its counters.
        let again = try driver.run(.reportUsage(leaseID: lease.id, through: lease.start.adding(seconds: 1_000), counters: UsageCounters(energyWh: 310)), by: "bob", after: 0)
        #expect(usageSettlements(again).map(\.paid) == [.zero])
        #expect(driver.state.leases[lease.id]?.usage?.counters.energyWh == 310)

        let ended = leaseEnds(try driver.run(.endLease(leaseID: lease.id, reason: .completed), by: "bob", after: 800))
        let elapsed = lease.start.seconds(until: driver.time)
        let totalPerPart = (price * 2 * elapsed + 3_599) / 3_600
        #expect(ended[lease.id]?.paid == MicroCredits(2 * (totalPerPart - perPart)), "the end pays only the remainder")
        #expect(driver.state.availableFunds(of: "alice") == MicroCredits(totalPerPart))
    }

    @Test("a part whose whole budget a report paid ends without a ledger transfer")
    func paidInFull() throws {
        // 1 micro-credit per GPU-hour: the one-hour budget of one GPU is 1, due after the first second.
        var (driver, lease) = try runningLease(ask: 1, gpus: 1, maxDuration: 3_600)
        #expect(lease.pricePerGPUHour == MicroCredits(1))
        let settled = try driver.run(.reportUsage(leaseID: lease.id, through: lease.start.adding(seconds: 1), counters: UsageCounters()), by: "bob", after: 5)
        #expect(usageSettlements(settled).map(\.paid) == [MicroCredits(2)])
        let later = try driver.run(.reportUsage(leaseID: lease.id, through: driver.time, counters: UsageCounters()), by: "bob", after: 5)
        #expect(usageSettlements(later).map(\.paid) == [.zero])
        let ended = leaseEnds(try driver.run(.endLease(leaseID: lease.id, reason: .completed), by: "alice", after: 5))
        #expect(ended[lease.id]?.paid == .zero)
        #expect(driver.state.availableFunds(of: "alice") == MicroCredits(1) && driver.state.availableFunds(of: "bob") == MicroCredits(1))
        #expect(driver.state.published.balances.allSatisfy { $0.pendingDebitsMicroCredits == 0 && $0.pendingCreditsMicroCredits == 0 })
    }

    /// One scenario: the commands after the clearing, each with its time, except usage reports.
    struct Scenario {
        var ask: Int64
        var gpus: Int
        var maxDuration: Int64
        var endAfter: Int64
        var ending: Int
        var reports: [(after: Int64, throughBack: Int64, by: String)]
    }

    /// Runs `scenario`, with or without its usage reports; returns the final state and the total paid by events.
    func run(_ scenario: Scenario, withReports: Bool) throws -> (CoordinatorState, Int64) {
        var (driver, lease) = try runningLease(ask: scenario.ask, gpus: scenario.gpus, maxDuration: scenario.maxDuration)
        var paid: Int64 = 0
        let start = driver.time
        if withReports {
            var settled = lease.start
            for report in scenario.reports {
                driver.time = start.adding(seconds: report.after)
                let through = max(settled, driver.time.adding(seconds: -report.throughBack))
                let events = try driver.run(.reportUsage(leaseID: lease.id, through: through, counters: UsageCounters()), by: report.by, after: 0)
                let settlements = usageSettlements(events)
                #expect(settlements.count == 1, "\(events)")
                paid += settlements.reduce(0) { $0 + $1.paid.rawValue }
                settled = through
            }
        }
        driver.time = start.adding(seconds: scenario.endAfter)
        let events: [Event]
        switch scenario.ending {
        case 0: events = try driver.run(.endLease(leaseID: lease.id, reason: .completed), by: "alice", after: 0)
        case 1: events = try driver.run(.cancelJob(orderID: lease.orderID), by: "t1", after: 0)
        case 2: events = try driver.run(.withdrawNode(nodeID: "n2"), by: "bob", after: 0)
        case 3: events = try driver.run(.tick, by: governance, after: 0)  // nodes silent: node_lost, or max duration
        default:
            try driver.run(.heartbeat(nodeIDs: ["n1"]), by: "alice", after: 0)
            try driver.run(.heartbeat(nodeIDs: ["n2"]), by: "bob", after: 0)
            events = try driver.run(.tick, by: governance, after: 0)
        }
        var ends = leaseEnds(events)
        if ends[lease.id] == nil {
            // A tick before the nodes went silent or the max duration passed: end it now.
            #expect(scenario.ending >= 3, "the lease ended: \(events)")
            ends = leaseEnds(try driver.run(.endLease(leaseID: lease.id, reason: .completed), by: "alice", after: 0))
        }
        paid += try #require(ends[lease.id]).paid.rawValue
        return (driver.state, paid)
    }

    @Test("any split into usage reports pays, to the micro-credit, what one settlement at the end pays", arguments: 0..<60)
    func splitInvariance(seed: Int) throws {
        var random = SplitMix64(seed: UInt64(seed) &* 7_919 &+ 1)
        let maxDuration = Int64.random(in: 60...10_000, using: &random)
        let endAfter = Int64.random(in: 1...(maxDuration + 600), using: &random)
        let reportTimes = (0..<Int.random(in: 1...8, using: &random)).map { _ in Int64.random(in: 0...endAfter, using: &random) }.sorted()
        let scenario = Scenario(
            ask: Int64.random(in: 1...3_000_000, using: &random), gpus: Int.random(in: 1...8, using: &random),
            maxDuration: maxDuration, endAfter: endAfter, ending: Int.random(in: 0...4, using: &random),
            reports: reportTimes.map { ($0, Int64.random(in: 0...120, using: &random), Bool.random(using: &random) ? "alice" : "bob") })
        let (streamed, streamedPaid) = try run(scenario, withReports: true)
        let (single, singlePaid) = try run(scenario, withReports: false)
        #expect(streamed.published.balances == single.published.balances, "balances after \(scenario.reports.count) reports")
        #expect(streamedPaid == singlePaid)
        #expect(streamed.escrows.isEmpty == single.escrows.isEmpty)
    }
}

@Suite("The new fields leave older states' bytes alone and are audited")
struct AgentReportEncodingTests {
    @Test("a log without reports encodes its state and published state without the new fields")
    func olderBytesKept() throws {
        var generator = CommandSequenceGenerator(seed: 11)
        var log = try generator.log(length: 300)
        // The same log without the new commands: none of the new keys appear.
        let older = log.entries.filter {
            switch $0.command { case .reportBenchmark, .reportUsage: false; default: true }
        }
        log = CommandLog(genesis: log.genesis)
        for entry in older { try log.append(entry.command, by: entry.actor, at: entry.time) }
        let state = log.replay().state
        let snapshot = String(decoding: CanonicalEncoding.bytes(of: state.snapshot), as: UTF8.self)
        let published = String(decoding: CanonicalEncoding.bytes(of: state.published), as: UTF8.self)
        #expect(state.escrows.isEmpty == false || state.leases.isEmpty == false, "the log exercises leases")
        for key in ["\"benchmark\"", "\"usage\"", "\"settledMicroCredits\"", "\"observation\""] { #expect(!snapshot.contains(key), "\(key)") }
        for key in ["\"nodeBenchmarks\"", "\"usage\"", "\"nodeClaims\""] { #expect(!published.contains(key), "\(key)") }
    }

    @Test("an auditor's comparison names a published benchmark or usage that differs")
    func differencesNamed() throws {
        var driver = Driver()
        try driver.run(.registerNode(node("n1", operator: "alice", gpus: 4)), by: "alice")
        try driver.run(.reportBenchmark(nodeID: "n1", result: sampleBenchmark(gpus: 4)), by: "alice")
        let recomputed = driver.state.published
        var forged = recomputed
        forged.nodeBenchmarks?[0].result.fp16DenseGFLOPS += 1
        #expect(forged.firstDifference(from: recomputed)?.field == "nodeBenchmarks[n1]")
        forged.nodeBenchmarks = nil
        #expect(forged.firstDifference(from: recomputed)?.field == "nodeBenchmarks[n1]")
        #expect(recomputed.firstDifference(from: recomputed) == nil)
        // Round trip through the canonical JSON, as the auditor reads it.
        #expect(try CanonicalEncoding.decode(PublishedState.self, from: CanonicalEncoding.bytes(of: recomputed)) == recomputed)
    }
}

@Suite("Host figures in benchmark results")
struct HostBenchmarkReportTests {
    static func hostOnly(cores: Int = 8, gflops: Int64 = 120, fp16: Int64 = 0) -> NodeBenchmark {
        NodeBenchmark(
            tool: "osg-hostbench", toolVersion: "1", durationSeconds: 1, gpusMeasured: 0, fp16DenseGFLOPS: fp16, fp32GFLOPS: 0,
            memoryBandwidthMBps: 0, hostToDeviceMBps: 0, deviceToHostMBps: 0,
            host: NodeBenchmark.HostMeasurement(cpuCores: cores, cpuFP32GFLOPS: gflops, memoryBandwidthMBps: 20_000))
    }

    @Test("a host-only result (no GPU measured) is recorded; GPU figures must then be 0; without host figures a GPU is required")
    func hostOnly() throws {
        var driver = Driver()
        try driver.run(.registerNode(node("n1", operator: "alice", gpus: 4)), by: "alice")
        #expect(try driver.run(.reportBenchmark(nodeID: "n1", result: Self.hostOnly()), by: "alice") == [.benchmarkRecorded(nodeID: "n1")])
        #expect(driver.state.nodes["n1"]?.benchmark?.result.host?.cpuFP32GFLOPS == 120)
        for bad in [Self.hostOnly(fp16: 5), Self.hostOnly(cores: 0), Self.hostOnly(gflops: 0)] {
            #expect(rejection(try driver.run(.reportBenchmark(nodeID: "n1", result: bad), by: "alice")) == .invalidBenchmark, "\(bad)")
        }
        var noHost = Self.hostOnly()
        noHost.host = nil
        #expect(rejection(try driver.run(.reportBenchmark(nodeID: "n1", result: noHost), by: "alice")) == .invalidBenchmark,
                "as before host figures existed: a result must measure a GPU")
        var both = sampleBenchmark(gpus: 4)
        both.host = Self.hostOnly().host
        #expect(try driver.run(.reportBenchmark(nodeID: "n1", result: both), by: "alice") == [.benchmarkRecorded(nodeID: "n1")])
        // The leaf carries the host figures as a trailing field, and decodes to the same command.
        let entry = try #require(driver.log.entries.last)
        #expect(try LogEntry(leafBytes: entry.leafBytes) == entry)
    }
}
