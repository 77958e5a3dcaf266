import ArgumentParser
import Foundation
import Logging
import Metrics
import OSGDomain
import OSGServer

/// `osg serve`: runs the coordinator (DESIGN.md §2, §7).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the coordinator: the HTTP API, the command log and the market timer.",
        discussion: """
            Every flag may also be given as an environment variable: OSG_DATA, OSG_DATABASE_URL, OSG_HOST,
            OSG_PORT, OSG_KEY, OSG_CLEAR_INTERVAL, OSG_RATE_LIMIT, OSG_MAX_BODY_BYTES, OSG_LOG_LEVEL, OSG_LOG_FORMAT,
            OSG_ORIGIN, OSG_CHECKPOINT_INTERVAL, OSG_BODY_BYTES_PER_SECOND, OSG_BODY_BYTES_BURST,
            OSG_SNAPSHOT_INTERVAL.
            Flags win over the environment. Stops cleanly on SIGTERM or SIGINT.
            """
    )

    @Option(name: .long, help: "Folder for the SQLite store, the coordinator key and the log files (default osg-data).")
    var data: String?

    @Option(name: .long, help: "Keep the command log in PostgreSQL: postgres://user:password@host:port/database.")
    var database: String?

    @Option(name: .long, help: "Address to listen on (default 127.0.0.1).")
    var host: String?

    @Option(name: .long, help: "Port to listen on; 0 picks a free port (default 7070).")
    var port: Int?

    @Option(name: .long, help: "The coordinator's key file (default DATA/coordinator.key, created if missing).")
    var key: String?

    @Option(name: .long, help: "Seconds between governance ticks and market clearings; 0 turns them off (default 5).")
    var clearInterval: Double?

    @Option(name: .long, help: "Seconds of silence after which a node goes offline (fixed when the log is created; default 90).")
    var heartbeatTimeout: Int64 = 90

    @Option(name: .long, help: "Sustained signed requests per second per key (burst twice that; default 2000).")
    var rateLimit: Double?

    @Option(name: .long, help: "Largest request body in bytes (default 1048576).")
    var maxBodyBytes: Int?

    @Option(name: .long, help: "Request-body bytes per second each key may send on average; past it, 429 (default 4194304).")
    var bodyBytesPerSecond: Int?

    @Option(name: .long, help: "Request-body bytes a key may send at once, at least --max-body-bytes (default 16777216).")
    var bodyBytesBurst: Int?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical (default info).")
    var logLevel: String?

    @Option(name: .long, help: "Log format: json (one object per line) or text (default json).")
    var logFormat: String?

    @Option(name: .long, help: "Origin of the transparency log (its C2SP name; default openstargate/<first 16 hex digits of the coordinator key>).")
    var origin: String?

    @Option(name: .long, help: "Shortest time between two signed checkpoints, in seconds; 0 signs one after every batch (default 10; each publishes a state summary, which costs what is live, written in the background).")
    var checkpointInterval: Double?

    @Option(name: .long, help: "Log entries between two state snapshots (a restart loads the newest and replays only the entries after it); 0 snapshots only at a clean stop (default 100000).")
    var snapshotInterval: UInt64?

    @Flag(name: .long, help: "Print one JSON object when listening (address, port, governance key) instead of text.")
    var json = false

    @Flag(name: .long, help: "Run a devnet faucet: POST /v1/faucet (`osg faucet`) gives capped credits to any key. Never on a network with real money (keys are free). Also OSG_DEVNET_FAUCET=1.")
    var devnetFaucet = false

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        func setting(_ flag: String?, _ name: String) -> String? { flag ?? environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        let dataDirectory = setting(data, "OSG_DATA") ?? "osg-data"
        let level = setting(logLevel, "OSG_LOG_LEVEL") ?? "info"
        guard let parsedLevel = Logger.Level(rawValue: level) else {
            throw CleanExit.failure("--log-level must be one of trace, debug, info, notice, warning, error, critical; got \(level)")
        }
        let format = setting(logFormat, "OSG_LOG_FORMAT") ?? "json"
        guard ["json", "text"].contains(format) else { throw CleanExit.failure("--log-format must be json or text; got \(format)") }
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler = format == "json" ? JSONLogHandler(label: label) : StreamLogHandler.standardError(label: label)
            handler.logLevel = parsedLevel
            return handler
        }
        // Everything the coordinator writes from here on (database, key, snapshots, job logs) is
        // its owner's only; the data folder is 0700 even when it already existed.
        umask(0o077)
        do {
            try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: dataDirectory)
        } catch {
            throw CleanExit.failure("cannot create data folder \(dataDirectory) (mode 0700): \(error.localizedDescription)")
        }
        let keyPath = setting(key, "OSG_KEY") ?? dataDirectory + "/coordinator.key"
        let keyFile: KeyFile
        do {
            if !FileManager.default.fileExists(atPath: keyPath) { try KeyFile.generate().write(to: keyPath) }
            keyFile = try KeyFile.read(from: keyPath)
        } catch {
            throw CleanExit.failure("\(error)")
        }
        var configuration = ServerConfiguration(governanceKey: keyFile.privateKey)
        configuration.dataDirectory = dataDirectory
        configuration.databaseURL = setting(database, "OSG_DATABASE_URL")
        configuration.host = setting(host, "OSG_HOST") ?? "127.0.0.1"
        configuration.devnetFaucet = devnetFaucet || environment["OSG_DEVNET_FAUCET"] == "1"
        configuration.heartbeatTimeoutSeconds = heartbeatTimeout
        if let text = setting(port.map(String.init), "OSG_PORT") {
            guard let value = Int(text), (0...65_535).contains(value) else { throw CleanExit.failure("--port must be 0-65535; got \(text)") }
            configuration.port = value
        }
        if let text = setting(clearInterval.map { "\($0)" }, "OSG_CLEAR_INTERVAL") {
            guard let value = Double(text), value >= 0, value <= 86_400 else { throw CleanExit.failure("--clear-interval must be 0-86400 seconds; got \(text)") }
            configuration.clearIntervalSeconds = value
        }
        if let text = setting(rateLimit.map { "\($0)" }, "OSG_RATE_LIMIT") {
            guard let value = Double(text), value >= 1 else { throw CleanExit.failure("--rate-limit must be at least 1; got \(text)") }
            configuration.ratePerSecondPerKey = value
            configuration.rateBurstPerKey = value * 2
        }
        if let text = setting(maxBodyBytes.map(String.init), "OSG_MAX_BODY_BYTES") {
            guard let value = Int(text), value >= 1_024, value <= 64 << 20 else { throw CleanExit.failure("--max-body-bytes must be 1024-67108864; got \(text)") }
            configuration.maxBodyBytes = value
        }
        if let text = setting(bodyBytesPerSecond.map(String.init), "OSG_BODY_BYTES_PER_SECOND") {
            guard let value = Int(text), value >= 1 else { throw CleanExit.failure("--body-bytes-per-second must be at least 1; got \(text)") }
            configuration.bodyBytesPerSecondPerKey = Double(value)
        }
        if let text = setting(bodyBytesBurst.map(String.init), "OSG_BODY_BYTES_BURST") {
            guard let value = Int(text), value >= configuration.maxBodyBytes else {
                throw CleanExit.failure("--body-bytes-burst must be at least the largest body (\(configuration.maxBodyBytes) bytes); got \(text)")
            }
            configuration.bodyBytesBurstPerKey = Double(value)
        }
        if let text = setting(snapshotInterval.map(String.init), "OSG_SNAPSHOT_INTERVAL") {
            guard let value = UInt64(text) else { throw CleanExit.failure("--snapshot-interval must be a whole number of log entries (0 or more); got \(text)") }
            configuration.snapshotInterval = value
        }
        try FileManager.default.createDirectory(atPath: configuration.logDirectory, withIntermediateDirectories: true)

        let logOrigin = setting(origin, "OSG_ORIGIN") ?? "openstargate/" + configuration.governanceID.prefix(16)
        var interval = Duration.seconds(10)
        if let text = setting(checkpointInterval.map { "\($0)" }, "OSG_CHECKPOINT_INTERVAL") {
            guard let value = Double(text), value >= 0, value <= 3_600 else { throw CleanExit.failure("--checkpoint-interval must be 0-3600 seconds; got \(text)") }
            interval = .milliseconds(Int64(value * 1_000))
        }

        let logger = Logger(label: "openstargate.coordinator")
        let store: CoordinatorStore
        let coordinator: Coordinator
        let publisher: TransparencyLogPublisher
        do {
            store = try await CoordinatorStore.open(dataDirectory: dataDirectory, databaseURL: configuration.databaseURL)
            try await store.initialize(genesis: configuration.genesis)
            publisher = try await TransparencyLogPublisher.open(
                directory: configuration.logDirectory, origin: logOrigin, seed: Array(keyFile.privateKey.rawRepresentation),
                store: store, checkpointInterval: interval)
            coordinator = try await Coordinator.open(configuration, store: store, observers: [publisher], logger: logger)
        } catch {
            throw CleanExit.failure("cannot start the coordinator: \(error)")
        }
        MetricsSystem.bootstrap(coordinator.metricsFactory)
        let host = configuration.host
        let governance = coordinator.governanceID
        let printJSON = json
        let app = coordinator.application { port in
            let line = printJSON
                ? JSONOutput.string(["listening": "http://\(host):\(port)", "host": host, "port": port, "governance": governance, "log_origin": logOrigin])
                : "listening on http://\(host):\(port) (governance key \(governance); log \(logOrigin) at /log/)"
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }
        try await app.runService()
        // A clean stop: checkpoint whatever the interval held back.
        do {
            try await publisher.publish(state: await coordinator.currentState())
        } catch {
            logger.error("could not publish the final checkpoint", metadata: ["error": "\(error)"])
        }
    }
}
