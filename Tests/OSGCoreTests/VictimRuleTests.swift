@testable import OSGCore
import OSGDomain
import Testing

@Suite("The published victim rule, checked against brute force")
struct VictimRuleTests {
    typealias Candidate = CoordinatorState.VictimCandidate

    /// Every subset of `candidates`: the feasible ones of the fewest members, the first in
    /// victim order compared member by member.
    func bruteForce(need: Int, free: Int, candidates: [Candidate]) -> [Candidate]? {
        if free >= need { return [] }
        var best: [Candidate]?
        for mask in 1..<(1 << candidates.count) {
            let members = candidates.indices.filter { mask & (1 << $0) != 0 }.map { candidates[$0] }
            guard free + members.reduce(0, { $0 + $1.gpus }) >= need else { continue }
            let sorted = members.sorted(by: Candidate.precedes)
            if best.map({ Candidate.setPrecedes(sorted, $0) }) ?? true { best = sorted }
        }
        return best
    }

    @Test("fewest victims, then lowest price, most recent start, lease id", arguments: 0..<300)
    func matchesBruteForce(seed: Int) {
        var random = SplitMix64(seed: UInt64(seed))
        let count = Int.random(in: 0...7, using: &random)
        let candidates = (0..<count).map { index in
            Candidate(leaseID: "lease-\(Int.random(in: 0..<4, using: &random))-\(index)",
                      price: Int64.random(in: 1...3, using: &random) * 100_000,
                      start: Int64.random(in: 0...3, using: &random), gpus: Int.random(in: 1...4, using: &random))
        }
        let need = Int.random(in: 1...8, using: &random)
        let free = Int.random(in: 0...3, using: &random)
        let chosen = CoordinatorState.victimsOnNode(need: need, free: free, candidates: candidates)
        let expected = bruteForce(need: need, free: free, candidates: candidates)
        #expect(chosen?.map(\.leaseID) == expected?.map(\.leaseID), "need \(need), free \(free), candidates \(candidates)")
    }

    /// As ``bruteForce(need:free:candidates:)``, covering GPUs, cores, memory and disk.
    func bruteForce(need: NodeFigures, free: NodeFigures, candidates: [Candidate]) -> [Candidate]? {
        func covers(_ members: [Candidate]) -> Bool {
            free.gpus + members.reduce(0, { $0 + $1.gpus }) >= need.gpus
                && (free.host + members.reduce(HostUse.zero, { $0 + $1.host })).covers(need.host)
        }
        if covers([]) { return [] }
        var best: [Candidate]?
        for mask in 1..<(1 << candidates.count) {
            let members = candidates.indices.filter { mask & (1 << $0) != 0 }.map { candidates[$0] }
            guard covers(members) else { continue }
            let sorted = members.sorted(by: Candidate.precedes)
            if best.map({ Candidate.setPrecedes(sorted, $0) }) ?? true { best = sorted }
        }
        return best
    }

    @Test("victims make room in every resource: fewest, then victim order", arguments: 0..<300)
    func matchesBruteForceWithHost(seed: Int) {
        var random = SplitMix64(seed: UInt64(seed) &+ 10_000)
        let count = Int.random(in: 0...8, using: &random)
        let candidates = (0..<count).map { index in
            Candidate(leaseID: "lease-\(Int.random(in: 0..<4, using: &random))-\(index)",
                      price: Int64.random(in: 1...3, using: &random) * 100_000,
                      start: Int64.random(in: 0...3, using: &random), gpus: Int.random(in: 1...4, using: &random),
                      host: HostUse(cpuCores: Int.random(in: 1...8, using: &random), memoryGiB: Int.random(in: 1...64, using: &random),
                                    diskGiB: Int.random(in: 0...100, using: &random)))
        }
        let need = NodeFigures(gpus: Int.random(in: 1...8, using: &random),
                               host: HostUse(cpuCores: Int.random(in: 1...16, using: &random), memoryGiB: Int.random(in: 1...128, using: &random),
                                             diskGiB: Int.random(in: 0...200, using: &random)))
        let free = NodeFigures(gpus: Int.random(in: 0...3, using: &random),
                               host: HostUse(cpuCores: Int.random(in: 0...8, using: &random), memoryGiB: Int.random(in: 0...64, using: &random),
                                             diskGiB: Int.random(in: 0...100, using: &random)))
        let chosen = CoordinatorState.victimsOnNode(need: need, free: free, candidates: candidates)
        let expected = bruteForce(need: need, free: free, candidates: candidates)
        #expect(chosen?.map(\.leaseID) == expected?.map(\.leaseID), "seed \(seed): need \(need), free \(free), candidates \(candidates)")
    }
}
