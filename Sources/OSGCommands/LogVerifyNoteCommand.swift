import ArgumentParser
import OSGLog

/// `osg log verify-note --key VKEY FILE`: checks a C2SP signed note (such as a checkpoint)
/// against a trusted Ed25519 verifier key.
struct LogVerifyNoteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-note",
        abstract: "Verify a C2SP signed note (e.g. a log checkpoint) against a verifier key.",
        discussion: """
            VKEY is <name>+<8 hex digits>+<base64 key>, e.g. \
            sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8. \
            Signatures by other keys are ignored. Exit 0 when a signature by the key verifies, \
            1 when none does, 2 on malformed input (unreadable file, malformed note or key).
            """
    )

    @Option(name: .long, help: "Trusted verifier key; repeat to trust several.")
    var key: [String]

    @Argument(help: "File holding the signed note.")
    var file: String

    @Flag(name: .long, help: "Print one JSON object {verified, reason, code}.")
    var json = false

    func validate() throws {
        guard !key.isEmpty else { throw ValidationError("give at least one --key") }
    }

    func run() throws {
        try Self.verdict(forFile: file, keys: key).emit(json: json)
    }

    static func verdict(forFile path: String, keys keyStrings: [String]) -> VerdictReport {
        let keys: [NoteVerifierKey]
        do {
            keys = try keyStrings.map { (keyString) throws(LogFormatError) in try NoteVerifierKey(parsing: keyString) }
        } catch {
            return LogMalformedInput(error).report
        }
        let note: SignedNote
        do {
            note = try LogMalformedInput.parse(file: path) { bytes throws(LogFormatError) in try SignedNote(parsing: bytes) }
        } catch {
            return error.report
        }
        switch note.verify(with: keys) {
        case .verified(let names):
            var reason = "signed by \(names.joined(separator: ", "))"
            if let checkpoint = try? Checkpoint(parsing: note.text) {
                reason += "; checkpoint \"\(checkpoint.origin)\" size \(checkpoint.size) root \(Base64.encode(checkpoint.rootHash))"
            }
            return .verified(reason)
        case .rejected(let rejection):
            return .rejected(code: rejection.code.rawValue, rejection.message)
        }
    }
}
