import Foundation
import OSGCore
import OSGDomain
import Testing

@Suite("Log entries as transparency-log leaves: binary, canonical, strict")
struct LeafCodecTests {
    static var fullSpec: JobSpec {
        JobSpec(
            name: "sweep", image: "ghcr.io/org/app:2", command: ["python", "train.py", "--lr", "3e-4"],
            resources: ResourceRequest(gpu: GPURequest(selector: .atLeast(GPUModel.named("A100")!), countPerNode: 4, minVRAMGiB: 40), cpuCores: 32, memoryGiB: 256, diskGiB: 500),
            nodeCount: 2, durationSeconds: 7200, maxDurationSeconds: 10_800, maxPricePerGPUHour: MicroCredits(2_500_000),
            deadline: t0.adding(seconds: 86_400), placement: Placement(regions: ["eu", "us-west"], jurisdictions: ["NO"], excludedOperators: ["op-x"]),
            carbon: CarbonPolicy(maxGCO2PerKWh: 120, shift: true), jobClass: .setAside)
    }

    static let commands: [Command] = [
        .registerNode(node("n1", operator: "op-a", gpus: 8, region: "eu")),
        .updateNodeAsk(nodeID: "n1", askPerGPUHour: MicroCredits(1_234_567)),
        .withdrawNode(nodeID: "n1"),
        .heartbeat(nodeIDs: ["n1", "n2", "ünïcode-node"]),
        .heartbeat(nodeIDs: []),
        .submitJob(spec: fullSpec, pool: "students"),
        .submitJob(spec: spec("plain", gpus: 1, jobClass: .preemptible), pool: nil),
        .cancelJob(orderID: "job-7"),
        .definePool(SetAsidePool(name: "students", sharePPM: 100_000, pricePerGPUHour: MicroCredits(500_000))),
        .definePool(SetAsidePool(name: "students", sharePPM: 100_000, pricePerGPUHour: MicroCredits(500_000), ceilingPerGPUHour: MicroCredits(3_000_000))),
        .fundPool(name: "students", amount: MicroCredits(20_000_000)),
        .fundPool(name: "", amount: MicroCredits(-1)),
        .grantSetAside(SetAsideGrant(pool: "students", tenantID: "t-1", quotaGPUSeconds: 3_600_000, expires: t0.adding(seconds: 100))),
        .tick, .clear,
        .endLease(leaseID: "lease-9-0", reason: .cancelledByTenant),
        .lockUp(nodeID: "n1", gpus: 2, holderID: "t-2", until: t0.adding(seconds: 3600)),
        .deposit(tenantID: "t-1", amount: MicroCredits(-5)),
        .recordCarbonSeries(zone: "DE", firstHour: 491_000, milligramsPerKWh: [350_000, 0, -1, 412_500]),
        .recordCarbonSeries(zone: "NO", firstHour: 0, milligramsPerKWh: []),
        .reportBenchmark(nodeID: "n1", result: sampleBenchmark(gpus: 8)),
        .reportBenchmark(nodeID: "n1", result: NodeBenchmark(
            tool: "", toolVersion: "ü", durationSeconds: -1, gpusMeasured: Int.max, fp16DenseGFLOPS: Int64.min, fp32GFLOPS: 0,
            memoryBandwidthMBps: 1, hostToDeviceMBps: 2, deviceToHostMBps: 3)),
        .reportUsage(leaseID: "lease-9-0", through: t0, counters: UsageCounters()),
        .reportUsage(leaseID: "lease-9-0", through: t0.adding(seconds: -7), counters: UsageCounters(gpuUtilisationPerMille: 1_000, energyWh: -2)),
        .reportUsage(leaseID: "", through: t0, counters: UsageCounters(energyWh: 12)),
        // Trailing fields (added after format 1): present only when not their default.
        .registerNode(simulatedNode),
        .submitJob(spec: retryingSpec(retries: 3, network: false), pool: nil),
        .submitJob(spec: retryingSpec(retries: 0, network: true), pool: "students"),
        .submitJob(spec: retryingSpec(retries: -4, network: true), pool: nil),
        .submitJob(spec: environmentSpec, pool: nil),
        .endLease(leaseID: "lease-9-0", reason: .jobFailed, exitCode: 137),
        .endLease(leaseID: "lease-9-0", reason: .completed, exitCode: 0),
        .endLease(leaseID: "lease-9-0", reason: .nodeFault),
        .endLease(leaseID: "lease-9-0", reason: .completed, exitCode: 0,
                  outputs: [OutputBlob(sha256: String(repeating: "0f", count: 32), size: 1_024, archive: true), nil]),
        .reportUsage(leaseID: "lease-9-0", through: t0, counters: UsageCounters(gpuUtilisationPerMille: 870, energyWh: 1_200, gpuClockPerMille: 950, cpuMilliseconds: 360_000)),
        .submitJob(spec: dataSpec, pool: nil),
        .transferCredits(to: "t-2", amount: MicroCredits(12_500_000)),
        .requestWithdrawal(amount: MicroCredits(40_000_000), reference: "IBAN DE00 1234"),
        .settleWithdrawal(withdrawalID: "withdrawal-3", paid: true),
        .settleWithdrawal(withdrawalID: "withdrawal-4", paid: false),
        .issueShares(nodeID: "n1", shares: 1_000),
        .transferShares(nodeID: "n1", to: "t-2", shares: 10),
        // Governance by quorum: the approved command (with its own trailing fields) ends the entry.
        .governed(GovernedCommand(
            counter: 3, command: .definePool(SetAsidePool(name: "students", sharePPM: 100_000, pricePerGPUHour: MicroCredits(500_000), ceilingPerGPUHour: MicroCredits(3_000_000))),
            approvals: [GovernanceApproval(key: Array(repeating: 0x11, count: 32), signature: Array(repeating: 0x22, count: 64)),
                        GovernanceApproval(key: Array(repeating: 0x33, count: 32), signature: Array(repeating: 0x44, count: 64))])),
        .governed(GovernedCommand(counter: 0, command: .endLease(leaseID: "lease-9-0", reason: .nodeFault, exitCode: 1), approvals: [])),
        .rotateGovernance(GovernanceRules(keys: ["k-b", "k-a"], quorum: 2, carbonFeeds: ["feed"])),
    ]

