import Crypto
import Foundation
import Hummingbird
import Logging
import Metrics
import OSGAuth
import OSGCore
import OSGDomain
import OSGStore
import ServiceLifecycle

/// The coordinator service: the single writer over the recovered state, authentication,
/// cached public views, job logs and metrics, and the HTTP routes over them.
///
/// ```swift
/// let coordinator = try await Coordinator.open(configuration, store: store)
/// let app = coordinator.application()
/// try await app.runService()
/// ```
public final class Coordinator: Sendable {
    public let configuration: ServerConfiguration
    public let writer: CommandWriter
    public let authenticator: RequestAuthenticator
    public let metrics: ServerMetrics
    let publicViews: PublicViewCache
    /// Long polls open per key.
    let openPolls: OpenPollCounter
    /// Copies of the state for reads, off the writer.
    let reader: StateReader
    let jobLogs: JobLogBuffer
    /// Job inputs and outputs (docs/API.md, "Blobs").
    let blobs: BlobStore
    /// The key job secrets are sealed to (``SealingKey``).
    let sealingKey: Curve25519.KeyAgreement.PrivateKey
    /// Per sender, the next job-output line expected (duplicates of resent lines are dropped).
    let logCursors = LogLineCursors()
    let logger: Logger
    let store: CoordinatorStore
    /// Takes the periodic and clean-stop snapshots.
    let snapshotter: Snapshotter
    /// How this coordinator's start recovered its state.
    public let recovery: RecoveryOutcome
    /// Wall clock as log time (whole seconds).
    let clock: @Sendable () -> Timestamp

    /// The governance identity (hex public key).
    public var governanceID: String { configuration.governanceID }

    /// The swift-metrics factory behind `/metrics`, for `MetricsSystem.bootstrap`.
    public var metricsFactory: any MetricsFactory { metrics.factory }

    private init(configuration: ServerConfiguration, writer: CommandWriter, store: CoordinatorStore, metrics: ServerMetrics,
                 snapshotter: Snapshotter, recovery: RecoveryOutcome,
                 clock: @escaping @Sendable () -> Timestamp, logger: Logger, jobLogs: JobLogBuffer, blobs: BlobStore,
                 sealingKey: Curve25519.KeyAgreement.PrivateKey) {
        self.blobs = blobs
        self.sealingKey = sealingKey
        self.configuration = configuration
        self.writer = writer
        self.store = store
        self.snapshotter = snapshotter
        self.recovery = recovery
        self.metrics = metrics
        self.clock = clock
        self.logger = logger
        authenticator = RequestAuthenticator(
            audience: Self.audience(of: configuration),
            verifier: RequestVerifier(windowSeconds: configuration.signatureWindowSeconds),
            limiter: RateLimiter(perSecond: configuration.ratePerSecondPerKey, burst: configuration.rateBurstPerKey),
            byteBudget: RateLimiter(perSecond: configuration.bodyBytesPerSecondPerKey,
                                    burst: max(configuration.bodyBytesBurstPerKey, Double(configuration.maxBodyBytes))),
            maxBodyBytes: configuration.maxBodyBytes, bodyDeadline: .milliseconds(configuration.bodyDeadlineMilliseconds),
            unixSeconds: { clock().secondsSinceEpoch }, metrics: metrics)
        openPolls = OpenPollCounter(maxPerKey: configuration.writeLimits.maxOpenPollsPerKey)
        reader = StateReader(writer: writer, maxAge: .milliseconds(configuration.readCopyMilliseconds))
        publicViews = PublicViewCache(maxAgeNanoseconds: configuration.publicCacheMilliseconds * 1_000_000)
        self.jobLogs = jobLogs
    }

