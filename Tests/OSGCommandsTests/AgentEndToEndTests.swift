import Foundation
import HummingbirdTesting
import Logging
import OSGAgent
import OSGServer
import OSGStore
import Testing
@testable import OSGCommands

/// A coordinator and three agents (bubblewrap sandboxes, simulated GPUs) on loopback, running a
/// mixed workload to its end through the public API only.
@Suite("Agents end to end: a coordinator and three agents run jobs in sandboxes", .serialized)
struct AgentEndToEndTests {
    /// Sandbox tests need bubblewrap; in CI its absence is a failure, not a skip.
    static let sandboxAvailable = SandboxExecutor.isUsable

    struct Network: Sendable {
        var url: String
        var tenant: CoordinatorClient
        var agents: [Agent]
        var stateDirectories: [URL]
    }

    static func timing() -> Agent.Timing {
        var timing = Agent.Timing()
        timing.heartbeatSeconds = 1
        timing.pollWaitSeconds = 2
        timing.usageReportSeconds = 2
        timing.outputFlushSeconds = 0.2
        timing.backoffFirstSeconds = 0.1
        timing.backoffMaxSeconds = 1
        timing.stopGraceSeconds = 1
        return timing
    }

    /// Starts the coordinator and agents for n1, n2 (region eu) and n3 (us-west), each with four
    /// simulated H100s, 8 cores and 8 GiB, funds a tenant, and runs `body`.
    static func withNetwork(_ body: @escaping @Sendable (Network) async throws -> Void) async throws {
        try await LoopbackCoordinator.run(configure: {
            $0.devnetFaucet = true
            $0.clearIntervalSeconds = 0.5
            $0.readCopyMilliseconds = 0
            $0.publicCacheMilliseconds = 0
        }) { port in
            let url = "http://127.0.0.1:\(port)"
            var agents: [Agent] = []
            var directories: [URL] = []
            for (index, region) in ["eu", "eu", "us-west"].enumerated() {
                let key = KeyFile.generate()
                let state = URL(fileURLWithPath: temporaryPath("agent-\(index + 1)"))
                // As `osg agent run` makes it: traversable by the sandbox's job users, not listable.
                try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o711])
                directories.append(state)
                let node = NodeRegistrationRequest(
                    id: "n\(index + 1)", gpuModel: "H100", gpus: 4, vramGib: 80, cpu: 8, memoryGib: 8, diskGib: 10, region: region,
                    jurisdiction: "DE", zone: "DE", powerSource: "wind", askPrice: "1.00", stake: "0", simulated: true)
                var logger = Logger(label: "agent-n\(index + 1)")
                logger.logLevel = .warning
                let executor = SandboxExecutor(stateDirectory: state.appendingPathComponent("leases"), logger: logger)
                agents.append(try Agent(
                    nodes: [node], offers: [.init(id: node.id, gpuIndices: [0, 1, 2, 3])],
                    coordinator: HTTPAgentCoordinator(client: CoordinatorClient(baseURL: url, key: key.privateKey)),
                    executor: executor, stateDirectory: state.appendingPathComponent("agent"), timing: timing(), logger: logger))
            }
            let tenant = CoordinatorClient(baseURL: url, key: KeyFile.generate().privateKey)
            let funded = try await tenant.send(.POST, "/v1/faucet", body: Array(#"{"amount":"500"}"#.utf8))
            #expect(funded.status == 200, "\(funded.errorSummary)")
            let running = agents.map { agent in Task { try await agent.run() } }
            defer { running.forEach { $0.cancel() } }
            try await body(Network(url: url, tenant: tenant, agents: agents, stateDirectories: directories))
        }
    }

