import ArgumentParser

/// `osg log`: the transparency log's formats, checked from the command line.
///
/// The verify verbs read the same formats the rest of the transparency ecosystem uses
/// (RFC 6962 proofs, C2SP signed notes), so they work on other logs' data as well as ours.
/// Exit status: 0 verified, 1 rejected, 2 malformed input.
struct LogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "Verify transparency-log proofs and signed checkpoints; publish a log directory; print its checkpoint; measure.",
        discussion: """
            verify-* exit with 0 when the proof or note verifies, 1 when it is rejected, \
            and 2 when the input is malformed (unreadable file, bad JSON, missing field, bad key).
            """,
        subcommands: [
            LogVerifyInclusionCommand.self,
            LogVerifyConsistencyCommand.self,
            LogVerifyNoteCommand.self,
            LogBenchCommand.self,
            LogCheckpointCommand.self,
            LogPublishCommand.self,
            LogCommandBytesCommand.self,
        ]
    )
}
