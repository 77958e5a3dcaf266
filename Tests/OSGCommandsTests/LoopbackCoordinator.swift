import Foundation
import HummingbirdTesting
import OSGServer
import OSGStore
import Testing

/// A coordinator for client tests: on 127.0.0.1, port 0, a fresh SQLite store in a temporary
/// folder, no market timer unless `configure` sets one.
enum LoopbackCoordinator {
    /// Runs `body` with the coordinator's port; `configure` adjusts the settings first.
    static func run<T: Sendable>(
        configure: (inout ServerConfiguration) throws -> Void = { _ in },
        _ body: @escaping @Sendable (Int) async throws -> T
    ) async throws -> T {
        let directory = temporaryPath("coordinator")
        try FileManager.default.createDirectory(atPath: directory + "/log", withIntermediateDirectories: true)
        var configuration = ServerConfiguration(governanceKey: .init())
        configuration.dataDirectory = directory
        configuration.port = 0
        configuration.clearIntervalSeconds = 0
        try configure(&configuration)
        let store = try await CoordinatorStore.open(dataDirectory: directory, databaseURL: nil)
        let coordinator = try await Coordinator.open(configuration, store: store)
        let result = try await coordinator.application().test(.live) { client in
            try await body(try #require(client.port))
        }
        await coordinator.shutdownStoreForTests(dropSchema: false)
        return result
    }
}
