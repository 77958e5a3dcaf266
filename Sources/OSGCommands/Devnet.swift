import Foundation
import Logging
import OSGAgent
import OSGCore
import OSGDomain
import OSGLog
import OSGServer
import OSGSim

/// A whole network on this machine (`osg devnet`): a coordinator on the embedded SQLite store
/// with the devnet faucet and the bundled carbon series, a witness that cosigns and audits its
/// log (``DevnetWitness``), one agent per ``DevnetNode`` running
/// real sandboxed jobs, the bootstrap (pool, grant, credits) and, on request, the demo stream.
/// Everything lives in a ``DevnetLayout``; a second start in the same folder resumes.
final class Devnet: Sendable {
    struct Options: Sendable {
        var nodes: [DevnetNode] = Array(DevnetNode.all.prefix(4))
        var host = "127.0.0.1"
        /// 0 picks a free port.
        var port = 7070
        var clearIntervalSeconds = 2.0
        /// Seconds between demo jobs; `nil`: no demo stream.
        var demoIntervalSeconds: Double?
        var agentTiming: Agent.Timing = {
            var timing = Agent.Timing()
            timing.heartbeatSeconds = 5
            timing.usageReportSeconds = 15
            return timing
        }()
    }

    /// A node's running agent.
    struct RunningAgent: Sendable {
        var node: DevnetNode
        var agent: Agent
        var task: WatchedTask
    }

    let layout: DevnetLayout
    let coordinator: LocalCoordinator
    let witness: DevnetWitness
    let agents: [RunningAgent]
    let tenantID: String
    let newcomerID: String
    /// Whether the folder held a devnet before this start.
    let resumed: Bool
    private let demo: WatchedTask?
    private let logger: Logger

    var url: String { coordinator.url }

