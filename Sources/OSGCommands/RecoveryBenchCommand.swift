import ArgumentParser
import Foundation
import Logging
import OSGCore
import OSGServer
import OSGStore

/// `osg bench recovery`: a coordinator's start-up time on a long log, replaying all of it,
/// from a snapshot plus a tail, and from a snapshot alone.
struct RecoveryBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recovery",
        abstract: "Measure start-up recovery on a long SQLite log: full replay vs snapshot + tail vs snapshot only.",
        discussion: """
            Appends --entries entries of the seeded, realistic log of `osg log bench` \
            (CommandLogWorkload) to a SQLite store in batches of 5,000 (not timed). Then times \
            the recovery `osg serve` does at start (Coordinator.recoverState: snapshots, the \
            log after the one used, the clean-stop check) three times: with no snapshot (the \
            whole log is replayed), with a snapshot --tail entries before the end, and with a \
            snapshot of the final state. Checks that all three give the same state digest. \
            Build with -c release for meaningful figures.
            """
    )

    @Option(name: .long, help: "Entries in the log.")
    var entries = 1_000_000

    @Option(name: .long, help: "Entries after the mid-log snapshot (the tail replayed).")
    var tail = 100_000

    @Option(name: .long, help: "Workload seed.")
    var seed: UInt64 = 1

    @Option(name: .long, help: "Directory for the SQLite store (default: a new temporary directory, removed afterwards).")
    var directory: String?

    @Flag(name: .long, help: "Print one JSON object.")
    var json = false

    func validate() throws {
        guard entries >= 1, tail >= 0, tail < entries else { throw ValidationError("--entries must be at least 1 and --tail below it") }
    }

    struct Report: Encodable {
        let entries: Int
        let tail: Int
        let fullReplaySeconds: Double
        let snapshotPlusTailSeconds: Double
        let snapshotOnlySeconds: Double
        let snapshotBytes: Int
        let snapshotTakeSeconds: Double
        let generateSeconds: Double
        let peakResidentMiB: Int?

        enum CodingKeys: String, CodingKey {
            case entries
            case tail = "tail_entries"
            case fullReplaySeconds = "full_replay_s"
            case snapshotPlusTailSeconds = "snapshot_plus_tail_s"
            case snapshotOnlySeconds = "snapshot_only_s"
            case snapshotBytes = "snapshot_bytes"
            case snapshotTakeSeconds = "snapshot_take_s"
            case generateSeconds = "generate_s"
            case peakResidentMiB = "peak_rss_mib"
        }
    }

    func run() async throws {
        let workDirectory = directory ?? (NSTemporaryDirectory() + "osg-recovery-bench-\(UUID().uuidString)")
        defer { if directory == nil { try? FileManager.default.removeItem(atPath: workDirectory) } }
        try FileManager.default.createDirectory(atPath: workDirectory, withIntermediateDirectories: true)
        let clock = ContinuousClock()
        let generateStart = clock.now
        let sqlite = try SQLiteCommandLogStore(path: workDirectory + "/osg.sqlite")
        guard try sqlite.count() == 0 else { throw ValidationError("\(workDirectory)/osg.sqlite already holds a log; give an empty --directory") }
        try sqlite.initialize(genesis: CommandLogWorkload.genesis)
        var workload = CommandLogWorkload(seed: seed)
        var midState: CoordinatorState?
        var appended = 0
        while appended < entries {
            let cut = entries - tail
            let next = workload.entries(count: min(5_000, (appended < cut ? cut : entries) - appended))
            try sqlite.append(next)
            appended += next.count
            if appended == cut { midState = workload.state }
        }
        let finalState = workload.state
        let generateSeconds = BenchStatistics.seconds(clock.now - generateStart)
        let store = CoordinatorStore.sqlite(sqlite)
        var logger = Logger(label: "openstargate.bench.recovery")
        logger.logLevel = .error

        func recover(expectSnapshot: UInt64?) async throws -> Double {
            let start = clock.now
            let (state, outcome) = try await Coordinator.recoverState(
                store: store, genesis: CommandLogWorkload.genesis, dataDirectory: workDirectory, logger: logger)
            let seconds = BenchStatistics.seconds(clock.now - start)
            guard outcome.snapshotSequence == expectSnapshot, state.digest == finalState.digest else {
                throw ValidationError("recovery used snapshot \(outcome.snapshotSequence.map(String.init) ?? "none") (expected \(expectSnapshot.map(String.init) ?? "none")) or gave another digest: a bug")
            }
            return seconds
        }

        let full = try await recover(expectSnapshot: nil)
        guard let midState else { throw ValidationError("the mid-log state was not captured: a bug") }
        _ = try await take(midState, in: store)
        let plusTail = try await recover(expectSnapshot: midState.nextSequence)
        let (bytes, takeSeconds) = try await take(finalState, in: store)
        let only = try await recover(expectSnapshot: finalState.nextSequence)

        let report = Report(
            entries: entries, tail: tail, fullReplaySeconds: full, snapshotPlusTailSeconds: plusTail, snapshotOnlySeconds: only,
            snapshotBytes: bytes, snapshotTakeSeconds: takeSeconds, generateSeconds: generateSeconds,
            peakResidentMiB: BenchStatistics.peakResidentMiB())
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print("recovery of \(entries) entries: full replay \(String(format: "%.2f", full)) s; snapshot + \(tail)-entry tail \(String(format: "%.2f", plusTail)) s; snapshot only \(String(format: "%.2f", only)) s")
            print("final snapshot: \(bytes) bytes, taken (encode + write) in \(String(format: "%.2f", takeSeconds)) s")
        }
    }

    /// Encodes and stores a snapshot of `state` as a clean stop does (segmented, every segment
    /// new, the digest recorded); its size and the time taken.
    private func take(_ state: CoordinatorState, in store: CoordinatorStore) async throws -> (Int, Double) {
        let clock = ContinuousClock()
        let start = clock.now
        let output = try StateSegmenter().encode(state, withDigest: true)
        try await store.writeSegmentedSnapshot(
            manifest: output.manifest.bytes(), segmentHashes: output.manifest.segments.map(\.hash),
            newSegments: output.newSegments, covering: state.nextSequence, keep: 3)
        return (output.totalBytes, BenchStatistics.seconds(clock.now - start))
    }
}
