import ArgumentParser
import Foundation
import Logging
import OSGAgent
import OSGAuditTool
import OSGDomain

/// `osg agent init|run|status`: the operator's daemon (DESIGN.md §8, docs/AGENT.md).
struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Offer this machine to the market: discover its GPUs, register, run leased jobs in a sandbox or under Slurm.",
        subcommands: [Init.self, Run.self, Status.self],
        defaultSubcommand: Run.self
    )

    /// `osg agent init`: a commented configuration and a key.
    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a commented agent configuration and the operator's key (both mode 0600); refuses to overwrite.")

        @Option(name: .long, help: "Where to write the configuration.")
        var out = "agent.yaml"
        @Option(name: .long, help: "The coordinator's URL.")
        var coordinator = "http://127.0.0.1:7070"
        @Option(name: .long, help: "The operator's key file: created when missing, used when present.")
        var key = "agent.key"
        @Option(name: .long, help: "The node's id in the market (default: this host's name).")
        var nodeID: String?
        @Option(name: .long, help: "Advertise virtual GPUs, e.g. 4xH100 (demos and tests; shown as simulated everywhere).")
        var simulate: String?
        @Option(name: .long, help: "sandbox (bubblewrap) or slurm.")
        var executor = "sandbox"
        @Flag(name: .long, help: "Print one JSON object instead of text.")
        var json = false

        func run() throws {
            guard ["sandbox", "slurm"].contains(executor) else { throw CleanExit.failure("--executor must be sandbox or slurm, got \(executor)") }
            if let simulate {
                do { _ = try GPUSimulation(text: simulate) } catch { throw CleanExit.failure("--simulate: \(error)") }
            }
            let node = nodeID ?? ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "node-1"
            let keyPath = AgentConfiguration.resolve(key, relativeTo: out)
            var createdKey = false
            if !FileManager.default.fileExists(atPath: keyPath) {
                do { try KeyFile.generate().write(to: keyPath) } catch { throw CleanExit.failure("\(error)") }
                createdKey = true
            }
            let operatorID: String
            do { operatorID = try KeyFile.read(from: keyPath).identity.id } catch { throw CleanExit.failure("\(error)") }
            let text = AgentConfiguration.template(coordinator: coordinator, key: key, nodeID: node, simulate: simulate, executor: executor)
            let descriptor = open(out, O_WRONLY | O_CREAT | O_EXCL, 0o600)
            guard descriptor >= 0 else {
                throw CleanExit.failure("cannot write \(out): \(errno == EEXIST ? "it already exists; choose another --out or remove it first" : String(cString: strerror(errno)))")
            }
            let bytes = Array(text.utf8)
            let written = bytes.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
            close(descriptor)
            guard written == bytes.count else { throw CleanExit.failure("cannot write \(out)") }
            if json {
                JSONOutput.print(["config": out, "key": keyPath, "key_created": createdKey ? "true" : "false", "operator": operatorID, "node": node])
            } else {
                print("wrote \(out) (mode 0600)\(createdKey ? " and \(keyPath) (mode 0600)" : "; using the existing \(keyPath)")")
                print("operator: \(operatorID)")
                print("next: edit the region, zone and ask price in \(out), then run `osg agent run --config \(out)`")
            }
        }
    }

    /// `osg agent run`: the daemon.
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the agent until interrupted (jobs keep running; a restarted agent takes them over).")

        @Option(name: .long, help: "The agent configuration (`osg agent init` writes one).")
        var config = "agent.yaml"
        @Option(name: .long, help: "Override the configuration's coordinator URL.")
        var coordinator: String?
        @Option(name: .long, help: "Override the configuration's key file.")
        var key: String?
        @Option(name: .long, help: "Override the configuration's simulation, e.g. 4xH100.")
        var simulate: String?
        @Option(name: .long, help: "Seconds between heartbeats.")
        var heartbeatSeconds: Double = 10
        @Option(name: .long, help: "Seconds between usage reports (streamed settlement) of each running lease.")
        var usageSeconds: Double = 60
        @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error.")
        var logLevel = "info"
        @Flag(name: .long, help: "Log one JSON object per line on standard error (for log collectors) instead of text.")
        var json = false

        func validate() throws {
            guard heartbeatSeconds >= 0.1, heartbeatSeconds <= 3_600 else { throw ValidationError("--heartbeat-seconds must be between 0.1 and 3600") }
            guard usageSeconds >= 1, usageSeconds <= 86_400 else { throw ValidationError("--usage-seconds must be between 1 and 86400") }
            guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level must be trace, debug, info, notice, warning or error") }
        }

        func run() async throws {
            let level = Logger.Level(rawValue: logLevel) ?? .info
            let json = self.json
            LoggingSystem.bootstrap { label in
                var handler: any LogHandler = json ? JSONLogHandler(label: label) : StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
            let logger = Logger(label: "osg.agent")
            let setup: AgentSetup
            do {
                setup = try await AgentSetup.make(configPath: config, coordinator: coordinator, key: key, simulate: simulate, logger: logger)
            } catch {
                throw CleanExit.failure("\(error)")
            }
            var timing = Agent.Timing()
            timing.heartbeatSeconds = heartbeatSeconds
            timing.usageReportSeconds = usageSeconds
            let agent = try setup.agent(timing: timing, logger: logger)
            let hardware = setup.hardware
            logger.info("agent starting", metadata: [
                "node": "\(setup.registration.id)", "gpus": "\(hardware.gpuCount)x\(hardware.gpuModel.name)\(hardware.simulated ? " (simulated)" : "")",
                "cpu": "\(hardware.cpuCores)", "memory_gib": "\(hardware.memoryGiB)", "executor": "\(setup.executor.name)",
            ])
            let task = Task { try await agent.run() }
            let signals = [SIGINT, SIGTERM].map { number -> DispatchSourceSignal in
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number)
                source.setEventHandler { task.cancel() }
                source.resume()
                return source
            }
            defer { signals.forEach { $0.cancel() } }
            do {
                try await task.value
            } catch is CancellationError {
            } catch {
                throw CleanExit.failure("\(error)")
            }
            logger.info("agent stopped; running jobs keep running and the next `osg agent run` takes them over")
        }
    }

    /// `osg agent status`: what the agent last wrote.
    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the agent's state: registration, heartbeats, running leases.")

        @Option(name: .long, help: "The agent configuration.")
        var config = "agent.yaml"
        @Flag(name: .long, help: "Print one JSON object instead of text.")
        var json = false

        func run() throws {
            let configuration: AgentConfiguration
            do { configuration = try AgentConfiguration.load(from: config) } catch { throw CleanExit.failure("\(error)") }
            let stateDirectory = AgentConfiguration.resolve(configuration.stateDirectory, relativeTo: config)
            let file = Agent.statusFile(in: URL(fileURLWithPath: stateDirectory).appendingPathComponent("agent"))
            guard let data = FileManager.default.contents(atPath: file.path) else {
                throw CleanExit.failure("no status in \(file.path): the agent has not run with this configuration yet")
            }
            if json {
                print(String(decoding: data, as: UTF8.self))
                return
            }
            guard let status = try? JSONDecoder().decode(Agent.Status.self, from: data) else {
                throw CleanExit.failure("\(file.path) is not an agent status file")
            }
            print("nodes:        \(status.nodes.joined(separator: ", ")) (\(status.registered ? "registered" : "not registered yet"))")
            print("executor:     \(status.executor)")
            print("coordinator:  \(configuration.coordinator) (\(status.coordinatorReachable ? "reachable" : "unreachable"))")
            print("heartbeat:    \(status.lastHeartbeat ?? "never")")
            print("lease poll:   \(status.lastPoll ?? "never") (version \(status.leaseVersion))")
            print("running:      \(status.running.isEmpty ? "none" : status.running.joined(separator: ", "))")
            if !status.endsToReport.isEmpty { print("to report:    \(status.endsToReport.joined(separator: ", "))") }
            if let error = status.lastError { print("last error:   \(error)") }
        }
    }
}

