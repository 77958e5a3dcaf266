import Foundation
import Logging
import OSGAgent
import OSGServer
import Testing
@testable import OSGCommands

@Suite("Usage reports carry what the GPUs did")
struct AgentUsageTests {
    @Test("with GPU readings, the lease's usage shows its GPUs' utilisation and cumulative energy", .enabled(if: AgentNetwork.enabled))
    func counters() async throws {
        try #require(AgentNetwork.sandboxAvailable, "bubblewrap cannot create sandboxes here (CI must be able to): apt-get install bubblewrap")
        try await LoopbackCoordinator.run(configure: { AgentNetwork.configure(&$0, heartbeatTimeoutSeconds: 30) }) { port in
            let network = try await AgentNetwork.make(regions: ["eu"], url: "http://127.0.0.1:\(port)")
            try await network.fund()
            // As nvidia-smi would read them: GPU 0 (the lease's) busy at 36 kW, the others idle.
            let agent = try network.start(0) {
                [0: .init(utilisationPercent: 75, powerWatts: 36_000), 1: .init(utilisationPercent: 0, powerWatts: 10)]
            }
            defer { agent.cancel() }
            let job = try await network.submit(AgentNetwork.spec("busy", command: "sleep 5"))
            let reported = try await network.waitFor(job, seconds: 30) { job in
                ((AgentNetwork.lastLease(job)["usage"] as? [String: Any])?["energy_wh"] as? Int ?? 0) > 0
            }
            let usage = try #require(AgentNetwork.lastLease(reported)["usage"] as? [String: Any])
            #expect(usage["gpu_utilisation_per_mille"] as? Int == 750)
            #expect((usage["energy_wh"] as? Int ?? 0) >= 10, "36 kW for about 2 s is about 20 Wh: \(usage)")
        }
    }
}
