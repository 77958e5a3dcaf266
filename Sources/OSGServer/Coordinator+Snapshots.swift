import Logging
import OSGCore
import OSGStore

extension Coordinator {
    /// Waits until the snapshot being taken, if any, is stored (tests and benchmarks).
    public func waitForSnapshot() async {
        await snapshotter.waitForInFlight()
    }

    /// Recovers the state of `store` exactly as ``open(_:store:observers:clock:logger:)`` does —
    /// the newest good snapshot, the log after it, the clean-stop check — without starting a
    /// coordinator (benchmarks and tools).
    public static func recoverState(
        store: CoordinatorStore, genesis: Genesis, dataDirectory: String, logger: Logger = Logger(label: "openstargate.recovery")
    ) async throws -> (state: CoordinatorState, outcome: RecoveryOutcome) {
        let started = ContinuousClock.now
        let (processor, report) = try await SnapshotRecovery(store: store, logger: logger).recover(genesis: genesis)
        try await RecoveryCheck(store: store, dataDirectory: dataDirectory).verify(processor.state, knownDigest: report.verifiedDigest)
        var outcome = RecoveryOutcome(report, logLength: processor.state.nextSequence)
        outcome.duration = ContinuousClock.now - started
        return (processor.state, outcome)
    }
}
