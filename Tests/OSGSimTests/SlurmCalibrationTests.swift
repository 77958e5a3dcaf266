import Foundation
import Testing
@testable import OSGSim

/// The calibration contract (DESIGN.md §10, ../shared/peers/README.md): the selection of
/// slurm_replay.py, checked against a second reading written from the harness's rules alone,
/// and a schedule checked by a sweep that knows nothing of the scheduler.
@Suite("Slurm calibration")
struct SlurmCalibrationTests {
    /// The harness's selection, read straight from the CSV text as slurm_replay.py does
    /// (DictReader, then its filter and caps), independent of ``PodListTrace``.
    struct HarnessJob: Equatable {
        var name: String
        var arrive: Int64
        var run: Int64
        var gpus: Int
        var cpus: Int
    }

    static func harnessSelection(_ text: String, startSeconds: Int64, hours: Double) -> [HarnessJob] {
        var lines = text.split(whereSeparator: \.isNewline).map(String.init)
        let header = lines.removeFirst().split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        var jobs: [HarnessJob] = []
        for line in lines {
            let values = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            let row = Dictionary(uniqueKeysWithValues: zip(header, values))
            guard let creation = Int64(row["creation_time"] ?? ""), let gpus = Int(row["num_gpu"] ?? "") else { continue }
            guard gpus >= 1, creation >= startSeconds, Double(creation) < Double(startSeconds) + hours * 3_600 else { continue }
            let from = Int64(row["scheduled_time"]!.isEmpty ? row["creation_time"]! : row["scheduled_time"]!)!
            let run = min(max(Int64(row["deletion_time"]!)! - from, 1), 86_400)
            let cpuMilli = Double(row["cpu_milli"]!)!
            jobs.append(HarnessJob(name: row["name"]!, arrive: creation, run: run, gpus: min(gpus, 8),
                                   cpus: max(1, min(16, Int((cpuMilli / 1_000).rounded(.up))))))
        }
        return jobs.sorted { ($0.arrive, $0.name) < ($1.arrive, $1.name) }
    }

    static func selection(_ contents: PodListTrace.Contents, _ window: SlurmCalibration.Window) -> [HarnessJob] {
        SlurmCalibration.jobs(of: contents, in: window).map {
            HarnessJob(name: $0.name, arrive: $0.arrivalSeconds + window.startSeconds, run: $0.runSeconds, gpus: $0.gpus, cpus: $0.cpus)
        }
    }

