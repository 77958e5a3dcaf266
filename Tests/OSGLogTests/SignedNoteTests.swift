import Testing
@testable import OSGLog

/// Known answers from Go's golang.org/x/mod/sumdb/note tests (note_test.go) and real signed
/// tree heads of the Go checksum database.
enum NoteVectors {
    static let peterVerifierKey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
    static let peterSignerKey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
    static let enochVerifierKey = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
    static let text = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
    static let peterSignature = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
    static let enochSignature = "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"

    static let sumGolangOrgKey = "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8"

    /// Signed tree heads of sum.golang.org. The first is from transparency-dev/formats
    /// (log/checkpoint_test.go, TestSumDBNoteParsing); the others were published in public
    /// repositories' tests and documentation. All verify under the key above.
    static let sumGolangOrgCheckpoints: [(size: UInt64, note: String)] = [
        (6_476_701, """
            go.sum database tree
            6476701
            mb8QLQIs0Z0yP5Cstq6guj87oXWeC9gEM8oVikmm9Wk=

            — sum.golang.org Az3grsLX85Gz+s1SiTbgkuqxgItqFq7gsMUEyVnrsa9LM7Us9S+1xbFIGu95949rj4nPRYfvimWEPWL+o3GeoWwOoAw=

            """),
        (15_067_302, """
            go.sum database tree
            15067302
            gJyioq6dwR9n+NjEWORfYmH+ubeYm3kH42BBQ0bTpYI=

            — sum.golang.org Az3grp1rvWOs5NKlr/xR4GLN/CDyzzakmt1o61uSxYKpK1SerqOP2ClbX/peKUZjYnyomH5Xz7GZG3TpB7OeKn4E2ww=

            """),
        (65_209_736, """
            go.sum database tree
            65209736
            5+uGFjx6xBZG8ip1+wi77v+grwbhhukIrxEUS8PXvRo=

            — sum.golang.org Az3grnbssgK7ubgFX36gVETtNv0U23qxyAhAMai2QUfeGa3nB/akvkMdlUErfcZz7l/R3cVtYspg3dxXABkGZZKdsQ8=

            """),
    ]
}

@Suite("C2SP signed notes")
struct SignedNoteTests {
    @Test("a real sum.golang.org checkpoint verifies under the Go checksum database key",
          arguments: NoteVectors.sumGolangOrgCheckpoints.map(\.note))
    func sumGolangOrgCheckpoint(note text: String) throws {
        let key = try NoteVerifierKey(parsing: NoteVectors.sumGolangOrgKey)
        #expect(key.name == "sum.golang.org")
        #expect(key.keyID == 0x033d_e0ae)
        let note = try SignedNote(parsing: text)
        #expect(note.verify(with: key) == .verified(keyNames: ["sum.golang.org"]))
        let checkpoint = try Checkpoint(parsing: note.text)
        #expect(checkpoint.origin == "go.sum database tree")
        #expect(NoteVectors.sumGolangOrgCheckpoints.contains { $0.size == checkpoint.size })
        #expect(note.formatted == text, "parsing and formatting round-trips byte for byte")
    }

    @Test("changing one digit of a signed checkpoint makes its signature invalid")
    func tamperedCheckpoint() throws {
        let key = try NoteVerifierKey(parsing: NoteVectors.sumGolangOrgKey)
        let forged = NoteVectors.sumGolangOrgCheckpoints[0].note.replacingFirst("6476701", with: "6476702")
        let verdict = try SignedNote(parsing: forged).verify(with: key)
        guard case .rejected(let rejection) = verdict else {
            Issue.record("forged checkpoint verified")
            return
        }
        #expect(rejection.code == .invalidSignature)
    }

    @Test("signing Go's test text with Go's test key gives Go's signature")
    func goKnownAnswer() throws {
        let signer = try NoteSignerKey(parsing: NoteVectors.peterSignerKey)
        #expect(signer.verifierKey.description == NoteVectors.peterVerifierKey)
        #expect(signer.privateKeyString == NoteVectors.peterSignerKey)
        let note = try SignedNote.sign(text: NoteVectors.text, with: [signer])
        let expected = NoteVectors.text + "\n" + NoteVectors.peterSignature
        #if canImport(Glibc) || canImport(Musl)
        // BoringSSL signs deterministically (RFC 8032); CryptoKit on Apple platforms randomises.
        #expect(note.formatted == expected)
        #endif
        let key = try NoteVerifierKey(parsing: NoteVectors.peterVerifierKey)
        #expect(note.verify(with: key).isVerified)
        #expect(try SignedNote(parsing: expected).verify(with: key).isVerified)
    }

