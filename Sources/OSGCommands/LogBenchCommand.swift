import ArgumentParser
import OSGDomain
import Foundation
import OSGCore
import OSGLog
import OSGStore
import OSGTransparency

/// `osg log bench`: the transparency log's headline figures — durable appends (the command-log
/// store plus the published tiles), inclusion proofs in a large tree, and audit replay.
struct LogBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure durable appends/s, inclusion proofs/s and audit replay entries/s.",
        discussion: """
            Durable appends: --entries entries of a seeded, realistic coordinator log \
            (registrations, heartbeats, deposits, submissions, completions, clearings, ticks) \
            appended in batches of --batch to a SQLite command-log store (one transaction, \
            fsync, per batch) and to the published log (leaf hashes, tiles, entry bundles; a \
            signed checkpoint with its published state, flushed to disk, every \
            --checkpoint-every entries), in a temporary directory. Only the appends are timed, \
            not the generation of the log. The log is signed as a coordinator with command proofs \
            writes it (every participant's entry carries its Ed25519 proof; --unsigned: none, as \
            before proofs). Replay: `osg audit` of that directory; the figure is entries decoded, \
            their proofs verified (on every core) and applied to the core per second. Proofs: --leaves 8-byte \
            counters in an in-memory tree, then --proofs inclusion proofs generated and \
            verified at that size for leaves chosen by --seed.
            """
    )

    @Option(name: .long, help: "Entries of the generated log to append durably and replay.")
    var entries: Int = 200_000

    @Option(name: .long, help: "Entries per durable append (group commit; 5,000 is 25 ms of commands at 200,000/s).")
    var batch: Int = 5_000

    @Option(name: .long, help: "Publish a checkpoint (and state) once this many entries accumulated (200,000 is about one a second at 200,000/s).")
    var checkpointEvery: Int = 200_000

    @Option(name: .long, help: "Leaves of the in-memory tree the proofs are made in.")
    var leaves: Int = 10_000_000

    @Option(name: .long, help: "Inclusion proofs to generate and verify.")
    var proofs: Int = 1_000_000

    @Option(name: .long, help: "Seed of the generated log and of the leaves chosen for proofs.")
    var seed: UInt64 = 1

    @Option(name: .long, help: "Directory for the store and the published log (default: a new temporary directory, removed afterwards).")
    var directory: String?

    @Flag(name: .long, help: "Generate the log without command proofs (as logs were before them).")
    var unsigned = false

    @Flag(name: .long, help: "Print one JSON object (appends_per_s, proofs_per_s, replay_entries_per_s, ...).")
    var json = false

    func validate() throws {
        guard entries >= 1, batch >= 1, checkpointEvery >= 1 else { throw ValidationError("--entries, --batch and --checkpoint-every must be at least 1") }
        guard leaves >= 1 else { throw ValidationError("--leaves must be at least 1") }
        guard proofs >= 1 else { throw ValidationError("--proofs must be at least 1") }
    }

    func run() async throws {
        let workDirectory = directory ?? (NSTemporaryDirectory() + "osg-log-bench-\(UUID().uuidString)")
        defer { if directory == nil { try? FileManager.default.removeItem(atPath: workDirectory) } }
        try FileManager.default.createDirectory(atPath: workDirectory, withIntermediateDirectories: true)

        let durable = try await Self.measureDurableAppends(
            entries: entries, batch: batch, checkpointEvery: checkpointEvery, seed: seed, signed: !unsigned, directory: workDirectory)
        let audit = await Self.measureReplay(directory: workDirectory + "/log")
        guard audit.report.isVerified, let replayRate = audit.report.replayEntriesPerSecond else {
            throw ValidationError("the audit of the benchmark's own log failed: \(audit.report.code): \(audit.report.reason)")
        }

        let clock = ContinuousClock()
        let appendStart = clock.now
        var tree = MerkleTree(reservingCapacityFor: leaves)
        Self.appendCounters(count: leaves, to: &tree)
        let treeAppendTime = clock.now - appendStart
        let size = tree.size
        let root = tree.rootHash()
        let proofStart = clock.now
        let failures = Self.proveRandomLeaves(count: proofs, seed: seed, tree: tree, root: root)
        let proofTime = clock.now - proofStart
        guard failures == 0 else {
            throw ValidationError("\(failures) of \(proofs) generated proofs failed to verify: a bug")
        }

        let report = Report(
            entries: entries, signed: !unsigned, entriesWithProofs: audit.report.entriesWithProofs, batch: batch, checkpointEvery: checkpointEvery,
            appendsPerSecond: Double(entries) / durable.seconds, appendSeconds: durable.seconds,
            storeAppendSeconds: durable.storeSeconds, logAppendSeconds: durable.logSeconds, checkpointSeconds: durable.checkpointSeconds,
            replayEntriesPerSecond: replayRate, replayEntriesPerCPUSecond: audit.report.replayEntriesPerCPUSecond, auditSeconds: audit.seconds,
            leaves: size, proofs: proofs,
            treeAppendsPerSecond: Double(leaves) / BenchStatistics.seconds(treeAppendTime),
            proofsPerSecond: Double(proofs) / BenchStatistics.seconds(proofTime),
            proofSeconds: BenchStatistics.seconds(proofTime),
            peakResidentMiB: BenchStatistics.peakResidentMiB())
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print("durable appends/s: \(Int(report.appendsPerSecond)) (\(entries) entries in batches of \(batch), SQLite + tiles, checkpoint every \(checkpointEvery); \(String(format: "%.2f", report.appendSeconds)) s: store \(String(format: "%.2f", report.storeAppendSeconds)) s, tiles \(String(format: "%.2f", report.logAppendSeconds)) s, checkpoints \(String(format: "%.2f", report.checkpointSeconds)) s)")
            print("replay entries/s:  \(Int(report.replayEntriesPerSecond)) (\(report.replayEntriesPerCPUSecond.map { "\(Int($0)) per CPU second; " } ?? "")audit of that log: \(String(format: "%.2f", report.auditSeconds)) s in all)")
            print("proofs/s:          \(Int(report.proofsPerSecond)) (\(report.proofs) inclusion proofs generated and verified at \(report.leaves) leaves)")
            print("tree appends/s:    \(Int(report.treeAppendsPerSecond)) (in memory)")
            if let rss = report.peakResidentMiB { print("peak RSS:          \(rss) MiB") }
        }
    }

    /// Appends a generated log to a SQLite store and a published log in `directory`, batch by
    /// batch; returns the seconds spent in the appends (generation excluded).
    static func measureDurableAppends(entries: Int, batch: Int, checkpointEvery: Int, seed: UInt64, signed: Bool, directory: String) async throws -> (seconds: Double, storeSeconds: Double, logSeconds: Double, checkpointSeconds: Double) {
        let origin = "bench.openstargate.invalid/log"
        var workload = CommandLogWorkload(seed: seed, signedFor: signed ? origin : nil)
        let store = try SQLiteCommandLogStore(path: directory + "/osg.sqlite")
        try store.initialize(genesis: workload.logGenesis)
        let signer = try NoteSignerKey(name: origin, seed: [UInt8](repeating: 1, count: 32))
        // Checkpoints are published here, when due, so that their cost can be reported apart.
        let writer = try await TransparencyLogWriter.open(
            directory: directory + "/log", signer: signer, origin: origin, store: store, state: workload.state,
            policy: .init(minimumEntries: UInt64.max))
        let clock = ContinuousClock()
        var storeTime = Duration.zero
        var logTime = Duration.zero
        var checkpointTime = Duration.zero
        var appended = 0
        var published = 0
        while appended < entries {
            let next = workload.entries(count: min(batch, entries - appended))
            let state = workload.state
            let start = clock.now
            let leaves = next.map(\.leafBytes)  // encoded once, for the store and the tiles
            try store.append(next, leaves: leaves)
            let stored = clock.now
            try await writer.append(next, leaves: leaves, state: state)
            let logged = clock.now
            appended += next.count
            if appended - published >= checkpointEvery || appended == entries {
                try await writer.publishCheckpoint(state: state)
                published = appended
            }
            storeTime += stored - start
            logTime += logged - stored
            checkpointTime += clock.now - logged
        }
        return (BenchStatistics.seconds(storeTime + logTime + checkpointTime), BenchStatistics.seconds(storeTime),
                BenchStatistics.seconds(logTime), BenchStatistics.seconds(checkpointTime))
    }

    /// Audits the published log in `directory` with a throw-away trust store.
    static func measureReplay(directory: String) async -> (report: AuditReport, seconds: Double) {
        let trust = AuditTrustStore(directory: directory + "-audit-state")
        defer { try? FileManager.default.removeItem(atPath: trust.directory) }
        let clock = ContinuousClock()
        let start = clock.now
        let report = await LogAuditor(source: DirectoryLogSource(directory: directory), trustStore: trust).audit()
        return (report, BenchStatistics.seconds(clock.now - start))
    }

    /// Appends entries 0..<count, each the 8-byte big-endian counter.
    static func appendCounters(count: Int, to tree: inout MerkleTree) {
        for counter in 0..<UInt64(count) {
            tree.append(entry: withUnsafeBytes(of: counter.bigEndian, Array.init))
        }
    }

    /// Generates (``InclusionProver``: look-ups only) and verifies (inline ``MerkleHash``es)
    /// `count` inclusion proofs for leaves chosen by `seed`; returns how
    /// many failed (zero unless there is a bug).
    static func proveRandomLeaves(count: Int, seed: UInt64, tree: MerkleTree, root: [UInt8]) -> Int {
        var random = SplitMix64(seed: seed)
        var failures = 0
        let size = tree.size
        guard let prover = try? InclusionProver(tree: tree, size: size), let signedRoot = MerkleHash(root) else { return count }
        for _ in 0..<count {
            let index = random.next() % size
            do {
                let proof = try prover.proof(index: index)
                try MerkleProof.verifyInclusion(
                    leafHash: tree.leafMerkleHash(at: index), index: index, size: size, proof: proof, root: signedRoot)
            } catch {
                failures += 1
            }
        }
        return failures
    }

    struct Report: Encodable {
        let entries: Int
        let signed: Bool
        let entriesWithProofs: UInt64
        let batch: Int
        let checkpointEvery: Int
        let appendsPerSecond: Double
        let appendSeconds: Double
        let storeAppendSeconds: Double
        let logAppendSeconds: Double
        let checkpointSeconds: Double
        let replayEntriesPerSecond: Double
        let replayEntriesPerCPUSecond: Double?
        let auditSeconds: Double
        let leaves: UInt64
        let proofs: Int
        let treeAppendsPerSecond: Double
        let proofsPerSecond: Double
        let proofSeconds: Double
        let peakResidentMiB: Int?

        enum CodingKeys: String, CodingKey {
            case entries, signed, batch, leaves, proofs
            case entriesWithProofs = "entries_with_proofs"
            case checkpointEvery = "checkpoint_every_entries"
            case appendsPerSecond = "appends_per_s"
            case appendSeconds = "append_s"
            case storeAppendSeconds = "store_append_s"
            case logAppendSeconds = "log_append_s"
            case checkpointSeconds = "checkpoint_s"
            case replayEntriesPerSecond = "replay_entries_per_s"
            case replayEntriesPerCPUSecond = "replay_entries_per_cpu_s"
            case auditSeconds = "audit_s"
            case treeAppendsPerSecond = "tree_appends_per_s"
            case proofsPerSecond = "proofs_per_s"
            case proofSeconds = "proof_s"
            case peakResidentMiB = "peak_rss_mib"
        }
    }
}
