@testable import OSGCore
import OSGDomain
import Testing

/// The running leases' allocation rows follow leases that start, end and get node hints in any
/// order, checked against the leases themselves.
@Suite("Running allocation rows")
struct RunningAllocationRowsTests {
    /// A running lease of `nodes` allocations with figures drawn from `random`.
    static func lease(_ number: Int, nodes: Int, random: inout SplitMix64) -> RunningLeaseTotals.RunningLease {
        RunningLeaseTotals.RunningLease(
            id: "lease-\(number)", allocations: (0..<nodes).map { _ in NodeAllocation(nodeID: "node-\(random.next(below: 50))", gpus: 1 + Int(random.next(below: 8))) },
            start: Int64(random.next(below: 10_000)), durationSeconds: 60 + Int64(random.next(below: 3_600)),
            maxDurationSeconds: 7_200, host: HostUse(cpuCores: Int(random.next(below: 16)), memoryGiB: Int(random.next(below: 64)), diskGiB: 0),
            preemptible: random.next(below: 2) == 0, pricePerGPUHour: Int64(random.next(below: 5_000_000)))
    }

    @Test("rows are exactly the allocations of the running leases after every start, end and hint", arguments: 0..<8)
    func followsLeases(seed: Int) {
        var random = SplitMix64(seed: UInt64(seed) &* 31 &+ 5)
        var rows = RunningAllocationRows()
        var running: [String: RunningLeaseTotals.RunningLease] = [:]
        for step in 0..<600 {
            switch random.next(below: 4) {
            case 0, 1:
                let started = Self.lease(step, nodes: 1 + Int(random.next(below: 4)), random: &random)
                rows.add(started)
                running[started.id] = started
            case 2:
                guard let ended = running.keys.sorted().randomElement(using: &random) else { continue }
                rows.remove(leaseID: ended)
                running[ended] = nil
            default:
                guard let hinted = running.keys.sorted().randomElement(using: &random) else { continue }
                let hints = running[hinted]!.allocations.map { _ in Int32(random.next(below: 50)) }
                rows.setNodeIndexHints(hints, leaseID: hinted)
                running[hinted]!.nodeIndexHints = hints
            }
            #expect(rows.matches(running), "seed \(seed), step \(step): the rows are the running leases' allocations")
        }
        rows.dropNodeIndexHints()
        for leaseID in Array(running.keys) { running[leaseID]!.nodeIndexHints = [] }
        #expect(rows.matches(running), "seed \(seed): dropped hints read as none")
        let marked = rows.marks(running.keys.sorted().prefix(3))
        #expect(marked.filter { $0 }.count == running.keys.sorted().prefix(3).reduce(0) { $0 + running[$1]!.allocations.count },
                "seed \(seed): marks flag the rows of the named leases only")
    }

    @Test("a row's node index is its hint while the hint names its node, else the look-up's")
    func nodeIndexFromHint() {
        var rows = RunningAllocationRows()
        var random = SplitMix64(seed: 1)
        var started = Self.lease(1, nodes: 1, random: &random)
        started.allocations = [NodeAllocation(nodeID: "node-b", gpus: 1)]
        started.nodeIndexHints = [1]
        rows.add(started)
        let lookup: (String) -> Int? = { ["node-a": 0, "node-b": 7][$0] }
        #expect(rows.nodeIndex(ofRow: 0, sortedNodeIDs: ["node-a", "node-b"], lookup: lookup) == 1)
        // The node moved (a node joined before it): the hint no longer names it.
        #expect(rows.nodeIndex(ofRow: 0, sortedNodeIDs: ["node-a", "node-aa", "node-b"], lookup: lookup) == 7)
        #expect(rows.nodeIndex(ofRow: 0, sortedNodeIDs: [], lookup: { _ in nil }) == nil)
    }
}
