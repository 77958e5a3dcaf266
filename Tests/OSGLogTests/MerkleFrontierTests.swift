import Foundation
import Testing
import OSGDomain
@testable import OSGLog

@Suite("Merkle frontier (root only, O(log n) memory)")
struct MerkleFrontierTests {
    @Test("the root after every append is the RFC 6962 recursion's, sizes 0 to 300")
    func rootsMatchRecursion() throws {
        var frontier = MerkleFrontier()
        var leaves: [[UInt8]] = []
        #expect(frontier.rootHash() == RFC6962.emptyTreeRootHash)
        for index in 0..<300 {
            let entry = [UInt8(index & 0xFF), UInt8(index >> 8), 7]
            #expect(frontier.append(entry: entry) == UInt64(index))
            leaves.append(RFC6962.leafHash(of: entry))
            #expect(frontier.size == UInt64(index + 1))
            #expect(frontier.rootHash() == MerkleTreeTests.referenceRoot(leaves[...]), "size \(index + 1)")
        }
    }

    @Test("on random entries it gives MerkleTree's root at random sizes", arguments: [1, 2, 3, 4])
    func agreesWithTree(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        var frontier = MerkleFrontier()
        var tree = MerkleTree()
        let size = 1_000 + Int(random.next(below: 4_000))
        for _ in 0..<size {
            let entry = (0..<Int(random.next(below: 200))).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            if random.next() & 1 == 0 {
                frontier.append(entry: entry)
                tree.append(entry: entry)
            } else {
                let leafHash = RFC6962.leafHash(of: entry)
                try frontier.append(leafHash: leafHash)
                try tree.append(leafHash: leafHash)
            }
            if random.next(below: 50) == 0 {
                #expect(frontier.rootHash() == tree.rootHash(), "seed \(seed), size \(tree.size)")
            }
        }
        #expect(frontier.rootHash() == tree.rootHash(), "seed \(seed), size \(tree.size)")
    }

    @Test("the reference tree's roots of sizes 1 to 8")
    func referenceVectors() throws {
        let reference = try JSONDecoder().decode(MerkleVectorTests.ReferenceTree.self, from: Fixtures.data("reference-tree.json"))
        var frontier = MerkleFrontier()
        for (index, input) in reference.leafInputsHex.enumerated() {
            frontier.append(entry: Fixtures.hex(input))
            #expect(frontier.rootHash() == Fixtures.hex(reference.rootHashesHex[index + 1]), "root of size \(index + 1)")
        }
    }

    @Test("a leaf hash that is not 32 bytes is refused and changes nothing")
    func wrongLeafHash() throws {
        var frontier = MerkleFrontier()
        frontier.append(entry: [1])
        let root = frontier.rootHash()
        #expect(throws: MerkleTreeError.self) { try frontier.append(leafHash: [UInt8](repeating: 0, count: 31)) }
        #expect(frontier.size == 1 && frontier.rootHash() == root)
    }
}
