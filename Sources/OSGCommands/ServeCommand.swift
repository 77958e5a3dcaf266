import ArgumentParser
import Foundation
import Logging
import Metrics
import OSGAuth
import OSGCarbon
import OSGCore
import OSGDomain
import OSGServer
import OSGSim

/// `osg serve`: runs the coordinator (DESIGN.md §2, §7).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the coordinator: the HTTP API, the command log and the market timer.",
        discussion: """
            Every flag may also be given as an environment variable: OSG_DATA, OSG_DATABASE_URL, OSG_HOST,
            OSG_PORT, OSG_KEY, OSG_CLEAR_INTERVAL, OSG_RATE_LIMIT, OSG_MAX_BODY_BYTES, OSG_LOG_LEVEL, OSG_LOG_FORMAT,
            OSG_ORIGIN, OSG_CHECKPOINT_INTERVAL, OSG_BODY_BYTES_PER_SECOND, OSG_BODY_BYTES_BURST,
            OSG_SNAPSHOT_INTERVAL, OSG_TLS_CERT, OSG_TLS_KEY, OSG_DATABASE_PASSWORD_FILE, OSG_ADDRESS_RATE,
            OSG_MAX_QUEUED_JOBS, OSG_MAX_NODES_PER_OPERATOR.
            Flags win over the environment. Stops cleanly on SIGTERM or SIGINT.
            The PostgreSQL password is never an argument: set OSG_DATABASE_PASSWORD, or name a file
            with --database-password-file (a URL in OSG_DATABASE_URL may also carry it).
            """
    )

    @Option(name: .long, help: "Folder for the SQLite store, the coordinator key and the log files (default osg-data).")
    var data: String?

    @Option(name: .long, help: "Keep the command log in PostgreSQL: postgres://user@host:port/database, optionally ?sslmode=disable|prefer|require|verify-ca|verify-full&sslrootcert=FILE (libpq's meaning; default prefer). No password here: see --database-password-file.")
    var database: String?

    @Option(name: .long, help: "A file whose first line is the PostgreSQL password (also OSG_DATABASE_PASSWORD_FILE; else the password is read from OSG_DATABASE_PASSWORD).")
    var databasePasswordFile: String?

    @Option(name: .long, help: "Serve https: the PEM certificate chain, the server's certificate first (needs --tls-key).")
    var tlsCert: String?

    @Option(name: .long, help: "Serve https: the PEM private key of --tls-cert.")
    var tlsKey: String?

    @Option(name: .long, help: "Address to listen on (default 127.0.0.1).")
    var host: String?

    @Option(name: .long, help: "Port to listen on; 0 picks a free port (default 7070).")
    var port: Int?

    @Option(name: .long, help: "The coordinator's key file (default DATA/coordinator.key, created if missing).")
    var key: String?

    @Option(name: .long, help: "Seconds between governance ticks and market clearings; 0 turns them off (default 5).")
    var clearInterval: Double?

    @Option(name: .long, help: ArgumentHelp("A governance key (hex public key, repeatable): governance then needs a quorum of these keys' approvals (osg governance), and the coordinator's key keeps only ticks and clearings (fixed when the log is created; later changes are quorum rotations).", valueName: "hex-key"))
    var governanceKey: [String] = []

    @Option(name: .long, help: "How many governance keys must approve a governance command (default: a majority of --governance-key).")
    var governanceQuorum: Int?

    @Option(name: .long, help: ArgumentHelp("A participant whose own signed carbon series are accepted under governance keys (repeatable; 'coordinator' names this coordinator's key, which its --carbon feed needs).", valueName: "hex-key|coordinator"))
    var carbonFeedKey: [String] = []

    @Option(name: .long, help: "Seconds of silence after which a node goes offline (fixed when the log is created; default 90).")
    var heartbeatTimeout: Int64 = 90

    @Option(name: .long, help: "Protocol fee on every settlement, in basis points, paid by the operator to the treasury (fixed when the log is created; default 100 = 1 %).")
    var protocolFeeBps: Int64 = MoneyRules.standard.protocolFeeBasisPoints

    @Option(name: .long, help: "Seconds a withdrawn node's collateral stays locked before it returns (fixed when the log is created; default 604800 = 7 days).")
    var coolingOff: Int64 = MoneyRules.standard.collateralCoolingOffSeconds

    @Option(name: .long, help: "Slash per node fault that cost leases, in basis points of the node's collateral; the k-th fault within --fault-window slashes k times as much; 0: no slashing (fixed when the log is created; default 1000 = 10 %).")
    var slashBps: Int64 = MoneyRules.standard.slashBasisPoints

    @Option(name: .long, help: "Least and most one fault slashes, in credits, as MIN:MAX (fixed when the log is created; default 1:1000).")
    var slashBounds: String = "1:1000"

    @Option(name: .long, help: "Seconds within which a node's faults escalate (fixed when the log is created; default 604800 = 7 days).")
    var faultWindow: Int64 = MoneyRules.standard.faultWindowSeconds

    @Option(name: .long, help: "Sustained signed requests per second per key (burst twice that; default 2000).")
    var rateLimit: Double?

    @Option(name: .long, help: "Largest request body in bytes (default 1048576).")
    var maxBodyBytes: Int?

    @Option(name: .long, help: "Folder of the blob store: job inputs, outputs and private contents (default DATA/blobs; also OSG_BLOBS).")
    var blobs: String?

    @Option(name: .customLong("blob-bucket"), help: "Keep complete blobs in an S3-compatible bucket, http(s)://host[:port]/bucket (path-style); credentials from OSG_S3_ACCESS_KEY_ID and OSG_S3_SECRET_ACCESS_KEY (else AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY). Also OSG_BLOB_BUCKET.")
    var blobBucket: String?

    @Option(name: .customLong("blob-bucket-region"), help: "The bucket's region, for request signing (default us-east-1).")
    var blobBucketRegion = "us-east-1"

    @Option(name: .customLong("blob-quota-gib"), help: "Blob bytes each account may keep, GiB (default 64; also OSG_BLOB_QUOTA_GIB).")
    var blobQuotaGiB: Int?

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

    @Option(name: .long, help: "Requests per second from one source address, signed or not, before any signature work; past it, 429 (burst twice that; default 4000).")
    var addressRate: Double?

    @Option(name: .long, help: "The address of a reverse proxy whose X-Forwarded-For names the client to charge (repeat for several).")
    var trustedProxy: [String] = []

    @Option(name: .long, help: "Jobs one tenant may have waiting in the queue (default 1000).")
    var maxQueuedJobs: Int?

    @Option(name: .long, help: "Nodes one operator key may have registered (default 10000).")
    var maxNodesPerOperator: Int?

    @Option(name: .long, help: "Grid carbon data: a folder of Electricity Maps hourly files (<ZONE>_<YEAR>_hourly.csv), or `bundled` for the package's 62 days of 2022 (BR, ES, NO, US-CAL-CISO); replayed on the coordinator's clock and recorded in the log a week ahead (docs/CARBON.md). Also OSG_CARBON.")
    var carbon: String?

    @Option(name: .long, help: "A witness that cosigns each checkpoint before it is served: URL=KEY, the URL its add-checkpoint prefix (c2sp.org/tlog-witness), the KEY its cosigner key as `osg witness --print-key` prints it (repeat for several).")
    var witness: [String] = []

    @Flag(name: .long, help: "Print one JSON object when listening (address, port, governance key) instead of text.")
    var json = false

    @Flag(name: .long, help: "Run a devnet faucet: POST /v1/faucet (`osg faucet`) gives capped credits to any key. Never on a network with real money (keys are free). Also OSG_DEVNET_FAUCET=1.")
    var devnetFaucet = false

    /// The governance rules of the flags, or `nil` without `--governance-key`.
    func governanceRules(coordinatorID: String) throws -> GovernanceRules? {
        guard !governanceKey.isEmpty else {
            if governanceQuorum != nil || !carbonFeedKey.isEmpty {
                throw CleanExit.failure("--governance-quorum and --carbon-feed-key need --governance-key")
            }
            return nil
        }
        let feeds = carbonFeedKey.map { $0 == "coordinator" ? coordinatorID : $0.lowercased() }
        let rules = GovernanceRules(keys: governanceKey.map { $0.lowercased() }, quorum: governanceQuorum ?? governanceKey.count / 2 + 1, carbonFeeds: feeds)
        if let problem = rules.problems.first { throw CleanExit.failure("--governance-key/--governance-quorum/--carbon-feed-key: \(problem)") }
        return rules
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        func setting(_ flag: String?, _ name: String) -> String? { flag ?? environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        let dataDirectory = setting(data, "OSG_DATA") ?? "osg-data"
        // Settings that name files are checked before anything is started or written.
        let tls: ServerTLS?
        let databaseURL: String?
        do {
            tls = try Self.serverTLS(certificatePath: setting(tlsCert, "OSG_TLS_CERT"), keyPath: setting(tlsKey, "OSG_TLS_KEY"))
            databaseURL = try Self.databaseURL(flag: database, passwordFile: databasePasswordFile, environment: environment)
        } catch {
            throw CleanExit.failure("\(error)")
        }
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
            keyFile = try KeyFile.readOrCreate(at: keyPath)
        } catch {
            throw CleanExit.failure("\(error)")
        }
        var configuration = ServerConfiguration(governanceKey: keyFile.privateKey)
        configuration.dataDirectory = dataDirectory
        if let source = setting(carbon, "OSG_CARBON") {
            configuration.carbonFeed = CarbonReplayFeed(atlas: try Self.carbonAtlas(source))
        }
        configuration.databaseURL = databaseURL
        configuration.tls = tls
        configuration.host = setting(host, "OSG_HOST") ?? "127.0.0.1"
        configuration.devnetFaucet = devnetFaucet || environment["OSG_DEVNET_FAUCET"] == "1"
        configuration.heartbeatTimeoutSeconds = heartbeatTimeout
        configuration.moneyRules = try moneyRules()
        configuration.governanceRules = try governanceRules(coordinatorID: configuration.governanceID)
        if let rules = configuration.governanceRules, configuration.carbonFeed != nil, !rules.carbonFeeds.contains(configuration.governanceID) {
            throw CleanExit.failure("--carbon records series as the coordinator's key, which governance keys do not allow: add --carbon-feed-key coordinator")
        }
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
        if let folder = setting(blobs, "OSG_BLOBS") { configuration.blobDirectoryOverride = folder }
        if let bucket = setting(blobBucket, "OSG_BLOB_BUCKET") {
            let environment = ProcessInfo.processInfo.environment
            guard let id = environment["OSG_S3_ACCESS_KEY_ID"] ?? environment["AWS_ACCESS_KEY_ID"],
                  let secret = environment["OSG_S3_SECRET_ACCESS_KEY"] ?? environment["AWS_SECRET_ACCESS_KEY"] else {
                throw CleanExit.failure("--blob-bucket needs credentials in OSG_S3_ACCESS_KEY_ID and OSG_S3_SECRET_ACCESS_KEY (never on the command line)")
            }
            do {
                configuration.blobBucket = try S3Bucket(url: bucket, region: blobBucketRegion, accessKeyID: id, secretAccessKey: secret)
            } catch {
                throw CleanExit.failure("--blob-bucket: \(error)")
            }
        }
        do {
            configuration.witnesses = try witness.map(CheckpointCosigner.Endpoint.init(parsing:))
        } catch {
            throw CleanExit.failure("\(error)")
        }
        if let text = setting(blobQuotaGiB.map(String.init), "OSG_BLOB_QUOTA_GIB") {
            guard let value = Int64(text), value >= 0, value <= 1 << 20 else { throw CleanExit.failure("--blob-quota-gib must be 0-1048576; got \(text)") }
            configuration.blobQuotaBytes = value << 30
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
        if let text = setting(addressRate.map { "\($0)" }, "OSG_ADDRESS_RATE") {
            guard let value = Double(text), value > 0, value.isFinite else { throw CleanExit.failure("--address-rate must be a positive number of requests per second; got \(text)") }
            configuration.ratePerSecondPerAddress = value
            configuration.rateBurstPerAddress = max(1, value * 2)
        }
        configuration.trustedProxies = trustedProxy
        if let text = setting(maxQueuedJobs.map(String.init), "OSG_MAX_QUEUED_JOBS") {
            guard let value = Int(text), value > 0 else { throw CleanExit.failure("--max-queued-jobs must be a whole number above 0; got \(text)") }
            configuration.writeLimits.maxQueuedJobsPerTenant = value
        }
        if let text = setting(maxNodesPerOperator.map(String.init), "OSG_MAX_NODES_PER_OPERATOR") {
            guard let value = Int(text), value > 0 else { throw CleanExit.failure("--max-nodes-per-operator must be a whole number above 0; got \(text)") }
            configuration.writeLimits.maxNodesPerOperator = value
        }
        if let text = setting(snapshotInterval.map(String.init), "OSG_SNAPSHOT_INTERVAL") {
            guard let value = UInt64(text) else { throw CleanExit.failure("--snapshot-interval must be a whole number of log entries (0 or more); got \(text)") }
            configuration.snapshotInterval = value
        }

        configuration.origin = setting(origin, "OSG_ORIGIN")
        let logOrigin = configuration.logOrigin
        guard RequestAudience.isValidOrigin(logOrigin) else {
            throw CleanExit.failure("--origin must be 1-255 bytes of printable ASCII without spaces (it is a line of every checkpoint and signed request); got \(logOrigin.prefix(300))")
        }
        var interval = Duration.seconds(10)
        if let text = setting(checkpointInterval.map { "\($0)" }, "OSG_CHECKPOINT_INTERVAL") {
            guard let value = Double(text), value >= 0, value <= 3_600 else { throw CleanExit.failure("--checkpoint-interval must be 0-3600 seconds; got \(text)") }
            interval = .milliseconds(Int64(value * 1_000))
        }

        let logger = Logger(label: "openstargate.coordinator")
        let launch: CoordinatorLaunch
        do {
            launch = try await CoordinatorLaunch.open(configuration, checkpointInterval: interval, logger: logger)
        } catch {
            throw CleanExit.failure("cannot start the coordinator: \(error)")
        }
        let coordinator = launch.coordinator
        MetricsSystem.bootstrap(coordinator.metricsFactory)
        let host = configuration.host
        let scheme = configuration.scheme
        let governance = coordinator.governanceID
        let printJSON = json
        let app = coordinator.application { port in
            let line = printJSON
                ? JSONOutput.string(["listening": "\(scheme)://\(host):\(port)", "host": host, "port": port, "governance": governance, "log_origin": logOrigin])
                : "listening on \(scheme)://\(host):\(port) (governance key \(governance); log \(logOrigin) at /log/)"
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }
        try await app.runService()
        await launch.publishFinalCheckpoint(logger: logger)
    }
}

