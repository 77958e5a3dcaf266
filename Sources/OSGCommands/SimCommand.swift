import ArgumentParser
import Crypto
import Foundation
import OSGCarbon
import OSGLog
import OSGSim
import OSGTransparency

/// `osg sim`: the discrete-event simulator of DESIGN.md §10 (docs/SIMULATOR.md).
struct SimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sim",
        abstract: "Simulate the concentrated and open regimes on the same workload and fleet.",
        discussion: """
            Builds a seeded workload with the statistics of --trace (an Alibaba GPU 2023 \
            openb_pod_list_*.csv), a fleet of --operators nodes in the grid zones of --carbon \
            (a folder of <ZONE>_<YEAR>_hourly.csv), and runs three regimes over --days: \
            concentrated (few large regions, exclusive deals, FIFO + backfill), open (the \
            market with set-asides, fair share and carbon shifting), open-no-carbon. Without \
            --trace/--carbon the bundled subsets are used. Same seed, same report. \
            --calibrate-slurm instead replays a window of --trace (default: trace day 146, \
            72 h, with the selection of ../shared/peers/slurm_replay.py) on one site of \
            --site-gpus GPUs and --site-cpus cores through the concentrated scheduler, and \
            prints the job count and wait percentiles in seconds; --peer FILE.json (a \
            slurm_replay.py result) prints real Slurm's beside them.
            """
    )

    @Option(name: .long, help: "Pod list in the Alibaba GPU 2023 format (default: the bundled openb_pod_list_default.csv).")
    var trace: String?

    @Option(name: .long, help: "Folder of <ZONE>_<YEAR>_hourly.csv Electricity Maps files (default: bundled 2022 subsets).")
    var carbon: String?

    @Option(name: .long, help: "Operators at the start (one node each).")
    var operators = 5_000

    @Option(name: .long, help: "Days to simulate.")
    var days = 30

    @Option(name: .long, help: "Seed of every random draw.")
    var seed: UInt64 = 1

    @Option(name: .long, help: "Jobs to generate (default: 0.15 per operator and day, or from --load).")
    var jobs: Int?

    @Option(name: .long, help: "Offered load (demanded / available GPU-hours, e.g. 0.8) that sets the job count.")
    var load: Double?

    @Option(name: .long, help: "Replay the trace's own pods created from this trace day on (for --days days) instead of a synthetic workload.")
    var replayFromDay: Int?

    @Option(name: .long, help: "Marketplace price catalog (SkyPilot vms.csv) for the operators' asks (default: bundled vast.csv).")
    var marketPrices: String?

    @Option(name: .long, help: "Hyperscale price catalog (SkyPilot vms.csv) for the concentrated list price (default: bundled lambda.csv).")
    var listPrices: String?

    @Option(name: .long, help: "Node shapes: catalog (offers of --market-prices), pai2020 or openb2023 (bundled mixes of the Alibaba PAI 2020 / GPU 2023 machine tables), or a machine-table file.")
    var fleetMix = "catalog"

    @Flag(inversion: .prefixedNo, help: "Take one zone down for 6 hours at 40 % of the run.")
    var outage = true

    @Flag(name: .long, help: "Run the Slurm calibration (DESIGN.md §10) instead.")
    var calibrateSlurm = false

    @Option(name: .long, help: "With --calibrate-slurm: first trace day of the window.")
    var fromDay = SlurmCalibration.Window().fromDay

    @Option(name: .long, help: "With --calibrate-slurm: hours of pod creations replayed.")
    var hours = SlurmCalibration.Window().hours

    @Option(name: .long, help: "With --calibrate-slurm: GPUs of the site.")
    var siteGpus = SlurmCalibration.Window().siteGPUs

    @Option(name: .long, help: "With --calibrate-slurm: CPU cores of the site (jobs ask min(16, ceil(cpu_milli/1000)) each).")
    var siteCpus = SlurmCalibration.Window().siteCPUs

    @Option(name: .long, help: "With --calibrate-slurm: the replay's time compression (default: the peer's, else 240): Slurm's scheduler acts once per real second, i.e. once per C trace seconds; 0 acts at every event.")
    var compress: Double?

    @Flag(name: .long, help: "With --calibrate-slurm: the modelled Slurm plans backfill with the true run times (the harness gives Slurm none).")
    var exactRunTimes = false

    @Option(name: .long, help: "With --calibrate-slurm: a slurm_replay.py result (JSON) of the same window, printed beside the simulated waits.")
    var peer: String?

    @Option(name: .long, help: "Instead of simulating: the deferral experiment of Let's Wait Awhile on its data folder (fr_ci.csv, gb_ci.csv, ger_ci.csv), 1-hour jobs within 24 hours, year 2020.")
    var letsWaitAwhile: String?

    @Option(name: .long, help: "Instead of simulating: compare the trace's job statistics (GPUs, run time) with a Helios cluster summary (helios_cluster_summary.csv).")
    var compareHelios: String?

    @Option(name: .long, help: "Mix large jobs into the synthetic workload: PERMILLE:MEAN, e.g. 60:12 (60 in 1000 jobs ask a multiple of 8 GPUs, 12 on average; above 8 they are gangs). Default 140:10, the mix calibrated to Helios vc3sl; 0:8 turns it off.")
    var largeJobs: String?

    /// The synthetic workload's large-job mix when `--large-jobs` is not given: the mix
    /// calibrated to Helios' vc3sl (docs/SIMULATOR.md, "Large jobs"); `0:8` turns it off.
    static let defaultLargeJobs = "140:10"

    @Option(name: .long, help: "With --compare-helios: a Helios per-minute <Cluster>_<vc>_cluster_sequence.csv to set the generator's daily load shape and large-job weight beside (repeatable).")
    var heliosSequence: [String] = []

    @Flag(name: .long, help: "Instead of one run: run the regimes at offered loads 10 % to 90 % (the workload sized to each) and print gCO2 per GPU-hour of each and the waits carbon shifting adds.")
    var carbonCurve = false

    @Flag(name: .long, help: "Print one JSON object instead of the table.")
    var json = false

    @Option(name: .long, help: "Write an HTML report with SVG charts into this folder.")
    var report: String?

    @Option(name: .long, help: "Write each open regime's coordinator log as a signed transparency-log directory DIR/<regime> (genesis, tiles, entries, published state, checkpoint), which `osg audit --from DIR/<regime>` replays and verifies.")
    var log: String?

    /// The calibration's window and site from the flags.
    var calibrationWindow: SlurmCalibration.Window {
        SlurmCalibration.Window(fromDay: fromDay, hours: hours, siteGPUs: siteGpus, siteCPUs: siteCpus)
    }

    func validate() throws {
        guard operators >= 1, operators <= 1_000_000 else { throw ValidationError("--operators must be 1...1000000") }
        guard days >= 1, days <= 366 else { throw ValidationError("--days must be 1...366") }
        if let jobs, jobs < 0 { throw ValidationError("--jobs must not be negative") }
        if let load, !(load > 0 && load <= 10) { throw ValidationError("--load must be in (0, 10]") }
        if let replayFromDay, replayFromDay < 0 { throw ValidationError("--replay-from-day must not be negative") }
        if let problem = calibrationWindow.problem { throw ValidationError(problem) }
        if !calibrateSlurm && (peer != nil || compress != nil || exactRunTimes) {
            throw ValidationError("--peer, --compress and --exact-run-times need --calibrate-slurm")
        }
        if let compress, !(compress >= 0 && compress <= 86_400) { throw ValidationError("--compress must be 0...86400") }
        if carbonCurve && (load != nil || jobs != nil || replayFromDay != nil || report != nil || calibrateSlurm || log != nil) {
            throw ValidationError("--carbon-curve sets the load itself: it takes none of --load, --jobs, --replay-from-day, --report, --log, --calibrate-slurm")
        }
        if log != nil && (calibrateSlurm || letsWaitAwhile != nil || compareHelios != nil) {
            throw ValidationError("--log writes the open regimes' logs of a simulation run; it takes none of --calibrate-slurm, --lets-wait-awhile, --compare-helios")
        }
        if let largeJobs, LargeJobs(text: largeJobs) == nil {
            throw ValidationError("--large-jobs is `\(largeJobs)`; expected PERMILLE:MEAN with PERMILLE 0...1000 and MEAN 8...512 GPUs")
        }
    }

    func run() async throws {
        let clock = ContinuousClock()
        let began = clock.now
        do {
            if let letsWaitAwhile {
                try printLetsWaitAwhile(letsWaitAwhile)
                return
            }
            let pods = try trace.map { try SimInputFiles.podList($0) } ?? SimInputFiles.bundledPodList()
            let atlas = try carbon.map { try CarbonAtlas(directory: $0) } ?? SimInputFiles.bundledAtlas()
            if let compareHelios {
                let clusters = try HeliosSummary.parse(SimInputFiles.text(compareHelios), file: compareHelios)
                printHeliosComparison(WorkloadModel(pods: pods.pods), clusters)
                if !heliosSequence.isEmpty {
                    var loads: [(String, HeliosLoad)] = []
                    for path in heliosSequence { loads.append(((path as NSString).lastPathComponent, try HeliosSequence.parse(SimInputFiles.text(path), file: path))) }
                    printHeliosLoads(WorkloadModel(pods: pods.pods), loads)
                }
                return
            }
            if calibrateSlurm {
                let peerResult = try peer.map { path throws(SimDataError) in
                    try SlurmPeerResult.parse(Data(SimInputFiles.text(path).utf8), file: path)
                }
                if let peerResult, let peer, let mismatch = peerResult.mismatch(with: calibrationWindow) {
                    throw ValidationError("--peer \(peer): \(mismatch); compare the same window")
                }
                var slurm = SlurmCalibration.Scheduler.slurmReplay(compress: compress ?? peerResult?.compress ?? SlurmCalibration.designCompress)
                slurm.knowsRunTimes = exactRunTimes
                let outcome = try SlurmCalibration.run(pods, window: calibrationWindow, scheduler: slurm, atlas: atlas)
                let regime = try SlurmCalibration.run(pods, window: calibrationWindow, scheduler: .concentratedRegime, atlas: atlas)
                print(json ? SlurmCalibrationText.json(outcome, regime: regime, peer: peerResult)
                           : SlurmCalibrationText.table(outcome, regime: regime, peer: peerResult))
                return
            }
            let marketOffers = try marketPrices.map { try SimInputFiles.priceCatalog($0) } ?? SimInputFiles.bundledMarketOffers()
            let listOffers = try listPrices.map { try SimInputFiles.priceCatalog($0) } ?? SimInputFiles.bundledListOffers()
            var configuration = SimConfiguration(operators: operators, days: days, seed: seed, jobs: jobs, offeredLoad: load, outage: outage,
                                                 replayFromDay: replayFromDay)
            configuration.largeJobs = LargeJobs(text: largeJobs ?? Self.defaultLargeJobs)
            if fleetMix != "catalog" {
                configuration.fleetMix = .machines(try SimInputFiles.bundledFleetMix(fleetMix) ?? SimInputFiles.machineTable(fleetMix))
            }
            if carbonCurve {
                let points = try CarbonCurve.run { load throws(SimDataError) in
                    var atLoad = configuration
                    atLoad.offeredLoad = load
                    return try Simulator.scenario(pods: pods.pods, atlas: atlas, marketOffers: marketOffers, listOffers: listOffers,
                                                  configuration: atLoad)
                }
                print(json ? CarbonCurve.json(points) : CarbonCurve.table(points))
                return
            }
            let scenario = try Simulator.scenario(pods: pods.pods, atlas: atlas, marketOffers: marketOffers, listOffers: listOffers,
                                                  configuration: configuration)
            let results = RegimeResults(count: Simulator.regimeNames.count)
            // The regimes are independent: run them side by side (each is deterministic).
            let keepingLogs = log != nil
            DispatchQueue.concurrentPerform(iterations: Simulator.regimeNames.count) { index in
                let run = Simulator.runRegime(Simulator.regimeNames[index], on: scenario, keepingLog: keepingLogs)
                results.set(index, run.metrics, log: run.log)
            }
            let simReport = Simulator.report(scenario, configuration: configuration, regimes: results.values)
            if let log {
                for (index, name) in Simulator.regimeNames.enumerated() {
                    guard let regimeLog = results.log(index) else { continue }
                    try await Self.publish(regimeLog, to: (log as NSString).appendingPathComponent(name), regime: name)
                }
            }
            let wall = clock.now - began
            let wallSeconds = Double(wall.components.seconds) + Double(wall.components.attoseconds) / 1e18
            let events = simReport.regimes.reduce(0) { $0 + $1.events }
            if let report {
                try SimReportFiles.write(simReport, to: report)
            }
            if json {
                var extra: [(String, String)] = [
                    ("sim_events", String(events)),
                    ("sim_events_per_s", String(format: "%.0f", Double(events) / max(wallSeconds, 1e-9))),
                    ("wall_s", String(format: "%.2f", wallSeconds)),
                ]
                if let rss = BenchStatistics.peakResidentMiB() { extra.append(("peak_rss_mib", String(rss))) }
                print(SimReportText.json(simReport, extra: extra))
            } else {
                print(SimReportText.table(simReport))
                print("")
                print(String(format: "%d events in %.2f s (%.0f events/s)", events, wallSeconds, Double(events) / max(wallSeconds, 1e-9))
                      + (BenchStatistics.peakResidentMiB().map { ", peak RSS \($0) MiB" } ?? ""))
                if let report { print("report: \(report)/index.html") }
            }
        } catch let error as SimDataError {
            throw ValidationError(error.description)
        } catch let error as CarbonDataError {
            throw ValidationError(error.description)
        }
    }

    /// Publishes a regime's coordinator log into `directory` as the coordinator would (a
    /// signed tiled log with the published state), signed by a key made for this run; its
    /// verifier key is in the directory. The origin names the run by its key
    /// (`sim.openstargate.invalid/<key prefix>/<regime>`), so an auditor's trust-on-first-use
    /// store never confuses two runs.
    static func publish(_ log: RegimeLog, to directory: String, regime: String) async throws {
        let key = Curve25519.Signing.PrivateKey()
        let run = key.publicKey.rawRepresentation.prefix(6).map { String(format: "%02x", $0) }.joined()
        let origin = "sim.openstargate.invalid/\(run)/\(regime)"
        let signer = try NoteSignerKey(name: origin, seed: Array(key.rawRepresentation))
        do {
            let writer = try await TransparencyLogWriter.open(directory: directory, signer: signer, origin: origin, store: log.store, state: log.state)
            try await writer.publishCheckpoint(state: log.state)
        } catch {
            throw ValidationError("--log: \(directory): \(error)")
        }
    }

    func printLetsWaitAwhile(_ directory: String) throws(SimDataError) {
        var rows: [String] = []
        for (file, zone) in [("fr_ci.csv", "FR"), ("gb_ci.csv", "GB"), ("ger_ci.csv", "DE")] {
            let path = (directory as NSString).appendingPathComponent(file)
            let series = try LetsWaitAwhileCSV.parse(SimInputFiles.text(path), file: path, zone: zone)
            guard let year = LetsWaitAwhileCSV.year(2020, of: series),
                  let potential = CarbonShiftPotential.deferral(series: year, jobHours: 1, windowHours: 24) else {
                throw SimDataError(.inconsistent, file: path, "does not cover the year 2020")
            }
            if json {
                rows.append("{\"zone\":\"\(zone)\",\"jobs\":\(potential.jobs),\"baseline_g_per_kwh\":\(String(format: "%.3f", Double(potential.baselineMeanMilligramsPerKWh) / 1000)),"
                    + "\"shifted_g_per_kwh\":\(String(format: "%.3f", Double(potential.shiftedMeanMilligramsPerKWh) / 1000)),\"saving_percent\":\(potential.savingPercentText)}")
            } else {
                rows.append("\(zone)  \(potential.jobs) jobs  baseline \(String(format: "%.1f", Double(potential.baselineMeanMilligramsPerKWh) / 1000)) g/kWh  shifted \(String(format: "%.1f", Double(potential.shiftedMeanMilligramsPerKWh) / 1000)) g/kWh  saving \(potential.savingPercentText) %")
            }
        }
        print(json ? "[" + rows.joined(separator: ",") + "]" : rows.joined(separator: "\n"))
    }

    func printHeliosComparison(_ model: WorkloadModel, _ clusters: [HeliosCluster]) {
        let stats = model.statistics
        func row(_ name: String, _ meanGPUs: Double, _ medianGPUs: Double, _ meanRun: Double, _ medianRun: Double) -> String {
            json ? "{\"name\":\"\(name)\",\"mean_gpus\":\(String(format: "%.3f", meanGPUs)),\"median_gpus\":\(String(format: "%.0f", medianGPUs)),\"mean_run_s\":\(String(format: "%.0f", meanRun)),\"median_run_s\":\(String(format: "%.0f", medianRun))}"
                : name.padding(toLength: 22, withPad: " ", startingAt: 0) + String(format: " %9.2f %11.0f %12.0f %12.0f", meanGPUs, medianGPUs, meanRun, medianRun)
        }
        var rows = [row("trace (capped 24 h)", stats.meanGPUs, Double(stats.medianGPUs), stats.meanRunSeconds, Double(stats.medianRunSeconds))]
        for cluster in clusters {
            rows.append(row("Helios " + cluster.name, cluster.meanGPUs, cluster.medianGPUs, cluster.meanRunSeconds, cluster.medianRunSeconds))
        }
        if json {
            print("[" + rows.joined(separator: ",") + "]")
        } else {
            print("workload                mean GPUs  median GPUs  mean run s  median run s")
            print(rows.joined(separator: "\n"))
        }
    }

    /// The generator's daily load shape and large-job weight beside Helios' per-minute tables:
    /// a synthetic workload of 100,000 jobs over 30 days (seed `--seed`), each job counted
    /// from its submission for its run time.
    func printHeliosLoads(_ model: WorkloadModel, _ loads: [(String, HeliosLoad)]) {
        let days = 30
        let workload = WorkloadBuilder.synthetic(model: model, count: 100_000, horizonSecondsOf: days, seed: seed,
                                                 largeJobs: largeJobs.flatMap(LargeJobs.init(text:)))
        let profile = workload.busyGPUsByHour(days: days)
        let large = workload.largeJobRunningShare
        func row(_ name: String, _ swing: Double, _ correlation: Double?, _ shift: Int?, _ share: Double, _ meanGPUs: Double) -> String {
            if json {
                return "{\"name\":\"\(name)\",\"daily_swing\":\(String(format: "%.3f", swing)),"
                    + "\"correlation_with_generator\":\(correlation.map { String(format: "%.3f", $0) } ?? "null"),\"shift_h\":\(shift.map(String.init) ?? "null"),"
                    + "\"large_job_share\":\(String(format: "%.4f", share)),\"large_job_mean_gpus\":\(String(format: "%.2f", meanGPUs))}"
            }
            func pad(_ text: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
            return name.padding(toLength: 30, withPad: " ", startingAt: 0) + pad(String(format: "%.2f", swing), 7)
                + pad(correlation.map { String(format: "%.2f", $0) } ?? "-", 7) + pad(shift.map(String.init) ?? "-", 7)
                + pad(String(format: "%.2f %%", share * 100), 13) + pad(String(format: "%.2f", meanGPUs), 12)
        }
        var rows = [row("generator (pod-list shapes)", DailyProfile.swing(profile), nil, nil, large.share, large.meanGPUs)]
        for (name, load) in loads {
            let best = DailyProfile.bestCorrelation(profile, load.busyGPUsByHour)
            rows.append(row("Helios " + name.replacingOccurrences(of: "_cluster_sequence.csv", with: ""), DailyProfile.swing(load.busyGPUsByHour), best.correlation, best.shiftHours, load.largeJobShare, load.largeJobMeanGPUs))
        }
        if json {
            print("[" + rows.joined(separator: ",") + "]")
        } else {
            print("")
            print("load shape                      swing  corr.  shift  >=8-GPU jobs  their GPUs")
            print(rows.joined(separator: "\n"))
        }
    }
}

