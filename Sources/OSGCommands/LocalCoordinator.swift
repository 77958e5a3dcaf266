import ArgumentParser
import Crypto
import Foundation
import Logging
import OSGServer
import ServiceLifecycle
import Synchronization

/// The store, the transparency-log publisher and the coordinator that `osg serve` and
/// `osg devnet` open in the same way, before serving.
struct CoordinatorLaunch {
    var store: CoordinatorStore
    var publisher: TransparencyLogPublisher?
    var coordinator: Coordinator

    /// Opens the store of `configuration` (creating its genesis the first time), the
    /// transparency log in its log folder (signed with the governance key, a checkpoint at most
    /// every `checkpointInterval`; `nil`: no published log) and the coordinator, which replays
    /// the log.
    static func open(_ configuration: ServerConfiguration, checkpointInterval: Duration?, logger: Logger) async throws -> CoordinatorLaunch {
        try FileManager.default.createDirectory(
            atPath: configuration.logDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let store = try await CoordinatorStore.open(dataDirectory: configuration.dataDirectory, databaseURL: configuration.databaseURL)
        // An existing log keeps its genesis (its faucet, the rules of the version that made it).
        let configuration = configuration.adopting(storedGenesis: try await store.genesis())
        try await store.initialize(genesis: configuration.genesis)
        let publisher: TransparencyLogPublisher? = if let checkpointInterval {
            try await TransparencyLogPublisher.open(
                directory: configuration.logDirectory, origin: configuration.logOrigin,
                seed: Array(configuration.governanceKey.rawRepresentation), store: store, checkpointInterval: checkpointInterval,
                cosigner: configuration.witnesses.isEmpty ? nil : CheckpointCosigner(endpoints: configuration.witnesses, logger: logger))
        } else {
            nil
        }
        let coordinator = try await Coordinator.open(configuration, store: store, observers: publisher.map { [$0] } ?? [], logger: logger)
        return CoordinatorLaunch(store: store, publisher: publisher, coordinator: coordinator)
    }

    /// A clean stop's last checkpoint: whatever the interval held back is published.
    func publishFinalCheckpoint(logger: Logger) async {
        guard let publisher else { return }
        do {
            try await publisher.publish(state: await coordinator.currentState())
        } catch {
            logger.error("could not publish the final checkpoint", metadata: ["error": "\(error)"])
        }
    }
}

/// A coordinator served from this process, as `osg serve` runs it: on 127.0.0.1 and a free
/// port, a SQLite store in its own data folder. ``stop(timeoutSeconds:)`` shuts it down
/// gracefully (as SIGTERM would) and closes the store.
final class LocalCoordinator: Sendable {
    /// Where it listens, e.g. `http://127.0.0.1:7070`.
    let url: String
    let port: Int
    private let launch: CoordinatorLaunch
    private let services: ServiceGroup
    private let server: WatchedTask
    private let logger: Logger

    private init(url: String, port: Int, launch: CoordinatorLaunch, services: ServiceGroup, server: WatchedTask, logger: Logger) {
        self.url = url
        self.port = port
        self.launch = launch
        self.services = services
        self.server = server
        self.logger = logger
    }

    /// The running coordinator.
    var coordinator: Coordinator { launch.coordinator }

    /// Whether the server stopped by itself, and why (`nil` while it serves).
    var failure: String? { server.failure }

    /// Opens a new store in `dataDirectory` under a fresh governance key and serves it on
    /// 127.0.0.1 and a free port, without a published log; `configure` adjusts `osg serve`'s
    /// defaults first.
    static func start(
        dataDirectory: String, timeoutSeconds: Double = 30, logger: Logger, configure: (inout ServerConfiguration) -> Void
    ) async throws -> LocalCoordinator {
        var configuration = ServerConfiguration(governanceKey: Curve25519.Signing.PrivateKey())
        configuration.dataDirectory = dataDirectory
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configure(&configuration)
        return try await start(configuration, checkpointInterval: nil, timeoutSeconds: timeoutSeconds, logger: logger)
    }