    @Test("the selection follows the harness's rules on every edge: unscheduled, shared, caps, floors, window ends, order")
    func selectionEdges() throws {
        // Trace day 1 starts at 86,400 s; each row gives its times as offsets from there.
        let rows = [
            ("z-late", 12000, 2, 1000, 100, 5100, "200"), ("a-early", 6000, 1, 460, 100, 160, "100"),
            ("pending", 500, 1, 1000, 150, 400, ""), ("fraction-only", 6000, 0, 500, 120, 300, "120"),
            ("cpu-only", 1000, 0, 0, 130, 300, "130"), ("big", 128000, 12, 1000, 140, 200_000, "140"),
            ("instant", 0, 1, 1000, 160, 160, "160"), ("before", 1000, 1, 1000, -1, 200, "-1"),
            ("at-end", 1000, 1, 1000, 3600, 3800, "3600"), ("just-in", 1000, 1, 1000, 3599, 3800, "3599"),
        ]
        let text = "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time\n"
            + rows.map { name, cpu, gpus, milli, creation, deletion, scheduled in
                "\(name),\(cpu),0,\(gpus),\(milli),,LS,Running,\(86_400 + creation),\(86_400 + deletion),\(scheduled.isEmpty ? "" : String(86_400 + Int(scheduled)!))"
            }.joined(separator: "\n")
        let contents = try PodListTrace.parse(text, file: "edges.csv")
        let window = SlurmCalibration.Window(fromDay: 1, hours: 1)
        let jobs = SlurmCalibration.jobs(of: contents, in: window)
        #expect(jobs.map(\.name) == ["a-early", "z-late", "big", "pending", "instant", "just-in"], "window [start, start + 1 h), ties by name")
        let byName = Dictionary(uniqueKeysWithValues: jobs.map { ($0.name, $0) })
        #expect(byName["pending"]?.runSeconds == 250 && byName["pending"]?.arrivalSeconds == 150, "never scheduled: deletion − creation")
        #expect(byName["a-early"]?.gpus == 1 && byName["a-early"]?.cpus == 6, "a shared GPU counts as one whole GPU")
        #expect(byName["z-late"]?.runSeconds == 4_900, "run time from the scheduled time")
        #expect(byName["big"]?.gpus == 8 && byName["big"]?.cpus == 16 && byName["big"]?.runSeconds == 86_400, "caps: 8 GPUs, 16 cores, 24 h")
        #expect(byName["instant"]?.runSeconds == 1 && byName["instant"]?.cpus == 1, "floors: 1 s, 1 core")
        #expect(byName["pending"]?.cpus == 1, "500 milli rounds up to one core")
        #expect(Self.selection(contents, window) == Self.harnessSelection(text, startSeconds: 86_400, hours: 1))
        // A fractional hour cuts at its second: 0.04 h is 144 s.
        let short = SlurmCalibration.Window(fromDay: 1, hours: 0.04)
        #expect(SlurmCalibration.jobs(of: contents, in: short).map(\.name) == ["a-early", "z-late", "big"])
        #expect(Self.selection(contents, short) == Self.harnessSelection(text, startSeconds: 86_400, hours: 0.04))
        #expect(SlurmCalibration.Window(fromDay: 1, hours: 0).problem != nil && SlurmCalibration.Window(siteGPUs: 4).problem != nil)
        #expect(SlurmCalibration.Window(siteCPUs: 8).problem != nil && SlurmCalibration.Window().problem == nil)
    }

    @Test("on the bundled trace the selection equals the harness's for DESIGN.md's window and others", arguments: [
        (146, 72.0), (130, 48.0), (140, 24.0), (115, 200.0), (0, 24.0 * 150), (148, 1.5),
    ])
    func bundledSelection(day: Int, hours: Double) throws {
        let text = try String(contentsOfFile: SimInputFiles.bundledDirectory + "/openb_pod_list_default.csv", encoding: .utf8)
        let contents = try PodListTrace.parse(text, file: "bundled")
        let window = SlurmCalibration.Window(fromDay: day, hours: hours)
        let ours = Self.selection(contents, window)
        #expect(ours == Self.harnessSelection(text, startSeconds: Int64(day) * 86_400, hours: hours))
        if day == 146 && hours == 72 { #expect(ours.count == SlurmCalibration.designSlurmJobs) }
    }

    @Test("the harness's percentile: the ⌊p·n/100⌋-th smallest, the last for small lists")
    func harnessPercentile() {
        #expect(SlurmCalibration.harnessPercentile([], 50) == 0)
        #expect(SlurmCalibration.harnessPercentile([7], 99) == 7)
        let values = (0..<1_264).map { Int64($0) * 10 }
        #expect(SlurmCalibration.harnessPercentile(values, 50) == 6_320)
        #expect(SlurmCalibration.harnessPercentile(values, 90) == 11_370)
        #expect(SlurmCalibration.harnessPercentile(values, 99) == 12_510)
        // 0.9 × 70 is 63.00000000000001 in floating point: index 63, as in Python.
        #expect(SlurmCalibration.harnessPercentile((0..<70).map { Int64($0) }, 90) == 63)
    }

    @Test("waits on the replay's clock: from the tick at or before the submission; exact without a cycle")
    func measuredWait() {
        let slurm = SlurmCalibration.Scheduler.slurmReplay(compress: 240)
        #expect(slurm.cycleSeconds == 240 && !slurm.knowsRunTimes)
        #expect(slurm.measuredWait(submit: 250, start: 480) == 240, "the first pass after the arrival: one tick")
        #expect(slurm.measuredWait(submit: 479, start: 960) == 720)
        #expect(slurm.measuredWait(submit: 480, start: 480) == 0, "a pass at the very second of the arrival: no tick")
        #expect(slurm.measuredWait(submit: 250, start: 250) == 0 && slurm.measuredWait(submit: 470, start: 490) == 240,
                "a start at once: no tick, unless the clock ticks in between")
        #expect(SlurmCalibration.Scheduler.concentratedRegime.measuredWait(submit: 250, start: 480) == 230)
        #expect(SlurmCalibration.Scheduler.slurmReplay(compress: 1_200.4).cycleSeconds == 1_200)
    }

