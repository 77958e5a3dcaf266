import ArgumentParser
import OSGLedger

/// `osg bench …`: headline performance figures, one subcommand per component.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure headline performance figures.",
        subcommands: [LedgerBenchCommand.self]
    )
}

/// `osg bench ledger`: in-memory transfers per second in batches of 8,190 on a seeded workload.
struct LedgerBenchCommand: ParsableCommand {
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

    @Flag(name: .long, help: "Print one JSON object.")
    var json = false

    func validate() throws {
        guard transfers > 0 else { throw ValidationError("--transfers must be positive, got \(transfers)") }
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive, got \(batchSize)") }
        guard accounts >= 2 else { throw ValidationError("--accounts must be at least 2, got \(accounts)") }
    }

    func run() throws {
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
            batchMicroseconds.append(Self.microseconds(elapsed))
            failures += results.count(where: { !$0.isApplied })
        }
        let totalSeconds = Self.microseconds(start.duration(to: clock.now)) / 1_000_000
        let count = workload.transferCount
        let perSecond = totalSeconds > 0 ? Double(count) / totalSeconds : 0
        batchMicroseconds.sort()
        let p99Index = max(0, Int((Double(batchMicroseconds.count) * 0.99).rounded(.up)) - 1)
        let p99 = batchMicroseconds.isEmpty ? 0 : batchMicroseconds[p99Index]
        if json {
            print(#"{"transfers_per_s": \#(Int(perSecond)), "p99_batch_us": \#(Int(p99.rounded())), "transfers": \#(count), "batch_size": \#(batchSize), "batches": \#(batchMicroseconds.count), "accounts": \#(accounts), "failed": \#(failures), "seed": \#(seed)}"#)
        } else {
            print("ledger (in memory): \(Int(perSecond)) transfers/s")
            print("  \(count) transfers in \(batchMicroseconds.count) batches of \(batchSize), \(accounts) accounts, seed \(seed)")
            print("  p99 batch time: \(Int(p99.rounded())) µs")
            if failures > 0 { print("  warning: \(failures) operations were not applied") }
        }
    }

    private static func microseconds(_ duration: Duration) -> Double {
        let parts = duration.components
        return Double(parts.seconds) * 1_000_000 + Double(parts.attoseconds) / 1_000_000_000_000
    }
}
