import Foundation
import OSGCore
import Testing

/// The state digests of the replay workloads, committed: the same log must give the same state,
/// bit for bit, on every machine, toolchain and build. A change here means either a change of
/// the rules (say so in the commit and update the file) or a state that depends on something it
/// must not (the toolchain's JSON encoder, a hash seed, the platform).
@Suite("Golden digests of the replay workloads")
struct GoldenDigestTests {
    /// Tests/OSGCoreTests/Fixtures/golden-digests.txt: `<workload> <entries> <state digest>` per line.
    static let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/golden-digests.txt")

    /// Each workload's name, entry count and digest after replaying that many entries.
    static func computed() -> [String] {
        var market = CommandLogWorkload(seed: 1, operators: 6, nodesPerOperator: 4, tenants: 12)
        _ = market.entries(count: 4_000)
        var money = MoneyWorkload(seed: 1)
        for _ in 0..<1_500 { _ = money.step() }
        // The market workload replayed from its log too: the digest is of the state, not of the path.
        var log = CommandLog(genesis: CommandLogWorkload.genesis)
        var again = CommandLogWorkload(seed: 2, operators: 3, nodesPerOperator: 2, tenants: 5)
        for entry in again.entries(count: 1_000) { _ = try? log.append(entry.command, by: entry.actor, at: entry.time) }
        return [
            "market-seed-1 4000 \(market.state.digest)",
            "money-seed-1 1500 \(money.state.digest)",
            "market-seed-2-replayed 1000 \(log.replay().state.digest)",
        ]
    }

    @Test("each workload's state digest is the committed one")
    func digestsMatch() throws {
        let committed = try String(contentsOf: Self.file, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("#") }.map(String.init)
        let computed = Self.computed()
        #expect(committed == computed, "committed:\n\(committed.joined(separator: "\n"))\ncomputed:\n\(computed.joined(separator: "\n"))")
    }
}
