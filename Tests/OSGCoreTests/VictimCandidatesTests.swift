import OSGDomain
import Testing
@testable import OSGCore

/// The preemption step's candidate victims (docs/MARKET.md, "Preemption with notice"), read
/// from the kept allocation rows, against the state's own leases read one by one.
@Suite("Victim candidates of the preemption step")
struct VictimCandidatesTests {
    /// Running preemptible leases not under notice, by online node index, each node's in lease id order.
    static func expected(_ state: CoordinatorState) -> [Int: [String]] {
        let noticed = Set(state.preemptions.values.flatMap(\.victimLeaseIDs))
        var byNode: [Int: [String]] = [:]
        for lease in state.leases.values where lease.end == nil && !noticed.contains(lease.id) {
            guard state.orders[lease.orderID]?.spec.jobClass == .preemptible else { continue }
            for allocation in lease.allocations {
                guard let index = state.sortedNodeIDs.firstIndex(of: allocation.nodeID), state.nodes[allocation.nodeID]?.online == true
                else { continue }
                byNode[index, default: []].append(lease.id)
            }
        }
        return byNode.mapValues { $0.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) } }
    }

    @Test("every running preemptible lease not under notice, by online node in index order, with its figures")
    func candidatesMatchTheLeases() throws {
        var checked = 0
        for seed in 0..<12 { checked += try candidatesMatchTheLeases(seed: seed) }
        #expect(checked > 50, "the workloads run preemptible leases (\(checked) node lists checked)")
    }

    /// Checks the candidates after every step of one workload; gives how many node lists it checked.
    private func candidatesMatchTheLeases(seed: Int) throws -> Int {
        var workload = MarketWorkload(seed: UInt64(seed) &* 7919 &+ 1)
        try workload.setUp()
        var checked = 0
        for _ in 0..<160 {
            try workload.step()
            let state = workload.driver.state
            let candidates = state.victimCandidatesByNode()
            let nodes = Array(candidates.nonEmpty)
            #expect(nodes.map(\.index) == nodes.map(\.index).sorted(), "seed \(seed): nodes in index order")
            #expect(candidates.leaseIDsByNode == Self.expected(state), "seed \(seed)")
            for node in nodes {
                for victim in node.victims {
                    let lease = try #require(state.leases[victim.leaseID])
                    let held = lease.allocations.filter { $0.nodeID == state.sortedNodeIDs[node.index] }.reduce(0) { $0 + $1.gpus }
                    #expect(victim.gpus == held && victim.price == lease.pricePerGPUHour.rawValue
                            && victim.start == lease.start.secondsSinceEpoch, "seed \(seed): \(victim.leaseID)")
                }
                #expect(candidates.node(at: node.index)?.victims.map(\.leaseID) == node.victims.map(\.leaseID), "seed \(seed)")
            }
            checked += nodes.count
        }
        return checked
    }
}