extension ServeCommand {
    /// The carbon series of `--carbon`: the bundled ones, or a folder's (a bad file is a clear
    /// error naming the file, line and column, before anything starts).
    static func carbonAtlas(_ source: String) throws -> CarbonAtlas {
        do {
            return source == "bundled" ? try SimInputFiles.bundledAtlas() : try CarbonAtlas(directory: source)
        } catch {
            throw CleanExit.failure("--carbon \(source): \(error)")
        }
    }

    /// The money rules of the flags, or a clear error naming the flag that is wrong.
    func moneyRules() throws -> MoneyRules {
        let bounds = slashBounds.split(separator: ":", omittingEmptySubsequences: false)
        guard bounds.count == 2, let minimum = try? MicroCredits(decimal: String(bounds[0])),
              let maximum = try? MicroCredits(decimal: String(bounds[1])) else {
            throw CleanExit.failure("--slash-bounds must be MIN:MAX in credits, e.g. 1:1000; got \(slashBounds)")
        }
        let rules = MoneyRules(unchecked: protocolFeeBps, collateralCoolingOffSeconds: coolingOff, slashBasisPoints: slashBps,
                               slashMinimum: minimum, slashCap: maximum, faultWindowSeconds: faultWindow)
        let flags = ["the protocol fee": "--protocol-fee-bps", "the cooling-off": "--cooling-off", "the slash fraction": "--slash-bps",
                     "the slash minimum": "--slash-bounds", "the fault window": "--fault-window"]
        if let problem = rules.problems.first {
            let flag = flags.first { problem.hasPrefix($0.key) }?.value ?? "money rules"
            throw CleanExit.failure("\(flag): \(problem)")
        }
        return rules
    }
}
