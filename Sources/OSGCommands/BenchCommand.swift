import ArgumentParser
import Foundation
import OSGLedger
import OSGStore

/// `osg bench …`: headline performance figures, one subcommand per component.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure headline performance figures.",
        subcommands: [LedgerBenchCommand.self, MarketBench.self, MarketCoreBench.self, ServerBenchCommand.self, SnapshotBenchCommand.self, RecoveryBenchCommand.self, AgentBenchCommand.self, MoneyBenchCommand.self, BlobBenchCommand.self]
    )
}

/// `osg bench ledger`: in-memory transfers per second in batches of 8,190 on a seeded workload.
struct LedgerBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "Measure in-memory ledger throughput (transfers/s) and p99 batch time.",
        discussion: """
        Seeded workload (SplitMix64): 10,000 funded accounts; 60% posted transfers, 20% pending, \
        10% posts (half partial), 10% voids. Only the apply calls are timed. Build with \
        -c release for meaningful figures.
        """
    )

    @Option(name: .long, help: "Number of transfers to apply.")
    var transfers = 1_000_000

    @Option(name: .long, help: "Operations per batch.")
    var batchSize = 8_190

    @Option(name: .long, help: "Number of accounts.")
    var accounts = 10_000

    @Option(name: .long, help: "Workload seed.")
    var seed: UInt64 = 42

    @Option(name: .long, help: "Transfers for the durable (SQLite, group commit) measurement; 0 skips it.")
    var durableTransfers = 500_000

    @Option(name: .long, help: "Directory for the durable measurement's SQLite file (default: a new temporary directory, removed afterwards).")
    var data: String?

    @Option(name: .long, help: "Measure durability in PostgreSQL at this URL (postgres://user:password@host:port/db) instead of SQLite; uses a fresh schema, dropped afterwards.")
    var database: String?

    @Flag(name: .long, help: "Print one JSON object.")
    var json = false

    func validate() throws {
        guard transfers > 0 else { throw ValidationError("--transfers must be positive, got \(transfers)") }
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive, got \(batchSize)") }
        guard accounts >= 2 else { throw ValidationError("--accounts must be at least 2, got \(accounts)") }
        guard durableTransfers >= 0 else { throw ValidationError("--durable-transfers must not be negative, got \(durableTransfers)") }
    }

    func run() async throws {
        let workload = LedgerWorkload(seed: seed, accountCount: accounts, transferCount: transfers, batchSize: batchSize)
        var ledger = DoubleEntryLedger(expectedAccounts: accounts + 1, expectedTransfers: transfers + accounts)
        _ = ledger.apply(workload.setup)
        let clock = ContinuousClock()
        var batchMicroseconds: [Double] = []
        batchMicroseconds.reserveCapacity(workload.batches.count)
        var failures = 0
        let start = clock.now
        for batch in workload.batches {
            let batchStart = clock.now
            let results = ledger.apply(batch)
            let elapsed = batchStart.duration(to: clock.now)
            batchMicroseconds.append(BenchStatistics.microseconds(elapsed))
            failures += results.count(where: { !$0.isApplied })
        }
        let totalSeconds = BenchStatistics.microseconds(start.duration(to: clock.now)) / 1_000_000
        let count = workload.transferCount
        let perSecond = totalSeconds > 0 ? Double(count) / totalSeconds : 0
        batchMicroseconds.sort()
        let p99 = BenchStatistics.percentile(batchMicroseconds, 0.99)
        let durable = durableTransfers > 0 ? try await measureDurable() : nil
        if json {
            let durableFields = durable.map { #", "durable_transfers_per_s": \#(Int($0.perSecond)), "durable_p99_batch_us": \#(Int($0.p99Microseconds.rounded())), "durable_transfers": \#(durableTransfers), "durable_backend": "\#($0.backend)""# } ?? ""
            print(#"{"transfers_per_s": \#(Int(perSecond)), "p99_batch_us": \#(Int(p99.rounded())), "transfers": \#(count), "batch_size": \#(batchSize), "batches": \#(batchMicroseconds.count), "accounts": \#(accounts), "failed": \#(failures), "seed": \#(seed)\#(durableFields)}"#)
        } else {
            if let durable {
                print("ledger (durable, \(durable.backend), one transaction per batch): \(Int(durable.perSecond)) transfers/s, p99 batch \(Int(durable.p99Microseconds.rounded())) µs")
            }
            print("ledger (in memory): \(Int(perSecond)) transfers/s")
            print("  \(count) transfers in \(batchMicroseconds.count) batches of \(batchSize), \(accounts) accounts, seed \(seed)")
            print("  p99 batch time: \(Int(p99.rounded())) µs")
            if failures > 0 { print("  warning: \(failures) operations were not applied") }
        }
    }

    /// Applies a workload through a durable ledger: every batch is one committed transaction
    /// (SQLite with fsync, or PostgreSQL) before its results return.
    private func measureDurable() async throws -> (perSecond: Double, p99Microseconds: Double, backend: String) {
        let workload = LedgerWorkload(seed: seed, accountCount: accounts, transferCount: durableTransfers, batchSize: batchSize)
        if let database {
            // A scratch schema; its name need not be reproducible.
            let schema = "osg_bench_\(UInt64.random(in: 0..<UInt64.max))"
            let connection = try await PostgresDatabase.connect(url: database, schema: schema)
            do {
                let result = try await timeDurable(workload, journal: PostgresLedgerJournal(database: connection))
                try await connection.dropSchema()
                await connection.shutdown()
                return (result.perSecond, result.p99Microseconds, "postgresql")
            } catch {
                try? await connection.dropSchema()
                await connection.shutdown()
                throw error
            }
        }
        let directory = data.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("osg-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appendingPathComponent("ledger-bench-\(UUID().uuidString).sqlite")
        defer {
            if data == nil { try? FileManager.default.removeItem(at: directory) }
        }
        let result = try await timeDurable(workload, journal: try SQLiteLedgerJournal(path: file.path))
        return (result.perSecond, result.p99Microseconds, "sqlite")
    }

    private func timeDurable(_ workload: LedgerWorkload, journal: some LedgerJournal) async throws -> (perSecond: Double, p99Microseconds: Double) {
        var ledger = try await DurableLedger(
            journal: journal, expectedAccounts: accounts + 1, expectedTransfers: durableTransfers + accounts)
        _ = try await ledger.apply(workload.setup)
        let clock = ContinuousClock()
        var batchMicroseconds: [Double] = []
        let start = clock.now
        for batch in workload.batches {
            let batchStart = clock.now
            _ = try await ledger.apply(batch)
            batchMicroseconds.append(BenchStatistics.microseconds(batchStart.duration(to: clock.now)))
        }
        let seconds = BenchStatistics.microseconds(start.duration(to: clock.now)) / 1_000_000
        batchMicroseconds.sort()
        return (seconds > 0 ? Double(workload.transferCount) / seconds : 0, BenchStatistics.percentile(batchMicroseconds, 0.99))
    }
}
