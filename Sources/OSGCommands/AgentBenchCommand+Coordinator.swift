import ArgumentParser
import Crypto
import Foundation
import Logging
import OSGServer
import ServiceLifecycle
import Synchronization

extension AgentBenchCommand {
    /// A coordinator served from this process, as `osg serve` runs it: on 127.0.0.1 and a free
    /// port, a SQLite store in its own data folder. ``stop(timeoutSeconds:)`` shuts it down
    /// gracefully (as SIGTERM would) and closes the store.
    final class LocalCoordinator: Sendable {
        let url: String
        private let coordinator: Coordinator
        private let services: ServiceGroup
        private let server: WatchedTask

        private init(url: String, coordinator: Coordinator, services: ServiceGroup, server: WatchedTask) {
            self.url = url
            self.coordinator = coordinator
            self.services = services
            self.server = server
        }

        /// Opens a new store in `dataDirectory` and serves it; returns once the server listens
        /// (at most `timeoutSeconds`). `configure` adjusts `osg serve`'s defaults first.
        static func start(
            dataDirectory: String, timeoutSeconds: Double = 30, logger: Logger, configure: (inout ServerConfiguration) -> Void
        ) async throws -> LocalCoordinator {
            try FileManager.default.createDirectory(
                atPath: dataDirectory + "/log", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            var configuration = ServerConfiguration(governanceKey: Curve25519.Signing.PrivateKey())
            configuration.dataDirectory = dataDirectory
            configuration.host = "127.0.0.1"
            configuration.port = 0
            configure(&configuration)
            let store = try await CoordinatorStore.open(dataDirectory: dataDirectory, databaseURL: nil)
            try await store.initialize(genesis: configuration.genesis)
            let coordinator = try await Coordinator.open(configuration, store: store, logger: logger)
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
                    "the in-process coordinator did not start listening within \(Int(timeoutSeconds)) s\(server.failure.map { ": \($0)" } ?? "")")
            }
            return LocalCoordinator(url: "http://127.0.0.1:\(port)", coordinator: coordinator, services: services, server: server)
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
            await AgentBenchCommand.poll(seconds: timeoutSeconds, every: .milliseconds(50)) { self.hasEnded }
        }
    }

    /// Checks `condition` every `interval` for at most `seconds`; whether it came to hold.
    static func poll(seconds: Double, every interval: Duration = .milliseconds(100), _ condition: () async throws -> Bool) async rethrows -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + .milliseconds(Int64(seconds * 1_000))
        while clock.now < deadline {
            if try await condition() { return true }
            try? await Task.sleep(for: interval)
        }
        return try await condition()
    }
}
