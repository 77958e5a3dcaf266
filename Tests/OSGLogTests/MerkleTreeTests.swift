import Testing
@testable import OSGLog

@Suite("Merkle tree proofs")
struct MerkleTreeTests {
    /// A tree whose entry i is the single byte i (deterministic).
    static func tree(size: Int) -> MerkleTree {
        var tree = MerkleTree()
        for index in 0..<size { tree.append(entry: [UInt8(index & 0xFF), UInt8(index >> 8)]) }
        return tree
    }

    /// MTH straight from RFC 6962 §2.1, recursively, as an independent oracle.
    static func referenceRoot(_ leaves: ArraySlice<[UInt8]>) -> [UInt8] {
        if leaves.isEmpty { return RFC6962.emptyTreeRootHash }
        if leaves.count == 1 { return leaves.first! }
        var split = 1
        while split * 2 < leaves.count { split *= 2 }
        let middle = leaves.startIndex + split
        return RFC6962.nodeHash(left: referenceRoot(leaves[..<middle]), right: referenceRoot(leaves[middle...]))
    }

    static let maxSize = 64
    static let tree64 = tree(size: maxSize)

    /// Every single-bit flip is tried for trees up to this size; above it one bit per byte
    /// (bit `byte % 8`) keeps the debug-build test run short while still touching every byte.
    static let exhaustiveFlipSize = 16

    static func flips(size: UInt64) -> [(byte: Int, bit: Int)] {
        if size <= UInt64(exhaustiveFlipSize) {
            return (0..<32).flatMap { byte in (0..<8).map { (byte, $0) } }
        }
        return (0..<32).map { ($0, $0 % 8) }
    }

    @Test("roots of every past size match the RFC 6962 recursion")
    func rootsMatchRecursion() throws {
        let leaves = (0..<UInt64(Self.maxSize)).map { Self.tree64.leafHash(at: $0) }
        for size in 0...Self.maxSize {
            #expect(try Self.tree64.rootHash(size: UInt64(size)) == Self.referenceRoot(leaves[0..<size]), "size \(size)")
        }
    }

    @Test("an appended tree and a tree built by leaf hash agree")
    func appendByHash() throws {
        var byHash = MerkleTree()
        for index in 0..<UInt64(Self.maxSize) { try byHash.append(leafHash: Self.tree64.leafHash(at: index)) }
        #expect(byHash.rootHash() == Self.tree64.rootHash())
        #expect(throws: MerkleTreeError.self) { try byHash.append(leafHash: [1, 2, 3]) }
    }

