import ArgumentParser
import OSGLog

/// `osg log verify-consistency FILE.json`: checks an RFC 6962 consistency proof given in the
/// transparency-dev/merkle test-vector format.
struct LogVerifyConsistencyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-consistency",
        abstract: "Verify an RFC 6962 consistency proof (transparency-dev/merkle JSON format).",
        discussion: """
            FILE holds size1, size2, root1, root2 and proof (base64 hashes). \
            Exit 0 when the proof verifies, 1 when it is rejected, 2 on malformed input.
            """
    )

    @Argument(help: "JSON file with size1, size2, root1, root2, proof.")
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
        let vector: ConsistencyProofVector
        do {
            vector = try ConsistencyProofVector.decode(json: .init(data))
        } catch {
            return .malformed(code: error.code.rawValue, "\(error.field): \(error.message)")
        }
        do {
            try vector.verify()
            return .verified("the tree of size \(vector.size2) extends the tree of size \(vector.size1)")
        } catch {
            return .rejected(code: error.code.rawValue, error.message)
        }
    }
}
