import Foundation
import Logging
import OSGAgent
import OSGServer
import Testing
@testable import OSGCommands

/// A coordinator and agents (bubblewrap sandboxes, simulated GPUs) on loopback, for end-to-end
/// tests through the public API only. Agents can be stopped and started again on their state
/// folders, and the coordinator restarted on its data folder and port.
struct AgentNetwork: Sendable {
    /// Sandbox tests need bubblewrap; in CI its absence is a failure, not a skip.
    static let sandboxAvailable = SandboxExecutor.isUsable
    /// Whether to run the sandboxed end-to-end tests: where bubblewrap works, and always in CI.
    static let enabled = sandboxAvailable || ProcessInfo.processInfo.environment["CI"] != nil

    var url: String
    var tenant: CoordinatorClient
    /// The tenant's key, to write a key file for the `osg` binary.
    var tenantKey: KeyFile
    var nodes: [NodeRegistrationRequest]
    var operatorKeys: [KeyFile]
    var stateDirectories: [URL]

    static func timing() -> Agent.Timing {
        var timing = Agent.Timing()
        timing.heartbeatSeconds = 1
        timing.pollWaitSeconds = 2
        timing.usageReportSeconds = 2
        timing.outputFlushSeconds = 0.2
        timing.backoffFirstSeconds = 0.1
        timing.backoffMaxSeconds = 1
        timing.stopGraceSeconds = 1
        timing.benchmark = .small
        return timing
    }

    /// A new agent for node `index` on its state folder (a restarted agent, when one ran before),
    /// with a sandbox executor unless `executor` is given.
    func agent(_ index: Int, executor: (any LeaseExecutor)? = nil,
               gpuReadings: (@Sendable () async -> [Int: GPUUsageQuery.Reading])? = nil,
               gpuBenchmark: (@Sendable ([Int]) async -> GPUBenchmark.Outcome)? = nil, logger given: Logger? = nil) throws -> Agent {
        var logger = given ?? Logger(label: "agent-\(nodes[index].id)")
        if given == nil { logger.logLevel = .warning }
        let state = stateDirectories[index]
        let coordinator = HTTPAgentCoordinator(client: CoordinatorClient(baseURL: url, key: operatorKeys[index].privateKey))
        return try Agent(
            nodes: [nodes[index]], offers: [.init(id: nodes[index].id, gpuIndices: Array(0..<nodes[index].gpus))],
            coordinator: coordinator,
            executor: executor ?? SandboxExecutor(stateDirectory: state.appendingPathComponent("leases"), logger: logger),
            stateDirectory: state.appendingPathComponent("agent"), timing: Self.timing(), logger: logger, gpuReadings: gpuReadings,
            gpuBenchmark: gpuBenchmark, data: coordinator)
    }

    /// Starts agent `index`; cancel the task to stop it (its jobs keep running, as after a kill).
    func start(_ index: Int, gpuReadings: (@Sendable () async -> [Int: GPUUsageQuery.Reading])? = nil,
               gpuBenchmark: (@Sendable ([Int]) async -> GPUBenchmark.Outcome)? = nil) throws -> Task<Void, any Error> {
        let agent = try agent(index, gpuReadings: gpuReadings, gpuBenchmark: gpuBenchmark)
        return Task { try await agent.run() }
    }

