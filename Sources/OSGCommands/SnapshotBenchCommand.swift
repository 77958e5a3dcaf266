import ArgumentParser
import Foundation
import OSGCore
import OSGDomain
import OSGStore

/// `osg bench snapshot`: how long a snapshot of a large coordinator state takes to encode and
/// to decode (with every check recovery makes), and how big it is.
struct SnapshotBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot",
        abstract: "Measure state snapshot encode/decode time and size on a large seeded state.",
        discussion: """
            Builds a state by applying a seeded, realistic coordinator log (CommandLogWorkload, \
            as `osg log bench`): --nodes nodes (100 per operator), --tenants tenants, then \
            --seconds simulated seconds of heartbeats, submissions, completions, clearings and \
            ticks. Not timed. Then, --repeat times each: encode (the state digest, the binary \
            body, its checksum: what the coordinator does off its writer), decode (header, \
            checksum, body, derived caches, consistency and digest checks: what a start does), \
            and the state digest alone. Then the segmented (format 3) snapshots the coordinator \
            takes: the first (every segment encoded), one --interval entries later built on it \
            (only changed segments), each stored in SQLite (fsync included), a segmented \
            decode (what a start does), and the time the writer spends on its first change to \
            a state a snapshot still holds (the copy-on-write). Reports the best of the \
            repeats. Build with -c release for meaningful figures.
            """
    )

    @Option(name: .long, help: "Nodes in the state (a multiple of 100).")
    var nodes = 250_000

    @Option(name: .long, help: "Tenants in the state.")
    var tenants = 5_000

    @Option(name: .long, help: "Simulated seconds of activity after registration.")
    var seconds = 20

    @Option(name: .long, help: "Times each measurement is repeated (the best is reported).")
    var `repeat` = 3

    @Option(name: .long, help: "Workload seed.")
    var seed: UInt64 = 1

    @Option(name: .long, help: "Build the state of the crash test (scripts/crash-test-server.py) instead: this many pending jobs from --tenants tenants (16 if not given), about 3 faucet deposits to every 7 submissions, a tick and a clearing every 340 entries, no nodes.")
    var queueOrders: Int?

    @Option(name: .long, help: "Entries applied between the two incremental snapshots measured (the snapshot interval).")
    var interval = 50

    @Option(name: .long, help: "Directory for the SQLite store the snapshots are written to (default: a new temporary directory, removed afterwards).")
    var directory: String?

    @Flag(name: .long, help: "Print one JSON object.")
    var json = false

    func validate() throws {
        guard nodes >= 100, nodes % 100 == 0 else { throw ValidationError("--nodes must be a positive multiple of 100, got \(nodes)") }
        guard tenants >= 1, seconds >= 0, `repeat` >= 1 else { throw ValidationError("--tenants and --repeat must be at least 1, --seconds at least 0") }
        guard (queueOrders ?? 1) >= 1, interval >= 1 else { throw ValidationError("--queue-orders and --interval must be at least 1") }
    }

    struct Report: Encodable {
        let nodes: Int
        let tenants: Int
        let logEntries: UInt64
        let orders: Int
        let leases: Int
        let runningLeases: Int
        let ledgerAccounts: Int
        let ledgerRecords: Int
        let snapshotBytes: Int
        let encodeMs: Double
        let decodeMs: Double
        let digestMs: Double
        let encodeMiBPerS: Double
        let decodeMiBPerS: Double
        let buildSeconds: Double
        let peakResidentMiB: Int?
        let fullWriteMs: Double
        let bodyOnlyMs: Double
        let writerCopyMs: Double
        let writerApplyMs: Double
        let segmentedFirstEncodeMs: Double
        let segmentedFirstWriteMs: Double
        let segmentedFirstBytes: Int
        let segments: Int
        let segmentedNextEncodeMs: Double
        let segmentedNextWriteMs: Double
        let segmentedNextNewBytes: Int
        let segmentedNextNewSegments: Int
        let segmentedDecodeMs: Double

        enum CodingKeys: String, CodingKey {
            case nodes, tenants, orders, leases
            case logEntries = "log_entries"
            case runningLeases = "running_leases"
            case ledgerAccounts = "ledger_accounts"
            case ledgerRecords = "ledger_records"
            case snapshotBytes = "snapshot_bytes"
            case encodeMs = "encode_ms"
            case decodeMs = "decode_ms"
            case digestMs = "digest_ms"
            case encodeMiBPerS = "encode_mib_per_s"
            case decodeMiBPerS = "decode_mib_per_s"
            case buildSeconds = "build_s"
            case peakResidentMiB = "peak_rss_mib"
            case fullWriteMs = "full_write_ms"
            case bodyOnlyMs = "body_only_ms"
            case writerCopyMs = "writer_first_change_shared_ms"
            case writerApplyMs = "writer_first_change_unshared_ms"
            case segmentedFirstEncodeMs = "segmented_first_encode_ms"
            case segmentedFirstWriteMs = "segmented_first_write_ms"
            case segmentedFirstBytes = "segmented_first_bytes"
            case segments
            case segmentedNextEncodeMs = "segmented_next_encode_ms"
            case segmentedNextWriteMs = "segmented_next_write_ms"
            case segmentedNextNewBytes = "segmented_next_new_bytes"
            case segmentedNextNewSegments = "segmented_next_new_segments"
            case segmentedDecodeMs = "segmented_decode_ms"
        }
    }

    func run() throws {
        let clock = ContinuousClock()
        let buildStart = clock.now
        var source: any SnapshotBenchSource
        if let queueOrders {
            source = QueueWorkload(seed: seed, orders: queueOrders, tenants: tenants == 5_000 ? 16 : tenants)
        } else {
            var workload = CommandLogWorkload(seed: seed, operators: nodes / 100, nodesPerOperator: 100, tenants: tenants)
            // Setup (pool, deposits, grants, registrations), then the seconds of activity.
            let setup = 1 + tenants + (tenants + 4) / 5 + nodes
            _ = workload.entries(count: setup)
            let perSecond = nodes / Int(CommandLogWorkload.heartbeatIntervalSeconds) + 4
            for _ in 0..<seconds { _ = workload.entries(count: perSecond) }
            source = workload
        }
        let state = source.currentState
        let buildSeconds = BenchStatistics.seconds(clock.now - buildStart)

        let workDirectory = directory ?? (NSTemporaryDirectory() + "osg-snapshot-bench-\(UUID().uuidString)")
        defer { if directory == nil { try? FileManager.default.removeItem(atPath: workDirectory) } }
        try FileManager.default.createDirectory(atPath: workDirectory, withIntermediateDirectories: true)
        let sqlite = try SQLiteCommandLogStore(path: workDirectory + "/osg.sqlite")
        try sqlite.initialize(genesis: state.genesis)
        // Snapshots are never ahead of the log: give the store a log as long as the state's.
        var padding: UInt64 = 0
        while padding < state.nextSequence + UInt64(interval) * 2 {
            let count = min(5_000, state.nextSequence + UInt64(interval) * 2 - padding)
            try sqlite.append((0..<count).map { LogEntry(sequence: padding + $0, time: Timestamp(secondsSinceEpoch: 0), actor: "bench", command: .tick) })
            padding += count
        }

        func best(_ body: () throws -> Void) rethrows -> Duration {
            var fastest = Duration.seconds(1_000_000)
            for _ in 0..<`repeat` {
                let start = clock.now
                try body()
                fastest = min(fastest, clock.now - start)
            }
            return fastest
        }

        var bytes: [UInt8] = []
        var encode = Duration.seconds(1_000_000), decode = encode, digest = encode
        for _ in 0..<`repeat` {
            let start = clock.now
            bytes = try StateSnapshot.encode(state)
            encode = min(encode, clock.now - start)
            let decodeStart = clock.now
            let restored = try StateSnapshot.decode(bytes, genesis: state.genesis)
            decode = min(decode, clock.now - decodeStart)
            guard restored.nextSequence == state.nextSequence else { throw ValidationError("the snapshot did not restore the state: a bug") }
            let digestStart = clock.now
            _ = state.digest
            digest = min(digest, clock.now - digestStart)
        }
        let bodyOnly = try best { _ = try BinaryStateEncoder.encode(state) }
        var fullSequence = state.nextSequence - 1
        let fullWrite = try best {
            try sqlite.writeSnapshot(bytes, covering: fullSequence, keep: 3)
            fullSequence -= 1  // a new sequence each time: a stored one is not written again
        }

        // The writer's first change to a state a snapshot holds copies each collection it
        // touches; the second change to the same collections does not.
        let next = source.peekEntries(count: 2)
        var writerCopy = Duration.seconds(1_000_000), writerApply = writerCopy
        for _ in 0..<`repeat` {
            var live = state
            let held = state
            let start = clock.now
            _ = live.apply(next[0])
            let middle = clock.now
            _ = live.apply(next[1])
            let end = clock.now
            withExtendedLifetime(held) {}
            writerCopy = min(writerCopy, middle - start)
            writerApply = min(writerApply, end - middle)
        }

        // Segmented snapshots: the first, then one built on it after --interval entries.
        var segmenter = StateSegmenter()
        var first: StateSegmenter.Output?
        let firstEncode = try best { first = try segmenter.encode(state) }
        let firstOutput = first!
        let firstWriteStart = clock.now
        try sqlite.writeSegmentedSnapshot(
            manifest: firstOutput.manifest.bytes(), segmentHashes: firstOutput.manifest.segments.map(\.hash),
            newSegments: firstOutput.newSegments, covering: state.nextSequence, keep: 3)
        let firstWrite = clock.now - firstWriteStart
        segmenter.base = StateSegmenter.Base(state: state, manifest: firstOutput.manifest)
        for entry in source.nextEntries(count: interval) { _ = entry }
        let later = source.currentState
        var nextOutput: StateSegmenter.Output?
        let nextEncode = try best { nextOutput = try segmenter.encode(later) }
        let laterOutput = nextOutput!
        let nextWriteStart = clock.now
        try sqlite.writeSegmentedSnapshot(
            manifest: laterOutput.manifest.bytes(), segmentHashes: laterOutput.manifest.segments.map(\.hash),
            newSegments: laterOutput.newSegments, covering: later.nextSequence, keep: 3)
        let nextWrite = clock.now - nextWriteStart
        var segmentedDecode = Duration.seconds(1_000_000)
        for _ in 0..<`repeat` {
            let start = clock.now
            guard let manifestBytes = try sqlite.snapshot(covering: later.nextSequence) else {
                throw ValidationError("the segmented snapshot was not stored: a bug")
            }
            let manifest = try SnapshotManifest(parsing: manifestBytes)
            let segments = try sqlite.snapshotSegments(manifest.segments.map(\.hash))
            let restored = try StateSnapshot.decode(manifest: manifest, segments: segments, genesis: later.genesis)
            segmentedDecode = min(segmentedDecode, clock.now - start)
            guard restored.digest == later.digest else {
                let direct = try StateSnapshot.decode(manifest: laterOutput.manifest, segments: Dictionary(
                    (firstOutput.newSegments + laterOutput.newSegments).map { ($0.hash, $0.body) }, uniquingKeysWith: { a, _ in a }), genesis: later.genesis)
                let fresh = try StateSegmenter().encode(later)
                let freshRestored = try StateSnapshot.decode(manifest: fresh.manifest, segments: Dictionary(
                    fresh.newSegments.map { ($0.hash, $0.body) }, uniquingKeysWith: { a, _ in a }), genesis: later.genesis)
                let a = Mirror(reflecting: restored.snapshot).children.map { "\($0.value)" }
                let b = Mirror(reflecting: later.snapshot).children.map { "\($0.value)" }
                let names = Mirror(reflecting: later.snapshot).children.map { $0.label ?? "?" }
                let differing = names.indices.filter { a[$0] != b[$0] }.map { names[$0] }
                throw ValidationError("the segmented snapshot did not restore the state: a bug; differing fields \(differing); direct decode equal: \(direct.digest == later.digest); fresh encode/decode equal: \(freshRestored.digest == later.digest); changed segments \(laterOutput.newSegments.count) \(laterOutput.manifest.segments.filter { s in laterOutput.newSegments.contains { $0.hash == s.hash } }.map(\.name))")
            }
        }

        let mebibytes = Double(bytes.count) / 1_048_576
        let report = Report(
            nodes: state.nodes.count, tenants: tenants, logEntries: state.nextSequence, orders: state.orders.count,
            leases: state.leases.count, runningLeases: state.runningLeaseOfOrder.count,
            ledgerAccounts: state.ledger.accountCount, ledgerRecords: state.ledger.recordCount, snapshotBytes: bytes.count,
            encodeMs: BenchStatistics.seconds(encode) * 1_000, decodeMs: BenchStatistics.seconds(decode) * 1_000,
            digestMs: BenchStatistics.seconds(digest) * 1_000,
            encodeMiBPerS: mebibytes / BenchStatistics.seconds(encode), decodeMiBPerS: mebibytes / BenchStatistics.seconds(decode),
            buildSeconds: buildSeconds, peakResidentMiB: BenchStatistics.peakResidentMiB(),
            fullWriteMs: ms(fullWrite), bodyOnlyMs: ms(bodyOnly), writerCopyMs: ms(writerCopy), writerApplyMs: ms(writerApply),
            segmentedFirstEncodeMs: ms(firstEncode), segmentedFirstWriteMs: ms(firstWrite), segmentedFirstBytes: firstOutput.newBytes,
            segments: laterOutput.manifest.segments.count,
            segmentedNextEncodeMs: ms(nextEncode), segmentedNextWriteMs: ms(nextWrite), segmentedNextNewBytes: laterOutput.newBytes,
            segmentedNextNewSegments: laterOutput.newSegments.count, segmentedDecodeMs: ms(segmentedDecode))
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print("state: \(report.nodes) nodes, \(report.orders) orders, \(report.leases) leases (\(report.runningLeases) running), \(report.ledgerRecords) ledger records after \(report.logEntries) entries (built in \(String(format: "%.1f", buildSeconds)) s)")
            print("full snapshot (format 2): \(String(format: "%.1f", mebibytes)) MiB; encode \(f(report.encodeMs)) ms (digest \(f(report.digestMs)) ms, body \(f(report.bodyOnlyMs)) ms), SQLite write \(f(report.fullWriteMs)) ms, decode and check \(f(report.decodeMs)) ms")
            print("writer's first change to a state a snapshot holds: \(f(report.writerCopyMs)) ms")
            print("segmented (format 3): \(report.segments) segments; first \(f(report.segmentedFirstEncodeMs)) ms encode + \(f(report.segmentedFirstWriteMs)) ms write (\(firstOutput.newBytes) B); after \(interval) entries \(f(report.segmentedNextEncodeMs)) ms encode + \(f(report.segmentedNextWriteMs)) ms write (\(laterOutput.newSegments.count) segments, \(laterOutput.newBytes) B new); decode and check \(f(report.segmentedDecodeMs)) ms")
        }
    }

    private func ms(_ duration: Duration) -> Double { BenchStatistics.seconds(duration) * 1_000 }
    private func f(_ value: Double) -> String { String(format: value < 10 ? "%.1f" : "%.0f", value) }
}

