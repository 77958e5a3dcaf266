import ArgumentParser

/// The root of the `osg` command line: one binary, one verb per capability.
///
/// Every verb supports `--help`; verbs that print results also take `--json`.
public struct OSGCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "osg",
        abstract: "OpenStargate: an open, verifiable market for GPU compute.",
        version: OSGVersion.current,
        subcommands: [
            VersionCommand.self,
            LogCommand.self,
        ]
    )

    public init() {}
}

extension OSGCommand {
    /// Parses the process arguments, runs the chosen verb (awaiting it when it is async) and
    /// exits with its status.
    ///
    /// `await OSGCommand.main()` from top-level code resolves, with Swift 6.3, to the synchronous
    /// `ParsableCommand.main()`, which refuses an asynchronous root command ("Asynchronous root
    /// command needs availability annotation"), so the binary calls this instead.
    public static func runFromCommandLine(_ arguments: [String]? = nil) async {
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
