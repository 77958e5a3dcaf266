import OSGCore
import OSGLog
import OSGDomain
import Testing

@Suite("The generated coordinator log is realistic")
struct WorkloadTests {
    @Test("nodes stay online, jobs run and complete, and few commands are refused")
    func realistic() {
        var workload = CommandLogWorkload(seed: 1, operators: 4, nodesPerOperator: 3, tenants: 10)
        var replay = CoordinatorState(genesis: CommandLogWorkload.genesis)
        var refused: [String: Int] = [:]
        var kinds: [String: Int] = [:]
        for entry in workload.entries(count: 4_000) {
            kinds[entry.command.name, default: 0] += 1
            for case .rejected(let rejection) in replay.apply(entry) { refused[rejection.code.rawValue, default: 0] += 1 }
        }
        #expect(replay.digest == workload.state.digest)
        #expect(replay.nodes.count == 12 && replay.nodes.values.allSatisfy(\.online), "\(replay.nodes.values.filter { !$0.online }.count) offline")
        #expect(replay.leases.count > 20, "\(replay.leases.count) leases")
        #expect(replay.leases.values.contains { $0.end?.reason == .completed })
        #expect(!replay.runningLeaseOfOrder.isEmpty)
        #expect(refused.values.reduce(0, +) < 30, "refused: \(refused)")
        #expect(["heartbeat", "submitJob", "clear", "tick", "endLease", "deposit"].allSatisfy { kinds[$0, default: 0] > 0 }, "\(kinds)")
    }
}

@Suite("The log entry size rule")
struct LeafSizeRuleTests {
    @Test("the core's largest leaf is what an entry bundle can hold")
    func sameLimit() {
        #expect(LogEntry.maximumLeafByteCount == EntryBundle.maximumEntryByteCount)
    }
}
