import Benchmark
import OSGDomain
import OSGMarket

/// The market's hot path: clearing batches of 1,000 orders against a large synthetic fleet.
/// Compare with `osg bench market --nodes N --jobs M`.
let benchmarks: @Sendable () -> Void = {
    let now = Timestamp(rfc3339: "2026-12-01T00:00:00Z")!
    for nodeCount in [5_000, 50_000, 250_000] {
        let fleet = SyntheticMarket.fleet(nodes: nodeCount, seed: 1)
        let orders = SyntheticMarket.orders(count: 20_000, seed: 1, now: now)
        Benchmark(
            "market: clear 1,000-order batches at \(nodeCount) nodes",
            configuration: .init(metrics: [.wallClock, .throughput, .mallocCountTotal, .peakMemoryResident], maxIterations: 20)
        ) { benchmark in
            var engine = ClearingEngine(nodes: fleet, pools: SyntheticMarket.pools)
            benchmark.startMeasurement()
            for start in stride(from: 0, to: orders.count, by: 1_000) {
                blackHole(engine.clear(Array(orders[start..<start + 1_000])))
            }
        }
    }
}
