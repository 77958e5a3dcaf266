import Foundation

// The small outputs of squeue, scontrol ping and sbatch, parsed; pure, tested against recorded
// outputs like ``SlurmJobRecord``.

/// One line of `squeue --noheader --states=all --format=%i|%T|%j|%Z`.
struct SlurmQueueEntry: Sendable, Hashable {
    static let format = "%i|%T|%j|%Z"

    var jobID: String
    var state: String
    var name: String
    var workDirectory: String

    init?(line: Substring) {
        let parts = line.split(separator: "|", maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count == 4, !parts[0].isEmpty else { return nil }
        jobID = String(parts[0])
        state = String(parts[1])
        name = String(parts[2])
        workDirectory = String(parts[3])
    }

    static func parse(_ output: String) -> [SlurmQueueEntry] {
        output.split(separator: "\n").compactMap { SlurmQueueEntry(line: $0) }
    }
}

/// What `scontrol ping` says about the controllers.
enum SlurmPing {
    /// Whether a controller says `is UP` (`Slurmctld(primary) at vm is UP`).
    static func isUp(_ output: String) -> Bool {
        output.split(separator: "\n").contains { $0.hasSuffix("is UP") }
    }
}

/// What `sbatch --parsable` prints: `<job id>` or `<job id>;<cluster>`.
enum SlurmSubmitOutput {
    static func jobID(_ output: String) -> String? {
        guard let line = output.split(separator: "\n").last(where: { !$0.isEmpty }) else { return nil }
        let id = String(line.split(separator: ";").first ?? "").trimmingCharacters(in: .whitespaces)
        return SlurmSubmission.isJobID(id) ? id : nil
    }
}
