import Crypto

/// A 32-byte SHA-256 tree hash held inline (no heap allocation), for the hot paths: proofs in
/// large trees are made of dozens of hashes, and an `[UInt8]` per hash costs more than the
/// hashing itself. Convert with ``init(_:)`` and ``bytes`` at the edges.
///
/// ```swift
/// let root = MerkleHash(tree.rootHash())!
/// let proof = prover.proof(index: 5)                     // [MerkleHash]
/// try MerkleProof.verifyInclusion(leafHash: tree.leafMerkleHash(at: 5), index: 5, size: prover.size, proof: proof, root: root)
/// ```
public struct MerkleHash: Hashable, Sendable, CustomStringConvertible {
    /// The 32 bytes.
    public var storage: SIMD32<UInt8>

    /// Wraps exactly 32 bytes; `nil` for any other length.
    public init?(_ bytes: some Collection<UInt8>) {
        guard bytes.count == RFC6962.hashByteCount else { return nil }
        storage = SIMD32<UInt8>()
        for (index, byte) in bytes.enumerated() { storage[index] = byte }
    }

    init(storage: SIMD32<UInt8>) {
        self.storage = storage
    }

    /// Reads 32 bytes at `offset` of `buffer`.
    init(loadingFrom buffer: UnsafeRawBufferPointer, offset: Int) {
        storage = buffer.loadUnaligned(fromByteOffset: offset, as: SIMD32<UInt8>.self)
    }

    /// The bytes as an array.
    public var bytes: [UInt8] {
        withUnsafeBytes(of: storage) { Array($0) }
    }

    /// Standard base64, as in checkpoints.
    public var description: String { Base64.encode(bytes) }

    /// `SHA-256(0x01 ‖ left ‖ right)`: the RFC 6962 interior node.
    public static func node(left: MerkleHash, right: MerkleHash) -> MerkleHash {
        var output = SIMD32<UInt8>()
        withUnsafeBytes(of: left.storage) { leftBytes in
            withUnsafeBytes(of: right.storage) { rightBytes in
                withUnsafeMutableBytes(of: &output) { RFC6962.writeNodeHash(left: leftBytes, right: rightBytes, into: $0) }
            }
        }
        return MerkleHash(storage: output)
    }
}

extension MerkleTree {
    /// The leaf hash of entry `index`, inline.
    ///
    /// - Precondition: `index < size`.
    public func leafMerkleHash(at index: UInt64) -> MerkleHash {
        precondition(index < size, "leaf \(index) does not exist in a tree of size \(size)")
        return fullSubtreeMerkleHash(level: 0, index: index)
    }
}

/// Makes inclusion proofs for one tree size without allocating per hash: the hashes of the
/// partial subtrees on the tree's right edge (the only ones that need hashing to produce a
/// proof) are computed once, so each proof is look-ups only.
///
/// A coordinator serving proofs against its latest checkpoint keeps one per checkpoint.
public struct InclusionProver: Sendable {
    /// The tree size proofs are for.
    public let size: UInt64
    private let tree: MerkleTree
    /// The hash of each partial subtree `[size - count, size)` on the right edge, keyed by
    /// `count` (the RFC recursion only reaches counts that are `size` with its top bits cleared).
    private let edge: [UInt64: MerkleHash]

    /// A prover for the tree of `size` leaves held by `tree`.
    ///
    /// - Throws: ``MerkleTreeError`` when `size` is beyond the tree.
    public init(tree: MerkleTree, size: UInt64) throws(MerkleTreeError) {
        guard size <= tree.size else {
            throw MerkleTreeError(.sizeBeyondTree, "asked for size \(size) but the tree has \(tree.size) leaves")
        }
        self.tree = tree
        self.size = size
        // The right-edge ranges are [size - r, size) where r is `size` with its high bits
        // cleared one by one: fold them from the smallest up.
        var edge: [UInt64: MerkleHash] = [:]
        var covered: UInt64 = 0
        var hash: MerkleHash?
        var remaining = size
        while remaining != 0 {
            let level = remaining.trailingZeroBitCount
            let bit = UInt64(1) << UInt64(level)
            remaining &= remaining - 1
            let node = tree.fullSubtreeMerkleHash(level: level, index: remaining >> UInt64(level))
            hash = hash.map { MerkleHash.node(left: node, right: $0) } ?? node
            covered += bit
            edge[covered] = hash
        }
        self.edge = edge
    }

    /// The inclusion proof (RFC 6962 audit path) for leaf `index`, from the leaf's sibling up.
    ///
    /// - Throws: ``MerkleTreeError`` when `index` is not below ``size``.
    public func proof(index: UInt64) throws(MerkleTreeError) -> [MerkleHash] {
        guard index < size else {
            throw MerkleTreeError(.indexOutOfRange, "leaf \(index) is not below tree size \(size)")
        }
        var path = [MerkleHash]()
        path.reserveCapacity(64)
        var begin: UInt64 = 0
        var end = size
        while end - begin > 1 {
            let count = end - begin
            let split = begin + (UInt64(1) << UInt64(UInt64.bitWidth - 1 - (count - 1).leadingZeroBitCount))
            if index < split {
                path.append(hash(begin: split, end: end))
                end = split
            } else {
                path.append(hash(begin: begin, end: split))
                begin = split
            }
        }
        path.reverse()
        return path
    }

    /// The root hash at ``size``.
    public var root: MerkleHash {
        size == 0 ? MerkleHash(RFC6962.emptyTreeRootHash)! : hash(begin: 0, end: size)
    }

    private func hash(begin: UInt64, end: UInt64) -> MerkleHash {
        let count = end - begin
        if count & (count - 1) == 0 {
            let level = count.trailingZeroBitCount
            return tree.fullSubtreeMerkleHash(level: level, index: begin >> UInt64(level))
        }
        // A partial subtree only occurs on the right edge, ending at `size`.
        precondition(end == size, "partial subtrees end at the tree size")
        return edge[count]!
    }
}

extension MerkleProof {
    /// ``verifyInclusion(leafHash:index:size:proof:root:)`` for inline hashes: no allocation.
    ///
    /// - Throws: ``ProofVerificationError`` saying why the proof does not hold.
    public static func verifyInclusion(
        leafHash: MerkleHash, index: UInt64, size: UInt64, proof: [MerkleHash], root: MerkleHash
    ) throws(ProofVerificationError) {
        guard index < size else {
            throw ProofVerificationError(.indexOutOfRange, "leaf index \(index) is not below tree size \(size)")
        }
        let expectedLength = inclusionProofLength(index: index, size: size)
        guard proof.count == expectedLength else {
            throw ProofVerificationError(
                .wrongProofLength,
                "an inclusion proof for leaf \(index) in a tree of size \(size) has \(expectedLength) hashes, this one has \(proof.count)")
        }
        var position = index
        var lastPosition = size - 1
        var hash = leafHash
        for sibling in proof {
            if position & 1 == 1 || position == lastPosition {
                hash = MerkleHash.node(left: sibling, right: hash)
                if position & 1 == 0 {
                    while position & 1 == 0 && position != 0 {
                        position >>= 1
                        lastPosition >>= 1
                    }
                }
            } else {
                hash = MerkleHash.node(left: hash, right: sibling)
            }
            position >>= 1
            lastPosition >>= 1
        }
        guard lastPosition == 0 else {
            throw ProofVerificationError(.wrongProofLength, "the proof's \(proof.count) hashes do not fit the tree's shape")
        }
        guard hash == root else {
            throw ProofVerificationError(.rootMismatch, "the proof leads to root \(hash), not the expected \(root)")
        }
    }
}
