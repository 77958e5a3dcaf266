import Testing
@testable import OSGLog

@Suite("Inline hashes and the inclusion prover agree with the array-based tree")
struct InclusionProverTests {
    @Test("prover proofs equal MerkleTree.inclusionProof for every leaf of many sizes, and verify", arguments: [1, 2, 3, 5, 8, 13, 100, 255, 256, 257, 1000])
    func sameProofs(size: Int) throws {
        var tree = MerkleTree()
        for index in 0..<UInt64(size + 7) { tree.append(entry: withUnsafeBytes(of: index.bigEndian, Array.init)) }
        let treeSize = UInt64(size)
        let prover = try InclusionProver(tree: tree, size: treeSize)
        let root = try tree.rootHash(size: treeSize)
        #expect(prover.root.bytes == root)
        for index in 0..<treeSize {
            let proof = try prover.proof(index: index)
            #expect(proof.map(\.bytes) == (try tree.inclusionProof(index: index, size: treeSize)))
            try MerkleProof.verifyInclusion(leafHash: tree.leafMerkleHash(at: index), index: index, size: treeSize, proof: proof, root: prover.root)
        }
    }

    @Test("a changed sibling, a wrong index or a short proof is rejected")
    func rejects() throws {
        var tree = MerkleTree()
        for index in 0..<UInt64(100) { tree.append(entry: [UInt8(index)]) }
        let prover = try InclusionProver(tree: tree, size: 100)
        var proof = try prover.proof(index: 42)
        let leaf = tree.leafMerkleHash(at: 42)
        #expect(throws: ProofVerificationError.self) {
            try MerkleProof.verifyInclusion(leafHash: leaf, index: 43, size: 100, proof: proof, root: prover.root)
        }
        #expect(throws: ProofVerificationError.self) {
            try MerkleProof.verifyInclusion(leafHash: leaf, index: 42, size: 100, proof: Array(proof.dropLast()), root: prover.root)
        }
        proof[2].storage[0] ^= 1
        #expect(throws: ProofVerificationError.self) {
            try MerkleProof.verifyInclusion(leafHash: leaf, index: 42, size: 100, proof: proof, root: prover.root)
        }
        #expect(throws: MerkleTreeError.self) { try prover.proof(index: 100) }
        #expect(throws: MerkleTreeError.self) { try InclusionProver(tree: tree, size: 101) }
        #expect(MerkleHash([1, 2, 3]) == nil)
    }

    @Test("tilesChanged lists exactly the tiles whose contents differ between two sizes", arguments: [(0, 1), (250, 260), (255, 256), (256, 257), (1000, 70_000), (65_535, 65_536)])
    func tilesChanged(sizes: (Int, Int)) throws {
        let (old, new) = (UInt64(sizes.0), UInt64(sizes.1))
        let before = Set(TileCoordinate.tiles(forTreeSize: old))
        let after = Set(TileCoordinate.tiles(forTreeSize: new))
        #expect(Set(TileCoordinate.tilesChanged(from: old, to: new)) == after.subtracting(before))
    }
}
