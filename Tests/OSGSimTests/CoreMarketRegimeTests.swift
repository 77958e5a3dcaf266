import OSGCarbon
import OSGCore
import OSGDomain
import OSGStore
import Testing
@testable import OSGSim

/// The open regimes run the coordinator: what they log is a log the coordinator accepts, and
/// replaying it gives the very state the run ended with.
@Suite("Open regimes on the coordinator")
struct CoreMarketRegimeTests {
    @Test("every participant's command is accepted, the log replays to the run's state, and each kind of traffic is there",
          arguments: [true, false])
    func logReplays(carbonShifting: Bool) throws {
        let (scenario, _) = try SimTestSupport.smallScenario(seed: 9)
        var regime = CoreMarketRegime(scenario: scenario, carbonShifting: carbonShifting, keepingLog: true)
        let metrics = regime.run(name: "open")
        let traffic = regime.traffic
        #expect(traffic.rejected.isEmpty, "the coordinator refused: \(traffic.rejected)")
        #expect(traffic.heartbeats > 0 && traffic.clearings > 0 && traffic.ticks > 0)
        #expect(UInt64(traffic.commands) == metrics.logSize)
        let store = regime.processor.store
        #expect(try store.count() == metrics.logSize)

        // Replayed from its genesis, the log gives the run's final state, bit for bit.
        let genesis = try #require(try store.genesis())
        let replayed = try CommandProcessor(memory: store, genesis: genesis)
        #expect(replayed.state.digest == regime.processor.state.digest)

        // Every kind of participant's command is in it.
        var kinds = Set<String>()
        for entry in try store.entries(from: 0, limit: Int(metrics.logSize)) {
            switch entry.command {
            case .registerNode: kinds.insert("register")
            case .heartbeat: kinds.insert("heartbeat")
            case .submitJob: kinds.insert("submit")
            case .reportUsage: kinds.insert("usage")
            case .endLease(_, let reason, _, _) where reason == .completed: kinds.insert("completed")
            case .withdrawNode: kinds.insert("withdraw")
            case .clear: kinds.insert("clear")
            case .tick: kinds.insert("tick")
            case .deposit: kinds.insert("deposit")
            case .recordCarbonSeries: kinds.insert("carbon")
            default: break
            }
        }
        #expect(kinds == ["register", "heartbeat", "submit", "usage", "completed", "withdraw", "clear", "tick", "deposit", "carbon"])
        // Every job is accounted for: started and finished, or not accepted.
        #expect(metrics.classes.reduce(0) { $0 + $1.submitted } == scenario.workload.jobs.count)
        #expect(metrics.settledMicroCredits > 0 && metrics.ledgerTransfers > 0)
    }

    @Test("a failed machine is silence: the coordinator's tick notices it and the job runs again elsewhere")
    func failureIsSilence() throws {
        let atlas = try CarbonAtlas(series: [SimTestSupport.series("AA", base: 400_000)])
        let a100 = GPUModel.named("A100")!
        // One 4-hour job; its node fails an hour in for six hours; another node is free.
        let workload = Workload(jobs: [SimJob(submitSeconds: 0, gpus: 4, durationSeconds: 4 * 3600, user: 0, flexible: false)],
                                userClasses: [.established])
        let fleet = Fleet(nodes: [
            SimNode(model: a100, gpus: 4, askMicroCredits: 1_000_000, zone: 0, joinSeconds: 0, leaveSeconds: .max),
            SimNode(model: a100, gpus: 4, askMicroCredits: 2_000_000, zone: 0, joinSeconds: 0, leaveSeconds: .max),
        ], zones: ["AA"], failures: [NodeFailure(node: 0, atSeconds: 3600, repairSeconds: 6 * 3600)])
        let scenario = try SimScenario(workload: workload, fleet: fleet, atlas: atlas, horizonSeconds: 2 * 86_400, outage: nil,
                                       concentratedPricePerGPUHour: 2_000_000)
        var regime = CoreMarketRegime(scenario: scenario, carbonShifting: false, keepingLog: true)
        let metrics = regime.run(name: "open-no-carbon")
        #expect(regime.traffic.rejected.isEmpty)
        #expect(metrics.interruptedByNodeLoss == 1)
        #expect(metrics.figures(.established).accepted == 1)
        // The cheaper node took it first; the coordinator noticed the silence within the
        // heartbeat timeout and the job ran its four hours again on the other node.
        let state = regime.processor.state
        let leases = state.leases.values.sorted { $0.start < $1.start }
        #expect(leases.count == 2)
        #expect(leases.first?.end?.reason == .nodeLost && leases.first?.allocations.first?.nodeID == Fleet.nodeID(0))
        let lost = try #require(leases.first?.end?.at)
        let noticed = lost.secondsSinceEpoch - scenario.start.secondsSinceEpoch - 3600
        #expect(noticed > 0 && noticed <= scenario.heartbeatTimeoutSeconds + CoreMarketRegime.tickIntervalSeconds)
        #expect(leases.last?.end?.reason == .completed && leases.last?.allocations.first?.nodeID == Fleet.nodeID(1))
    }
}