/// Everything `osg agent run` builds from its configuration before the loop starts.
struct AgentSetup {
    var configuration: AgentConfiguration
    var client: CoordinatorClient
    var hardware: NodeHardware
    var registration: NodeRegistrationRequest
    var executor: any LeaseExecutor
    var stateDirectory: URL

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Reads the configuration, discovers the hardware and builds the executor and client.
    static func make(configPath: String, coordinator: String? = nil, key: String? = nil, simulate: String? = nil,
                     logger: Logger) async throws -> AgentSetup {
        var configuration = try AgentConfiguration.load(from: configPath)
        if let coordinator { configuration.coordinator = coordinator }
        if let key { configuration.key = key }
        if let simulate { configuration.node.simulate = simulate }
        let keyFile = try KeyFile.read(from: AgentConfiguration.resolve(configuration.key, relativeTo: configPath))
        let trust = try CoordinatorTrust.resolve(
            caCertificatePath: configuration.caCert.map { AgentConfiguration.resolve($0, relativeTo: configPath) },
            environment: ProcessInfo.processInfo.environment)
        let stateDirectory = URL(fileURLWithPath: AgentConfiguration.resolve(configuration.stateDirectory, relativeTo: configPath))
        // 0711: traversable (the sandbox's job users reach their lease's work folder below it),
        // not listable; the journal and each lease's files are private below it.
        try FileManager.default.createDirectory(at: stateDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o711])
        let report = try await HardwareDiscovery().discover(
            simulate: configuration.node.simulate, configuredModel: configuration.node.gpuModel.flatMap(GPUModel.named),
            workDirectory: stateDirectory.path)
        for warning in report.warnings { logger.warning("\(warning)") }
        var hardware = report.hardware
        // The operator may offer less than the host has, never more.
        if let cpu = configuration.node.cpu { hardware.cpuCores = min(hardware.cpuCores, cpu) }
        if let memory = configuration.node.memoryGib { hardware.memoryGiB = min(hardware.memoryGiB, memory) }
        if let disk = configuration.node.diskGib { hardware.diskGiB = min(hardware.diskGiB, disk) }
        let node = configuration.node
        let registration = NodeRegistrationRequest(
            id: node.id, gpuModel: hardware.gpuModel.name, gpus: hardware.gpuCount, vramGib: hardware.vramGiB, cpu: hardware.cpuCores,
            memoryGib: hardware.memoryGiB, diskGib: hardware.diskGiB, region: node.region, jurisdiction: node.jurisdiction, zone: node.zone,
            powerSource: node.powerSource ?? "grid", askPrice: node.askPrice, stake: node.stake ?? "0", simulated: hardware.simulated)
        let executorDirectory = executorDirectory(in: stateDirectory, executor: configuration.executor)
        let executor: any LeaseExecutor = switch configuration.executor {
        case "slurm": SlurmExecutor(stateDirectory: executorDirectory, partition: configuration.slurmPartition, logger: logger)
        default: SandboxExecutor(
            stateDirectory: executorDirectory, jobUIDBase: configuration.jobUIDBase ?? SandboxExecutor.defaultJobUIDBase,
            keepsWarmSandboxes: configuration.warmSandboxes ?? true, logger: logger)
        }
        return AgentSetup(
            configuration: configuration, client: CoordinatorClient(baseURL: configuration.coordinator, key: keyFile.privateKey, trust: trust),
            hardware: hardware, registration: registration, executor: executor, stateDirectory: stateDirectory)
    }

    /// Where the executor named `executor` keeps its leases below an agent's state folder.
    static func executorDirectory(in stateDirectory: URL, executor: String) -> URL {
        stateDirectory.appendingPathComponent("leases-\(executor)")
    }

    /// The agent, ready to run.
    func agent(timing: Agent.Timing, logger: Logger) throws -> Agent {
        let coordinator = HTTPAgentCoordinator(client: client)
        return try Agent(
            nodes: [registration], offers: [LeaseReconciler.NodeOffer(id: registration.id, gpuIndices: hardware.gpuIndices)],
            coordinator: coordinator, executor: executor,
            stateDirectory: stateDirectory.appendingPathComponent("agent"), timing: timing, logger: logger,
            gpuReadings: hardware.simulated ? nil : Self.readGPUs,
            gpuBenchmark: hardware.simulated ? nil : Self.benchmarkGPUs, data: coordinator)
    }

    /// Real GPUs: the GPU benchmark with `python3` from the agent's PATH (PyTorch with CUDA;
    /// docs/AGENT.md): about 2 s per GPU after the tool starts.
    @Sendable static func benchmarkGPUs(_ indices: [Int]) async -> GPUBenchmark.Outcome {
        await GPUBenchmark.run(gpuIndices: indices, timeout: .seconds(60 + 10 * indices.count))
    }

    /// Real GPUs: utilisation and power for the usage reports (no reading, no counter).
    @Sendable static func readGPUs() async -> [Int: GPUUsageQuery.Reading] {
        guard let output = try? await NvidiaSMIRunner().run(arguments: GPUUsageQuery.arguments), output.exitStatus == 0 else { return [:] }
        return GPUUsageQuery.parse(output.stdout)
    }
}
