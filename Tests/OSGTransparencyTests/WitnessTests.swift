import Crypto
import Foundation
import OSGLog
import Testing
@testable import OSGTransparency

/// The witness (c2sp.org/tlog-witness) and its cosignatures (c2sp.org/tlog-cosignature): it
/// cosigns a log's checkpoints only along one append-only history, durably, and a forked view
/// of the log gets no cosignature.
@Suite("Witness: cosignatures, consistency, forks and rollbacks")
struct WitnessTests {
    static let origin = "osg.test/log"
    static let logSigner = try! NoteSignerKey(name: origin, seed: Array(repeating: 7, count: 32))

    static func tree(_ size: Int, fork: Int? = nil) -> MerkleTree {
        var tree = MerkleTree()
        for index in 0..<size { _ = tree.append(entry: Array("entry \(index)\(fork.map { index >= $0 ? " forked" : "" } ?? "")".utf8)) }
        return tree
    }

    /// The signed checkpoint note of `tree` at `size`, as the log serves it.
    static func note(_ tree: MerkleTree, size: UInt64, signer: NoteSignerKey = logSigner) throws -> String {
        let checkpoint = try Checkpoint(origin: origin, size: size, rootHash: try tree.rootHash(size: size))
        return try SignedNote.sign(text: checkpoint.text, with: [signer]).formatted
    }

    static func witness(_ directory: URL) throws -> Witness {
        try Witness(key: try CosignerSigningKey(name: "witness.test/w1", privateKey: .init(rawRepresentation: Array(repeating: 3, count: 32))),
                    logs: [logSigner.verifierKey], stateDirectory: directory)
    }

    static func add(_ witness: Witness, old: UInt64, to size: UInt64, in tree: MerkleTree, proofFrom: MerkleTree? = nil) throws -> Result<NoteSignature, Witness.Refusal> {
        let proof = old == 0 || old == size ? [] : try (proofFrom ?? tree).consistencyProof(from: old, to: size)
        return witness.addCheckpoint(Witness.addCheckpointBody(oldSize: old, proof: proof, note: try note(tree, size: size)), now: 1_700_000_000)
    }

    @Test("a cosignature verifies with the witness key, for that note only; its key text round-trips; a log key is no cosigner key")
    func cosignatureFormat() throws {
        let signer = try CosignerSigningKey(name: "witness.test/w1", privateKey: .init())
        let text = try Checkpoint(origin: Self.origin, size: 3, rootHash: Array(repeating: 1, count: 32)).text
        let line = try signer.cosign(text: text, time: 1_700_000_123)
        #expect(signer.verifierKey.verifiedTime(of: line, text: text) == 1_700_000_123)
        #expect(signer.verifierKey.verifiedTime(of: line, text: text.replacingOccurrences(of: "\n3\n", with: "\n4\n")) == nil)
        let other = try CosignerSigningKey(name: "witness.test/w1", privateKey: .init()).verifierKey
        #expect(other.verifiedTime(of: line, text: text) == nil)
        // The line survives a note's formatting and parsing.
        let note = try SignedNote(parsing: try SignedNote.sign(text: text, with: [Self.logSigner]).formatted + line.line + "\n")
        #expect(CosignerKey.validCosigners(of: note, among: [signer.verifierKey, other]) == [signer.verifierKey])
        // An older cosignature than asked for does not count.
        #expect(CosignerKey.validCosigners(of: note, among: [signer.verifierKey], notBefore: 1_700_000_123) == [signer.verifierKey])
        #expect(CosignerKey.validCosigners(of: note, among: [signer.verifierKey], notBefore: 1_700_000_124).isEmpty)
        #expect(note.verify(with: Self.logSigner.verifierKey).isVerified, "the log's own signature still verifies beside a cosignature")
        #expect(try CosignerKey(parsing: signer.verifierKey.description) == signer.verifierKey)
        // Keys whose base64 holds '+' (about one in three) parse too.
        for seed in UInt8(0)..<64 {
            let key = try CosignerSigningKey(name: "w", privateKey: .init(rawRepresentation: [UInt8](repeating: seed, count: 32))).verifierKey
            #expect(try CosignerKey(parsing: key.description) == key, "\(key)")
        }
        #expect(throws: LogFormatError.self) { try CosignerKey(parsing: Self.logSigner.verifierKey.description) }
    }

