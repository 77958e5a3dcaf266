import Foundation

extension AgentBenchCommand {
    /// What `osg bench agent` measured. Times are in the unit their name says.
    struct Report: Sendable {
        /// The floors the issue sets for one agent process.
        static let floorConcurrentLeases = 64
        static let floorStartP99Milliseconds = 500.0
        static let floorIdlePercentOfCore = 1.0

        static let idleMethod = """
            process CPU time (getrusage RUSAGE_SELF, user + system, all threads) over the window divided by its wall time; \
            the agent shares the process with an in-process coordinator whose market timer is off; a window with the \
            coordinator alone is measured first and subtracted, so the figure also holds the coordinator's work answering \
            the agent's heartbeats and lease polls: an upper bound on the agent's own use; the agent's window starts once \
            its start-up work (the host benchmark) is over
            """

        // The lease phase.
        var leases: Int
        var nodes: Int
        /// Job processes running at once, counted in /proc.
        var concurrentLeases: Int
        /// Leases the agent said were running, the executor held, the coordinator counted as running.
        var agentRunning: Int
        var executorJobs: Int
        var coordinatorRunningJobs: Int
        /// Seconds from the poll that showed each lease to its job running (the agent's figures).
        var startLatencySeconds: [Double]
        var submitSeconds: Double
        /// From the first submission until every job process ran.
        var allRunningSeconds: Double?
        /// From the first cancellation until no job process, lease folder or running part was left.
        var allStoppedSeconds: Double?
        var leasesLeftAfterStop: Int
        var sandboxLimits: String
        /// Whether the agent kept a sandbox ready per GPU.
        var warmSandboxes = true
        /// Warm sandboxes ready when the burst was submitted, and the burst's leases that started in one.
        var warmSandboxesReady = 0
        var warmStarts = 0
        // The idle phase.
        var idleSeconds: Double
        var idleGPUs: Int
        var idleBaselinePercentOfCore: Double
        var idleWithAgentPercentOfCore: Double
        var idleHeartbeatSeconds: Double
        var idlePollWaitSeconds: Int
        /// Seconds from an agent's registration until its start-up work was over (the process
        /// under 5 % of a core over a second); `nil`: not within `--settle-seconds`.
        var startupSettleSeconds: Double?
        var idleStartupSettleSeconds: Double?
        /// Start latencies of leases that came one at a time (the next after the last ran).
        var steadyStartLatencySeconds: [Double] = []

        var idlePercentOfCore: Double { max(0, idleWithAgentPercentOfCore - idleBaselinePercentOfCore) }
        private var sortedMilliseconds: [Double] { startLatencySeconds.map { $0 * 1_000 }.sorted() }
        var startP50Milliseconds: Double { BenchStatistics.percentile(sortedMilliseconds, 0.50) }
        var startP99Milliseconds: Double { BenchStatistics.percentile(sortedMilliseconds, 0.99) }
        var startMaxMilliseconds: Double { sortedMilliseconds.last ?? 0 }
        /// The fastest start: what one lease costs when none waits before it.
        var startMinMilliseconds: Double { sortedMilliseconds.first ?? 0 }
        private var steadySortedMilliseconds: [Double] { steadyStartLatencySeconds.map { $0 * 1_000 }.sorted() }
        var steadyStartP50Milliseconds: Double { BenchStatistics.percentile(steadySortedMilliseconds, 0.50) }
        var steadyStartP99Milliseconds: Double { BenchStatistics.percentile(steadySortedMilliseconds, 0.99) }
        var steadyStartFloorMet: Bool { !steadyStartLatencySeconds.isEmpty && steadyStartP99Milliseconds < Self.floorStartP99Milliseconds }

        /// The least of the four counts: what every witness agrees ran at once.
        var agreedConcurrentLeases: Int { min(concurrentLeases, agentRunning, executorJobs, coordinatorRunningJobs) }
        var concurrentFloorMet: Bool { agreedConcurrentLeases >= Self.floorConcurrentLeases }
        var startFloorMet: Bool { !startLatencySeconds.isEmpty && startP99Milliseconds < Self.floorStartP99Milliseconds }
        var idleFloorMet: Bool { idlePercentOfCore < Self.floorIdlePercentOfCore }

