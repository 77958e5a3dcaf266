import Foundation
import Logging
import OSGAgent
import OSGServer
import Testing
@testable import OSGCommands

/// What happens to running jobs when an agent or the coordinator stops (DESIGN.md §11: only an
/// explicit, logged decision ends a lease; nothing runs twice).
@Suite("Agents under failure: a killed agent, a restarted agent, a restarted coordinator", .serialized)
struct AgentFailureTests {
    @Test("an agent that goes silent loses its lease at the heartbeat timeout; the job runs again elsewhere; the agent, back, kills its orphan",
          .enabled(if: AgentNetwork.enabled))
    func silentAgent() async throws {
        try #require(AgentNetwork.sandboxAvailable, "bubblewrap cannot create sandboxes here (CI must be able to): apt-get install bubblewrap")
        try await LoopbackCoordinator.run(configure: { AgentNetwork.configure(&$0, heartbeatTimeoutSeconds: 3) }) { port in
            let network = try await AgentNetwork.make(regions: ["eu", "eu"], url: "http://127.0.0.1:\(port)")
            try await network.fund()
            var running = [try network.start(0)]
            defer { running.forEach { $0.cancel() } }
            // Only n1's agent runs while the job is placed, so the job lands on n1.
            // The job outlasts the 3 s heartbeat timeout by far: a cancelled agent's job watcher
            // still reports the job's end (a killed process would not), and on a loaded machine the
            // coordinator's ticks come late, so the silence must be noticed long before the end.
            let job = try await network.submit(AgentNetwork.spec("resilient", command: "echo on $OSG_LEASE_ID; sleep 12; echo finished"))
            let first = try await network.waitFor(job) { $0["status"] as? String == "running" }
            #expect(AgentNetwork.nodes(of: AgentNetwork.lastLease(first)) == ["n1"])
            #expect(try await eventually { try await network.logs(job).count == 1 }, "the job started on n1")
            running.append(try network.start(1))
            // n1's agent dies (its job, outside the agent, goes on): no more heartbeats.
            running[0].cancel()
            let done = try await network.waitFor(job, seconds: 60) { $0["status"] as? String == "completed" }
            let leases = AgentNetwork.leases(done)
            // A heartbeat n1's agent sent just before it died may reach the writer only after the
            // timeout (a loaded machine): n1 is then online again for a moment, the job may be
            // placed there once more and lost again at the next timeout. Every lease but the last
            // is n1's and lost; the last ran on n2 to the end.
            #expect(leases.count >= 2 && leases.count <= 4, "\(leases)")
            #expect(leases.dropLast().allSatisfy { $0["end_reason"] as? String == "node_lost" && AgentNetwork.nodes(of: $0) == ["n1"] }, "\(leases)")
            #expect(leases.last?["end_reason"] as? String == "completed" && leases.last.map(AgentNetwork.nodes) == ["n2"], "\(leases)")
            #expect(done["failed_runs"] as? Int == 0, "a lost node is not the job's failure")
            // n1's agent comes back: its job's lease is gone, so it kills the job and cleans up, reporting nothing.
            running[0] = try network.start(0)
            #expect(await eventually { network.leaseFolders(0).isEmpty }, "\(network.leaseFolders(0))")
            let final = try await network.job(job)
            #expect(AgentNetwork.leases(final).count == leases.count, "nothing was reported for the orphan")
        }
    }

    @Test("a restarted agent takes its running job over: the job runs once, its end is reported once",
          .enabled(if: AgentNetwork.enabled))
    func restartedAgent() async throws {
        try #require(AgentNetwork.sandboxAvailable, "bubblewrap cannot create sandboxes here (CI must be able to): apt-get install bubblewrap")
        try await LoopbackCoordinator.run(configure: { AgentNetwork.configure(&$0, heartbeatTimeoutSeconds: 30) }) { port in
            let network = try await AgentNetwork.make(regions: ["eu"], url: "http://127.0.0.1:\(port)")
            try await network.fund()
            var agent = try network.start(0)
            defer { agent.cancel() }
            let job = try await network.submit(AgentNetwork.spec("once", command: "echo begin; sleep 3; echo end; exit 7"))
            try await network.waitFor(job) { $0["status"] as? String == "running" }
            #expect(try await eventually { try await network.logs(job) == ["begin"] })
            // The agent stops while its job runs; a new agent starts on the same state folder.
            agent.cancel()
            try await Task.sleep(for: .milliseconds(500))
            agent = try network.start(0)
            let failed = try await network.waitFor(job, seconds: 30) { $0["status"] as? String == "failed" }
            #expect(AgentNetwork.leases(failed).count == 1)
            #expect(AgentNetwork.lastLease(failed)["end_reason"] as? String == "job_failed")
            #expect(AgentNetwork.lastLease(failed)["exit_code"] as? Int == 7)
            let lines = try await network.logs(job)
            #expect(lines == ["begin", "end"], "one run, each line sent once: \(lines)")
            #expect(await eventually { network.leaseFolders(0).isEmpty })
        }
    }

    @Test("a coordinator restarted under running leases: agents reconnect and the leases go on to their end",
          .enabled(if: AgentNetwork.enabled))
    func restartedCoordinator() async throws {
        try #require(AgentNetwork.sandboxAvailable, "bubblewrap cannot create sandboxes here (CI must be able to): apt-get install bubblewrap")
        let directory = temporaryPath("restarted-coordinator")
        let port = try freeLoopbackPort()
        let url = "http://127.0.0.1:\(port)"
        let network = try await AgentNetwork.make(regions: ["eu"], url: url)
        // The coordinator's key, which the genesis names, as `osg serve` keeps it in its data folder.
        let governanceKey = KeyFile.generate().privateKey
        let configure: (inout ServerConfiguration) -> Void = {
            AgentNetwork.configure(&$0, heartbeatTimeoutSeconds: 30)
            $0.port = port
            $0.governanceKey = governanceKey
        }
        let agent = try network.start(0)
        defer { agent.cancel() }
        let job = try await LoopbackCoordinator.serve(directory: directory, configure: configure) {
            try await network.fund()
            let job = try await network.submit(AgentNetwork.spec("survivor", command: "echo begin; sleep 4; echo end"))
            try await network.waitFor(job) { $0["status"] as? String == "running" }
            #expect(try await eventually { try await network.logs(job) == ["begin"] })
            return job
        }
        // The coordinator is down for a moment; the job goes on.
        try await Task.sleep(for: .seconds(1))
        try await LoopbackCoordinator.serve(directory: directory, configure: configure) {
            let done = try await network.waitFor(job, seconds: 30) { $0["status"] as? String == "completed" }
            #expect(AgentNetwork.leases(done).count == 1, "the same lease, never a second")
            #expect(AgentNetwork.lastLease(done)["end_reason"] as? String == "completed")
            #expect(try await network.logs(job) == ["begin", "end"])
        }
    }
}
