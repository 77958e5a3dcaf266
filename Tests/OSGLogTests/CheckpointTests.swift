import Testing
@testable import OSGLog

@Suite("C2SP checkpoints")
struct CheckpointTests {
    static let root = Base64.encode([UInt8](repeating: 0xAB, count: 32))

    @Test("a checkpoint formats and parses back, extension lines included")
    func roundTrip() throws {
        let checkpoint = try Checkpoint(origin: "osg.example/log", size: 20_852_163,
                                        rootHash: [UInt8](repeating: 0xAB, count: 32), extensionLines: ["ext one", "ext two"])
        #expect(checkpoint.text == "osg.example/log\n20852163\n\(Self.root)\next one\next two\n")
        #expect(try Checkpoint(parsing: checkpoint.text) == checkpoint)
    }

    @Test("the empty tree is size 0 with the SHA-256 of nothing")
    func emptyTree() throws {
        let checkpoint = try Checkpoint(parsing: "osg.example/log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n")
        #expect(checkpoint.size == 0)
        #expect(checkpoint.rootHash == RFC6962.emptyTreeRootHash)
    }

    @Test("malformed checkpoint bodies are refused", arguments: [
        ("no final newline", "o\n1\n\(root)"),
        ("two lines", "o\n1\n"),
        ("empty origin", "\n1\n\(root)\n"),
        ("leading zero", "o\n01\n\(root)\n"),
        ("plus sign", "o\n+1\n\(root)\n"),
        ("minus sign", "o\n-1\n\(root)\n"),
        ("size with space", "o\n1 \n\(root)\n"),
        ("size over 64 bits", "o\n18446744073709551616\n\(root)\n"),
        ("empty size", "o\n\n\(root)\n"),
        ("root not base64", "o\n1\nnot-base64!\n"),
        ("root of 31 bytes", "o\n1\n\(Base64.encode([UInt8](repeating: 1, count: 31)))\n"),
        ("root without padding", "o\n1\n\(root.dropLast())\n"),
        ("non-canonical root", "o\n1\n\(root.dropLast(2))9=\n"),
        ("empty extension line", "o\n1\n\(root)\n\n"),
        ("control character in origin", "o\u{7}\n1\n\(root)\n"),
    ])
    func malformed(name: String, text: String) {
        #expect(throws: LogFormatError.self, "\(name)") { try Checkpoint(parsing: text) }
    }

    @Test("the largest size parses")
    func largestSize() throws {
        #expect(try Checkpoint(parsing: "o\n18446744073709551615\n\(Self.root)\n").size == UInt64.max)
    }

    @Test("a checkpoint of our tree, signed and verified end to end")
    func signedCheckpointOfOurTree() throws {
        var tree = MerkleTree()
        for index in 0..<1000 { tree.append(entry: Array("entry \(index)".utf8)) }
        let signer = try NoteSignerKey(name: "osg.example/log", seed: Array(repeating: 42, count: 32))
        let checkpoint = try Checkpoint(origin: "osg.example/log", size: tree.size, rootHash: tree.rootHash())
        let published = try SignedNote.sign(text: checkpoint.text, with: [signer]).formatted

        let note = try SignedNote(parsing: published)
        #expect(note.verify(with: signer.verifierKey).isVerified)
        let received = try Checkpoint(parsing: note.text)
        let proof = try tree.inclusionProof(index: 123, size: received.size)
        try MerkleProof.verifyInclusion(leafHash: RFC6962.leafHash(of: Array("entry 123".utf8)), index: 123,
                                        size: received.size, proof: proof, root: received.rootHash)
    }
}
