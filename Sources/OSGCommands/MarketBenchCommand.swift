import ArgumentParser
import Foundation
import OSGDomain
import OSGMarket

/// `osg bench market`: clears a synthetic order stream against a synthetic fleet in batches
/// and reports placements per second, per-batch latency percentiles and peak memory.
struct MarketBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "market",
        abstract: "Benchmark market clearing on a seeded synthetic fleet and order stream.",
        discussion: """
            Generates --nodes nodes and --jobs pending orders (seeded; see SyntheticMarket), builds \
            the free-capacity index once, then clears the orders in batches of --batch against \
            the shrinking free capacity. Reports placements_per_s (placements / total clearing \
            time), p50_us and p99_us (latency of one batch clearing), index_build_ms and \
            peak_rss_mib (VmHWM) and stranded_gpus (free GPUs left on nodes with no free core or \
            memory). Every placement takes its cores and memory as well as its GPUs. Build with \
            -c release for meaningful figures.
            """
    )

    @Option(name: .long, help: "Nodes in the synthetic fleet.")
    var nodes = 250_000

    @Option(name: .long, help: "Pending orders to clear.")
    var jobs = 100_000

    @Option(name: .long, help: "Orders per clearing batch.")
    var batch = 1_000

    @Option(name: .long, help: "Seed of the synthetic market.")
    var seed: UInt64 = 1

    @Flag(inversion: .prefixedNo, help: "Rank equal bids by the tenants' weighted dominant share (the synthetic orders come from 1,000 tenants, weight 1, no running usage) and apply aging at the batch time.")
    var fairShare = true

    @Flag(name: .long, help: "Print one JSON object instead of text.")
    var json = false

    func validate() throws {
        guard nodes > 0, jobs > 0, batch > 0 else { throw ValidationError("--nodes, --jobs and --batch must be positive") }
    }

    func run() throws {
        let now = Timestamp(rfc3339: "2026-12-01T00:00:00Z")!
        let fleet = SyntheticMarket.fleet(nodes: nodes, seed: seed)
        let orders = SyntheticMarket.orders(count: jobs, seed: seed, now: now)
        let clock = ContinuousClock()
        let buildStart = clock.now
        var engine = ClearingEngine(nodes: fleet, pools: SyntheticMarket.pools, tenants: fairShare ? [] : nil)
        let buildTime = clock.now - buildStart

        var batchMicros: [Double] = []
        var placements = 0
        var placedGPUs = 0
        var unplaced = 0
        var reasons: [String: Int] = [:]
        var total = Duration.zero
        for start in stride(from: 0, to: orders.count, by: batch) {
            let slice = Array(orders[start..<min(start + batch, orders.count)])
            let began = clock.now
            let result = engine.clear(slice, now: fairShare ? now : nil)
            let took = clock.now - began
            total += took
            batchMicros.append(BenchStatistics.microseconds(took))
            placements += result.placements.count
            placedGPUs += result.placements.reduce(0) { $0 + $1.totalGPUs }
            unplaced += result.unplaced.count
            for entry in result.unplaced { reasons[entry.reason.code, default: 0] += 1 }
        }
        let seconds = BenchStatistics.microseconds(total) / 1_000_000
        let sorted = batchMicros.sorted()
        let figures: [String: Any] = [
            "bench": "market",
            "nodes": nodes,
            "jobs": jobs,
            "batch_orders": batch,
            "batches": batchMicros.count,
            "seed": seed,
            "fair_share": fairShare,
            "gpus_total": engine.totalGPUs,
            "placements": placements,
            "placed_gpus": placedGPUs,
            "unplaced": unplaced,
            "stranded_gpus": engine.strandedGPUs,
            "placements_per_s": Int((Double(placements) / max(seconds, 1e-9)).rounded()),
            "orders_per_s": Int((Double(jobs) / max(seconds, 1e-9)).rounded()),
            "clear_total_ms": Self.rounded(seconds * 1_000),
            "index_build_ms": Self.rounded(BenchStatistics.microseconds(buildTime) / 1_000),
            "p50_us": Self.rounded(BenchStatistics.percentile(sorted, 0.50)),
            "p99_us": Self.rounded(BenchStatistics.percentile(sorted, 0.99)),
            "max_us": Self.rounded(sorted.last ?? 0),
            "peak_rss_mib": BenchStatistics.peakResidentMiB() ?? -1,
            "unplaced_by_reason": reasons,
        ]
        if json {
            JSONOutput.print(figures)
        } else {
            print("market clearing: \(nodes) nodes (\(engine.totalGPUs) free GPUs), \(jobs) orders in batches of \(batch), seed \(seed), fair share \(fairShare ? "on" : "off")")
            print("  placed \(placements) orders (\(placedGPUs) GPUs), \(unplaced) unplaced, \(engine.strandedGPUs) GPUs stranded at the end (no free core or memory on their node)")
            print("  \(figures["placements_per_s"]!) placements/s, \(figures["orders_per_s"]!) orders/s over \(figures["clear_total_ms"]!) ms")
            print("  batch latency p50 \(figures["p50_us"]!) µs, p99 \(figures["p99_us"]!) µs, max \(figures["max_us"]!) µs")
            print("  unplaced by reason: " + reasons.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
            print("  index build \(figures["index_build_ms"]!) ms, peak RSS \(figures["peak_rss_mib"]!) MiB")
        }
    }

    static func rounded(_ value: Double) -> Double { (value * 10).rounded() / 10 }
}