    /// A spec with every data field: inputs, outputs and sealed contents.
    static var dataSpec: JobSpec {
        var spec = spec("data", gpus: 1)
        spec.inputs = [JobInput(path: "data/train.bin", sha256: String(repeating: "ab", count: 32), size: 1 << 30),
                       JobInput(path: "model", sha256: String(repeating: "cd", count: 32), size: 7, url: "https://example.org/m.tar")]
        spec.outputs = [JobOutput(path: "out/ckpt", maxBytes: 1 << 32)]
        spec.contents = String(repeating: "ef", count: 32)
        return spec
    }

    static var simulatedNode: ComputeNode {
        var simulated = node("sim-1", operator: "op-a", gpus: 4, region: "eu")
        simulated.simulated = true
        return simulated
    }

    static var environmentSpec: JobSpec {
        var spec = retryingSpec(retries: 2, network: true)
        spec.env = [EnvironmentVariable(name: "A", value: ""), EnvironmentVariable(name: "HF_HOME", value: "/work/hf ü"), EnvironmentVariable(name: "_x", value: "=")]
        return spec
    }

    static func retryingSpec(retries: Int, network: Bool) -> JobSpec {
        var spec = spec("retrying", gpus: 1)
        spec.retries = retries == 0 ? nil : retries
        spec.network = network ? true : nil
        return spec
    }

    @Test("every command round-trips, and the bytes start with the format and sequence", arguments: commands)
    func roundTrip(command: Command) throws {
        let entry = LogEntry(sequence: 0x0102_0304_0506_0708, time: Timestamp(secondsSinceEpoch: -3), actor: "actor-1", command: command)
        let leaf = entry.leafBytes
        #expect(leaf.first == 1)
        #expect(Array(leaf[1...8]) == [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(try LogEntry(leafBytes: leaf) == entry)
    }

    @Test("a known answer: the bytes of a heartbeat are exactly as documented")
    func knownAnswer() {
        let entry = LogEntry(sequence: 5, time: Timestamp(secondsSinceEpoch: 1_795_000_000), actor: "op", command: .heartbeat(nodeIDs: ["n1"]))
        let expected: [UInt8] = [0x01, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0x6A, 0xFD, 0x86, 0xC0, 0, 2, 0x6F, 0x70, 4, 0, 1, 0, 2, 0x6E, 0x31]
        #expect(entry.leafBytes == expected)
    }

    @Test("a known answer: the bytes of a usage report are exactly as documented")
    func usageKnownAnswer() {
        let entry = LogEntry(
            sequence: 6, time: Timestamp(secondsSinceEpoch: 1_795_000_060), actor: "op",
            command: .reportUsage(leaseID: "l1", through: Timestamp(secondsSinceEpoch: 1_795_000_000), counters: UsageCounters(gpuUtilisationPerMille: 900)))
        let expected: [UInt8] = [0x01, 0, 0, 0, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0x6A, 0xFD, 0x86, 0xFC, 0, 2, 0x6F, 0x70, 16, 0, 2, 0x6C, 0x31,
                                 0, 0, 0, 0, 0x6A, 0xFD, 0x86, 0xC0, 1, 0, 0, 0, 0, 0, 0, 0x03, 0x84, 0]
        #expect(entry.leafBytes == expected)
    }

    /// Tests/OSGCoreTests/Fixtures/leaf-known-answers.txt: the leaf of every command of
    /// ``commands`` (as entry 7 at 1,795,000,000 s by `actor-1`), in hex, one per line in order.
    static let knownAnswersFile = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/leaf-known-answers.txt")