    /// Checks a schedule from its starts alone: no job starts before it arrives, and at no
    /// instant do running jobs hold more GPUs or cores than the site has.
    static func checkSchedule(_ outcome: SlurmCalibration.Outcome) -> String? {
        var changes: [(time: Int64, gpus: Int, cpus: Int)] = []
        for (job, start) in zip(outcome.replayed, outcome.startSeconds) {
            if start < job.arrivalSeconds { return "\(job.name) starts at \(start), before it arrives at \(job.arrivalSeconds)" }
            changes.append((start, job.gpus, job.cpus))
            changes.append((start + job.runSeconds, -job.gpus, -job.cpus))
        }
        // Ends before starts at the same instant: a job may start the second another ends.
        changes.sort { $0.time != $1.time ? $0.time < $1.time : $0.gpus < $1.gpus }
        var gpus = 0, cpus = 0
        for change in changes {
            gpus += change.gpus
            cpus += change.cpus
            if gpus > outcome.window.siteGPUs || cpus > outcome.window.siteCPUs {
                return "at \(change.time) running jobs hold \(gpus) GPUs and \(cpus) cores of \(outcome.window.siteGPUs) and \(outcome.window.siteCPUs)"
            }
        }
        return nil
    }

    @Test("every schedule respects arrivals and the site's GPUs and cores, and its figures are the harness's percentiles of its waits",
          arguments: [(146, 72.0, 16, 128, true, Int64(0)), (146, 72.0, 16, 64, false, Int64(240)), (130, 48.0, 8, 32, true, Int64(240)),
                      (146, 72.0, 32, 128, false, Int64(0)), (120, 96.0, 16, 96, false, Int64(60))])
    func scheduleIsFeasible(day: Int, hours: Double, gpus: Int, cpus: Int, knowsRunTimes: Bool, cycle: Int64) throws {
        let contents = try SimInputFiles.bundledPodList()
        let window = SlurmCalibration.Window(fromDay: day, hours: hours, siteGPUs: gpus, siteCPUs: cpus)
        let scheduler = SlurmCalibration.Scheduler(knowsRunTimes: knowsRunTimes, cycleSeconds: cycle)
        let outcome = try SlurmCalibration.run(contents, window: window, scheduler: scheduler, atlas: SimInputFiles.bundledAtlas())
        #expect(Self.checkSchedule(outcome) == nil, "\(Self.checkSchedule(outcome) ?? "")")
        // Waits on the replay's clock: the ticks between arrival and start.
        let waits = zip(outcome.replayed, outcome.startSeconds).map { cycle > 0 ? ($1 / cycle - $0.arrivalSeconds / cycle) * cycle : $1 - $0.arrivalSeconds }.sorted()
        #expect(outcome.jobs == waits.count && outcome.jobs == outcome.replayed.count)
        #expect(outcome.waitP50Seconds == SlurmCalibration.harnessPercentile(waits, 50))
        #expect(outcome.waitP90Seconds == SlurmCalibration.harnessPercentile(waits, 90))
        #expect(outcome.waitP99Seconds == SlurmCalibration.harnessPercentile(waits, 99))
        #expect(outcome.waitP50Seconds <= outcome.waitP90Seconds && outcome.waitP90Seconds <= outcome.waitP99Seconds)
        if cycle > 0 {
            // A scheduler with a cycle starts a job at its arrival (only when it came to an empty
            // queue) or in a pass, on the cycle's grid.
            let stray = zip(outcome.replayed, outcome.startSeconds).first { $1 % cycle != 0 && $1 != $0.arrivalSeconds }
            #expect(stray == nil, "\(stray.map { "\($0.0.name) started at \($0.1)" } ?? "")")
            #expect(zip(outcome.replayed, outcome.startSeconds).contains { $1 > $0.arrivalSeconds && $1 % cycle == 0 }, "some wait for a pass")
        }
    }