    /// Nodes n1, n2, … in `regions`, each with four simulated H100s, 8 cores and 8 GiB, each
    /// with its own operator key and agent; a tenant funded with 500 credits. The coordinator
    /// runs a tick and a clearing every half second.
    static func make(regions: [String], url: String) async throws -> AgentNetwork {
        var nodes: [NodeRegistrationRequest] = []
        var keys: [KeyFile] = []
        var directories: [URL] = []
        for (index, region) in regions.enumerated() {
            let state = URL(fileURLWithPath: temporaryPath("agent-\(index + 1)"))
            // As `osg agent run` makes it: traversable by the sandbox's job users, not listable.
            try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o711])
            directories.append(state)
            keys.append(KeyFile.generate())
            nodes.append(NodeRegistrationRequest(
                id: "n\(index + 1)", gpuModel: "H100", gpus: 4, vramGib: 80, cpu: 8, memoryGib: 8, diskGib: 10, region: region,
                jurisdiction: "DE", zone: "DE", powerSource: "wind", askPrice: "1.00", stake: "0", simulated: true))
        }
        let tenantKey = KeyFile.generate()
        let tenant = CoordinatorClient(baseURL: url, key: tenantKey.privateKey)
        return AgentNetwork(url: url, tenant: tenant, tenantKey: tenantKey, nodes: nodes, operatorKeys: keys, stateDirectories: directories)
    }

    /// The coordinator's settings for these tests: devnet faucet, a market timer of half a
    /// second, reads never older than the last write.
    static func configure(_ configuration: inout ServerConfiguration, heartbeatTimeoutSeconds: Int64, preemptionNoticeSeconds: Int64 = 120) {
        configuration.preemptionNoticeSeconds = preemptionNoticeSeconds
        configuration.devnetFaucet = true
        configuration.clearIntervalSeconds = 0.5
        configuration.readCopyMilliseconds = 0
        configuration.publicCacheMilliseconds = 0
        configuration.heartbeatTimeoutSeconds = heartbeatTimeoutSeconds
    }

    /// A coordinator and one running agent per region; `body` runs with the network while they do.
    static func with(regions: [String], heartbeatTimeoutSeconds: Int64 = 90,
                     _ body: @escaping @Sendable (AgentNetwork) async throws -> Void) async throws {
        try await LoopbackCoordinator.run(configure: { configure(&$0, heartbeatTimeoutSeconds: heartbeatTimeoutSeconds) }) { port in
            let network = try await make(regions: regions, url: "http://127.0.0.1:\(port)")
            try await network.fund()
            let running = try regions.indices.map { try network.start($0) }
            defer { running.forEach { $0.cancel() } }
            try await body(network)
        }
    }

    func fund() async throws {
        let funded = try await tenant.send(.POST, "/v1/faucet", body: Array(#"{"amount":"500"}"#.utf8))
        #expect(funded.status == 200, "\(funded.errorSummary)")
    }

    // MARK: Jobs

    /// A shell job with `gpus` GPUs per node.
    static func spec(_ name: String, command: String, nodes: Int = 1, gpus: Int = 1, region: String? = nil, jobClass: String? = nil,
                     env: [String: String] = [:]) -> [UInt8] {
        let variables = env.sorted { $0.key < $1.key }.map { #""\#($0.key)":"\#($0.value)""# }.joined(separator: ",")
        let placement = (region.map { #","placement":{"regions":["\#($0)"]}"# } ?? "") + (jobClass.map { #","class":"\#($0)""# } ?? "")
            + (env.isEmpty ? "" : #","env":{\#(variables)}"#)
        let escaped = command.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return Array("""
            {"name":"\(name)","command":["/bin/sh","-c","\(escaped)"],"resources":{"gpu":{"model":"H100","count":\(gpus)},\
            "cpu":1,"memory_gib":1},"nodes":\(nodes),"duration":"5m","max_duration":"10m","max_price":"2.00"\(placement)}
            """.utf8)
    }

    func submit(_ body: [UInt8]) async throws -> String {
        let answer = try await tenant.send(.POST, "/v1/jobs", body: body)
        #expect(answer.status == 201, "\(answer.errorSummary)")
        return try #require((answer.json as? [String: Any])?["job"] as? String)
    }

    func job(_ id: String) async throws -> [String: Any] {
        try #require(try await tenant.send(.GET, "/v1/jobs/\(id)").json as? [String: Any])
    }

    /// Polls the job until `done` holds (at most `seconds`; records an issue otherwise).
    @discardableResult
    func waitFor(_ id: String, seconds: Double = 60, _ done: ([String: Any]) -> Bool) async throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(seconds)
        var last: [String: Any] = [:]
        while Date() < deadline {
            if let answer = try? await job(id) {
                last = answer
                if done(last) { return last }
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        Issue.record("job \(id) did not reach the expected state in \(seconds) s; last: \(last)")
        return last
    }

    func logs(_ id: String) async throws -> [String] {
        let answer = try await tenant.send(.GET, "/v1/jobs/\(id)/logs")
        return (answer.json as? [String: Any])?["lines"] as? [String] ?? []
    }

    /// The files the sandbox keeps for node `index`'s leases.
    func leaseFolders(_ index: Int) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: stateDirectories[index].appendingPathComponent("leases/leases").path)) ?? []
    }

    static func leases(_ job: [String: Any]) -> [[String: Any]] {
        job["leases"] as? [[String: Any]] ?? []
    }

    static func lastLease(_ job: [String: Any]) -> [String: Any] {
        leases(job).last ?? [:]
    }

    static func nodes(of lease: [String: Any]) -> [String] {
        (lease["nodes"] as? [[String: Any]])?.compactMap { $0["node"] as? String } ?? []
    }
}

/// Polls `condition` every 200 ms for at most `seconds`.
func eventually(seconds: Double = 20, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    repeat {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(200))
    } while Date() < deadline
    return try await condition()
}
