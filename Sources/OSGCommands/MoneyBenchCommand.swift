import ArgumentParser
import Foundation
import OSGCore

/// `osg bench money`: the money property run at full length — random money commands through
/// the core, every invariant of docs/LEDGER.md checked after every one.
struct MoneyBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "money",
        abstract: "Drive random money commands through the core, checking the money invariants after every one; exit 1 on a violation.",
        discussion: """
        The commands are MoneyWorkload's (deposits, stakes, heartbeats and silence, jobs, clearings, usage \
        reports, lease ends and faults, node withdrawals, transfers, withdrawals, shares). `swift test` runs a \
        short version in debug; this runs the long one (build with -c release): 10^6 commands by default. \
        A violation prints its seed and step.
        """)

    @Option(help: "Commands per seed.")
    var commands = 250_000

    @Option(help: "Seeds, comma-separated.")
    var seeds = "11,12,13,14"

    @Flag(help: "Print one JSON object.")
    var json = false

    func run() throws {
        let seedList = try seeds.split(separator: ",").map { text -> UInt64 in
            guard let seed = UInt64(text.trimmingCharacters(in: .whitespaces)) else { throw ValidationError("--seeds must be whole numbers, got \(text)") }
            return seed
        }
        guard commands > 0, !seedList.isEmpty else { throw ValidationError("--commands must be positive and --seeds not empty") }
        let clock = ContinuousClock()
        let start = clock.now
        var total = 0, refused = 0
        var slashed: UInt64 = 0, fees: UInt64 = 0, withdrawn: UInt64 = 0
        for seed in seedList {
            var workload = MoneyWorkload(seed: seed)
            for step in 0..<commands {
                let entry = workload.step()
                let problems = workload.violations()
                guard problems.isEmpty else {
                    throw CleanExit.failure("seed \(seed), step \(step) (\(entry.command)): \(problems.joined(separator: "; "))")
                }
            }
            let full = workload.state.ledger.checkInvariants()
            guard full.isEmpty else { throw CleanExit.failure("seed \(seed): the full ledger check: \(full)") }
            total += workload.steps
            refused += workload.refused
            slashed += workload.state.money?.slashedMicroCredits ?? 0
            fees += workload.state.money?.feesMicroCredits ?? 0
            withdrawn += workload.state.money?.withdrawnMicroCredits ?? 0
        }
        let seconds = BenchStatistics.microseconds(start.duration(to: clock.now)) / 1_000_000
        if json {
            print(JSONOutput.string([
                "commands": total, "refused": refused, "violations": 0, "seconds": seconds,
                "commands_per_s": seconds > 0 ? Double(total) / seconds : 0,
                "slashed_micro_credits": slashed, "fees_micro_credits": fees, "withdrawn_micro_credits": withdrawn,
            ]))
        } else {
            print("\(total) commands (\(refused) refused by the core) over seeds \(seeds): every money invariant held after every one")
            print(String(format: "%.1f s, %.0f commands/s; slashed %@, fees %@, withdrawn %@ (micro-credits)", seconds,
                         seconds > 0 ? Double(total) / seconds : 0, "\(slashed)", "\(fees)", "\(withdrawn)"))
        }
    }
}
