import Foundation
import Logging
import HummingbirdTesting
import OSGServer
import OSGStore
import Testing

/// A coordinator for client tests: on 127.0.0.1, port 0, a fresh SQLite store in a temporary
/// folder, no market timer unless `configure` sets one.
enum LoopbackCoordinator {
    /// Runs `body` with the coordinator's port; `configure` adjusts the settings first.
    /// - Parameter directory: the data folder; a new temporary one by default (pass the same one
    ///   again to restart a coordinator on its data).
    static func run<T: Sendable>(
        directory: String? = nil, configure: (inout ServerConfiguration) throws -> Void = { _ in },
        logger: Logger = Logger(label: "openstargate.coordinator"),
        _ body: @escaping @Sendable (Int) async throws -> T
    ) async throws -> T {
        let directory = directory ?? temporaryPath("coordinator")
        try FileManager.default.createDirectory(atPath: directory + "/log", withIntermediateDirectories: true)
        var configuration = ServerConfiguration(governanceKey: .init())
        configuration.dataDirectory = directory
        configuration.port = 0
        configuration.clearIntervalSeconds = 0
        try configure(&configuration)
        let store = try await CoordinatorStore.open(dataDirectory: directory, databaseURL: nil)
        let coordinator = try await Coordinator.open(configuration, store: store, logger: logger)
        let result = try await coordinator.application().test(.live) { client in
            try await body(try #require(client.port))
        }
        await coordinator.shutdownStoreForTests(dropSchema: false)
        return result
    }
}

extension LoopbackCoordinator {
    /// Like ``run(directory:configure:_:)``, but serving on the configured port (the test
    /// framework's live mode picks its own), so a coordinator restarted on the same data folder
    /// answers at the same address. Stops the server (cancellation: a graceful shutdown) when
    /// `body` returns.
    static func serve<T: Sendable>(
        directory: String, configure: (inout ServerConfiguration) throws -> Void,
        _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        try FileManager.default.createDirectory(atPath: directory + "/log", withIntermediateDirectories: true)
        var configuration = ServerConfiguration(governanceKey: .init())
        configuration.dataDirectory = directory
        configuration.host = "127.0.0.1"
        try configure(&configuration)
        let store = try await CoordinatorStore.open(dataDirectory: directory, databaseURL: nil)
        let coordinator = try await Coordinator.open(configuration, store: store)
        let (started, continuation) = AsyncStream<Int>.makeStream()
        let application = coordinator.application { port in continuation.yield(port) }
        let server = Task { try await application.runService(gracefulShutdownSignals: []) }
        var ports = started.makeAsyncIterator()
        _ = await ports.next()
        let result: Result<T, any Error>
        do { result = .success(try await body()) } catch { result = .failure(error) }
        server.cancel()
        _ = await server.result
        await coordinator.shutdownStoreForTests(dropSchema: false)
        return try result.get()
    }
}

/// A port on 127.0.0.1 that nothing listens on right now.
func freeLoopbackPort() throws -> Int {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { throw POSIXError(.EMFILE) }
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0 }
    }
    guard bound else { throw POSIXError(.EADDRINUSE) }
    return Int(UInt16(bigEndian: address.sin_port))
}