/// A seeded state builder the bench can also continue.
protocol SnapshotBenchSource {
    var currentState: CoordinatorState { get }
    /// The next `count` entries, applied.
    mutating func nextEntries(count: Int) -> [LogEntry]
    /// The next `count` entries, not applied (on a copy).
    func peekEntries(count: Int) -> [LogEntry]
}

extension CommandLogWorkload: SnapshotBenchSource {
    var currentState: CoordinatorState { state }
    mutating func nextEntries(count: Int) -> [LogEntry] { entries(count: count) }
    func peekEntries(count: Int) -> [LogEntry] {
        var copy = self
        return copy.entries(count: count)
    }
}

/// The crash test's state: tenants submitting jobs no node can take and topping up from the
/// faucet, the coordinator ticking and clearing about once a second (340 entries).
struct QueueWorkload: SnapshotBenchSource {
    static let genesis = Genesis(governanceID: "coordinator", heartbeatTimeoutSeconds: 90)
    private(set) var currentState = CoordinatorState(genesis: genesis)
    private var random: SplitMix64
    private var time = Timestamp(secondsSinceEpoch: 1_795_000_000)
    private let tenants: Int
    private let spec = JobSpec(
        name: "crash", image: "ghcr.io/org/trainer:1.2",
        resources: ResourceRequest(gpu: GPURequest(selector: .exactly(GPUModel.named("A100")!), countPerNode: 1, minVRAMGiB: 40), cpuCores: 4, memoryGiB: 32),
        durationSeconds: 3_600, maxDurationSeconds: 7_200, maxPricePerGPUHour: MicroCredits(2_500_000))