    /// Opens the store's log, recovers the state from the newest snapshot that loads and the
    /// log after it (or the whole log), checks it against the state digest recorded at the last
    /// clean stop, when there is one, and returns a coordinator ready to serve.
    ///
    /// - Parameters:
    ///   - clock: the wall clock as log time; a parameter so tests control time.
    /// - Throws: ``StoreError`` when the store cannot be read, holds another genesis, or the
    ///   replayed state does not match the recorded digest.
    public static func open(
        _ configuration: ServerConfiguration, store: CoordinatorStore, observers: [any CommandLogObserver] = [],
        clock: @escaping @Sendable () -> Timestamp = Coordinator.wallClock, logger: Logger = Logger(label: "openstargate.coordinator")
    ) async throws -> Coordinator {
        var configuration = configuration
        // A log written by an earlier version keeps its genesis: without money rules (declared
        // stakes, no fee), without command proofs (optional then).
        if let stored = try await store.genesis(), stored != configuration.genesis,
           case let adopted = configuration.adopting(storedGenesis: stored), adopted.genesis == stored {
            if (stored.faucet != nil) != configuration.devnetFaucet {
                logger.notice("the faucet is a rule of this log's genesis: \(stored.faucet == nil ? "off" : "on"), whatever --devnet-faucet says")
            }
            configuration = adopted
            if stored.money == nil {
                logger.notice("this log predates money rules: stakes stay declared, settlements pay no fee, faults slash nobody")
            }
            if stored.signedCommands == nil {
                logger.notice("this log predates command proofs: participants' signatures are kept when sent, not required; its faucet is off (reset a devnet to get both)")
            }
        }
        let genesis = configuration.genesis
        let started = ContinuousClock.now
        let (processor, report) = try await SnapshotRecovery(store: store, logger: logger).recover(genesis: genesis)
        try await RecoveryCheck(store: store, dataDirectory: configuration.dataDirectory)
            .verify(processor.state, knownDigest: report.verifiedDigest)
        var recovery = RecoveryOutcome(report, logLength: processor.state.nextSequence)
        recovery.duration = ContinuousClock.now - started
        logger.info("recovered the state", metadata: recovery.logMetadata)
        let metrics = ServerMetrics()
        let snapshotMetrics = SnapshotMetrics(factory: metrics.factory)
        recovery.record(in: snapshotMetrics)
        let snapshotter = Snapshotter(
            store: store, interval: configuration.snapshotInterval, keep: configuration.snapshotsKept,
            lastSequence: report.snapshotSequence ?? 0, base: report.snapshotBase, metrics: snapshotMetrics, logger: logger)
        let writer = CommandWriter(processor: processor, observers: observers + [snapshotter], clock: clock, metrics: metrics,
                                   logger: logger, maxBatch: configuration.maxBatch,
                                   nonceRetentionSeconds: configuration.signatureWindowSeconds)
        let jobLogs = try JobLogBuffer(directory: configuration.dataDirectory + "/joblogs")
        let blobs = try BlobStore(root: URL(fileURLWithPath: configuration.blobDirectory), quotaBytes: configuration.blobQuotaBytes,
                                  bucket: configuration.blobBucket)
        let coordinator = Coordinator(configuration: configuration, writer: writer, store: store, metrics: metrics,
                                      snapshotter: snapshotter, recovery: recovery, clock: clock, logger: logger, jobLogs: jobLogs,
                                      blobs: blobs, sealingKey: try SealingKey.loadOrCreate(at: configuration.dataDirectory + "/sealing.key"))
        // Requests logged within the signature window before this start stay refused as replays.
        let nonces = try await store.acceptedNonces(since: clock().secondsSinceEpoch - configuration.signatureWindowSeconds)
        coordinator.authenticator.remember(nonces)
        logger.info("remembered the nonces of recent requests", metadata: ["nonces": "\(nonces.count)"])
        return coordinator
    }

    /// The coordinator a request must be signed for: the log's origin and its genesis digest.
    public static func audience(of configuration: ServerConfiguration) -> RequestAudience {
        RequestAudience(origin: configuration.logOrigin, genesisBytes: CanonicalEncoding.bytes(of: configuration.genesis))
    }

    /// The coordinator requests must be signed for (published at `GET /v1/info`).
    public var audience: RequestAudience { authenticator.audience }

    /// The wall clock in whole seconds.
    @Sendable public static func wallClock() -> Timestamp {
        Timestamp(secondsSinceEpoch: Int64(Date().timeIntervalSince1970))
    }