    @Test("our own keys sign and verify, and a fresh key's strings parse back")
    func roundTrip() throws {
        let signer = try NoteSignerKey(name: "osg.example/log", seed: Array(repeating: 7, count: 32))
        let reparsed = try NoteSignerKey(parsing: signer.privateKeyString)
        #expect(reparsed.verifierKey == signer.verifierKey)
        let verifier = try NoteVerifierKey(parsing: signer.verifierKey.description)
        let note = try SignedNote.sign(text: "osg.example/log\n3\n\(Base64.encode([UInt8](repeating: 1, count: 32)))\n", with: [signer])
        let parsed = try SignedNote(parsing: note.formatted)
        #expect(parsed == note)
        #expect(parsed.verify(with: verifier) == .verified(keyNames: ["osg.example/log"]))

        let generated = try NoteSignerKey.generate(name: "fresh")
        #expect(try NoteSignerKey(parsing: generated.privateKeyString).keyID == generated.keyID)
    }

    @Test("signatures by unknown keys are ignored; one by the trusted key suffices")
    func unknownKeysIgnored() throws {
        let peter = try NoteVerifierKey(parsing: NoteVectors.peterVerifierKey)
        let enoch = try NoteVerifierKey(parsing: NoteVectors.enochVerifierKey)
        let note = try SignedNote(parsing: NoteVectors.text + "\n" + NoteVectors.enochSignature + NoteVectors.peterSignature)
        #expect(note.verify(with: peter) == .verified(keyNames: ["PeterNeumann"]))
        #expect(note.verify(with: [peter, enoch]) == .verified(keyNames: ["EnochRoot", "PeterNeumann"]))
        let onlyEnoch = try SignedNote(parsing: NoteVectors.text + "\n" + NoteVectors.enochSignature)
        guard case .rejected(let rejection) = onlyEnoch.verify(with: peter) else {
            Issue.record("a note signed only by an unknown key verified")
            return
        }
        #expect(rejection.code == .noSignatureByKey)
    }