    static func spec(_ name: String, command: String, nodes: Int = 1, region: String? = nil) -> [UInt8] {
        let placement = region.map { #","placement":{"regions":["\#($0)"]}"# } ?? ""
        let escaped = command.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return Array("""
            {"name":"\(name)","command":["/bin/sh","-c","\(escaped)"],"resources":{"gpu":{"model":"H100","count":1},\
            "cpu":1,"memory_gib":1},"nodes":\(nodes),"duration":"5m","max_duration":"10m","max_price":"2.00"\(placement)}
            """.utf8)
    }

    static func submit(_ network: Network, _ body: [UInt8]) async throws -> String {
        let answer = try await network.tenant.send(.POST, "/v1/jobs", body: body)
        #expect(answer.status == 201, "\(answer.errorSummary)")
        return try #require((answer.json as? [String: Any])?["job"] as? String)
    }

    static func job(_ network: Network, _ id: String) async throws -> [String: Any] {
        try #require(try await network.tenant.send(.GET, "/v1/jobs/\(id)").json as? [String: Any])
    }

    /// Polls the job until `done` holds (at most `seconds`).
    static func waitFor(_ network: Network, _ id: String, seconds: Double = 60, _ done: ([String: Any]) -> Bool) async throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(seconds)
        var last: [String: Any] = [:]
        while Date() < deadline {
            last = try await job(network, id)
            if done(last) { return last }
            try await Task.sleep(for: .milliseconds(200))
        }
        Issue.record("job \(id) did not reach the expected state in \(seconds) s; last: \(last)")
        return last
    }

    static func logs(_ network: Network, _ id: String) async throws -> String {
        try await network.tenant.send(.GET, "/v1/jobs/\(id)/logs").text
    }

    static func lastLease(_ job: [String: Any]) -> [String: Any] {
        (job["leases"] as? [[String: Any]])?.last ?? [:]
    }

    @Test("single jobs complete or fail with their exit code, a gang of two runs both ranks, a cancelled job is stopped",
          .enabled(if: sandboxAvailable || ProcessInfo.processInfo.environment["CI"] != nil))
    func mixedWorkload() async throws {
        try #require(Self.sandboxAvailable, "bubblewrap cannot create sandboxes here (CI must be able to): apt-get install bubblewrap")
        try await Self.withNetwork { network in
            let hello = try await Self.submit(network, Self.spec("hello", command: "echo hello from $OSG_LEASE_ID; echo gpus=$CUDA_VISIBLE_DEVICES"))
            let failing = try await Self.submit(network, Self.spec("failing", command: "echo about to fail; exit 3"))
            let gang = try await Self.submit(network, Self.spec("gang", command: "echo rank=$OSG_RANK of $OSG_WORLD_SIZE on $OSG_GANG_NODES", nodes: 2, region: "eu"))
            let long = try await Self.submit(network, Self.spec("long", command: "echo started; exec sleep 300"))

            let done = try await Self.waitFor(network, hello) { $0["status"] as? String == "completed" }
            #expect(Self.lastLease(done)["end_reason"] as? String == "completed")
            #expect(Self.lastLease(done)["exit_code"] as? Int == 0)
            let helloLogs = try await Self.logs(network, hello)
            #expect(helloLogs.contains("hello from lease-") && helloLogs.contains("gpus=0"), "\(helloLogs)")

            let failed = try await Self.waitFor(network, failing) { $0["status"] as? String == "failed" }
            #expect(Self.lastLease(failed)["end_reason"] as? String == "job_failed")
            #expect(Self.lastLease(failed)["exit_code"] as? Int == 3)
            #expect(failed["failed_runs"] as? Int == 1)
            #expect(try await Self.logs(network, failing).contains("about to fail"))

            let gangDone = try await Self.waitFor(network, gang) { $0["status"] as? String == "completed" }
            let nodes = (Self.lastLease(gangDone)["nodes"] as? [[String: Any]])?.compactMap { $0["node"] as? String }
            #expect(nodes == ["n1", "n2"], "the gang took both eu nodes")
            let gangLogs = try await Self.logs(network, gang)
            #expect(gangLogs.contains("rank=0 of 2 on n1,n2"), "\(gangLogs)")

            _ = try await Self.waitFor(network, long) { $0["status"] as? String == "running" }
            _ = try await Self.waitFor(network, long, seconds: 10) { _ in true }
            let cancelled = try await network.tenant.send(.DELETE, "/v1/jobs/\(long)")
            #expect(cancelled.status == 200, "\(cancelled.errorSummary)")
            // The agent kills the job and removes its files once the lease is gone.
            let deadline = Date().addingTimeInterval(20)
            var leftovers = [String]()
            repeat {
                try await Task.sleep(for: .milliseconds(200))
                leftovers = network.stateDirectories.flatMap { directory in
                    (try? FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("leases/leases").path)) ?? []
                }
            } while !leftovers.isEmpty && Date() < deadline
            #expect(leftovers.isEmpty, "every lease's files are removed once it ended: \(leftovers)")
            #expect(try await Self.logs(network, long).contains("started"))
        }
    }
}
