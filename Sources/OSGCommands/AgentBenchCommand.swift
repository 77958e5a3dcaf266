import ArgumentParser
import Crypto
import Foundation
import Logging
import OSGAgent
import OSGServer

/// `osg bench agent`: the provider agent's floors (one agent process manages ≥ 64 concurrent
/// leases; lease start latency p99 < 500 ms in the sandbox; idle CPU < 1 % of a core with 8
/// GPUs), measured on a real agent, sandbox executor and coordinator in this process.
struct AgentBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Measure the agent: concurrent leases, lease start latency (p50/p99/max) in the sandbox, idle CPU.",
        discussion: """
            Starts a coordinator in this process as `osg serve` runs it (127.0.0.1, a free port, SQLite in a \
            temporary folder or --data, devnet faucet, a market clearing every 0.5 s, no read copies) and one \
            agent (the bubblewrap sandbox executor, production timing) whose simulated node(s) offer --leases \
            GPUs (64 per node at most). Each agent's start-up work (its one-time host benchmark) is let finish \
            first: the bench waits until the process uses under 5 % of a core over a second (at most \
            --settle-seconds; reported as *_settle_s). A funded tenant submits --leases one-GPU jobs that sleep; once all run, \
            the bench checks how many run at once (job processes in /proc, the agent's running leases, the \
            executor's jobs, the coordinator's running_jobs), reports the agent's lease start latencies (from the \
            poll that showed a lease to its job process running; the agent starts the leases of one poll one \
            after another), then cancels every job and checks that all stop and are cleaned up. Idle phase: a \
            new coordinator with its market timer off and a new agent with --gpus simulated GPUs and no jobs; \
            the process's CPU time over --idle-seconds is measured first without the agent, then with it, and \
            the difference reported as the agent's idle CPU (an upper bound: it holds the coordinator's work \
            answering the agent's heartbeats and polls). Needs bubblewrap (apt-get install bubblewrap) and \
            unprivileged user namespaces. The agent keeps a sandbox ready per GPU as `osg agent run` does (--no-warm-sandboxes: \
            none, each lease's sandbox is built when it comes). Build with -c release for meaningful figures.
            """
    )

    @Option(name: .long, help: "One-GPU jobs the agent runs at once (1-1000; nodes of at most 64 GPUs).")
    var leases = 64

    @Option(name: .long, help: "Leases submitted one at a time after the burst, each once the last runs (0-1000): the start latency without a queue.")
    var steadyLeases = 16

    @Option(name: .long, help: "Simulated GPUs of the idle agent (1-64).")
    var gpus = 8

    @Option(name: .long, help: "Seconds of each idle CPU window (0.5-600).")
    var idleSeconds = 10.0

    @Option(name: .long, help: "Longest wait, in seconds, for an agent's start-up work (its host benchmark) to finish before measuring (0-600).")
    var settleSeconds = 120.0

    @Option(name: .long, help: "An empty folder for the coordinators' stores and the agents' state, kept afterwards (default: a new temporary folder, removed afterwards).")
    var data: String?

    @Flag(inversion: .prefixedNo, help: "Whether the agent keeps a sandbox ready per GPU (its warm_sandboxes setting).")
    var warmSandboxes = true

    @Flag(name: .long, help: "Print one JSON object.")
    var json = false

    func validate() throws {
        guard (1...1_000).contains(leases) else { throw ValidationError("--leases must be 1-1000, got \(leases)") }
        guard (1...64).contains(gpus) else { throw ValidationError("--gpus must be 1-64 (the GPUs of one node), got \(gpus)") }
        guard idleSeconds >= 0.5, idleSeconds <= 600 else { throw ValidationError("--idle-seconds must be 0.5-600, got \(idleSeconds)") }
        guard settleSeconds >= 0, settleSeconds <= 600 else { throw ValidationError("--settle-seconds must be 0-600, got \(settleSeconds)") }
        guard (0...1_000).contains(steadyLeases) else { throw ValidationError("--steady-leases must be 0-1000, got \(steadyLeases)") }
    }

    func run() async throws {
        let report = try await measure()
        if json {
            JSONOutput.print(report.jsonObject)
        } else {
            report.lines.forEach { print($0) }
        }
        if report.allRunningSeconds == nil {
            throw CleanExit.failure("not every lease was running within the bound: the figures above are partial")
        }
        if report.allStoppedSeconds == nil {
            throw CleanExit.failure("\(report.leasesLeftAfterStop) lease(s) were not stopped and cleaned up within the bound after their jobs were cancelled")
        }
    }

    /// Runs both phases and returns the figures.
    func measure() async throws -> Report {
        do {
            try SandboxExecutor.probe()
        } catch {
            throw CleanExit.failure("bubblewrap cannot run sandboxes here, so the agent cannot be measured: \(error)")
        }
        let work: URL
        if let data {
            work = URL(fileURLWithPath: data)
            guard Self.entries(of: work).isEmpty else { throw ValidationError("--data \(data) is not empty: give an empty or new folder") }
        } else {
            work = FileManager.default.temporaryDirectory.appendingPathComponent("osg-bench-agent-\(UUID().uuidString)")
        }
        // 0711: the sandbox's job users (a uid per lease when the agent is root) pass through to
        // their lease's folder, as under `osg agent run`'s state folder.
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o711])
        var report = try await leasePhase(in: work)
        try await idlePhase(in: work, into: &report)
        if data == nil, report.leasesLeftAfterStop == 0 { try? FileManager.default.removeItem(at: work) }
        return report
    }

    // MARK: Leases

    private func leasePhase(in work: URL) async throws -> Report {
        let coordinator = try await LocalCoordinator.start(
            dataDirectory: work.appendingPathComponent("coordinator-leases").path, logger: Self.quietLogger("osg.bench.coordinator")
        ) { configuration in
            configuration.devnetFaucet = true
            configuration.clearIntervalSeconds = 0.5
            configuration.readCopyMilliseconds = 0
            configuration.publicCacheMilliseconds = 0
        }
        let nodes = Self.nodes(named: "bench-lease", gpus: leases, perNode: 64)
        let started: (Agent, SandboxExecutor, WatchedTask, Double?)
        do {
            started = try await startAgent(nodes: nodes, state: work.appendingPathComponent("agent-leases"), coordinator: coordinator)
        } catch {
            await coordinator.stop()
            throw error
        }
        let (agent, executor, agentTask, settle) = started
        let leaseFolders = executor.stateDirectory.appendingPathComponent("leases")
        do {
            var report = try await runLeases(agent: agent, executor: executor, agentTask: agentTask, leaseFolders: leaseFolders, url: coordinator.url)
            report.nodes = nodes.count
            report.startupSettleSeconds = settle
            report.sandboxLimits = executor.cgroupParent == nil ? "rlimits" : "cgroup"
            report.warmSandboxes = warmSandboxes
            agentTask.cancel()
            _ = await agentTask.waitForEnd(timeoutSeconds: 30)
            // What the agent did not stop in time (the report says how many) is stopped here.
            if report.leasesLeftAfterStop > 0 { await executor.killAll() }
            await coordinator.stop()
            return report
        } catch {
            // Leave no sandbox behind: kill whatever the executor still holds.
            agentTask.cancel()
            _ = await agentTask.waitForEnd(timeoutSeconds: 30)
            await executor.killAll()
            await coordinator.stop()
            throw error
        }
    }

    /// Submits the jobs, waits for all to run, checks the count four ways, cancels them all and
    /// waits for every one to be stopped and cleaned up.
    private func runLeases(agent: Agent, executor: SandboxExecutor, agentTask: WatchedTask, leaseFolders: URL, url: String) async throws -> Report {
        let clock = ContinuousClock()
        let tenant = CoordinatorClient(baseURL: url, key: Curve25519.Signing.PrivateKey())
        let funded = try await tenant.send(.POST, "/v1/faucet", body: Array(#"{"amount":"1000"}"#.utf8))
        guard funded.status == 200 else { throw CleanExit.failure("the devnet faucet refused the tenant: \(funded.errorSummary)") }
        // A sleep of a length of this run's own, so its job processes can be told from any other.
        let sleepSeconds = Int.random(in: 600...699)
        let marker = ["sleep", "\(sleepSeconds)"]
        let spec = Array("""
            {"name":"bench-agent","command":["/bin/sh","-c","exec sleep \(sleepSeconds)"],"resources":{"gpu":{"model":"H100","count":1},\
            "cpu":1,"memory_gib":1},"nodes":1,"duration":"10m","max_duration":"15m","max_price":"0.20"}
            """.utf8)

        // The agent's sandboxes ready ahead, one per GPU, as on an agent that has run a while.
        if warmSandboxes {
            _ = await Polling.until(seconds: 60) { executor.warmSandboxCount() >= leases }
        }
        let warmReady = executor.warmSandboxCount()
        let warmStartsBefore = executor.warmStartCount
        let submitStart = clock.now
        let jobIDs = try await Self.eachAtMost(8, of: Array(0..<leases)) { _ -> String in
            let answer = try await tenant.send(.POST, "/v1/jobs", body: spec)
            guard answer.status == 201, let id = (answer.json as? [String: Any])?["job"] as? String else {
                throw CleanExit.failure("the coordinator refused a job: \(answer.errorSummary)")
            }
            return id
        }
        let submitSeconds = BenchStatistics.seconds(clock.now - submitStart)

        // All running: the agent started every lease, and the kernel shows every job process.
        var allRunningSeconds: Double?
        if try await Polling.until(seconds: 60 + 0.25 * Double(leases), every: .milliseconds(20), {
            if let failure = agentTask.failure { throw CleanExit.failure("the agent stopped: \(failure)") }
            guard await agent.startLatencies.count >= leases else { return false }
            return Self.processCount(running: marker) >= leases
        }) {
            allRunningSeconds = BenchStatistics.seconds(clock.now - submitStart)
        }
        // The agent's status and the coordinator's statistics follow within a second or so.
        func coordinatorRunningJobs() async -> Int {
            let stats = try? await tenant.send(.GET, "/v1/stats", signed: false)
            return (stats?.json as? [String: Any])?["running_jobs"] as? Int ?? -1
        }
        _ = await Polling.until(seconds: allRunningSeconds == nil ? 0 : 10) {
            guard await agent.currentStatus.running.count >= leases else { return false }
            return await coordinatorRunningJobs() >= leases
        }
        let processes = Self.processCount(running: marker)
        let agentRunning = await agent.currentStatus.running.count
        let executorJobs = try await executor.runningJobs().count
        let coordinatorRunning = await coordinatorRunningJobs()
        let latencies = await agent.startLatencies
        let warmStarts = executor.warmStartCount - warmStartsBefore

        // Cancel every job; each must end, be reported and have its files removed.
        let stopStart = clock.now
        _ = try await Self.eachAtMost(8, of: jobIDs) { id -> Bool in
            let answer = try await tenant.send(.DELETE, "/v1/jobs/\(id)")
            guard answer.status == 200 else { throw CleanExit.failure("cancelling \(id) was refused: \(answer.errorSummary)") }
            return true
        }
        var allStoppedSeconds: Double?
        if await Polling.until(seconds: 60 + 0.1 * Double(leases), {
            guard Self.processCount(running: marker) == 0, Self.entries(of: leaseFolders).isEmpty else { return false }
            let status = await agent.currentStatus
            return status.running.isEmpty && status.endsToReport.isEmpty
        }) {
            allStoppedSeconds = BenchStatistics.seconds(clock.now - stopStart)
        }
        let left = max(Self.entries(of: leaseFolders).count, Self.processCount(running: marker))
        let steady = try await steadyStarts(agent: agent, tenant: tenant, spec: spec, marker: marker, leaseFolders: leaseFolders)
        var report = Report(
            leases: leases, nodes: 0, concurrentLeases: processes, agentRunning: agentRunning, executorJobs: executorJobs,
            coordinatorRunningJobs: coordinatorRunning, startLatencySeconds: latencies, submitSeconds: submitSeconds,
            allRunningSeconds: allRunningSeconds, allStoppedSeconds: allStoppedSeconds, leasesLeftAfterStop: left, sandboxLimits: "",
            idleSeconds: idleSeconds, idleGPUs: gpus, idleBaselinePercentOfCore: 0, idleWithAgentPercentOfCore: 0,
            idleHeartbeatSeconds: Agent.Timing().heartbeatSeconds, idlePollWaitSeconds: Agent.Timing().pollWaitSeconds,
            startupSettleSeconds: nil, idleStartupSettleSeconds: nil)
        report.steadyStartLatencySeconds = steady
        report.warmSandboxesReady = warmReady
        report.warmStarts = warmStarts
        return report
    }

    /// Leases that come one at a time, as on a busy market between bursts: each job is
    /// submitted once the previous one runs, and cancelled once it runs. The start latencies
    /// of these leases (`steadyLeases` of them).
    private func steadyStarts(agent: Agent, tenant: CoordinatorClient, spec: [UInt8], marker: [String], leaseFolders: URL) async throws -> [Double] {
        var latencies: [Double] = []
        for _ in 0..<steadyLeases {
            let before = await agent.startLatencies.count
            let answer = try await tenant.send(.POST, "/v1/jobs", body: spec)
            guard answer.status == 201, let id = (answer.json as? [String: Any])?["job"] as? String else {
                throw CleanExit.failure("the coordinator refused a job: \(answer.errorSummary)")
            }
            guard await Polling.until(seconds: 30, every: .milliseconds(20), { await agent.startLatencies.count > before }) else {
                throw CleanExit.failure("a lease submitted alone did not start within 30 s")
            }
            if let latest = await agent.startLatencies.last { latencies.append(latest) }
            _ = try await tenant.send(.DELETE, "/v1/jobs/\(id)")
        }
        // Every one stopped and cleaned up, as after the burst.
        _ = await Polling.until(seconds: 60) {
            guard Self.processCount(running: marker) == 0, Self.entries(of: leaseFolders).isEmpty else { return false }
            let status = await agent.currentStatus
            return status.running.isEmpty && status.endsToReport.isEmpty
        }
        return latencies
    }

    // MARK: Idle

    /// The process's CPU over `idleSeconds` with a coordinator alone, then with an idle agent
    /// of `gpus` simulated GPUs beside it.
    private func idlePhase(in work: URL, into report: inout Report) async throws {
        let coordinator = try await LocalCoordinator.start(
            dataDirectory: work.appendingPathComponent("coordinator-idle").path, logger: Self.quietLogger("osg.bench.coordinator")
        ) { configuration in
            configuration.clearIntervalSeconds = 0
        }
        try? await Task.sleep(for: .seconds(1))
        report.idleBaselinePercentOfCore = await Self.cpuPercentOfCore(overSeconds: idleSeconds)
        let nodes = Self.nodes(named: "bench-idle", gpus: gpus, perNode: 64)
        let started: (Agent, SandboxExecutor, WatchedTask, Double?)
        do {
            started = try await startAgent(nodes: nodes, state: work.appendingPathComponent("agent-idle"), coordinator: coordinator)
        } catch {
            await coordinator.stop()
            throw error
        }
        let (_, _, agentTask, settle) = started
        report.idleStartupSettleSeconds = settle
        report.idleWithAgentPercentOfCore = await Self.cpuPercentOfCore(overSeconds: idleSeconds)
        let failure = agentTask.failure
        agentTask.cancel()
        _ = await agentTask.waitForEnd(timeoutSeconds: 30)
        await coordinator.stop()
        if let failure { throw CleanExit.failure("the idle agent stopped during its window: \(failure)") }
    }

    // MARK: Parts

    /// An agent with the sandbox executor and production timing, running, its nodes registered
    /// and heartbeaten (at most 30 s), its start-up work over (see ``waitUntilQuiet``); and the
    /// seconds that took after the registration (`nil`: not quiet within `--settle-seconds`).
    private func startAgent(nodes: [NodeRegistrationRequest], state: URL, coordinator: LocalCoordinator) async throws
        -> (Agent, SandboxExecutor, WatchedTask, Double?)
    {
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o711])
        let logger = Self.quietLogger("osg.bench.agent")
        let executor = SandboxExecutor(stateDirectory: state.appendingPathComponent("leases"), keepsWarmSandboxes: warmSandboxes, logger: logger)
        let client = HTTPAgentCoordinator(client: CoordinatorClient(baseURL: coordinator.url, key: Curve25519.Signing.PrivateKey()))
        let agent = try Agent(
            nodes: nodes, offers: nodes.map { .init(id: $0.id, gpuIndices: Array(0..<$0.gpus)) },
            coordinator: client, executor: executor, stateDirectory: state.appendingPathComponent("agent"), timing: Agent.Timing(),
            logger: logger, data: client)
        let task = WatchedTask { try await agent.run() }
        let ready = try await Polling.until(seconds: 30) {
            if let failure = task.failure { throw CleanExit.failure("the agent stopped: \(failure)") }
            let status = await agent.currentStatus
            return status.registered && status.lastHeartbeat != nil
        }
        guard ready else {
            task.cancel()
            _ = await task.waitForEnd(timeoutSeconds: 30)
            throw CleanExit.failure("the agent did not register its nodes and heartbeat within 30 s: \(await agent.currentStatus.lastError ?? "no error recorded")")
        }
        let settle = await Self.waitUntilQuiet(timeoutSeconds: settleSeconds)
        if let failure = task.failure { throw CleanExit.failure("the agent stopped: \(failure)") }
        return (agent, executor, task, settle)
    }

    /// Simulated H100 nodes offering `gpus` GPUs in all, at most `perNode` each; one core and
    /// 1 GiB per GPU (what each bench job asks).
    static func nodes(named prefix: String, gpus: Int, perNode: Int) -> [NodeRegistrationRequest] {
        stride(from: 0, to: gpus, by: perNode).enumerated().map { index, first in
            let count = min(perNode, gpus - first)
            return NodeRegistrationRequest(
                id: "\(prefix)-\(index + 1)", gpuModel: "H100", gpus: count, vramGib: 80, cpu: count, memoryGib: count, diskGib: 0,
                region: "eu", jurisdiction: "DE", zone: "DE", powerSource: "wind", askPrice: "0.10", stake: "0", simulated: true)
        }
    }

    /// `body` over `items`, at most `limit` at a time; the results in `items`' order.
    static func eachAtMost<Item: Sendable, Result: Sendable>(
        _ limit: Int, of items: [Item], _ body: @escaping @Sendable (Item) async throws -> Result
    ) async throws -> [Result] {
        try await withThrowingTaskGroup(of: (Int, Result).self) { group in
            var next = 0
            var results: [(Int, Result)] = []
            func add() {
                let index = next
                next += 1
                group.addTask { (index, try await body(items[index])) }
            }
            for _ in 0..<min(limit, items.count) { add() }
            while let result = try await group.next() {
                results.append(result)
                if next < items.count { add() }
            }
            return results.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }

    /// A logger that says only errors (the figures are the output).
    static func quietLogger(_ label: String) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = .error
        return logger
    }
}
