import Testing
import OSGCarbon
import OSGDomain
@testable import OSGSim

@Suite("Simulator regimes")
struct SimRegimeTests {
    /// FNV-1a of the seed-7 small scenario's JSON report (``SimTestSupport/digest(_:)``).
    static let goldenReportDigest = "ec316ae7182ce760"

    @Test("the same seed gives byte-identical JSON; another seed does not")
    func determinism() throws {
        let (scenario, configuration) = try SimTestSupport.smallScenario(seed: 7)
        let first = SimReportText.json(Simulator.run(scenario, configuration: configuration))
        let (again, _) = try SimTestSupport.smallScenario(seed: 7)
        let second = SimReportText.json(Simulator.run(again, configuration: configuration))
        #expect(first == second)
        #expect(SimTestSupport.digest(first) == Self.goldenReportDigest, "the seed-7 report changed: a change of results must be deliberate (update the golden digest and say why)")
        let (other, otherConfiguration) = try SimTestSupport.smallScenario(seed: 8)
        #expect(SimReportText.json(Simulator.run(other, configuration: otherConfiguration)) != first)
    }

    @Test("a replay takes exactly the trace's pods of the window, shifted to start at 0")
    func replay() throws {
        let pods = try PodListTrace.parse(SimTestSupport.text("pods-small.csv"), file: "pods-small.csv").pods
        let atlas = try CarbonAtlas(directory: SimTestSupport.fixtures + "/carbon")
        let offers = try PriceCatalog.parse(SimTestSupport.text("prices-vast-small.csv"), file: "prices-vast-small.csv")
        let configuration = SimConfiguration(operators: 40, days: 3, seed: 1, replayFromDay: 130)
        let scenario = try Simulator.scenario(pods: pods, atlas: atlas, marketOffers: offers, listOffers: offers, configuration: configuration)
        let window = pods.filter { $0.creationSeconds >= 130 * 86_400 && $0.creationSeconds < 133 * 86_400 }
        #expect(!window.isEmpty)
        #expect(scenario.workload.jobs.count == window.count)
        #expect(scenario.workload.jobs.map(\.submitSeconds) == window.map { $0.creationSeconds - 130 * 86_400 }.sorted())
        let empty = SimConfiguration(operators: 40, days: 3, seed: 1, replayFromDay: 10)
        #expect(throws: SimDataError.self) {
            try Simulator.scenario(pods: pods, atlas: atlas, marketOffers: offers, listOffers: offers, configuration: empty)
        }
    }

    @Test("every job is accounted for, settled in the ledger and logged")
    func accounting() throws {
        let (scenario, configuration) = try SimTestSupport.smallScenario(seed: 3)
        let report = Simulator.run(scenario, configuration: configuration)
        for regime in report.regimes {
            let submitted = regime.classes.reduce(0) { $0 + $1.submitted }
            #expect(submitted == scenario.workload.jobs.count)
            #expect(regime.logSize >= UInt64(2 * regime.classes.reduce(0) { $0 + $1.accepted }))
            #expect(regime.ledgerTransfers > 0 && regime.settledMicroCredits > 0)
            #expect(regime.logRootHex.count == 64)
        }
    }

    @Test("regimes differ as designed: list price, carbon deferral, cleaner power")
    func regimesDiffer() throws {
        // Two zones with a daily clean window; flexible jobs should wait for it in `open`.
        let atlas = try CarbonAtlas(series: [SimTestSupport.series("AA", base: 400_000), SimTestSupport.series("BB", base: 300_000)])
        var jobs: [SimJob] = []
        for index in 0..<40 {
            jobs.append(SimJob(submitSeconds: Int64(index) * 1_800 + 7 * 3600, gpus: 1, durationSeconds: 3600, user: Int32(index % 4), flexible: true))
        }
        let workload = Workload(jobs: jobs, userClasses: [.established, .newcomer, .civic, .newcomer])
        let h100 = GPUModel.named("H100")!
        let fleet = Fleet(nodes: [
            SimNode(model: h100, gpus: 8, askMicroCredits: 2_000_000, zone: 0, joinSeconds: 0, leaveSeconds: .max),
            SimNode(model: h100, gpus: 8, askMicroCredits: 2_000_000, zone: 1, joinSeconds: 0, leaveSeconds: .max),
        ], zones: ["AA", "BB"], failures: [])
        let scenario = try SimScenario(workload: workload, fleet: fleet, atlas: atlas, horizonSeconds: 3 * 86_400, outage: nil,
                                       concentratedPricePerGPUHour: 3_000_000)
        let concentrated = Simulator.runRegime("concentrated", on: scenario)
        let open = Simulator.runRegime("open", on: scenario)
        let plain = Simulator.runRegime("open-no-carbon", on: scenario)
        #expect(abs(concentrated.meanPricePerGPUHour - 3.0) < 1e-9)
        #expect(open.meanPricePerGPUHour < concentrated.meanPricePerGPUHour)
        #expect(open.deferredForCarbon > 0 && plain.deferredForCarbon == 0 && concentrated.deferredForCarbon == 0)
        #expect(open.gramsCO2PerGPUHour < plain.gramsCO2PerGPUHour)
        // Deferral costs waiting time.
        #expect(open.figures(.newcomer).waitP50Seconds > plain.figures(.newcomer).waitP50Seconds)
        for regime in [concentrated, open, plain] { #expect(regime.classes.allSatisfy { $0.accepted == $0.submitted }, "\(regime.name): \(regime.classes)") }
    }

    @Test("exclusive deals: established labs go first in the concentrated regime")
    func exclusiveDeals() throws {
        let atlas = try CarbonAtlas(series: [SimTestSupport.series("AA", base: 400_000)])
        // One 4-GPU region; 6 four-GPU jobs of an hour at once: three newcomer, three established.
        var jobs: [SimJob] = []
        for index in 0..<6 { jobs.append(SimJob(submitSeconds: 0, gpus: 4, durationSeconds: 3600, user: Int32(index % 2), flexible: false)) }
        let workload = Workload(jobs: jobs, userClasses: [.newcomer, .established])
        let fleet = Fleet(nodes: [SimNode(model: GPUModel.named("A100")!, gpus: 4, askMicroCredits: 1_000_000, zone: 0, joinSeconds: 0, leaveSeconds: .max)],
                          zones: ["AA"], failures: [])
        let scenario = try SimScenario(workload: workload, fleet: fleet, atlas: atlas, horizonSeconds: 86_400, outage: nil,
                                       concentratedPricePerGPUHour: 2_000_000)
        let concentrated = Simulator.runRegime("concentrated", on: scenario)
        #expect(concentrated.figures(.established).waitP99Seconds == 2 * 3600)
        // Newcomers may hold at most 60 % of 4 GPUs = 2: a 4-GPU newcomer job never fits.
        #expect(concentrated.figures(.newcomer).accepted == 0)
    }

    @Test("a region outage cuts the leases in it and delays the region's queue")
    func outage() throws {
        let atlas = try CarbonAtlas(series: [SimTestSupport.series("AA", base: 400_000), SimTestSupport.series("BB", base: 100_000)])
        // Two 4-GPU nodes, one per zone; two 4-GPU jobs of 10 hours from user 0 (home region AA).
        let jobs = [SimJob(submitSeconds: 0, gpus: 4, durationSeconds: 36_000, user: 0, flexible: false),
                    SimJob(submitSeconds: 0, gpus: 4, durationSeconds: 36_000, user: 0, flexible: false)]
        let workload = Workload(jobs: jobs, userClasses: [.established])
        let a100 = GPUModel.named("A100")!
        let fleet = Fleet(nodes: [
            SimNode(model: a100, gpus: 4, askMicroCredits: 1_000_000, zone: 0, joinSeconds: 0, leaveSeconds: .max),
            SimNode(model: a100, gpus: 4, askMicroCredits: 1_000_000, zone: 1, joinSeconds: 0, leaveSeconds: .max),
        ], zones: ["AA", "BB"], failures: [])
        let outage = SimScenario.RegionOutage(zone: 0, atSeconds: 3600, durationSeconds: 7200)
        let scenario = try SimScenario(workload: workload, fleet: fleet, atlas: atlas, horizonSeconds: 2 * 86_400, outage: outage,
                                       concentratedPricePerGPUHour: 2_000_000)
        let open = Simulator.runRegime("open-no-carbon", on: scenario)
        #expect(open.outageInterrupted == 1)
        #expect(open.outageDelayed == 1)
        #expect(open.outageLost == 0)
        // The cut lease had run from the first clearing (t = 0) for an hour on 4 GPUs.
        #expect(abs(open.outageGPUHoursLost - 4) < 1e-9)
        // Both regions are used: user 0's home is AA, so the concentrated regime runs one job
        // there and queues the other; the outage cuts the first and delays both.
        let concentrated = Simulator.runRegime("concentrated", on: scenario)
        #expect(concentrated.outageInterrupted == 1)
        #expect(concentrated.outageDelayed == 2)
        #expect(concentrated.outageLost == 0)
        #expect(concentrated.figures(.established).accepted == 2)
    }
}
