import ArgumentParser
import OSGAuditTool

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
            ValidateCommand.self,
            ImportCommand.self,
            ExportCommand.self,
            BlobsCommand.self,
            ResultsCommand.self,
            KeysCommand.self,
            LedgerCommand.self,
            BenchCommand.self,
            LogCommand.self,
            AuditCommand.self,
            MarketCommand.self,
            SimCommand.self,
            DevnetCommand.self,
            ServeCommand.self,
            SubmitCommand.self,
            JobsCommand.self,
            LogsCommand.self,
            CancelCommand.self,
            FaucetCommand.self,
            AccountCommand.self,
            TransferCommand.self,
            WithdrawCommand.self,
            DepositCommand.self,
            GovernanceCommand.self,
            SharesCommand.self,
            ValuationsCommand.self,
            ProvidersCommand.self,
            StatsCommand.self,
            PoolsCommand.self,
            GrantsCommand.self,
            CarbonCommand.self,
            NodesCommand.self,
            LockupCommand.self,
            AgentCommand.self,
            WitnessCommand.self,
        ]
    )

    public init() {}
}
