import OSGCore

/// Something that follows the command log as it grows, such as the transparency-log writer
/// that publishes checkpoints and tiles.
///
/// The coordinator calls ``didAppend(_:state:)`` after each durable append and after the
/// entries are applied, before it answers the requests that issued them; calls never overlap
/// and arrive in log order. A thrown error is logged and counted
/// (`osg_observer_failures_total`) but does not undo the entries: they are already durable.
public protocol CommandLogObserver: Sendable {
    /// Called with the entries just appended and the state after applying them.
    func didAppend(_ entries: [LogEntry], state: CoordinatorState) async throws
}
