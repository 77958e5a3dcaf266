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
}