    @Test("inclusion proofs for every (index, size) up to 64 verify, and every bit flip is rejected",
          arguments: 1...maxSize)
    func inclusionProofs(size: Int) throws {
        let size = UInt64(size)
        let root = try Self.tree64.rootHash(size: size)
        for index in 0..<size {
            let leaf = Self.tree64.leafHash(at: index)
            let proof = try Self.tree64.inclusionProof(index: index, size: size)
            #expect(proof.count == MerkleProof.inclusionProofLength(index: index, size: size))
            try MerkleProof.verifyInclusion(leafHash: leaf, index: index, size: size, proof: proof, root: root)
            for element in proof.indices {
                for (byte, bit) in Self.flips(size: size) {
                    var flipped = proof
                    flipped[element][byte] ^= 1 << bit
                    #expect(throws: ProofVerificationError.self, "index \(index) size \(size) element \(element) byte \(byte) bit \(bit)") {
                        try MerkleProof.verifyInclusion(leafHash: leaf, index: index, size: size, proof: flipped, root: root)
                    }
                }
            }
            // The same proof does not prove a neighbouring leaf.
            if size > 1 {
                let other = (index + 1) % size
                #expect(throws: ProofVerificationError.self) {
                    try MerkleProof.verifyInclusion(leafHash: Self.tree64.leafHash(at: other), index: index, size: size, proof: proof, root: root)
                }
            }
        }
    }

    @Test("consistency proofs for every (size1, size2) up to 64 verify, and every bit flip is rejected",
          arguments: 1...maxSize)
    func consistencyProofs(size2: Int) throws {
        let size2 = UInt64(size2)
        let root2 = try Self.tree64.rootHash(size: size2)
        for size1 in 1...size2 {
            let root1 = try Self.tree64.rootHash(size: size1)
            let proof = try Self.tree64.consistencyProof(from: size1, to: size2)
            if size1 < size2 {
                #expect(proof.count == MerkleProof.consistencyProofLength(size1: size1, size2: size2))
            } else {
                #expect(proof.isEmpty)
            }
            try MerkleProof.verifyConsistency(size1: size1, size2: size2, proof: proof, root1: root1, root2: root2)
            for element in proof.indices {
                for (byte, bit) in Self.flips(size: size2) {
                    var flipped = proof
                    flipped[element][byte] ^= 1 << bit
                    #expect(throws: ProofVerificationError.self, "\(size1)->\(size2) element \(element) byte \(byte) bit \(bit)") {
                        try MerkleProof.verifyConsistency(size1: size1, size2: size2, proof: flipped, root1: root1, root2: root2)
                    }
                }
            }
            if size1 < size2 {
                // Swapped roots and a neighbouring old size fail.
                #expect(throws: ProofVerificationError.self) {
                    try MerkleProof.verifyConsistency(size1: size1, size2: size2, proof: proof, root1: root2, root2: root1)
                }
            }
        }
    }

    static let root8 = tree(size: 8).rootHash()
    static let leaf5 = tree(size: 8).leafHash(at: 5)
    static let proof5 = try! tree(size: 8).inclusionProof(index: 5, size: 8)

    @Test("malformed inclusion proofs are rejected with a specific code", arguments: [
        ("index equal to size", 8, 8, proof5, leaf5, root8, ProofVerificationError.Code.indexOutOfRange),
        ("index beyond size", 9, 8, proof5, leaf5, root8, .indexOutOfRange),
        ("empty tree", 0, 0, [], leaf5, RFC6962.emptyTreeRootHash, .indexOutOfRange),
        ("proof one short", 5, 8, Array(proof5.dropLast()), leaf5, root8, .wrongProofLength),
        ("proof one long", 5, 8, proof5 + [root8], leaf5, root8, .wrongProofLength),
        ("empty proof element", 5, 8, [[]] + proof5.dropFirst(), leaf5, root8, .proofHashWrongLength),
        ("33-byte proof element", 5, 8, [proof5[0] + [0]] + proof5.dropFirst(), leaf5, root8, .proofHashWrongLength),
        ("31-byte leaf hash", 5, 8, proof5, Array(leaf5.dropLast()), root8, .leafHashWrongLength),
        ("short root", 5, 8, proof5, leaf5, Array(root8.prefix(16)), .rootHashWrongLength),
        ("other root", 5, 8, proof5, leaf5, RFC6962.emptyTreeRootHash, .rootMismatch),
        ("another leaf's index", 4, 8, proof5, leaf5, root8, .rootMismatch),
        ("size twice as large", 5, 16, proof5, leaf5, root8, .wrongProofLength),
    ] as [(String, UInt64, UInt64, [[UInt8]], [UInt8], [UInt8], ProofVerificationError.Code)])
    func malformedInclusion(
        name: String, index: UInt64, size: UInt64, proof: [[UInt8]], leaf: [UInt8], root: [UInt8],
        code: ProofVerificationError.Code
    ) {
        expectRejection(name, code) { () throws(ProofVerificationError) in
            try MerkleProof.verifyInclusion(leafHash: leaf, index: index, size: size, proof: proof, root: root)
        }
    }

    static let root6 = tree(size: 6).rootHash()
    static let proof6to8 = try! tree(size: 8).consistencyProof(from: 6, to: 8)

    @Test("malformed consistency proofs are rejected with a specific code", arguments: [
        ("size1 above size2", 8, 6, proof6to8, root8, root6, ProofVerificationError.Code.sizesOutOfOrder),
        ("from the empty tree", 0, 8, [], RFC6962.emptyTreeRootHash, root8, .consistencyFromEmptyTree),
        ("from the empty tree with a proof", 0, 8, proof6to8, RFC6962.emptyTreeRootHash, root8, .consistencyFromEmptyTree),
        ("both trees empty", 0, 0, [], RFC6962.emptyTreeRootHash, RFC6962.emptyTreeRootHash, .consistencyFromEmptyTree),
        ("equal sizes, equal short roots", 8, 8, [], Array(root8.prefix(16)), Array(root8.prefix(16)), .rootHashWrongLength),
        ("equal sizes, equal long roots", 8, 8, [], root8 + [0], root8 + [0], .rootHashWrongLength),
        ("equal sizes, non-empty proof", 8, 8, [root8], root8, root8, .wrongProofLength),
        ("equal sizes, different roots", 8, 8, [], root6, root8, .rootMismatch),
        ("empty proof", 6, 8, [], root6, root8, .wrongProofLength),
        ("truncated proof", 6, 8, Array(proof6to8.dropLast()), root6, root8, .wrongProofLength),
        ("padded proof", 6, 8, proof6to8 + [root8], root6, root8, .wrongProofLength),
        ("short proof element", 6, 8, [Array(proof6to8[0].prefix(31))] + proof6to8.dropFirst(), root6, root8, .proofHashWrongLength),
        ("short first root", 6, 8, proof6to8, Array(root6.prefix(8)), root8, .rootHashWrongLength),
        ("wrong first root", 6, 8, proof6to8, root8, root8, .firstRootMismatch),
        ("wrong second root", 6, 8, proof6to8, root6, root6, .secondRootMismatch),
    ] as [(String, UInt64, UInt64, [[UInt8]], [UInt8], [UInt8], ProofVerificationError.Code)])
    func malformedConsistency(
        name: String, size1: UInt64, size2: UInt64, proof: [[UInt8]], root1: [UInt8], root2: [UInt8],
        code: ProofVerificationError.Code
    ) {
        expectRejection(name, code) { () throws(ProofVerificationError) in
            try MerkleProof.verifyConsistency(size1: size1, size2: size2, proof: proof, root1: root1, root2: root2)
        }
    }

    /// Expects `verify` to reject the case called `name` with `code`.
    func expectRejection(
        _ name: String, _ code: ProofVerificationError.Code, sourceLocation: SourceLocation = #_sourceLocation,
        _ verify: () throws(ProofVerificationError) -> Void
    ) {
        do {
            try verify()
            Issue.record("\(name) verified", sourceLocation: sourceLocation)
        } catch {
            #expect(error.code == code, "\(name): \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test("the tree refuses proofs about leaves and sizes it does not have")
    func treeRefusesOutOfRange() {
        let tree = Self.tree(size: 8)
        #expect(throws: MerkleTreeError.self) { try tree.inclusionProof(index: 8, size: 8) }
        #expect(throws: MerkleTreeError.self) { try tree.inclusionProof(index: 0, size: 9) }
        #expect(throws: MerkleTreeError.self) { try tree.consistencyProof(from: 0, to: 8) }
        #expect(throws: MerkleTreeError.self) { try tree.consistencyProof(from: 5, to: 4) }
        #expect(throws: MerkleTreeError.self) { try tree.rootHash(size: 9) }
    }

    @Test("rewriting history is caught: a changed entry breaks inclusion and consistency")
    func tamperedHistoryIsDetected() throws {
        var honest = MerkleTree()
        var forged = MerkleTree()
        for index in 0..<100 {
            let entry = Array("command \(index)".utf8)
            honest.append(entry: entry)
            forged.append(entry: index == 37 ? Array("command 37, amended".utf8) : entry)
        }
        let oldRoot = try honest.rootHash(size: 50)
        // The honest proof of entry 37 does not fit the forged root...
        let proof = try honest.inclusionProof(index: 37, size: 100)
        #expect(throws: ProofVerificationError.self) {
            try MerkleProof.verifyInclusion(leafHash: honest.leafHash(at: 37), index: 37, size: 100, proof: proof, root: forged.rootHash())
        }
        // ...and the forged log cannot prove it extends the checkpoint witnesses saw at size 50.
        let forgedConsistency = try forged.consistencyProof(from: 50, to: 100)
        #expect(throws: ProofVerificationError.self) {
            try MerkleProof.verifyConsistency(size1: 50, size2: 100, proof: forgedConsistency, root1: oldRoot, root2: forged.rootHash())
        }
        // Entries after the change keep their leaf hashes; only the roots move.
        #expect(honest.leafHash(at: 38) == forged.leafHash(at: 38))
        #expect(try honest.rootHash(size: 37) == forged.rootHash(size: 37))
        #expect(try honest.rootHash(size: 38) != forged.rootHash(size: 38))
    }

    @Test("proof lengths follow the tree shape")
    func proofLengths() {
        #expect(MerkleProof.inclusionProofLength(index: 0, size: 1) == 0)
        #expect(MerkleProof.inclusionProofLength(index: 5, size: 8) == 3)
        #expect(MerkleProof.inclusionProofLength(index: 6, size: 7) == 2)
        #expect(MerkleProof.inclusionProofLength(index: 0, size: 10_000_000) == 24)
        // The last leaf has only left siblings: one per one bit of its index.
        #expect(MerkleProof.inclusionProofLength(index: 9_999_999, size: 10_000_000) == 14)
        #expect(MerkleProof.consistencyProofLength(size1: 4, size2: 8) == 1)
        #expect(MerkleProof.consistencyProofLength(size1: 6, size2: 8) == 3)
    }
}
