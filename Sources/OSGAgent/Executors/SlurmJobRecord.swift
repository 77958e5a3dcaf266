import Foundation

/// One job as `scontrol show job -o <id>` shows it: the fields the executor reads.
///
/// Parsing is pure and tested against recorded outputs (`Tests/OSGAgentTests/Fixtures/slurm`).
struct SlurmJobRecord: Sendable, Hashable {
    var jobID: String
    var name: String
    /// The base state (`RUNNING`, `COMPLETED`, `OUT_OF_MEMORY`, …).
    var state: String
    var reason: String
    /// `ExitCode=N:S`: the batch script's exit status and the signal that ended it.
    var exitStatus: Int32
    var exitSignal: Int32
    var workDirectory: String?

    /// Parses the one-line form; `nil` unless it has a `JobId` and a `JobState`.
    init?(scontrolLine line: Substring) {
        let fields = Self.fields(of: line)
        guard let jobID = fields["JobId"], let state = fields["JobState"] else { return nil }
        self.jobID = jobID
        self.name = fields["JobName"] ?? ""
        // `scontrol` may append flags (`COMPLETING`, `REQUEUED`) after a '+' in some versions.
        self.state = String(state.split(separator: "+").first ?? Substring(state))
        self.reason = fields["Reason"] ?? "None"
        let exit = (fields["ExitCode"] ?? "0:0").split(separator: ":")
        self.exitStatus = exit.count > 0 ? Int32(exit[0]) ?? 0 : 0
        self.exitSignal = exit.count > 1 ? Int32(exit[1]) ?? 0 : 0
        self.workDirectory = fields["WorkDir"]
    }

    /// The record of job `jobID` in `scontrol show job -o` output (one line per job).
    static func parse(scontrolOutput output: String, jobID: String) -> SlurmJobRecord? {
        output.split(separator: "\n").lazy.compactMap { SlurmJobRecord(scontrolLine: $0) }.first { $0.jobID == jobID }
    }

    /// Whether `scontrol show job <id>` failed because slurmctld no longer knows the job (it
    /// was purged `MinJobAge` seconds after it ended, or never existed), not because slurmctld
    /// could not be asked.
    static func isUnknownJob(stderr: String) -> Bool {
        stderr.contains("Invalid job id specified")
    }

    /// `Key=value` pairs separated by spaces. A value may itself hold spaces (`Command=`,
    /// `WorkDir=` of a path with a blank) or `=` (`TRES=cpu=1,mem=1G`): a word that does not
    /// start with `Key=` continues the previous value.
    static func fields(of line: Substring) -> [String: String] {
        var fields: [String: String] = [:]
        var lastKey: String?
        for word in line.split(separator: " ", omittingEmptySubsequences: false) {
            if let equals = word.firstIndex(of: "="), isKey(word[..<equals]) {
                let key = String(word[..<equals])
                fields[key] = String(word[word.index(after: equals)...])
                lastKey = key
            } else if let key = lastKey, !word.isEmpty {
                fields[key, default: ""] += " " + word
            }
        }
        return fields
    }

    /// Slurm's keys: letters, digits and `/ : _` (`Socks/Node`, `ReqB:S:C:T`, `MCS_label`).
    private static func isKey(_ text: Substring) -> Bool {
        guard let first = text.first, first.isLetter else { return false }
        return text.allSatisfy { $0.isLetter || $0.isNumber || $0 == "/" || $0 == ":" || $0 == "_" }
    }
}