    init(seed: UInt64, orders: Int, tenants: Int) {
        random = SplitMix64(seed: seed)
        self.tenants = tenants
        while currentState.orders.count < orders {
            precondition(currentState.nextSequence < UInt64(orders) * 10, "the workload's submissions are refused: a bug")
            _ = nextEntries(count: 1)
        }
    }

    mutating func nextEntries(count: Int) -> [LogEntry] {
        (0..<count).map { _ in next() }
    }

    func peekEntries(count: Int) -> [LogEntry] {
        var copy = self
        return copy.nextEntries(count: count)
    }

    private mutating func next() -> LogEntry {
        let sequence = currentState.nextSequence
        let command: Command
        let actor: String
        switch sequence % 340 {
        case 338: (command, actor) = (.tick, Self.genesis.governanceID)
        case 339:
            (command, actor) = (.clear, Self.genesis.governanceID)
        default:
            let tenant = "tenant-\(random.next() % UInt64(tenants))"
            if random.next() % 10 < 3 {
                (command, actor) = (.deposit(tenantID: tenant, amount: MicroCredits(1_000_000)), Self.genesis.governanceID)
            } else {
                (command, actor) = (.submitJob(spec: spec, pool: nil), tenant)
            }
        }
        if sequence % 340 == 339 { time = time.adding(seconds: 1) }
        let entry = LogEntry(sequence: sequence, time: time, actor: actor, command: command)
        _ = currentState.apply(entry)
        return entry
    }
}
