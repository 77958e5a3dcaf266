import ArgumentParser
import Foundation

/// How the `osg log verify-*` verbs report a verdict: one line of text or one JSON object
/// `{"verified": Bool, "reason": String, "code": String}`, then the exit status
/// (0 verified, 1 rejected, 2 malformed input).
struct VerdictReport: Encodable {
    /// Exit status for a verified input.
    static let verifiedStatus: Int32 = 0
    /// Exit status for a well-formed input that does not verify.
    static let rejectedStatus: Int32 = 1
    /// Exit status for input that cannot be read or parsed.
    static let malformedStatus: Int32 = 2

    let verified: Bool
    let reason: String
    let code: String

    /// The exit status this verdict ends the command with.
    let status: Int32

    static func verified(_ reason: String) -> VerdictReport {
        VerdictReport(verified: true, reason: reason, code: "verified", status: verifiedStatus)
    }

    static func rejected(code: String, _ reason: String) -> VerdictReport {
        VerdictReport(verified: false, reason: reason, code: code, status: rejectedStatus)
    }

    static func malformed(code: String, _ reason: String) -> VerdictReport {
        VerdictReport(verified: false, reason: "malformed input: \(reason)", code: code, status: malformedStatus)
    }

    enum CodingKeys: String, CodingKey { case verified, reason, code }

    /// Prints the verdict and ends the command with its exit status.
    func emit(json: Bool) throws {
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(self), as: UTF8.self))
        } else if verified {
            print("verified: \(reason)")
        } else if status == Self.rejectedStatus {
            print("rejected: \(code): \(reason)")
        } else {
            FileHandle.standardError.write(Data("osg log: \(code): \(reason)\n".utf8))
        }
        if status != Self.verifiedStatus { throw ExitCode(status) }
    }

    /// Reads a whole file, or gives the malformed-input verdict.
    static func readFile(_ path: String) -> Result<[UInt8], UnreadableFile> {
        do {
            return .success(Array(try InputFile.readData(path)))
        } catch {
            return .failure(UnreadableFile(report: .malformed(code: "unreadable_file", "\(error)")))
        }
    }

    /// A file that could not be read, with the verdict to report.
    struct UnreadableFile: Error {
        let report: VerdictReport
    }
}
