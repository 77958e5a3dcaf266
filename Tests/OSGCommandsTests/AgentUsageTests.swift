import Foundation
import Synchronization
import Logging
import OSGAgent
import OSGServer
import Testing
@testable import OSGCommands

@Suite("Usage reports carry what the GPUs and CPUs did; the node publishes claimed vs observed")
struct AgentUsageTests {
    /// What the GPU benchmark would measure on the node's four H100s: 80 % of the data sheet's
    /// dense FP16 (989,400 GFLOP/s).
    static let measured = GPUBenchmarkResult(
        tool: "pytorch", toolVersion: "2.5.1+cu124", cudaVersion: "12.4",
        gpus: (0..<4).map {
            .init(index: $0, name: "NVIDIA H100 80GB HBM3", fp16DenseGFLOPS: 791_520, fp32GFLOPS: 50_000, memoryBandwidthMBps: 2_680_000,
                  hostToDeviceMBps: 25_000, deviceToHostMBps: 26_000, seconds: 2)
        })

    @Test("with GPU readings, the lease's usage shows its GPUs' utilisation, clock, cumulative energy and CPU time; the node's figures follow",
          .enabled(if: AgentNetwork.enabled))
    func counters() async throws {
        try #require(AgentNetwork.sandboxAvailable, "bubblewrap cannot create sandboxes here (CI must be able to): apt-get install bubblewrap")
        try await LoopbackCoordinator.run(configure: { AgentNetwork.configure(&$0, heartbeatTimeoutSeconds: 30) }) { port in
            let network = try await AgentNetwork.make(regions: ["eu"], url: "http://127.0.0.1:\(port)")
            try await network.fund()
            // As nvidia-smi would read them: GPU 0 (the lease's) busy at 36 kW, the others idle.
            let asked = Mutex<[Int]>([])
            let agent = try network.start(0, gpuReadings: {
                [0: .init(utilisationPercent: 75, powerWatts: 36_000, clockPerMille: 800), 1: .init(utilisationPercent: 0, powerWatts: 10)]
            }, gpuBenchmark: { indices in
                asked.withLock { $0 = indices }
                return .measured(Self.measured)
            })
            defer { agent.cancel() }
            // A fixed amount of CPU work (2,000,000 shell loop turns: about 3 s of CPU on an idle box of
            // this kind, however contended), then idle: the lease's CPU time is measured by its own
            // uid (an agent running as root gives each lease one; otherwise there is no figure).
            // Wall-clock busy loops undercount on a loaded machine, so the work is counted, not timed.
            let ownUID = geteuid() == 0
            let job = try await network.submit(AgentNetwork.spec("busy", command: "i=0; while [ $i -lt 2000000 ]; do i=$((i+1)); done; sleep 6"))
            let reported = try await network.waitFor(job, seconds: 90) { job in
                let usage = AgentNetwork.lastLease(job)["usage"] as? [String: Any]
                return (usage?["energy_wh"] as? Int ?? 0) > 0 && (!ownUID || (usage?["cpu_milliseconds"] as? Int ?? 0) >= 1_000)
            }
            let usage = try #require(AgentNetwork.lastLease(reported)["usage"] as? [String: Any])
            #expect(usage["gpu_utilisation_per_mille"] as? Int == 750)
            #expect(usage["gpu_clock_per_mille"] as? Int == 800)
            #expect((usage["energy_wh"] as? Int ?? 0) >= 10, "36 kW for about 2 s is about 20 Wh: \(usage)")
            if ownUID { #expect((usage["cpu_milliseconds"] as? Int ?? 0) >= 1_000, "2,000,000 loop turns: \(usage)") }
            #expect(asked.withLock { $0 } == [0, 1, 2, 3], "the node's four GPUs were benchmarked")

            let node = try #require(try await network.tenant.send(.GET, "/v1/nodes/n1").json as? [String: Any])
            let benchmark = try #require(node["benchmark"] as? [String: Any])
            #expect(benchmark["tool"] as? String == "pytorch" && benchmark["gpus_measured"] as? Int == 4, "\(benchmark)")
            #expect(benchmark["host_cpu_cores"] as? Int != nil, "the host figures ride along")
            let figures = try #require(node["claimed_vs_observed"] as? [String: Any])
            #expect((figures["benchmark_per_mille"] as? [String: Any])?["fp16_dense_gflops"] as? Int == 800)
            #expect(figures["clock_per_mille"] as? Int == 800 && figures["observed_per_mille"] as? Int == 640, "\(figures)")
            #expect((figures["leases_reported"] as? Int ?? 0) == 1 && (figures["reported_gpu_seconds"] as? Int ?? 0) > 0)
            let providers = try #require(try await network.tenant.send(.GET, "/v1/providers").json as? [String: Any])
            let claims = ((providers["providers"] as? [[String: Any]])?.first?["claimed_vs_observed"] as? [[String: Any]]) ?? []
            #expect(claims.map { $0["node"] as? String } == ["n1"])
        }
    }
}
