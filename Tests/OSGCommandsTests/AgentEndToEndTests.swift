import Foundation
import OSGAgent
import Testing
@testable import OSGCommands

/// A coordinator and three agents (bubblewrap sandboxes, simulated GPUs) on loopback, running a
/// mixed workload to its end through the public API only.
@Suite("Agents end to end: a coordinator and three agents run jobs in sandboxes", .serialized)
struct AgentEndToEndTests {
    @Test("single jobs complete or fail with their exit code, a gang of two runs both ranks, a cancelled job is stopped",
          .enabled(if: AgentNetwork.enabled))
    func mixedWorkload() async throws {
        try #require(AgentNetwork.sandboxAvailable, "bubblewrap cannot create sandboxes here (CI must be able to): apt-get install bubblewrap")
        try await AgentNetwork.with(regions: ["eu", "eu", "us-west"]) { network in
            let hello = try await network.submit(AgentNetwork.spec("hello", command: "echo hello from $OSG_LEASE_ID with $GREETING; echo gpus=$CUDA_VISIBLE_DEVICES", env: ["GREETING": "the spec's env"]))
            let failing = try await network.submit(AgentNetwork.spec("failing", command: "echo about to fail; exit 3"))
            let gang = try await network.submit(AgentNetwork.spec("gang", command: "echo rank=$OSG_RANK of $OSG_WORLD_SIZE on $OSG_GANG_NODES", nodes: 2, region: "eu"))
            let long = try await network.submit(AgentNetwork.spec("long", command: "echo started; exec sleep 3600"))

            let done = try await network.waitFor(hello) { $0["status"] as? String == "completed" }
            #expect(AgentNetwork.lastLease(done)["end_reason"] as? String == "completed")
            #expect(AgentNetwork.lastLease(done)["exit_code"] as? Int == 0)
            let helloLogs = try await network.logs(hello)
            // One GPU of the node's four: whichever the agent found free first.
            #expect(helloLogs.count == 2 && helloLogs[0].hasPrefix("hello from lease-") && helloLogs[0].hasSuffix(" with the spec's env")
                    && ["gpus=0", "gpus=1", "gpus=2", "gpus=3"].contains(helloLogs[1]), "\(helloLogs)")

            let failed = try await network.waitFor(failing) { $0["status"] as? String == "failed" }
            #expect(AgentNetwork.lastLease(failed)["end_reason"] as? String == "job_failed")
            #expect(AgentNetwork.lastLease(failed)["exit_code"] as? Int == 3)
            #expect(failed["failed_runs"] as? Int == 1)
            #expect(try await network.logs(failing) == ["about to fail"])

            let gangDone = try await network.waitFor(gang) { $0["status"] as? String == "completed" }
            #expect(AgentNetwork.nodes(of: AgentNetwork.lastLease(gangDone)) == ["n1", "n2"], "the gang took both eu nodes")
            let gangLogs = try await network.logs(gang)
            #expect(gangLogs.contains("[rank 0] rank=0 of 2 on n1,n2"), "\(gangLogs)")

            try await network.waitFor(long) { $0["status"] as? String == "running" }
            #expect(try await eventually { try await network.logs(long) == ["started"] })
            let cancelled = try await network.tenant.send(.DELETE, "/v1/jobs/\(long)")
            #expect(cancelled.status == 200, "\(cancelled.errorSummary)")
            // The agent kills the job and removes its files once the lease is gone.
            // Each agent measured its host and published it: measured, not declared.
            for node in ["n1", "n2", "n3"] {
                let view = try await network.tenant.send(.GET, "/v1/nodes/\(node)").json as? [String: Any]
                let benchmark = view?["benchmark"] as? [String: Any]
                #expect(benchmark?["tool"] as? String == "osg-hostbench" && benchmark?["gpus_measured"] as? Int == 0, "\(view ?? [:])")
                #expect((benchmark?["host_cpu_fp32_gflops"] as? Int ?? 0) > 0 && (benchmark?["host_cpu_cores"] as? Int ?? 0) > 0)
                #expect(view?["simulated"] as? Bool == true)
            }
            let cleaned = await eventually { network.stateDirectories.indices.allSatisfy { network.leaseFolders($0).isEmpty } }
            #expect(cleaned, "every lease's files are removed once it ended: \(network.stateDirectories.indices.map(network.leaseFolders))")
        }
    }
}