    private init(layout: DevnetLayout, coordinator: LocalCoordinator, witness: DevnetWitness, agents: [RunningAgent], tenantID: String, newcomerID: String,
                 resumed: Bool, demo: WatchedTask?, logger: Logger) {
        self.layout = layout
        self.coordinator = coordinator
        self.witness = witness
        self.agents = agents
        self.tenantID = tenantID
        self.newcomerID = newcomerID
        self.resumed = resumed
        self.demo = demo
        self.logger = logger
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The heartbeat timeout of a devnet's genesis (fixed when its log is created).
    static let heartbeatTimeoutSeconds: Int64 = 30

    /// Starts everything in `layout` (prepared and locked by the caller) and returns once every
    /// agent has registered its node. `logger(label)` gives each part its logger; `demoTurn`
    /// hears the demo stream. On any failure, what was started is stopped again.
    static func start(in layout: DevnetLayout, options: Options, logger: @escaping @Sendable (String) -> Logger,
                      demoTurn: @escaping @Sendable (DevnetDemo.Turn) -> Void = { _ in }) async throws -> Devnet {
        do {
            try SandboxExecutor.probe()
        } catch {
            throw Failure(description: """
                osg devnet runs its agents' jobs in bubblewrap sandboxes, which cannot start here: \(error). \
                Install bubblewrap (apt-get install bubblewrap) on a kernel that allows user namespaces, \
                or run a coordinator alone with `osg serve --devnet-faucet`.
                """)
        }
        let resumed = FileManager.default.fileExists(atPath: layout.coordinatorData.appendingPathComponent("coordinator.key").path)
        let governanceKey = try KeyFile.readOrCreate(at: layout.coordinatorKey.path)
        let tenantKey = try KeyFile.readOrCreate(at: layout.tenantKey.path)
        let newcomerKey = try KeyFile.readOrCreate(at: layout.newcomerKey.path)
        let quorumKey = try KeyFile.readOrCreate(at: layout.governanceKey.path)

        var configuration = ServerConfiguration(governanceKey: governanceKey.privateKey)
        configuration.dataDirectory = layout.coordinatorData.path
        configuration.host = options.host
        configuration.port = options.port
        configuration.devnetFaucet = true
        configuration.clearIntervalSeconds = options.clearIntervalSeconds
        configuration.heartbeatTimeoutSeconds = heartbeatTimeoutSeconds
        configuration.moneyRules = .devnet
        configuration.carbonFeed = CarbonReplayFeed(atlas: try SimInputFiles.bundledAtlas())
        // Governance by quorum, 1 of 1, with a key of its own: the coordinator's key keeps ticks,
        // clearings and its carbon feed (a devnet that predates this keeps its genesis).
        configuration.governanceRules = GovernanceRules(keys: [quorumKey.identity.id], quorum: 1, carbonFeeds: [configuration.governanceID])
        // A witness cosigns every checkpoint and audits the published log; the dashboard shows
        // what it found.
        let logKey = try NoteSignerKey(name: configuration.logOrigin, seed: Array(governanceKey.privateKey.rawRepresentation)).verifierKey
        let witness = try await DevnetWitness.start(in: layout, host: options.host, logKey: logKey, logger: logger("osg.devnet.witness"))
        configuration.witnesses = [witness.endpoint]
        let coordinator: LocalCoordinator
        do {
            coordinator = try await LocalCoordinator.start(configuration, checkpointInterval: .seconds(5), logger: logger("osg.devnet.coordinator"))
        } catch {
            await witness.stop()
            throw error
        }
        witness.audit(prefix: coordinator.url + "/log")

        var agents: [RunningAgent] = []
        do {
            let coordinatorClient = CoordinatorClient(baseURL: coordinator.url, key: governanceKey.privateKey)
            let governance = GovernanceSender(client: coordinatorClient, approvers: [quorumKey.privateKey])
            let tenant = coordinatorClient.signing(with: tenantKey.privateKey)
            let newcomer = coordinatorClient.signing(with: newcomerKey.privateKey)
            try await DevnetBootstrap(governance: governance, tenant: tenant, newcomer: newcomer).run(now: WallClock.now())
            for (index, node) in options.nodes.enumerated() {
                try await fundStake(of: node, in: layout, coordinator: coordinator.url, governance: governance)
                agents.append(try await startAgent(node, index: index, in: layout, url: coordinator.url, timing: options.agentTiming, logger: logger))
            }
            try await waitUntilRegistered(agents)
            let demo = options.demoIntervalSeconds.map { interval in
                let stream = DevnetDemo(tenant: tenant, newcomer: newcomer, intervalSeconds: interval, logger: logger("osg.devnet.demo"))
                return WatchedTask { await stream.run(report: demoTurn) }
            }
            return Devnet(layout: layout, coordinator: coordinator, witness: witness, agents: agents, tenantID: tenantKey.identity.id,
                          newcomerID: newcomerKey.identity.id, resumed: resumed, demo: demo, logger: logger("osg.devnet"))
        } catch {
            await stopAgents(agents)
            await coordinator.stop()
            await witness.stop()
            throw error
        }
    }

    /// Stops the demo stream, the agents (their running jobs go on in their sandboxes, and the
    /// next start's agents take them over, as a restarted `osg agent` does) and the coordinator
    /// (a graceful shutdown: it snapshots its state and publishes a last checkpoint).
    func stop() async {
        demo?.cancel()
        _ = await demo?.waitForEnd(timeoutSeconds: 10)
        await Self.stopAgents(agents)
        if !(await coordinator.stop()) { logger.error("the coordinator did not stop within 35 s") }
        await witness.stop()
    }

    /// The first agent that stopped by itself, and why.
    var agentFailure: String? {
        agents.lazy.compactMap { running in running.task.failure.map { "agent \(running.node.id): \($0)" } }.first
    }

    /// Deposits credits for a node's operator (governance's on-ramp) so its registration can
    /// lock the node's stake as collateral, unless the node is registered already (a resumed
    /// devnet) or the operator has them.
    private static func fundStake(of node: DevnetNode, in layout: DevnetLayout, coordinator: String,
                                  governance: GovernanceSender) async throws {
        let folder = layout.agentFolder(node.id)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o711])
        let operatorID = try KeyFile.readOrCreate(at: folder.appendingPathComponent("operator.key").path).identity.id
        let publicClient = CoordinatorClient(baseURL: coordinator, key: nil)
        guard try await publicClient.send(.GET, "/v1/nodes/\(node.id)").status == 404 else { return }
        let account = try await publicClient.send(.GET, "/v1/accounts/\(operatorID)").json as? [String: Any]
        let available = (account?["available"] as? String).flatMap { try? MicroCredits(decimal: $0) } ?? .zero
        guard available < DevnetNode.stakeCredits else { return }
        let body = Array(JSONOutput.string(["tenant": operatorID, "amount": DevnetNode.stakeCredits.description]).utf8)
        let answer = try await governance.send(.POST, "/v1/deposits", body: body)
        guard answer.status == 201 else { throw Failure(description: "funding operator \(operatorID) of \(node.id): \(answer.errorSummary)") }
    }

    private static func startAgent(_ node: DevnetNode, index: Int, in layout: DevnetLayout, url: String, timing: Agent.Timing,
                                   logger: (String) -> Logger) async throws -> RunningAgent {
        let agentLogger = logger("osg.devnet.agent.\(node.id)")
        let path = try node.install(in: layout, coordinator: url, index: index)
        let setup = try await AgentSetup.make(configPath: path, coordinator: url, logger: agentLogger)
        let agent = try setup.agent(timing: timing, logger: agentLogger)
        return RunningAgent(node: node, agent: agent, task: WatchedTask { try await agent.run() })
    }

    /// Waits (at most 60 s) for every agent to have registered its node and sent a heartbeat.
    private static func waitUntilRegistered(_ agents: [RunningAgent]) async throws {
        let ready = try await Polling.until(seconds: 60) {
            var all = true
            for running in agents {
                if let failure = running.task.failure { throw Failure(description: "agent \(running.node.id) stopped: \(failure)") }
                let status = await running.agent.currentStatus
                all = all && status.registered && status.lastHeartbeat != nil
            }
            return all
        }
        guard ready else {
            var waiting: [String] = []
            for running in agents where !(await running.agent.currentStatus.registered) {
                waiting.append("\(running.node.id) (\(await running.agent.currentStatus.lastError ?? "no error recorded"))")
            }
            throw Failure(description: "agents did not register within 60 s: \(waiting.joined(separator: ", "))")
        }
    }

    private static func stopAgents(_ agents: [RunningAgent]) async {
        for running in agents { running.task.cancel() }
        for running in agents { _ = await running.task.waitForEnd(timeoutSeconds: 30) }
    }

    /// Kills the jobs the folder's agents left running (before `--reset` removes their files).
    static func killLeftoverJobs(in layout: DevnetLayout, logger: Logger) async {
        let agentsFolder = layout.root.appendingPathComponent("agents")
        for node in (try? FileManager.default.contentsOfDirectory(atPath: agentsFolder.path)) ?? [] {
            let state = agentsFolder.appendingPathComponent(node).appendingPathComponent(DevnetNode.stateDirectory)
            let leases = AgentSetup.executorDirectory(in: state, executor: "sandbox")
            guard FileManager.default.fileExists(atPath: leases.path) else { continue }
            await SandboxExecutor(stateDirectory: leases, logger: logger).killAll()
        }
    }
}
