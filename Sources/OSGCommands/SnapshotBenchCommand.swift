import ArgumentParser
import Foundation
import OSGCore
import OSGDomain

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
            and the state digest alone. Reports the best of the repeats. Build with -c release \
            for meaningful figures.
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

    @Flag(name: .long, help: "Print one JSON object.")
    var json = false

    func validate() throws {
        guard nodes >= 100, nodes % 100 == 0 else { throw ValidationError("--nodes must be a positive multiple of 100, got \(nodes)") }
        guard tenants >= 1, seconds >= 0, `repeat` >= 1 else { throw ValidationError("--tenants and --repeat must be at least 1, --seconds at least 0") }
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
        }
    }

    func run() throws {
        let clock = ContinuousClock()
        let buildStart = clock.now
        var workload = CommandLogWorkload(seed: seed, operators: nodes / 100, nodesPerOperator: 100, tenants: tenants)
        // Setup (pool, deposits, grants, registrations), then the seconds of activity.
        let setup = 1 + tenants + (tenants + 4) / 5 + nodes
        _ = workload.entries(count: setup)
        let perSecond = nodes / Int(CommandLogWorkload.heartbeatIntervalSeconds) + 4
        for _ in 0..<seconds { _ = workload.entries(count: perSecond) }
        let state = workload.state
        let buildSeconds = BenchStatistics.seconds(clock.now - buildStart)

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
        let mebibytes = Double(bytes.count) / 1_048_576
        let report = Report(
            nodes: state.nodes.count, tenants: tenants, logEntries: state.nextSequence, orders: state.orders.count,
            leases: state.leases.count, runningLeases: state.runningLeaseOfOrder.count,
            ledgerAccounts: state.ledger.accountCount, ledgerRecords: state.ledger.recordCount, snapshotBytes: bytes.count,
            encodeMs: BenchStatistics.seconds(encode) * 1_000, decodeMs: BenchStatistics.seconds(decode) * 1_000,
            digestMs: BenchStatistics.seconds(digest) * 1_000,
            encodeMiBPerS: mebibytes / BenchStatistics.seconds(encode), decodeMiBPerS: mebibytes / BenchStatistics.seconds(decode),
            buildSeconds: buildSeconds, peakResidentMiB: BenchStatistics.peakResidentMiB())
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print("state: \(report.nodes) nodes, \(report.orders) orders, \(report.leases) leases (\(report.runningLeases) running), \(report.ledgerRecords) ledger records after \(report.logEntries) entries (built in \(String(format: "%.1f", buildSeconds)) s)")
            print("snapshot: \(String(format: "%.1f", mebibytes)) MiB; encode \(String(format: "%.0f", report.encodeMs)) ms, decode and check \(String(format: "%.0f", report.decodeMs)) ms (digest alone \(String(format: "%.0f", report.digestMs)) ms)")
        }
    }
}