    /// Opens (or reopens) the store of `configuration` and serves it; returns once the server
    /// listens (at most `timeoutSeconds`). With a `checkpointInterval` the transparency log is
    /// published under `/log/` as `osg serve` publishes it.
    static func start(
        _ configuration: ServerConfiguration, checkpointInterval: Duration?, timeoutSeconds: Double = 30, logger: Logger
    ) async throws -> LocalCoordinator {
        let launch = try await CoordinatorLaunch.open(configuration, checkpointInterval: checkpointInterval, logger: logger)
        let coordinator = launch.coordinator
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let application = coordinator.application { port in
            continuation.yield(port)
            continuation.finish()
        }
        let services = ServiceGroup(configuration: .init(services: [application], logger: logger))
        let server = WatchedTask {
            defer { continuation.finish() }
            try await services.run()
        }
        let port = await firstValue(of: ports, timeoutSeconds: timeoutSeconds)
        guard let port, port > 0 else {
            server.cancel()
            _ = await server.waitForEnd(timeoutSeconds: 10)
            await coordinator.shutdownStoreForTests(dropSchema: false)
            throw CleanExit.failure(
                "the coordinator did not start listening on \(configuration.host):\(configuration.port) within \(Int(timeoutSeconds)) s\(server.failure.map { ": \($0)" } ?? "")")
        }
        return LocalCoordinator(url: "\(configuration.scheme)://\(configuration.host):\(port)", port: port, launch: launch,
                                services: services, server: server, logger: logger)
    }

    /// Stops serving (a graceful shutdown, as on SIGTERM: open requests are answered first;
    /// cancelled after `timeoutSeconds`) and closes the store; `false` if the server did not
    /// stop even then (the store is left open, the process's end closes it).
    @discardableResult
    func stop(timeoutSeconds: Double = 30) async -> Bool {
        await services.triggerGracefulShutdown()
        if !(await server.waitForEnd(timeoutSeconds: timeoutSeconds)) {
            server.cancel()
            guard await server.waitForEnd(timeoutSeconds: 5) else { return false }
        }
        await launch.publishFinalCheckpoint(logger: logger)
        await coordinator.shutdownStoreForTests(dropSchema: false)
        return true
    }

    /// The stream's first value, or `nil` if it ends or `timeoutSeconds` pass first.
    private static func firstValue(of stream: AsyncStream<Int>, timeoutSeconds: Double) async -> Int? {
        await withTaskGroup(of: Int?.self) { group in
            group.addTask {
                var values = stream.makeAsyncIterator()
                return await values.next()
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(timeoutSeconds))
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }
}

/// A task whose end can be awaited with a bound (a task that ignores cancellation would
/// otherwise hold the bench forever), and whose error is kept.
final class WatchedTask: Sendable {
    private final class Outcome: Sendable {
        /// `nil` while running; then the error's description, or `""` for a clean end.
        let ending = Mutex<String?>(nil)
    }

    private let task: Task<Void, Never>
    private let outcome: Outcome

    init(_ body: @escaping @Sendable () async throws -> Void) {
        let outcome = Outcome()
        self.outcome = outcome
        task = Task {
            let ending: String
            do {
                try await body()
                ending = ""
            } catch is CancellationError {
                ending = ""
            } catch {
                ending = "\(error)"
            }
            outcome.ending.withLock { $0 = ending }
        }
    }

    var hasEnded: Bool { outcome.ending.withLock { $0 != nil } }

    /// Why the task failed, once it has; `nil` while it runs or after a clean end.
    var failure: String? { outcome.ending.withLock { $0.flatMap { $0.isEmpty ? nil : $0 } } }

    func cancel() { task.cancel() }

    /// Whether the task ended within `timeoutSeconds` (checked every 50 ms).
    func waitForEnd(timeoutSeconds: Double) async -> Bool {
        await Polling.until(seconds: timeoutSeconds, every: .milliseconds(50)) { self.hasEnded }
    }
}

/// Waiting for a condition that nothing announces.
enum Polling {
    /// Checks `condition` every `interval` for at most `seconds`; whether it came to hold.
    static func until(seconds: Double, every interval: Duration = .milliseconds(100), _ condition: () async throws -> Bool) async rethrows -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + .milliseconds(Int64(seconds * 1_000))
        while clock.now < deadline {
            if try await condition() { return true }
            try? await Task.sleep(for: interval)
        }
        return try await condition()
    }
}
