import FuzzSupport
import OSGLog

// C2SP signed notes, checkpoints, cosignatures and keys: what an auditor, a witness and every
// client that reads state parse from a coordinator they do not trust. Decoders:
//   0: a signed note, then its checkpoint, its log signature and its cosignatures;
//   1: a checkpoint's text;  2: a note verifier key;  3: a cosigner key;  4: a note signer key.
// Properties: no crash, hang or unbounded allocation; what parses formats back to the same value.

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    FuzzInput.writeSeedsIfAsked {
        let tree = FuzzLog.tree(size: 5)
        let cosigned = try FuzzLog.note(of: tree, cosignedAt: 1_795_000_000)
        let extended = try Checkpoint(origin: "fuzz.example/log", size: 5, rootHash: tree.rootHash(), extensionLines: ["timestamp 1795000000"])
        return [
            ("note", FuzzInput.seed(choice: 0, Array(try FuzzLog.note(of: tree).formatted.utf8))),
            ("note-cosigned", FuzzInput.seed(choice: 0, Array(cosigned.formatted.utf8))),
            ("checkpoint", FuzzInput.seed(choice: 1, Array(extended.text.utf8))),
            ("verifier-key", FuzzInput.seed(choice: 2, Array(FuzzKeys.logSigner.verifierKey.description.utf8))),
            ("cosigner-key", FuzzInput.seed(choice: 3, Array(FuzzKeys.witness.verifierKey.description.utf8))),
            ("signer-key", FuzzInput.seed(choice: 4, Array(FuzzKeys.logSigner.privateKeyString.utf8))),
        ].map { (name: $0.0, bytes: $0.1) }
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let (choice, payload) = FuzzInput.split(FuzzInput.bytes(data, count), choices: 5)
    let text = FuzzInput.text(payload)
    switch choice {
    case 0:
        guard let note = try? SignedNote(parsing: payload) else { return 0 }
        FuzzInput.require((try? SignedNote(parsing: note.formatted)) == note, "note does not read back from its formatted text")
        _ = note.verify(with: FuzzKeys.logSigner.verifierKey)
        _ = CosignerKey.validCosigners(of: note, among: [FuzzKeys.witness.verifierKey], notBefore: 1_700_000_000)
        if let checkpoint = try? Checkpoint(parsing: note.text) {
            FuzzInput.require((try? Checkpoint(parsing: checkpoint.text)) == checkpoint, "checkpoint does not read back from its text")
        }
    case 1:
        if let checkpoint = try? Checkpoint(parsing: text) {
            FuzzInput.require((try? Checkpoint(parsing: checkpoint.text)) == checkpoint, "checkpoint does not read back from its text")
        }
    case 2:
        if let key = try? NoteVerifierKey(parsing: text) {
            FuzzInput.require((try? NoteVerifierKey(parsing: key.description)) == key, "verifier key does not read back")
        }
    case 3:
        if let key = try? CosignerKey(parsing: text) {
            FuzzInput.require((try? CosignerKey(parsing: key.description)) == key, "cosigner key does not read back")
        }
    default:
        if let key = try? NoteSignerKey(parsing: text) {
            FuzzInput.require((try? NoteSignerKey(parsing: key.privateKeyString))?.verifierKey == key.verifierKey, "signer key does not read back")
        }
    }
    return 0
}

@_cdecl("FuzzSignedNotes_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    FuzzDriver.run(argc, argv, fuzz)
}
