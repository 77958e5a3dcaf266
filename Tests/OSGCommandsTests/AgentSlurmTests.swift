import Foundation
import Logging
import OSGAgent
import OSGServer
import Testing
@testable import OSGCommands

@Suite("An agent whose executor is the operator's Slurm", .serialized)
struct AgentSlurmTests {
    /// The test Slurm of `scripts/start-test-slurm.sh`; CI starts it, so there its absence fails.
    static let slurmConfig = URL(fileURLWithPath: ProcessInfo.processInfo.environment["OSG_TEST_SLURM_CONF"] ?? "/tmp/osg-test-slurm/etc/slurm.conf")
    static let enabled = FileManager.default.fileExists(atPath: slurmConfig.path) || ProcessInfo.processInfo.environment["CI"] != nil

    @Test("jobs leased to the agent run through sbatch: completion, a failure's exit code, the leased GPUs", .enabled(if: enabled))
    func slurmJobs() async throws {
        try await LoopbackCoordinator.run(configure: { AgentNetwork.configure(&$0, heartbeatTimeoutSeconds: 60) }) { port in
            let network = try await AgentNetwork.make(regions: ["eu"], url: "http://127.0.0.1:\(port)")
            var logger = Logger(label: "agent-slurm")
            logger.logLevel = .warning
            let executor = SlurmExecutor(
                stateDirectory: network.stateDirectories[0].appendingPathComponent("slurm"), slurmConfig: Self.slurmConfig,
                startWaitSeconds: 30, logger: logger)
            try await executor.preflight()
            let agent = try network.agent(0, executor: executor)
            try await network.fund()
            let running = Task { try await agent.run() }
            defer { running.cancel() }
            let fine = try await network.submit(AgentNetwork.spec("under-slurm", command: "echo slurm job $SLURM_JOB_ID; echo gpus=$CUDA_VISIBLE_DEVICES", gpus: 2))
            let failing = try await network.submit(AgentNetwork.spec("fails-under-slurm", command: "echo failing; exit 5"))
            try await network.waitFor(fine, seconds: 90) { $0["status"] as? String == "completed" }
            let lines = try await network.logs(fine)
            #expect(lines.first?.hasPrefix("slurm job ") == true && lines.count == 2, "\(lines)")
            #expect(lines.last.map { $0.hasPrefix("gpus=") && $0.count > "gpus=".count } == true, "Slurm gave the job its GPUs: \(lines)")
            let failed = try await network.waitFor(failing, seconds: 90) { $0["status"] as? String == "failed" }
            #expect(AgentNetwork.lastLease(failed)["end_reason"] as? String == "job_failed")
            #expect(AgentNetwork.lastLease(failed)["exit_code"] as? Int == 5)
            #expect(try await network.logs(failing) == ["failing"])
        }
    }
}
