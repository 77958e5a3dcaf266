import ArgumentParser
import OSGLog

/// `osg log verify-inclusion FILE.json`: checks an RFC 6962 inclusion proof given in the
/// transparency-dev/merkle test-vector format.
struct LogVerifyInclusionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-inclusion",
        abstract: "Verify an RFC 6962 inclusion proof (transparency-dev/merkle JSON format).",
        discussion: """
            FILE holds leafIdx, treeSize, root, leafHash and proof (base64 hashes). \
            Exit 0 when the proof verifies, 1 when it is rejected, 2 on malformed input.
            """
    )

    @Argument(help: "JSON file with leafIdx, treeSize, root, leafHash, proof.")
    var file: String

    @Flag(name: .long, help: "Print one JSON object {verified, reason, code}.")
    var json = false

    func run() throws {
        try Self.verdict(forFile: file).emit(json: json)
    }

    static func verdict(forFile path: String) -> VerdictReport {
        let data: [UInt8]
        switch VerdictReport.readFile(path) {
        case .success(let contents): data = contents
        case .failure(let unreadable): return unreadable.report
        }
        let vector: InclusionProofVector
        do {
            vector = try InclusionProofVector.decode(json: .init(data))
        } catch {
            return .malformed(code: error.code.rawValue, "\(error.field): \(error.message)")
        }
        do {
            try vector.verify()
            return .verified("leaf \(vector.leafIndex) is included in the tree of size \(vector.treeSize)")
        } catch {
            return .rejected(code: error.code.rawValue, error.message)
        }
    }
}
