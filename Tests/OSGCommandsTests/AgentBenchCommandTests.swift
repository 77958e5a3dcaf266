import Foundation
import Testing
@testable import OSGCommands

@Suite("osg bench agent", .serialized)
struct AgentBenchCommandTests {
    @Test("a small run has every lease running at once, reports the figures with their units, and leaves nothing behind",
          .enabled(if: AgentNetwork.enabled))
    func smallRun() async throws {
        try #require(AgentNetwork.sandboxAvailable, "bubblewrap cannot create sandboxes here (CI must be able to): apt-get install bubblewrap")
        let data = temporaryPath("agent-bench")
        // Other tests may keep the process busy: wait at most 30 s for the agents' start-up work.
        let command = try #require(
            try OSGCommand.parseAsRoot(["bench", "agent", "--leases", "4", "--steady-leases", "2", "--gpus", "4", "--idle-seconds", "1", "--settle-seconds", "30", "--json", "--data", data])
                as? AgentBenchCommand)
        let report = try await command.measure()
        let json = JSONOutput.string(report.jsonObject)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])

        for key in ["concurrent_leases", "concurrent_job_processes", "concurrent_leases_agent", "concurrent_leases_executor",
                    "coordinator_running_jobs", "leases", "gpus_idle", "start_samples"] {
            #expect(object[key] as? Int == 4, "\(key): \(object[key] ?? "missing")")
        }
        for key in ["start_min_ms", "start_p50_ms", "start_p99_ms", "start_max_ms", "all_running_s", "all_stopped_s", "submit_s",
                    "idle_cpu_percent_of_core", "idle_cpu_with_agent_percent_of_core", "idle_cpu_baseline_percent_of_core", "idle_seconds"] {
            #expect((object[key] as? Double).map { $0 >= 0 } == true, "\(key): \(object[key] ?? "missing")")
        }
        let p50 = try #require(object["start_p50_ms"] as? Double)
        let p99 = try #require(object["start_p99_ms"] as? Double)
        let max = try #require(object["start_max_ms"] as? Double)
        let min = try #require(object["start_min_ms"] as? Double)
        #expect(min <= p50 && p50 <= p99 && p99 <= max)
        #expect(object["steady_start_samples"] as? Int == 2, "two leases came one at a time")
        #expect((object["steady_start_p99_ms"] as? Double).map { $0 > 0 } == true)
        for key in ["floor_concurrent_leases_met", "floor_start_p99_met", "floor_idle_cpu_met", "floor_steady_start_p99_met"] {
            #expect(object[key] is Bool, "\(key): \(object[key] ?? "missing")")
        }
        #expect(object["floor_concurrent_leases_met"] as? Bool == false, "4 leases do not meet a floor of 64")
        #expect((object["idle_cpu_method"] as? String)?.contains("RUSAGE_SELF") == true)
        #expect(object["leases_left_after_stop"] as? Int == 0)
        #expect(object["warm_sandboxes"] as? Bool == true, "the agent keeps sandboxes ready, as `osg agent run` does")
        #expect(object["warm_sandboxes_ready_at_burst"] as? Int == 4, "one per GPU before the burst")
        #expect(object["burst_warm_starts"] as? Int == 4, "every lease of the burst started in a ready sandbox")
        // Every lease's folder is gone; the agents' and coordinators' folders are kept under --data.
        #expect(AgentBenchCommand.entries(of: URL(fileURLWithPath: data + "/agent-leases/leases/leases")).isEmpty)
        #expect(Set(AgentBenchCommand.entries(of: URL(fileURLWithPath: data))).isSuperset(of: ["agent-leases", "agent-idle", "coordinator-leases", "coordinator-idle"]))
        #expect(report.lines.contains { $0.contains("concurrent leases:   4") }, "\(report.lines)")
    }

    @Test("out-of-range figures are refused before anything starts")
    func refusals() throws {
        #expect((try OSGCommand.parseAsRoot(["bench", "agent", "--no-warm-sandboxes"]) as? AgentBenchCommand)?.warmSandboxes == false)
        for arguments in [["--leases", "0"], ["--leases", "1001"], ["--gpus", "65"], ["--idle-seconds", "0.1"], ["--settle-seconds", "-1"]] {
            #expect(throws: (any Error).self, "\(arguments)") { try OSGCommand.parseAsRoot(["bench", "agent"] + arguments) }
        }
    }
}