    @Test("known answers: the committed bytes of every command, every tag and every trailing field")
    func knownAnswersForEveryTag() throws {
        let computed = Self.commands.map { command in
            Hex.encode(LogEntry(sequence: 7, time: Timestamp(secondsSinceEpoch: 1_795_000_000), actor: "actor-1", command: command).leafBytes)
        }
        let committed = try String(contentsOf: Self.knownAnswersFile, encoding: .utf8)
            .split(separator: "\n").filter { !$0.hasPrefix("#") }.map(String.init)
        #expect(committed.count == computed.count, "the fixture has \(committed.count) leaves, the test \(computed.count); encoded now:\n\(computed.joined(separator: "\n"))")
        for (index, (want, got)) in zip(committed, computed).enumerated() {
            #expect(want == got, "commands[\(index)] (\(Self.commands[index])): committed \(want), encoded \(got)")
        }
        // The tag follows format (1), sequence (8), time (8) and the actor (2 + 7 bytes).
        let tags = Set(computed.map { Hex.decode($0)![1 + 8 + 8 + 2 + 7] })
        #expect(tags == Set(1...24), "tags covered: \(tags.sorted())")
        var next = LogEntry(sequence: 1, time: t0, actor: "a", command: .tick).leafBytes
        next[next.count - 1] = 25
        #expect(throws: LeafDecodingError.self, "tag 25 decodes: a new command needs its known answer here") { try LogEntry(leafBytes: next) }
    }

    @Test("a leaf without trailing fields keeps its bytes: the fields' defaults are written as nothing")
    func trailingDefaultsAreAbsent() throws {
        var plain = node("n1", operator: "op-a", gpus: 8, region: "eu")
        let before = LogEntry(sequence: 3, time: t0, actor: "op-a", command: .registerNode(plain)).leafBytes
        plain.simulated = true
        let after = LogEntry(sequence: 3, time: t0, actor: "op-a", command: .registerNode(plain)).leafBytes
        #expect(after == before + [1, 1], "field 1 (simulated), value true")
        let ended = LogEntry(sequence: 3, time: t0, actor: "op-a", command: .endLease(leaseID: "l", reason: .jobFailed)).leafBytes
        let withCode = LogEntry(sequence: 3, time: t0, actor: "op-a", command: .endLease(leaseID: "l", reason: .jobFailed, exitCode: 3)).leafBytes
        #expect(withCode == ended + [1, 0, 0, 0, 0, 0, 0, 0, 3])
    }

    @Test("trailing fields out of order, unknown, repeated or at their default value are refused")
    func strictTrailingFields() throws {
        let base = LogEntry(sequence: 1, time: t0, actor: "a", command: .submitJob(spec: spec("s", gpus: 1), pool: nil)).leafBytes
        let retries: [UInt8] = [1, 0, 0, 0, 0, 0, 0, 0, 2]
        let network: [UInt8] = [2, 1]
        #expect(throws: Never.self) { try LogEntry(leafBytes: base + retries + network) }
        for bad in [network + retries, retries + retries, [3, 1], [1, 0, 0, 0, 0, 0, 0, 0, 0], [2, 0], [2, 2], [0]] {
            #expect(throws: LeafDecodingError.self, "\(bad)") { try LogEntry(leafBytes: base + bad) }
        }
        let node = LogEntry(sequence: 1, time: t0, actor: "a", command: .registerNode(node("n", operator: "a"))).leafBytes
        #expect(throws: LeafDecodingError.self) { try LogEntry(leafBytes: node + [1, 0]) }
        #expect(throws: LeafDecodingError.self) { try LogEntry(leafBytes: node + [2, 1]) }
    }

    @Test("truncation, trailing bytes, unknown tags and non-canonical flags are refused")
    func strict() throws {
        let leaf = LogEntry(sequence: 1, time: t0, actor: "a", command: .submitJob(spec: Self.fullSpec, pool: nil)).leafBytes
        for cut in [0, 1, 9, 17, leaf.count - 1] {
            #expect(throws: LeafDecodingError.self) { try LogEntry(leafBytes: leaf.prefix(cut)) }
        }
        #expect(throws: LeafDecodingError.self) { try LogEntry(leafBytes: leaf + [0]) }
        #expect(throws: LeafDecodingError.self) { try LogEntry(leafBytes: leaf + [9]) }
        var wrongFormat = leaf
        wrongFormat[0] = 2
        #expect(throws: LeafDecodingError.self) { try LogEntry(leafBytes: wrongFormat) }
        var unknownTag = LogEntry(sequence: 1, time: t0, actor: "a", command: .tick).leafBytes
        unknownTag[unknownTag.count - 1] = 200
        #expect(throws: LeafDecodingError.self) { try LogEntry(leafBytes: unknownTag) }
        // The pool's presence flag is the last byte; 2 is not a flag.
        var badFlag = leaf
        badFlag[badFlag.count - 1] = 2
        #expect(throws: LeafDecodingError.self) { try LogEntry(leafBytes: badFlag) }
    }
}