    @Test("one history: cosigned from 0, then with consistency proofs; the record survives a restart")
    func appendOnly() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("osg-witness-\(UInt64.random(in: 0...UInt64.max))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let tree = Self.tree(20)
        let witness = try Self.witness(directory)
        let first = try Self.add(witness, old: 0, to: 5, in: tree).get()
        let text = try SignedNote(parsing: try Self.note(tree, size: 5)).text
        #expect(witness.key.verifierKey.verifiedTime(of: first, text: text) == 1_700_000_000)
        _ = try Self.add(witness, old: 5, to: 12, in: tree).get()
        _ = try Self.add(witness, old: 12, to: 12, in: tree).get()
        // A stale old size is answered with the latest one, so the log can retry.
        let stale = try Self.add(witness, old: 5, to: 20, in: tree)
        #expect(stale == .failure(Witness.Refusal(status: 409, code: "old_size_mismatch", message: "the latest checkpoint cosigned has size 12, not 5", latestSize: 12)))
        let restarted = try Self.witness(directory)
        #expect(restarted.latest(origin: Self.origin)?.size == 12)
        _ = try Self.add(restarted, old: 12, to: 20, in: tree).get()
    }

    @Test("a cosigned empty tree is followed by any first checkpoint, without a proof")
    func afterAnEmptyTree() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("osg-witness-\(UInt64.random(in: 0...UInt64.max))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let witness = try Self.witness(directory)
        let empty = try SignedNote.sign(text: try Checkpoint(origin: Self.origin, size: 0, rootHash: RFC6962.emptyTreeRootHash).text, with: [Self.logSigner]).formatted
        _ = try witness.addCheckpoint(Witness.addCheckpointBody(oldSize: 0, proof: [], note: empty), now: 1).get()
        _ = try Self.add(witness, old: 0, to: 5, in: Self.tree(5)).get()
    }

    @Test("a fork, a rollback, another root at the same size, a bad proof, an unknown log and a forged signature are refused")
    func refusals() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("osg-witness-\(UInt64.random(in: 0...UInt64.max))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let honest = Self.tree(12), forked = Self.tree(12, fork: 6)
        let witness = try Self.witness(directory)
        _ = try Self.add(witness, old: 0, to: 8, in: honest).get()
        func code(_ result: Result<NoteSignature, Witness.Refusal>) -> String? {
            if case .failure(let refusal) = result { "\(refusal.status) \(refusal.code)" } else { nil }
        }
        // The split view: the forked log at the size already cosigned, and beyond it.
        let fork = try Self.add(witness, old: 8, to: 8, in: forked)
        #expect(code(fork) == "409 fork")
        if case .failure(let refusal) = fork { #expect(refusal.latestSize == nil, "a fork is no size to retry from") }
        #expect(code(try Self.add(witness, old: 8, to: 12, in: forked)) == "422 inconsistent")
        // The honest proof with the forked checkpoint, and the forked proof with the honest one.
        #expect(code(try Self.add(witness, old: 8, to: 12, in: forked, proofFrom: honest)) == "422 inconsistent")
        #expect(code(try Self.add(witness, old: 8, to: 12, in: honest, proofFrom: forked)) == "422 inconsistent")
        let rollback = Witness.addCheckpointBody(oldSize: 8, proof: [], note: try Self.note(honest, size: 6))
        #expect(code(witness.addCheckpoint(rollback, now: 1)) == "400 old_size_above_size")
        let stranger = try NoteSignerKey(name: Self.origin, seed: Array(repeating: 9, count: 32))
        let forged = Witness.addCheckpointBody(oldSize: 8, proof: try honest.consistencyProof(from: 8, to: 12), note: try Self.note(honest, size: 12, signer: stranger))
        #expect(code(witness.addCheckpoint(forged, now: 1)) == "403 bad_signature")
        let otherLog = try NoteSignerKey(name: "other.test/log", seed: Array(repeating: 1, count: 32))
        let unknown = Witness.addCheckpointBody(oldSize: 0, proof: [], note: try SignedNote.sign(text: try Checkpoint(origin: "other.test/log", size: 1, rootHash: try honest.rootHash(size: 1)).text, with: [otherLog]).formatted)
        #expect(code(witness.addCheckpoint(unknown, now: 1)) == "404 unknown_log")
        for garbage in ["", "old 8\n", "old 08\n\nx", "old 8\nnot-base64\n\n" + (try Self.note(honest, size: 12)), "new 8\n\n" + (try Self.note(honest, size: 12))] {
            #expect(code(witness.addCheckpoint(Array(garbage.utf8), now: 1)) == "400 malformed", "\(garbage.prefix(20))")
        }
        // Nothing refused moved the record.
        #expect(witness.latest(origin: Self.origin)?.size == 8)
        _ = try Self.add(witness, old: 8, to: 12, in: honest).get()
    }
}