        /// One JSON object; numeric fields name their unit.
        var jsonObject: [String: Any] {
            var object: [String: Any] = [
                "leases": leases,
                "nodes": nodes,
                "concurrent_leases": agreedConcurrentLeases,
                "concurrent_job_processes": concurrentLeases,
                "concurrent_leases_agent": agentRunning,
                "concurrent_leases_executor": executorJobs,
                "coordinator_running_jobs": coordinatorRunningJobs,
                "start_samples": startLatencySeconds.count,
                "start_p50_ms": AgentBenchCommand.milliseconds(startP50Milliseconds / 1_000),
                "start_p99_ms": AgentBenchCommand.milliseconds(startP99Milliseconds / 1_000),
                "start_max_ms": AgentBenchCommand.milliseconds(startMaxMilliseconds / 1_000),
                "start_min_ms": AgentBenchCommand.milliseconds(startMinMilliseconds / 1_000),
                "steady_start_samples": steadyStartLatencySeconds.count,
                "steady_start_p50_ms": AgentBenchCommand.milliseconds(steadyStartP50Milliseconds / 1_000),
                "steady_start_p99_ms": AgentBenchCommand.milliseconds(steadyStartP99Milliseconds / 1_000),
                "floor_steady_start_p99_met": steadyStartFloorMet,
                "submit_s": AgentBenchCommand.thousandths(submitSeconds),
                "leases_left_after_stop": leasesLeftAfterStop,
                "sandbox_limits": sandboxLimits,
                "warm_sandboxes": warmSandboxes,
                "warm_sandboxes_ready_at_burst": warmSandboxesReady,
                "burst_warm_starts": warmStarts,
                "idle_seconds": idleSeconds,
                "gpus_idle": idleGPUs,
                "idle_cpu_percent_of_core": AgentBenchCommand.thousandths(idlePercentOfCore),
                "idle_cpu_with_agent_percent_of_core": AgentBenchCommand.thousandths(idleWithAgentPercentOfCore),
                "idle_cpu_baseline_percent_of_core": AgentBenchCommand.thousandths(idleBaselinePercentOfCore),
                "idle_cpu_method": Self.idleMethod,
                "idle_heartbeat_s": idleHeartbeatSeconds,
                "idle_poll_wait_s": idlePollWaitSeconds,
                "floor_concurrent_leases": Self.floorConcurrentLeases,
                "floor_start_p99_ms": Self.floorStartP99Milliseconds,
                "floor_idle_cpu_percent_of_core": Self.floorIdlePercentOfCore,
                "floor_concurrent_leases_met": concurrentFloorMet,
                "floor_start_p99_met": startFloorMet,
                "floor_idle_cpu_met": idleFloorMet,
                "cores": ProcessInfo.processInfo.activeProcessorCount,
            ]
            object["all_running_s"] = allRunningSeconds.map(AgentBenchCommand.thousandths) ?? NSNull()
            object["all_stopped_s"] = allStoppedSeconds.map(AgentBenchCommand.thousandths) ?? NSNull()
            object["agent_startup_settle_s"] = startupSettleSeconds.map(AgentBenchCommand.thousandths) ?? NSNull()
            object["idle_agent_startup_settle_s"] = idleStartupSettleSeconds.map(AgentBenchCommand.thousandths) ?? NSNull()
            return object
        }

        /// The human table.
        var lines: [String] {
            func verdict(_ met: Bool) -> String { met ? "met" : "NOT met" }
            func format(_ value: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", value) }
            return [
                "agent (sandbox executor; limits by \(sandboxLimits); warm sandboxes \(warmSandboxes ? "on, \(warmSandboxesReady) ready, \(warmStarts) of the burst's leases started in one" : "off"); \(ProcessInfo.processInfo.activeProcessorCount) cores)",
                "  leases:              \(leases) one-GPU jobs on \(nodes) simulated node(s) of one agent",
                "  concurrent leases:   \(agreedConcurrentLeases) (job processes \(concurrentLeases), agent \(agentRunning), "
                    + "executor \(executorJobs), coordinator \(coordinatorRunningJobs))   floor >= \(Self.floorConcurrentLeases): \(verdict(concurrentFloorMet))",
                "  lease start latency: p50 \(format(startP50Milliseconds)) ms, p99 \(format(startP99Milliseconds)) ms, "
                    + "max \(format(startMaxMilliseconds)) ms, min \(format(startMinMilliseconds)) ms (\(startLatencySeconds.count) leases at once)   floor p99 < \(Int(Self.floorStartP99Milliseconds)) ms: \(verdict(startFloorMet))",
                "  one lease at a time: p50 \(format(steadyStartP50Milliseconds)) ms, p99 \(format(steadyStartP99Milliseconds)) ms "
                    + "(\(steadyStartLatencySeconds.count) leases)   floor p99 < \(Int(Self.floorStartP99Milliseconds)) ms: \(verdict(steadyStartFloorMet))",
                "  agent start-up:      quiet \(startupSettleSeconds.map { format($0, 1) + " s" } ?? "not within the bound") after registering "
                    + "(idle agent: \(idleStartupSettleSeconds.map { format($0, 1) + " s" } ?? "not within the bound"))",
                "  submitted in:        \(format(submitSeconds, 2)) s; all running after \(allRunningSeconds.map { format($0, 2) + " s" } ?? "never (timed out)")",
                "  cancelled, stopped:  \(allStoppedSeconds.map { format($0, 2) + " s" } ?? "not all within the bound") (leases left: \(leasesLeftAfterStop))",
                "  idle CPU, \(idleGPUs) GPUs:     \(format(idlePercentOfCore, 3)) % of a core over \(format(idleSeconds, 0)) s "
                    + "(with agent \(format(idleWithAgentPercentOfCore, 3)) %, coordinator alone \(format(idleBaselinePercentOfCore, 3)) %)   "
                    + "floor < \(format(Self.floorIdlePercentOfCore, 0)) %: \(verdict(idleFloorMet))",
                "  idle method: \(Self.idleMethod)",
            ]
        }
    }
}
