import Foundation
import Logging
import OSGAgent
import OSGServer
import Testing
@testable import OSGCommands

@Suite("Preemption reaches the job: SIGTERM at the notice, the lease ends at the deadline", .serialized)
struct AgentPreemptionTests {
    @Test("a preemptible job gets SIGTERM when a standard job needs its GPUs, is requeued, and the standard job runs",
          .enabled(if: AgentNetwork.enabled))
    func preemption() async throws {
        try #require(AgentNetwork.sandboxAvailable, "bubblewrap cannot create sandboxes here (CI must be able to): apt-get install bubblewrap")
        try await LoopbackCoordinator.run(configure: {
            AgentNetwork.configure(&$0, heartbeatTimeoutSeconds: 30, preemptionNoticeSeconds: 2)
        }) { port in
            let network = try await AgentNetwork.make(regions: ["eu"], url: "http://127.0.0.1:\(port)")
            try await network.fund()
            let agent = try network.start(0)
            defer { agent.cancel() }
            let lender = try await network.submit(AgentNetwork.spec(
                "lender", command: "trap 'echo got TERM, saving; exit 0' TERM; echo working; while true; do sleep 0.1; done",
                gpus: 4, jobClass: "preemptible"))
            try await network.waitFor(lender) { $0["status"] as? String == "running" }
            #expect(try await eventually { try await network.logs(lender).contains("working") })
            let urgent = try await network.submit(AgentNetwork.spec("urgent", command: "echo urgent ran", gpus: 4))
            let done = try await network.waitFor(urgent, seconds: 40) { $0["status"] as? String == "completed" }
            #expect(try await network.logs(urgent) == ["urgent ran"])
            #expect(AgentNetwork.lastLease(done)["end_reason"] as? String == "completed")
            let preempted = try await network.job(lender)
            #expect(AgentNetwork.leases(preempted).first?["end_reason"] as? String == "preempted", "\(preempted)")
            #expect(try await network.logs(lender).contains("got TERM, saving"), "the job heard the notice")
            #expect(preempted["failed_runs"] as? Int == 0, "being preempted is not the job's failure")
            // Requeued: it runs again once the urgent job is done.
            try await network.waitFor(lender, seconds: 30) { AgentNetwork.leases($0).count == 2 && $0["status"] as? String == "running" }
            let cancelled = try await network.tenant.send(.DELETE, "/v1/jobs/\(lender)")
            #expect(cancelled.status == 200)
        }
    }
}
