import ArgumentParser

/// `osg bench NAME`: headline performance figures (DESIGN.md §9); `--json` prints one object
/// whose numeric fields name their unit.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure headline performance figures on this machine.",
        subcommands: [MarketBench.self]
    )
}
