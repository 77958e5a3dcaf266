import Benchmark
import OSGLog

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