    @Test("a signature line with the trusted name but another key hash is ignored")
    func wrongKeyHashIgnored() throws {
        let peter = try NoteVerifierKey(parsing: NoteVectors.peterVerifierKey)
        let wrongHash = NoteVectors.peterSignature.replacingFirst("x08g", with: "xxxx")
        let verdict = try SignedNote(parsing: NoteVectors.text + "\n" + wrongHash).verify(with: peter)
        #expect(verdict == .rejected(.init(code: .noSignatureByKey,
                                            message: "no signature by PeterNeumann+c74f20a3 among 1 signature line(s)")))
    }

    @Test("a bad signature by the trusted key rejects the note even if another line is good")
    func badTrustedSignatureRejects() throws {
        let peter = try NoteVerifierKey(parsing: NoteVectors.peterVerifierKey)
        let signature = NoteVectors.peterSignature
        let corrupted = String(signature.prefix(60)) + "ABCD" + String(signature.dropFirst(60))
        let verdict = try SignedNote(parsing: NoteVectors.text + "\n" + corrupted).verify(with: peter)
        guard case .rejected(let rejection) = verdict else {
            Issue.record("a corrupted signature verified")
            return
        }
        #expect(rejection.code == .invalidSignature)
    }

    @Test("malformed notes are format errors", arguments: [
        ("no blank line and no signature", NoteVectors.text, LogFormatError.Code.noteMissingBlankLine),
        ("blank line but no signature", NoteVectors.text + "\n", .noteNoSignatures),
        ("no final newline", NoteVectors.text + "\n" + NoteVectors.peterSignature.dropLast(), .noteMissingNewline),
        ("control character", "\u{01}" + NoteVectors.text + "\n" + NoteVectors.peterSignature, .noteInvalidText),
        ("tab", NoteVectors.text.replacingFirst(" ", with: "\t") + "\n" + NoteVectors.peterSignature, .noteInvalidText),
        ("space in key name", NoteVectors.text + "\n— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n", .badBase64),
        ("trailing garbage line", NoteVectors.text + "\n" + NoteVectors.peterSignature + "Unexpected line.\n", .noteBadSignatureLine),
        ("hyphens instead of em dash", NoteVectors.text + "\n" + NoteVectors.peterSignature.replacingFirst("—", with: "--"), .noteBadSignatureLine),
        ("bad base64", NoteVectors.text + "\n— PeterNeumann x08go/ZJkuBS9UG!!\n", .badBase64),
        ("signature too short", NoteVectors.text + "\n— PeterNeumann AAAA\n", .noteBadSignatureLine),
        ("plus in key name", NoteVectors.text + "\n— Peter+Neumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n", .badKeyName),
        ("101 signatures", NoteVectors.text + "\n" + String(repeating: NoteVectors.peterSignature, count: 101), .noteTooManySignatures),
    ])
    func malformedNote(name: String, note: String, code: LogFormatError.Code) {
        do {
            _ = try SignedNote(parsing: note)
            Issue.record("\(name) parsed")
        } catch {
            #expect(error.code == code, "\(name): \(error)")
        }
    }

    @Test("a note cannot be built with a signature that would not parse back")
    func unparseableSignaturesRefused() {
        #expect(throws: LogFormatError.self) {
            try SignedNote(text: "text\n", signatures: [NoteSignature(keyName: "two words", keyID: 1, signature: [1])])
        }
        #expect(throws: LogFormatError.self) {
            try SignedNote(text: "text\n", signatures: [NoteSignature(keyName: "name", keyID: 1, signature: [])])
        }
        #expect(throws: LogFormatError.self) { try SignedNote(text: "no newline", signatures: []) }
    }

    @Test("invalid UTF-8 is a format error")
    func invalidUTF8() {
        #expect(throws: LogFormatError.self) {
            try SignedNote(parsing: [0xFF] + Array((NoteVectors.text + "\n" + NoteVectors.peterSignature).utf8))
        }
    }

    @Test("the text is split from the signatures at the last blank line")
    func lastBlankLineSplits() throws {
        let signer = try NoteSignerKey(name: "poet", seed: Array(repeating: 3, count: 32))
        let text = "first stanza\n\nsecond stanza\n"
        let note = try SignedNote.sign(text: text, with: [signer])
        let parsed = try SignedNote(parsing: note.formatted)
        #expect(parsed.text == text)
        #expect(parsed.verify(with: signer.verifierKey).isVerified)
    }

    @Test("every truncation and every one-byte change of a verifier key is refused")
    func verifierKeyManglings() throws {
        let bytes = Array(NoteVectors.peterVerifierKey.utf8)
        _ = try NoteVerifierKey(parsing: NoteVectors.peterVerifierKey)
        for start in 0...bytes.count {
            for end in (start + 1)..<(bytes.count + 1) where !(start == 0 && end == bytes.count) {
                let mangled = String(decoding: bytes[start..<end], as: UTF8.self)
                #expect(throws: LogFormatError.self, "\(mangled)") { try NoteVerifierKey(parsing: mangled) }
            }
        }
        for position in bytes.indices {
            var changed = bytes
            changed[position] &+= 1
            let mangled = String(decoding: changed, as: UTF8.self)
            #expect(throws: LogFormatError.self, "\(mangled)") { try NoteVerifierKey(parsing: mangled) }
        }
    }

    @Test("keys with a wrong length or algorithm are refused even with a matching hash", arguments: [
        ("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==", LogFormatError.Code.badKey),
        ("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", .unsupportedKeyAlgorithm),
        ("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", .keyHashMismatch),
        ("PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", .badKey),
        ("+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", .badKeyName),
        ("PeterNeumann", .badKey),
    ])
    func badVerifierKeys(key: String, code: LogFormatError.Code) {
        do {
            _ = try NoteVerifierKey(parsing: key)
            Issue.record("\(key) parsed")
        } catch {
            #expect(error.code == code, "\(key): \(error)")
        }
    }

    @Test("mangled signer keys are refused")
    func signerKeyManglings() {
        let bytes = Array(NoteVectors.peterSignerKey.utf8)
        for position in bytes.indices {
            var changed = bytes
            changed[position] &+= 1
            let mangled = String(decoding: changed, as: UTF8.self)
            #expect(throws: LogFormatError.self, "\(mangled)") { try NoteSignerKey(parsing: mangled) }
        }
        #expect(throws: LogFormatError.self) { try NoteSignerKey(parsing: String(NoteVectors.peterSignerKey.dropLast(4))) }
    }

    @Test("the key ID is the first four bytes of SHA-256(name, newline, 0x01, key)")
    func keyIDDerivation() throws {
        let key = try NoteVerifierKey(parsing: NoteVectors.sumGolangOrgKey)
        #expect(NoteKeyName.keyID(name: "sum.golang.org", signatureType: 0x01, publicKey: key.publicKey) == 0x033d_e0ae)
        #expect(key.description == NoteVectors.sumGolangOrgKey)
    }
}

extension String {
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = range(of: target) else { return self }
        return replacingCharacters(in: range, with: replacement)
    }
}
