import ArgumentParser
import Foundation
import OSGLog

/// `osg log verify-inclusion` and `osg log verify-consistency`: check an RFC 6962 proof given in
/// the transparency-dev/merkle test-vector format.
///
/// The two verbs differ only in the kind of vector they read, so one body serves both, and a
/// verb is this command specialised to a ``LogVerifiableProof`` (see
/// ``LogVerifyInclusionCommand`` and ``LogVerifyConsistencyCommand``).
struct LogVerifyProofCommand<Vector: LogVerifiableProof>: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: "verify-\(Vector.proofKind)",
            abstract: "Verify an RFC 6962 \(Vector.proofKind) proof (transparency-dev/merkle JSON format).",
            discussion: """
                FILE holds \(Vector.jsonFields.dropLast().joined(separator: ", ")) and \
                \(Vector.jsonFields.last ?? "") (base64 hashes). \
                Exit 0 when the proof verifies, 1 when it is rejected, 2 on malformed input.
                """
        )
    }

    @Argument(help: ArgumentHelp("JSON file with \(Vector.jsonFields.joined(separator: ", "))."))
    var file: String

    @Flag(name: .long, help: "Print one JSON object {verified, reason, code}.")
    var json = false

    func run() throws {
        try Self.verdict(forFile: file).emit(json: json)
    }

    static func verdict(forFile path: String) -> VerdictReport {
        let vector: Vector
        do {
            vector = try LogMalformedInput.parse(file: path) { bytes throws(LogFormatError) in
                try Vector.decode(json: Data(bytes))
            }
        } catch {
            return error.report
        }
        do {
            try vector.verify()
            return .verified(vector.verifiedReason)
        } catch {
            return .rejected(code: error.code.rawValue, error.message)
        }
    }
}
