import Foundation
import OSGDomain
import Testing
@testable import OSGCore

/// Random commands that move money, with the money invariants checked after every one.
///
/// Debug builds check every state invariant inside `apply` too, which costs what the history
/// is: here 4 seeds × 5,000 commands (`OSG_MONEY_PROPERTY_COMMANDS` sets the count per seed).
/// The long run, 10^6 commands and more, is `osg bench money` in a release build. A failure
/// prints its seed and step.
@Suite("Money invariants hold after every one of thousands of random commands")
struct MoneyPropertyTests {
    static let seeds: [UInt64] = [11, 12, 13, 14]
    static let commandsPerSeed = ProcessInfo.processInfo.environment["OSG_MONEY_PROPERTY_COMMANDS"].flatMap(Int.init) ?? 5_000

    @Test("conservation, nothing below zero, collateral, escrow and payouts fully backed, shares adding up", arguments: seeds)
    func invariants(seed: UInt64) {
        var workload = MoneyWorkload(seed: seed)
        for step in 0..<Self.commandsPerSeed {
            let entry = workload.step()
            let problems = workload.violations()
            guard problems.isEmpty else {
                Issue.record("seed \(seed), step \(step) (\(entry.command)): \(problems.joined(separator: "; "))")
                return
            }
        }
        // The stream really exercises the money: every kind of command occurs, most are accepted,
        // faults slashed and withdrawals paid.
        #expect(workload.kinds.count == 15, "seed \(seed): \(workload.kinds)")
        #expect(workload.refused < workload.steps / 2, "seed \(seed): \(workload.refused) of \(workload.steps) refused")
        let money = workload.state.money!
        #expect(money.slashedMicroCredits > 0 && money.withdrawnMicroCredits > 0 && money.feesMicroCredits > 0, "seed \(seed)")
        #expect(money.shares.values.contains { $0.holders.count > 1 }, "seed \(seed): shares change hands")
        #expect(workload.state.ledger.checkInvariants().isEmpty, "seed \(seed): the full ledger check")
    }

    @Test("a random money log replays to the same state, bit for bit")
    func replay() {
        var workload = MoneyWorkload(seed: 99)
        var log = CommandLog(genesis: MoneyWorkload.genesis)
        for _ in 0..<5_000 {
            let entry = workload.step()
            _ = try? log.append(entry.command, by: entry.actor, at: entry.time)
        }
        #expect(log.entries.count == 5_000)
        #expect(log.replay().state.digest == workload.state.digest)
        #expect(workload.state.published == workload.state.publishedByFullPass)
    }
}
