import Benchmark
import Foundation
import OSGLedger
import OSGStore

/// The ledger's hot paths: applying a batch of 8,190 transfers in memory, and the same batch
/// made durable in SQLite (one transaction per batch). Compare with `osg bench ledger`.
let benchmarks: @Sendable () -> Void = {
    let batchSize = 8_190
    let workload = LedgerWorkload(seed: 42, accountCount: 10_000, transferCount: batchSize * 40, batchSize: batchSize)

    Benchmark(
        "ledger: apply one batch of 8,190 transfers in memory",
        configuration: .init(metrics: [.wallClock, .throughput, .mallocCountTotal, .peakMemoryResident], maxIterations: 40)
    ) { benchmark in
        var ledger = DoubleEntryLedger(expectedAccounts: 10_001, expectedTransfers: batchSize * 50)
        _ = ledger.apply(workload.setup)
        benchmark.startMeasurement()
        for batch in workload.batches.prefix(benchmark.scaledIterations.count) {
            blackHole(ledger.apply(batch))
        }
    }

    Benchmark(
        "ledger: journal one batch of 8,190 transfers durably in SQLite, then apply",
        configuration: .init(metrics: [.wallClock, .throughput, .syscalls], maxIterations: 40)
    ) { benchmark in
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("osg-benchmark-\(UUID().uuidString).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var ledger = try await DurableLedger(journal: try SQLiteLedgerJournal(path: path))
        _ = try await ledger.apply(workload.setup)
        benchmark.startMeasurement()
        for batch in workload.batches.prefix(benchmark.scaledIterations.count) {
            blackHole(try await ledger.apply(batch))
        }
    }

    Benchmark("ledger: encode and decode one batch", configuration: .init(metrics: [.wallClock, .mallocCountTotal])) { benchmark in
        let batch = workload.batches[0]
        for _ in benchmark.scaledIterations {
            blackHole(try LedgerBatchCodec.decode(LedgerBatchCodec.encode(batch)))
        }
    }
}
