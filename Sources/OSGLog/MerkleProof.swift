/// Verification of RFC 6962 inclusion and consistency proofs (the algorithms of RFC 9162
/// §2.1.3.2 and §2.1.4.2).
///
/// These are pure functions of their inputs: anyone holding a signed root can check a proof
/// without trusting the log. Malformed proofs (wrong length, hashes that are not 32 bytes, an
/// index past the end, sizes in the wrong order) are rejected with a specific
/// ``ProofVerificationError`` before any hashing, so the reason a proof fails is always clear.
///
/// ```swift
/// let proof = tree.inclusionProof(index: 5, size: 8)
/// try MerkleProof.verifyInclusion(leafHash: leaf, index: 5, size: 8, proof: proof, root: root)
/// ```
public enum MerkleProof {
    /// Checks that the leaf with `leafHash` is entry number `index` of the tree of `size` leaves
    /// whose root is `root`.
    ///
    /// - Parameters:
    ///   - leafHash: The RFC 6962 leaf hash (`SHA-256(0x00 ‖ entry)`), 32 bytes.
    ///   - index: Zero-based position of the leaf; must be below `size`.
    ///   - size: Number of leaves in the tree the proof is for.
    ///   - proof: The audit path, ordered from the leaf's sibling up to the root's child.
    ///   - root: The expected root hash of the tree of `size` leaves.
    /// - Throws: ``ProofVerificationError`` saying why the proof does not hold.
    public static func verifyInclusion(
        leafHash: [UInt8], index: UInt64, size: UInt64, proof: [[UInt8]], root: [UInt8]
    ) throws(ProofVerificationError) {
        let computed = try rootFromInclusionProof(leafHash: leafHash, index: index, size: size, proof: proof)
        try checkHashLength(root, "the root hash", else: .rootHashWrongLength)
        guard computed == root else {
            throw ProofVerificationError(
                .rootMismatch,
                "the proof leads to root \(Base64.encode(computed)), not the expected \(Base64.encode(root))")
        }
    }

    /// Computes the root that an inclusion proof implies (RFC 9162 §2.1.3.2), rejecting proofs
    /// whose shape does not fit `index` and `size`.
    public static func rootFromInclusionProof(
        leafHash: [UInt8], index: UInt64, size: UInt64, proof: [[UInt8]]
    ) throws(ProofVerificationError) -> [UInt8] {
        guard index < size else {
            throw ProofVerificationError(
                .indexOutOfRange, "leaf index \(index) is not below tree size \(size)")
        }
        try checkHashLength(leafHash, "the leaf hash", else: .leafHashWrongLength)
        try checkShape(
            of: proof, "an inclusion proof for leaf \(index) in a tree of size \(size)",
            expectedLength: inclusionProofLength(index: index, size: size))

        var position = index
        var lastPosition = size - 1
        // Two 32-byte buffers, swapped each step: no allocation per level.
        var hash = leafHash
        var scratch = [UInt8](repeating: 0, count: RFC6962.hashByteCount)
        for sibling in proof {
            // RFC 9162 step 3a; the length check above already rules this out.
            guard lastPosition > 0 else { throw pathTooLong(proof.count) }
            if position & 1 == 1 || position == lastPosition {
                hashNode(left: sibling, right: hash, into: &scratch)
                if position & 1 == 0 {
                    // A right-edge node with no sibling at this level: climb until it has one.
                    while position & 1 == 0 && position != 0 {
                        position >>= 1
                        lastPosition >>= 1
                    }
                }
            } else {
                hashNode(left: hash, right: sibling, into: &scratch)
            }
            swap(&hash, &scratch)
            position >>= 1
            lastPosition >>= 1
        }
        guard lastPosition == 0 else { throw pathTooLong(proof.count) }
        return hash
    }