    @Test("fewer cores mean longer waits: the calibration is sensitive to the site's cores, as Slurm's cons_tres is")
    func coresBind() throws {
        let contents = try SimInputFiles.bundledPodList()
        let atlas = try SimInputFiles.bundledAtlas()
        let wide = try SlurmCalibration.run(contents, window: .init(siteCPUs: 128), scheduler: .slurmReplay(compress: 240), atlas: atlas)
        let narrow = try SlurmCalibration.run(contents, window: .init(siteCPUs: 64), scheduler: .slurmReplay(compress: 240), atlas: atlas)
        #expect(narrow.meanWaitSeconds > wide.meanWaitSeconds * 10, "wide \(wide.meanWaitSeconds) s, narrow \(narrow.meanWaitSeconds) s")
    }

    @Test("a peer result is read as slurm_replay.py prints it, and a broken one is refused with the key")
    func peerResult() throws {
        let printed = """
            {
             "peer": "slurm 22.05 sched/backfill, 1 node, 16 GPUs",
             "trace": "openb_pod_list_default.csv",
             "window_start_s": 12614400,
             "hours": 72.0,
             "compress": 240.0,
             "jobs": 1264,
             "completed": 1264,
             "wait_p50_s": 240.0,
             "wait_p90_s": 2400.0,
             "wait_p99_s": 7680.0,
             "wall_s": 1216.3
            }
            """
        let peer = try SlurmPeerResult.parse(Data(printed.utf8), file: "peer.json")
        #expect(peer.jobs == 1_264 && peer.waitP90Seconds == 2_400 && peer.compress == 240 && peer.windowStartSeconds == 12_614_400)
        #expect(peer.mismatch(with: SlurmCalibration.Window()) == nil)
        #expect(peer.mismatch(with: SlurmCalibration.Window(fromDay: 130))?.contains("12614400") == true)
        #expect(peer.mismatch(with: SlurmCalibration.Window(hours: 48))?.contains("72") == true)
        for (broken, key) in [
            (printed.replacingOccurrences(of: "\"wait_p90_s\": 2400.0", with: "\"wait_p90_s\": null"), "wait_p90_s"),
            (printed.replacingOccurrences(of: "\"jobs\": 1264", with: "\"jobs\": true"), "jobs"),
            (printed.replacingOccurrences(of: "\"wait_p99_s\": 7680.0", with: "\"wait_p99_s\": -1"), "wait_p99_s"),
            ("[1, 2]", "JSON object"),
            ("{\"jobs\": 3", "JSON object"),
        ] {
            #expect(throws: SimDataError.self) { try SlurmPeerResult.parse(Data(broken.utf8), file: "peer.json") }
            do {
                _ = try SlurmPeerResult.parse(Data(broken.utf8), file: "peer.json")
            } catch {
                #expect(error.description.contains(key) && error.description.contains("peer.json"), "\(error.description)")
            }
        }
    }

