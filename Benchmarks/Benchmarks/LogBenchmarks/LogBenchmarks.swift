import Benchmark
import Foundation
import OSGCore
import OSGLog
import OSGStore
import OSGTransparency

/// The transparency log's hot paths: appending leaves and proving inclusion in a large tree.
/// Compare with `osg log bench`.
let benchmarks: @Sendable () -> Void = {
    Benchmark(
        "log: append 100,000 entries",
        configuration: .init(metrics: [.wallClock, .throughput, .mallocCountTotal], scalingFactor: .kilo)
    ) { benchmark in
        var tree = MerkleTree(reservingCapacityFor: 100_000)
        let entry: [UInt8] = Array(repeating: 7, count: 200)
        for _ in 0..<100 {
            for _ in benchmark.scaledIterations { blackHole(tree.append(entry: entry)) }
        }
    }

    let leafCount: UInt64 = 1_000_000
    var tree = MerkleTree(reservingCapacityFor: Int(leafCount))
    for index in 0..<leafCount {
        _ = tree.append(entry: withUnsafeBytes(of: index.littleEndian, Array.init))
    }
    let root = tree.rootHash()
    let frozen = tree

    let prover = try! InclusionProver(tree: frozen, size: leafCount)
    Benchmark(
        "log: inclusion proof (InclusionProver, MerkleHash) at 1,000,000 leaves",
        configuration: .init(metrics: [.wallClock, .throughput, .mallocCountTotal], scalingFactor: .kilo)
    ) { benchmark in
        var index: UInt64 = 12_345
        for _ in benchmark.scaledIterations {
            index = (index &* 6_364_136_223_846_793_005 &+ 1) % leafCount
            let proof = try prover.proof(index: index)
            try MerkleProof.verifyInclusion(leafHash: frozen.leafMerkleHash(at: index), index: index, size: leafCount, proof: proof, root: prover.root)
        }
    }

    // The durable path of `osg log bench`: SQLite store + published tiles; one iteration is
    // 20 batches of 5,000 entries (100,000 appends) into a fresh store and log directory.
    Benchmark(
        "log: durable append of 100,000 entries in 5,000-entry batches (SQLite + tiles)",
        configuration: .init(metrics: [.wallClock], maxDuration: .seconds(30), maxIterations: 10)
    ) { benchmark in
        let directory = NSTemporaryDirectory() + "osg-log-benchmark-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var workload = CommandLogWorkload(seed: 1)
        let store = try SQLiteCommandLogStore(path: directory + "/osg.sqlite")
        try store.initialize(genesis: CommandLogWorkload.genesis)
        let origin = "bench.openstargate.invalid/log"
        let writer = try await TransparencyLogWriter.open(
            directory: directory + "/log", signer: NoteSignerKey(name: origin, seed: [UInt8](repeating: 1, count: 32)),
            origin: origin, store: store, state: workload.state, policy: .init(minimumEntries: 50_000))
        var batches: [([LogEntry], CoordinatorState)] = []
        for _ in 0..<20 { batches.append((workload.entries(count: 5_000), workload.state)) }
        benchmark.startMeasurement()
        for (entries, state) in batches {
            let leaves = entries.map(\.leafBytes)
            try store.append(entries, leaves: leaves)
            try await writer.append(entries, leaves: leaves, state: state)
        }
        benchmark.stopMeasurement()
    }

    // Audit replay: decode and apply a realistic log (the published directory is built first).
    Benchmark(
        "log: audit of a published 20,000-entry log (fetch, verify, replay)",
        configuration: .init(metrics: [.wallClock], maxDuration: .seconds(20), maxIterations: 10)
    ) { benchmark in
        let directory = NSTemporaryDirectory() + "osg-audit-benchmark-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var workload = CommandLogWorkload(seed: 2)
        let store = InMemoryCommandLogStore()
        try store.initialize(genesis: CommandLogWorkload.genesis)
        try store.append(workload.entries(count: 20_000))
        let origin = "bench.openstargate.invalid/log"
        _ = try await TransparencyLogWriter.open(
            directory: directory, signer: NoteSignerKey(name: origin, seed: [UInt8](repeating: 1, count: 32)),
            origin: origin, store: store, state: workload.state)
        benchmark.startMeasurement()
        let report = await LogAuditor(source: DirectoryLogSource(directory: directory), trustStore: AuditTrustStore(directory: directory + "-state")).audit()
        benchmark.stopMeasurement()
        precondition(report.isVerified, report.reason)
        try? FileManager.default.removeItem(atPath: directory + "-state")
    }

    Benchmark(
        "log: inclusion proof generated and verified at 1,000,000 leaves",
        configuration: .init(metrics: [.wallClock, .throughput, .mallocCountTotal], scalingFactor: .kilo)
    ) { benchmark in
        var index: UInt64 = 12_345
        for _ in benchmark.scaledIterations {
            index = (index &* 6_364_136_223_846_793_005 &+ 1) % leafCount
            let proof = try frozen.inclusionProof(index: index, size: leafCount)
            try MerkleProof.verifyInclusion(leafHash: frozen.leafHash(at: index), index: index, size: leafCount, proof: proof, root: root)
        }
    }
}
