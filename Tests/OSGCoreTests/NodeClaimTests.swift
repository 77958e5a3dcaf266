import OSGCore
import OSGDomain
import Testing

@Suite("Claimed vs observed: a node's data sheet against its benchmark and its leases' usage reports")
struct NodeClaimTests {
    /// A two-node lease (alice's n1, bob's n2, both H100), 2 GPUs on each.
    func runningLease() throws -> (Driver, Lease) {
        var driver = Driver()
        try driver.run(.registerNode(pricedNode("n1", operator: "alice", ask: 1_500_000)), by: "alice")
        try driver.run(.registerNode(pricedNode("n2", operator: "bob", ask: 1_500_000)), by: "bob")
        try driver.run(.deposit(tenantID: "t1", amount: MicroCredits(1_000 * MicroCredits.perCredit)), by: governance)
        try driver.run(.submitJob(spec: timedSpec("a", gpus: 2, duration: 3_600, maxDuration: 7_200, nodes: 2), pool: nil), by: "t1")
        let lease = try #require(leaseStarts(try driver.run(.clear, by: governance)).first)
        return (driver, lease)
    }

    @Test("the data sheet is the claim: per-mille ratios of the benchmark, absent where a figure is unknown")
    func benchmarkAgainstDatasheet() {
        let h100 = GPUModel.named("H100")!
        #expect(h100.datasheet == GPUFigures(fp16DenseGFLOPS: 989_400, fp32GFLOPS: 66_910, memoryBandwidthMBps: 3_350_000))
        let measured = NodeBenchmark(
            tool: "pytorch", toolVersion: "2.5.1", durationSeconds: 20, gpusMeasured: 2, fp16DenseGFLOPS: 742_050,
            fp32GFLOPS: 51_000, memoryBandwidthMBps: 2_680_000, hostToDeviceMBps: 25_000, deviceToHostMBps: 26_000)
        let comparison = NodeClaimComparison(model: h100, benchmark: measured, observation: nil)
        #expect(comparison.benchmarkPerMille == GPUFigures(fp16DenseGFLOPS: 750, fp32GFLOPS: 762, memoryBandwidthMBps: 800))
        #expect(comparison.observedPerMille == nil, "no lease has reported a clock")
        // T4: the source has no tensor FP16 figure, so that ratio is absent, never guessed.
        let t4 = NodeClaimComparison(model: GPUModel.named("T4")!, benchmark: measured, observation: nil)
        #expect(t4.claimed.fp16DenseGFLOPS == nil && t4.benchmarkPerMille?.fp16DenseGFLOPS == nil)
        #expect(t4.benchmarkPerMille?.fp32GFLOPS == 6_264, "51,000 ÷ 8,141 GFLOP/s")
        // A host-only benchmark measured no GPU: nothing to compare.
        var hostOnly = measured
        hostOnly.gpusMeasured = 0
        #expect(NodeClaimComparison(model: h100, benchmark: hostOnly, observation: nil).benchmarked == nil)
        // Every catalogued model's figures, where known, are positive.
        for model in GPUModel.catalog {
            let sheet = model.datasheet
            for figure in [sheet.fp16DenseGFLOPS, sheet.fp32GFLOPS, sheet.memoryBandwidthMBps] { #expect((figure ?? 1) > 0, "\(model)") }
        }
    }

    @Test("usage reports add up on the reporter's own nodes: GPU-seconds, weighted utilisation and clock, growth of energy and CPU time")
    func observationsAccumulate() throws {
        var (driver, lease) = try runningLease()
        try driver.run(.reportBenchmark(nodeID: "n1", result: sampleBenchmark(gpus: 2, fp16: 791_520)), by: "alice")
        try driver.run(.reportUsage(leaseID: lease.id, through: lease.start.adding(seconds: 600), counters: UsageCounters(
            gpuUtilisationPerMille: 900, energyWh: 100, gpuClockPerMille: 1_000, cpuMilliseconds: 50_000)), by: "alice", after: 600)
        // A report that leaves the cumulative figures out keeps them: nothing is counted twice.
        try driver.run(.reportUsage(leaseID: lease.id, through: lease.start.adding(seconds: 1_200), counters: UsageCounters(
            gpuUtilisationPerMille: 600, gpuClockPerMille: 750)), by: "alice", after: 600)
        #expect(driver.state.leases[lease.id]?.usage?.counters.energyWh == 100, "the lease shows its latest total")
        try driver.run(.reportUsage(leaseID: lease.id, through: lease.start.adding(seconds: 1_800), counters: UsageCounters(
            gpuUtilisationPerMille: 600, energyWh: 400, gpuClockPerMille: 750, cpuMilliseconds: 170_000)), by: "alice", after: 600)
        // A report without a utilisation or clock figure adds GPU-seconds only.
        try driver.run(.reportUsage(leaseID: lease.id, through: lease.start.adding(seconds: 2_400), counters: UsageCounters()), by: "alice", after: 600)
        let observed = try #require(driver.state.nodes["n1"]?.observation)
        #expect(observed.leasesReported == 1, "one lease, however many reports")
        #expect(observed.reportedGPUSeconds == 2 * 2_400)
        #expect(observed.utilisationGPUSeconds == 2 * 1_800)
        #expect(observed.utilisationPerMille == 700, "time-weighted: (600 × 900 + 1,200 × 600) ÷ 1,800")
        #expect(observed.clockPerMille == 833, "(600 × 1,000 + 1,200 × 750) ÷ 1,800")
        #expect(observed.energyWh == 400 && observed.cpuMilliseconds == 170_000, "the growth of cumulative figures")
        #expect(driver.state.nodes["n2"]?.observation == nil, "alice's agent measured alice's node, not bob's")

        // Bob reports the next interval: it counts on bob's node only.
        try driver.run(.reportUsage(leaseID: lease.id, through: lease.start.adding(seconds: 3_000), counters: UsageCounters(
            gpuUtilisationPerMille: 500, energyWh: 450)), by: "bob", after: 600)
        let bobs = try #require(driver.state.nodes["n2"]?.observation)
        #expect(bobs.reportedGPUSeconds == 2 * 600 && bobs.utilisationPerMille == 500 && bobs.energyWh == 50)
        #expect(driver.state.nodes["n1"]?.observation == observed)

        let n1 = try #require(driver.state.nodes["n1"]).claimComparison
        #expect(n1.benchmarkPerMille?.fp16DenseGFLOPS == 800)
        #expect(n1.observedPerMille == 666, "the benchmark's ratio at the clocks the leases saw: 800 × 833 ÷ 1,000")
        #expect(try #require(driver.state.nodes["n2"]).claimComparison.observedPerMille == nil, "n2 has no benchmark")

        let published = try #require(driver.state.published.nodeClaims)
        #expect(published.map(\.nodeID) == ["n1", "n2"] && published[0].operatorID == "alice" && published[0].gpuCount == 8)
        #expect(published[0].comparison == n1)

        // A second lease on n1 counts as a second lease.
        try driver.run(.endLease(leaseID: lease.id, reason: .completed), by: "alice")
        try driver.run(.submitJob(spec: timedSpec("b", gpus: 4, duration: 3_600), pool: nil), by: "t1")
        let second = try #require(leaseStarts(try driver.run(.clear, by: governance)).first)
        let node = second.allocations[0].nodeID
        try driver.run(.reportUsage(leaseID: second.id, through: second.start.adding(seconds: 100), counters: UsageCounters(cpuMilliseconds: 10)), by: node == "n1" ? "alice" : "bob", after: 100)
        let before = node == "n1" ? observed : bobs
        #expect(driver.state.nodes[node]?.observation?.leasesReported == 2)
        #expect(driver.state.nodes[node]?.observation?.reportedGPUSeconds == before.reportedGPUSeconds + 400, "4 GPUs × 100 s")
        #expect(driver.state.nodes[node]?.observation?.cpuMilliseconds == before.cpuMilliseconds + 10, "a new lease counts from its own start")
    }

    @Test("refused counters: clock out of range, CPU time out of range or going back")
    func refusals() throws {
        var (driver, lease) = try runningLease()
        let at = lease.start.adding(seconds: 60)
        driver.time = at
        for counters in [UsageCounters(gpuClockPerMille: 1_001), UsageCounters(gpuClockPerMille: -1), UsageCounters(cpuMilliseconds: -1),
                         UsageCounters(cpuMilliseconds: UsageCounters.maxCPUMilliseconds + 1)] {
            #expect(rejection(try driver.run(.reportUsage(leaseID: lease.id, through: at, counters: counters), by: "alice", after: 0)) == .invalidUsage, "\(counters)")
        }
        #expect(driver.state.nodes["n1"]?.observation == nil, "a refused report observes nothing")
        try driver.run(.reportUsage(leaseID: lease.id, through: at, counters: UsageCounters(cpuMilliseconds: 5_000)), by: "alice", after: 0)
        #expect(rejection(try driver.run(.reportUsage(leaseID: lease.id, through: at, counters: UsageCounters(cpuMilliseconds: 4_999)), by: "alice", after: 0)) == .invalidUsage)
    }

    @Test("saturating sums: extreme reports never trap")
    func saturates() {
        var observed = NodeObservation.none
        for _ in 0..<3 {
            observed = observed.adding(
                UsageCounters(gpuUtilisationPerMille: 1_000, energyWh: UsageCounters.maxEnergyWh, gpuClockPerMille: 1_000, cpuMilliseconds: UsageCounters.maxCPUMilliseconds),
                previous: nil, isFirstReport: true, seconds: Int64.max / 2, gpus: 64)
        }
        #expect(observed.reportedGPUSeconds == .max && observed.busyPerMilleGPUSeconds == .max)
        #expect(observed.utilisationPerMille == 1 && observed.leasesReported == 3, "max ÷ max: what saturation leaves; no trap")
    }

    @Test("the published figures are audited: a forged ratio is named")
    func audited() throws {
        var (driver, lease) = try runningLease()
        try driver.run(.reportBenchmark(nodeID: "n1", result: sampleBenchmark(gpus: 2)), by: "alice")
        try driver.run(.reportUsage(leaseID: lease.id, through: lease.start.adding(seconds: 60), counters: UsageCounters(gpuClockPerMille: 900)), by: "alice", after: 60)
        let recomputed = driver.state.published
        var forged = recomputed
        forged.nodeClaims?[0].comparison.observedPerMille = 1_000
        #expect(forged.firstDifference(from: recomputed)?.field == "nodeClaims[n1]")
        #expect(try CanonicalEncoding.decode(PublishedState.self, from: CanonicalEncoding.bytes(of: recomputed)) == recomputed)
        // The log replays to the same figures.
        #expect(driver.log.replay().state.published == recomputed)
    }
}