    /// A clean stop: takes a snapshot of the current state (so the next start replays
    /// nothing) and records its digest so the next start can check what it recovers.
    public func recordStateDigest() async {
        let state = await writer.read { $0 }
        let digest = await snapshotter.takeFinal(state)
        do {
            try await RecoveryCheck(store: store, dataDirectory: configuration.dataDirectory).record(state, digest: digest)
        } catch {
            logger.error("could not record the state digest", metadata: ["error": "\(error)"])
        }
    }

    /// The current state (a copy): the replay of every durable entry.
    public func currentState() async -> CoordinatorState {
        await writer.read { $0 }
    }

    /// Submits `command` as the signer of `request` (keeping its nonce with the entry) and
    /// answers the refusal as an error.
    /// `admit` checks a limit against the state first (see ``CommandWriter/submit(_:actor:nonce:admit:)``).
    func perform(_ command: Command, by write: RequestAuthenticator.UnverifiedWrite,
                 admit: (@Sendable (CoordinatorState, [Command]) throws -> Void)? = nil) async throws -> CommandWriter.Outcome {
        let (request, proof) = try verify(command, of: write)
        return try await perform(command, by: request, proof: proof, admit: admit)
    }

    /// ``perform(_:by:admit:)`` of a write authenticated already, with its `proof`.
    func perform(_ command: Command, by request: RequestAuthenticator.Authenticated, proof: CommandProof?,
                 admit: (@Sendable (CoordinatorState, [Command]) throws -> Void)? = nil) async throws -> CommandWriter.Outcome {
        let outcome = try await writer.submit(command, actor: request.signer.id, nonce: request.nonce, proof: proof, admit: admit)
        reader.recordWrite(by: request.signer.id, through: outcome.entry.sequence + 1)
        // Whoever reads governance next sees this counter (the next approval is for it).
        if case .governed = command { reader.recordWrite(by: CoordinatorState.governanceAuthority, through: outcome.entry.sequence + 1) }
        return try outcome.acceptedOrThrow()
    }

    /// The router with every route, wrapped in the error and metrics middleware.
    public func router() -> Router<CoordinatorRequestContext> {
        let router = Router(context: CoordinatorRequestContext.self)
        let routeMethods = RouteMethods()
        router.add(middleware: APIMiddleware(metrics: metrics, routeMethods: routeMethods))
        router.add(middleware: SourceAddressBudget(
            limiter: RateLimiter(perSecond: configuration.ratePerSecondPerAddress, burst: configuration.rateBurstPerAddress),
            trustedProxies: Set(configuration.trustedProxies), metrics: metrics))
        addServiceRoutes(to: router)
        addNodeRoutes(to: router)
        addJobRoutes(to: router)
        addMoneyRoutes(to: router)
        addBlobRoutes(to: router)
        addSecretRoutes(to: router)
        addShareRoutes(to: router)
        addGovernanceRoutes(to: router)
        addCarbonRoutes(to: router)
        addPublicRoutes(to: router)
        addLogRoutes(to: router)
        addDashboardRoutes(to: router)
        routeMethods.record(router.routes)
        return router
    }

    /// The HTTP application (HTTPS when the configuration has ``ServerConfiguration/tls``),
    /// with the governance timer as a service; runs until a termination signal, then drains
    /// connections and records the state digest.
    public func application(onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        var services: [any Service] = [ShutdownRecorder(coordinator: self)]
        if configuration.clearIntervalSeconds > 0 {
            services.append(GovernanceTimer(coordinator: self, intervalSeconds: configuration.clearIntervalSeconds))
        }
        return Application(
            router: router(),
            server: configuration.httpServer,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "openstargate"),
            services: services,
            onServerRunning: { channel in
                // Carbon data first: a job with a carbon cap submitted right after start can be placed.
                await self.recordCarbonAhead()
                await onServerRunning(channel.localAddress?.port ?? 0)
            },
            logger: logger)
    }
}

extension Coordinator {
    /// Closes the store's connections; with `dropSchema`, removes a PostgreSQL test schema.
    public func shutdownStoreForTests(dropSchema: Bool) async {
        if dropSchema, case .postgres(_, let database) = store { try? await database.dropSchema() }
        await store.close()
    }
}