    @Test("the JSON has the contract's keys, and with a peer its figures and the ratios beside")
    func jsonContract() throws {
        let contents = try SimInputFiles.bundledPodList(), atlas = try SimInputFiles.bundledAtlas()
        let outcome = try SlurmCalibration.run(contents, scheduler: .slurmReplay(compress: 240), atlas: atlas)
        let regime = try SlurmCalibration.run(contents, scheduler: .concentratedRegime, atlas: atlas)
        let plain = try #require(try JSONSerialization.jsonObject(with: Data(SlurmCalibrationText.json(outcome, regime: regime, peer: nil).utf8)) as? [String: Any])
        #expect(plain["jobs"] as? Int == 1_264)
        // Golden figures on the bundled trace: a change of either scheduler shows here.
        #expect([outcome.waitP50Seconds, outcome.waitP90Seconds, outcome.waitP99Seconds, outcome.meanWaitSeconds] == [0, 2_640, 7_680, 704])
        #expect([regime.waitP50Seconds, regime.waitP90Seconds, regime.waitP99Seconds, regime.meanWaitSeconds] == [0, 1_201, 6_062, 409])
        #expect(plain["wait_p50_s"] as? Int == Int(outcome.waitP50Seconds) && plain["wait_p90_s"] as? Int == Int(outcome.waitP90Seconds)
                && plain["wait_p99_s"] as? Int == Int(outcome.waitP99Seconds))
        #expect(plain["peer"] == nil)
        let concentrated = try #require(plain["concentrated_regime"] as? [String: Any])
        #expect(concentrated["wait_p99_s"] as? Int == Int(regime.waitP99Seconds))
        let scheduler = try #require(plain["scheduler"] as? [String: Any])
        #expect(scheduler["cycle_s"] as? Int == 240 && scheduler["knows_run_times"] as? Bool == false)
        let peer = SlurmPeerResult(peer: "slurm", windowStartSeconds: nil, hours: nil, compress: 240, jobs: 1_264, completed: 1_264,
                                   waitP50Seconds: 0, waitP90Seconds: 2_400, waitP99Seconds: 7_680)
        let both = try #require(try JSONSerialization.jsonObject(with: Data(SlurmCalibrationText.json(outcome, regime: regime, peer: peer).utf8)) as? [String: Any])
        let side = try #require(both["peer"] as? [String: Any])
        #expect(side["jobs"] as? Int == 1_264 && side["wait_p90_s"] as? Int == 2_400 && side["wait_p99_s"] as? Int == 7_680)
        let ratio = try #require(both["ratio"] as? [String: Any])
        #expect(ratio["p50"] is NSNull, "no ratio to a zero")
        #expect(abs((ratio["p99"] as? Double ?? 0) - Double(outcome.waitP99Seconds) / 7_680) < 0.001)
        let table = SlurmCalibrationText.table(outcome, regime: regime, peer: peer)
        #expect(table.contains("1264 jobs") && table.contains("peer (1264 jobs)") && table.contains("n/a"))
    }

    /// Real Slurm's replays committed under Fixtures/slurm-peer (see the README there).
    static var peerFiles: [String] {
        let folder = SimTestSupport.fixtures + "/slurm-peer"
        return ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
            .map { folder + "/" + $0 }
    }

    @Test("against real Slurm's replays: every percentile within ±30 % or one tick of the replay's clock")
    func againstRealSlurm() throws {
        let files = Self.peerFiles
        #expect(files.count >= 4)
        let contents = try SimInputFiles.bundledPodList(), atlas = try SimInputFiles.bundledAtlas()
        for file in files {
            let peer = try SlurmPeerResult.parse(try Data(contentsOf: URL(fileURLWithPath: file)), file: file)
            let start = try #require(peer.windowStartSeconds), hours = try #require(peer.hours), compress = try #require(peer.compress)
            let gpus = try #require(peer.peer?.split(separator: " ").reversed().dropFirst().first.flatMap { Int($0) }, "the node's GPUs in `peer`")
            let window = SlurmCalibration.Window(fromDay: Int(start / 86_400), hours: hours, siteGPUs: gpus, siteCPUs: 128)
            #expect(window.startSeconds == start)
            let outcome = try SlurmCalibration.run(contents, window: window, scheduler: .slurmReplay(compress: compress), atlas: atlas)
            #expect(outcome.jobs == peer.jobs, "\(file): the selection is the harness's")
            for (simulated, real) in zip([outcome.waitP50Seconds, outcome.waitP90Seconds, outcome.waitP99Seconds],
                                         [peer.waitP50Seconds, peer.waitP90Seconds, peer.waitP99Seconds]) {
                let off = abs(Double(simulated) - real)
                #expect(off <= max(0.3 * real, compress), "\(file): simulated \(simulated) s against Slurm's \(real) s")
            }
        }
    }
}
