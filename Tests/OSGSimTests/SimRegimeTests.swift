import Testing
import OSGCarbon
import OSGDomain
@testable import OSGSim

@Suite("Simulator regimes")
struct SimRegimeTests {
    /// FNV-1a of the seed-7 small scenario's JSON report (``SimTestSupport/digest(_:)``).
    static let goldenReportDigest = "5b0ab5f97eab799e"

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
        // Space first: a job with room now is never held back, so the cleaner zone costs no wait.
        #expect(open.deferredForCarbon == 0 && plain.deferredForCarbon == 0 && concentrated.deferredForCarbon == 0)
        #expect(open.gramsCO2PerGPUHour < plain.gramsCO2PerGPUHour)
        #expect(open.meanWaitSeconds == plain.meanWaitSeconds)
        for regime in [concentrated, open, plain] { #expect(regime.classes.allSatisfy { $0.accepted == $0.submitted }, "\(regime.name): \(regime.classes)") }

        // When the fleet is full, the coordinator's carbon step defers flexible jobs that must
        // wait anyway to the clean window: less carbon than waiting for the next free GPU.
        var busyJobs: [SimJob] = []
        for index in 0..<40 {
            busyJobs.append(SimJob(submitSeconds: Int64(index) * 600 + 7 * 3600, gpus: 8, durationSeconds: 3600, user: Int32(index % 4), flexible: true))
        }
        var busy = scenario
        busy.workload = Workload(jobs: busyJobs, userClasses: workload.userClasses)
        let busyOpen = Simulator.runRegime("open", on: busy)
        let busyPlain = Simulator.runRegime("open-no-carbon", on: busy)
        #expect(busyOpen.deferredForCarbon > 0 && busyPlain.deferredForCarbon == 0)
        #expect(busyOpen.gramsCO2PerGPUHour < busyPlain.gramsCO2PerGPUHour)
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

@Suite("Simulator claims")
struct SimClaimsTests {
    static func regime(_ name: String, newcomerP90: Int64, acceptance: (Int, Int) = (10, 10), jain: Double = 1, utilisation: Double = 0.5,
                       grams: Double = 100, meanWait: Double = 60, p90s: [Int64]? = nil) -> RegimeMetrics {
        let classes = UserClass.allCases.map { userClass in
            ClassMetrics(userClass: userClass, submitted: acceptance.1, accepted: userClass == .newcomer ? acceptance.0 : acceptance.1,
                         waitP50Seconds: 0, waitP90Seconds: p90s?[userClass.rawValue] ?? (userClass == .newcomer ? newcomerP90 : 0),
                         waitP99Seconds: 0)
        }
        var metrics = RegimeMetrics(name: name, classes: classes, utilisation: utilisation, meanPricePerGPUHour: 1, gramsCO2PerGPUHour: grams,
                                    jainFairness: jain, gpuHoursServed: 1, outageInterrupted: 0, outageDelayed: 0, outageLost: 0,
                                    outageGPUHoursLost: 0, interruptedByNodeLoss: 0, deferredForCarbon: 0, ledgerTransfers: 0,
                                    settledMicroCredits: 0, feesMicroCredits: 0, logSize: 0, logRootHex: "", events: 0)
        metrics.meanWaitSeconds = meanWait
        return metrics
    }

    static func report(_ regimes: [RegimeMetrics]) -> SimReport {
        SimReport(operators: 1, nodes: 1, gpus: 1, jobs: 1, users: 1, days: 1, seed: 1, start: Timestamp(secondsSinceEpoch: 0), zones: [],
                  offeredLoad: 0.5, outageZone: nil, regimes: regimes)
    }

    @Test("each claim is its ratio or difference against its goal; 0 ÷ 0 meets a ratio goal, x ÷ 0 does not")
    func claims() throws {
        let met = SimClaims.of(Self.report([
            Self.regime("concentrated", newcomerP90: 1_000, utilisation: 0.5, grams: 100, meanWait: 100),
            Self.regime("open", newcomerP90: 150, acceptance: (96, 100), jain: 0.95, utilisation: 0.55, grams: 70, meanWait: 104,
                        p90s: [100, 150, 200]),
            Self.regime("open-no-carbon", newcomerP90: 150, utilisation: 0.55, grams: 95, meanWait: 100, p90s: [100, 140, 200]),
        ]))
        let byKey = Dictionary(uniqueKeysWithValues: met.map { ($0.key, $0) })
        #expect(met.count == 7 && met.allSatisfy { $0.met == true }, "\(met.filter { $0.met != true }.map(\.key))")
        #expect(byKey["newcomer_wait_p90_open_over_concentrated"]?.value == 0.15)
        #expect(byKey["newcomer_acceptance_open"]?.value == 0.96)
        #expect(abs((byKey["utilisation_open_minus_concentrated"]?.value ?? 0) - 0.05) < 1e-12)
        #expect(byKey["gco2_per_gpu_hour_open_over_concentrated"]?.value == 0.7)
        #expect(byKey["mean_wait_open_over_open_no_carbon"]?.value == 1.04)
        #expect(abs((byKey["class_wait_p90_open_over_open_no_carbon_max"]?.value ?? 0) - 150.0 / 140) < 1e-12)
        let unmet = SimClaims.of(Self.report([
            Self.regime("concentrated", newcomerP90: 0, grams: 100),
            Self.regime("open", newcomerP90: 60, acceptance: (90, 100), jain: 0.8, utilisation: 0.4, grams: 80, meanWait: 200),
            Self.regime("open-no-carbon", newcomerP90: 0, meanWait: 100),
        ]))
        #expect(unmet.allSatisfy { $0.met == false }, "\(unmet.filter { $0.met != false }.map(\.key))")
        #expect(unmet.first?.value == .infinity && SimClaims.text(unmet.first?.value) == "inf")
        let none = SimClaims.of(Self.report([Self.regime("concentrated", newcomerP90: 0), Self.regime("open", newcomerP90: 0),
                                             Self.regime("open-no-carbon", newcomerP90: 0)]))
        #expect(none.first?.value == nil && none.first?.met == true, "0 ÷ 0: open is no worse")
        #expect(SimClaims.of(Self.report([])).isEmpty)
        let json = SimReportText.json(Self.report([Self.regime("concentrated", newcomerP90: 0), Self.regime("open", newcomerP90: 60),
                                                   Self.regime("open-no-carbon", newcomerP90: 0)]))
        #expect(json.contains("\"newcomer_wait_p90_open_over_concentrated\":{\"value\":null,\"goal\":\"<= 0.2\",\"met\":false}"))
    }
}