    /// Checks that the tree of `size2` leaves with root `root2` extends the tree of `size1`
    /// leaves with root `root1` (RFC 9162 §2.1.4.2).
    ///
    /// Equal sizes need an empty proof and identical roots. A proof from the empty tree is
    /// rejected, as in transparency-dev/merkle: it carries no information.
    ///
    /// - Parameters:
    ///   - size1: Size of the older tree; at least 1 (even when both sizes are equal).
    ///   - size2: Size of the newer tree; must not be below `size1`.
    ///   - proof: The consistency proof as produced by ``MerkleTree/consistencyProof(from:to:)``.
    ///   - root1: Root hash of the older tree.
    ///   - root2: Root hash of the newer tree.
    /// - Throws: ``ProofVerificationError`` saying why the proof does not hold.
    public static func verifyConsistency(
        size1: UInt64, size2: UInt64, proof: [[UInt8]], root1: [UInt8], root2: [UInt8]
    ) throws(ProofVerificationError) {
        guard size1 <= size2 else {
            throw ProofVerificationError(
                .sizesOutOfOrder, "the first tree size \(size1) is larger than the second \(size2)")
        }
        // RFC 9162 and transparency-dev: from the empty tree, or with a root that is not a
        // hash, there is nothing to verify, even when the two sizes are equal.
        guard size1 > 0 else {
            throw ProofVerificationError(
                .consistencyFromEmptyTree,
                "a consistency proof from the empty tree (size 0) to size \(size2) is not defined; nothing to verify")
        }
        try checkHashLength(root1, "the first root hash", else: .rootHashWrongLength)
        try checkHashLength(root2, "the second root hash", else: .rootHashWrongLength)
        if size1 == size2 {
            guard proof.isEmpty else {
                throw ProofVerificationError(
                    .wrongProofLength,
                    "both trees have size \(size1), so the proof must be empty; it has \(proof.count) hashes")
            }
            guard root1 == root2 else {
                throw ProofVerificationError(
                    .rootMismatch, "both trees have size \(size1) but their roots differ")
            }
            return
        }
        try checkShape(
            of: proof, "a consistency proof from size \(size1) to \(size2)",
            expectedLength: consistencyProofLength(size1: size1, size2: size2))

        // RFC 9162 §2.1.4.2: when size1 is a power of two its root is the proof's first node.
        var path = proof[...]
        let seed: [UInt8]
        if size1 & (size1 - 1) == 0 {
            seed = root1
        } else {
            seed = path.removeFirst()
        }
        var position = size1 - 1
        var lastPosition = size2 - 1
        while position & 1 == 1 {
            position >>= 1
            lastPosition >>= 1
        }
        var oldHash = seed
        var newHash = seed
        for sibling in path {
            guard lastPosition > 0 else { throw pathTooLong(proof.count) }
            if position & 1 == 1 || position == lastPosition {
                oldHash = RFC6962.nodeHash(left: sibling, right: oldHash)
                newHash = RFC6962.nodeHash(left: sibling, right: newHash)
                if position & 1 == 0 {
                    while position & 1 == 0 && position != 0 {
                        position >>= 1
                        lastPosition >>= 1
                    }
                }
            } else {
                newHash = RFC6962.nodeHash(left: newHash, right: sibling)
            }
            position >>= 1
            lastPosition >>= 1
        }
        guard lastPosition == 0 else { throw pathTooLong(proof.count) }
        guard oldHash == root1 else {
            throw ProofVerificationError(
                .firstRootMismatch,
                "the proof leads to first root \(Base64.encode(oldHash)), not the given \(Base64.encode(root1))")
        }
        guard newHash == root2 else {
            throw ProofVerificationError(
                .secondRootMismatch,
                "the proof leads to second root \(Base64.encode(newHash)), not the given \(Base64.encode(root2))")
        }
    }

    /// The number of hashes in an inclusion proof for leaf `index` in a tree of `size` leaves.
    ///
    /// Below the level where the paths to `index` and to the last leaf part, every level has a
    /// sibling; above it, only the levels where `index` is a right child do.
    public static func inclusionProofLength(index: UInt64, size: UInt64) -> Int {
        precondition(index < size, "index \(index) must be below size \(size)")
        let inner = UInt64.bitWidth - (index ^ (size - 1)).leadingZeroBitCount
        let border = (index >> UInt64(inner)).nonzeroBitCount
        return inner + border
    }

    /// The number of hashes in a consistency proof from `size1` to `size2` (0 < size1 < size2).
    public static func consistencyProofLength(size1: UInt64, size2: UInt64) -> Int {
        precondition(0 < size1 && size1 < size2, "need 0 < size1 < size2, got \(size1), \(size2)")
        let shift = size1.trailingZeroBitCount
        let length = inclusionProofLength(index: size1 - 1, size: size2) - shift
        // The seed (root of the largest full subtree ending at size1) is sent unless size1 is a
        // power of two, in which case it is root1 itself.
        return size1 & (size1 - 1) == 0 ? length : length + 1
    }

    private static func hashNode(left: [UInt8], right: [UInt8], into output: inout [UInt8]) {
        left.withUnsafeBytes { leftBytes in
            right.withUnsafeBytes { rightBytes in
                output.withUnsafeMutableBytes { RFC6962.writeNodeHash(left: leftBytes, right: rightBytes, into: $0) }
            }
        }
    }

    private static func pathTooLong(_ count: Int) -> ProofVerificationError {
        ProofVerificationError(.wrongProofLength, "the proof's \(count) hashes do not fit the tree's shape")
    }

    /// Rejects `hash` with `code` unless it is 32 bytes; `name` starts the message ("the leaf hash").
    private static func checkHashLength(
        _ hash: [UInt8], _ name: @autoclosure () -> String, else code: ProofVerificationError.Code
    ) throws(ProofVerificationError) {
        guard hash.count == RFC6962.hashByteCount else {
            throw ProofVerificationError(code, "\(name()) has \(hash.count) bytes, a SHA-256 hash has 32")
        }
    }

    /// Rejects a proof that does not have `expectedLength` hashes, or has one that is not
    /// 32 bytes; `kind` names the proof in the message ("an inclusion proof for leaf 5 …").
    private static func checkShape(
        of proof: [[UInt8]], _ kind: @autoclosure () -> String, expectedLength: Int
    ) throws(ProofVerificationError) {
        guard proof.count == expectedLength else {
            throw ProofVerificationError(
                .wrongProofLength, "\(kind()) has \(expectedLength) hashes, this one has \(proof.count)")
        }
        for (position, element) in proof.enumerated() {
            try checkHashLength(element, "proof element \(position)", else: .proofHashWrongLength)
        }
    }
}
