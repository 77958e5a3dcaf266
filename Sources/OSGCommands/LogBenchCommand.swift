import ArgumentParser
import OSGDomain
import Foundation
import OSGLog

/// `osg log bench`: builds an in-memory Merkle tree and measures appends and inclusion proofs.
struct LogBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure Merkle tree appends/s and inclusion proofs/s (generate + verify).",
        discussion: """
            Appends --leaves entries (8-byte big-endian counters) to an in-memory tree, then \
            generates and verifies --proofs inclusion proofs at that size for leaves chosen by \
            --seed. The store is not involved: these are the core's figures.
            """
    )

    @Option(name: .long, help: "Leaves to append.")
    var leaves: Int = 10_000_000

    @Option(name: .long, help: "Inclusion proofs to generate and verify.")
    var proofs: Int = 1_000_000

    @Option(name: .long, help: "Seed choosing which leaves to prove.")
    var seed: UInt64 = 1

    @Flag(name: .long, help: "Print one JSON object (appends_per_s, proofs_per_s, leaves, ...).")
    var json = false

    func validate() throws {
        guard leaves >= 1 else { throw ValidationError("--leaves must be at least 1") }
        guard proofs >= 1 else { throw ValidationError("--proofs must be at least 1") }
    }

    func run() throws {
        let clock = ContinuousClock()
        let appendStart = clock.now
        var tree = MerkleTree(reservingCapacityFor: leaves)
        Self.appendCounters(count: leaves, to: &tree)
        let appendTime = clock.now - appendStart
        let size = tree.size
        let root = tree.rootHash()

        let proofStart = clock.now
        let failures = Self.proveRandomLeaves(count: proofs, seed: seed, tree: tree, root: root)
        let proofTime = clock.now - proofStart
        guard failures == 0 else {
            throw ValidationError("\(failures) of \(proofs) generated proofs failed to verify: a bug")
        }

        let report = Report(
            leaves: size, proofs: proofs,
            appendsPerSecond: Double(leaves) / BenchStatistics.seconds(appendTime),
            proofsPerSecond: Double(proofs) / BenchStatistics.seconds(proofTime),
            appendSeconds: BenchStatistics.seconds(appendTime), proofSeconds: BenchStatistics.seconds(proofTime),
            peakResidentMiB: BenchStatistics.peakResidentMiB())
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print("leaves:        \(report.leaves)")
            print("appends/s:     \(Int(report.appendsPerSecond)) (\(String(format: "%.2f", report.appendSeconds)) s)")
            print("proofs/s:      \(Int(report.proofsPerSecond)) (\(report.proofs) inclusion proofs generated and verified in \(String(format: "%.2f", report.proofSeconds)) s)")
            if let rss = report.peakResidentMiB { print("peak RSS:      \(rss) MiB") }
        }
    }

    /// Appends entries 0..<count, each the 8-byte big-endian counter.
    static func appendCounters(count: Int, to tree: inout MerkleTree) {
        for counter in 0..<UInt64(count) {
            tree.append(entry: withUnsafeBytes(of: counter.bigEndian, Array.init))
        }
    }

    /// Generates and verifies `count` inclusion proofs for leaves chosen by `seed`; returns how
    /// many failed (zero unless there is a bug).
    static func proveRandomLeaves(count: Int, seed: UInt64, tree: MerkleTree, root: [UInt8]) -> Int {
        var random = SplitMix64(seed: seed)
        var failures = 0
        let size = tree.size
        for _ in 0..<count {
            let index = random.next() % size
            do {
                let proof = try tree.inclusionProof(index: index, size: size)
                try MerkleProof.verifyInclusion(
                    leafHash: tree.leafHash(at: index), index: index, size: size, proof: proof, root: root)
            } catch {
                failures += 1
            }
        }
        return failures
    }

    struct Report: Encodable {
        let leaves: UInt64
        let proofs: Int
        let appendsPerSecond: Double
        let proofsPerSecond: Double
        let appendSeconds: Double
        let proofSeconds: Double
        let peakResidentMiB: Int?

        enum CodingKeys: String, CodingKey {
            case leaves, proofs
            case appendsPerSecond = "appends_per_s"
            case proofsPerSecond = "proofs_per_s"
            case appendSeconds = "append_s"
            case proofSeconds = "proof_s"
            case peakResidentMiB = "peak_rss_mib"
        }
    }
}
