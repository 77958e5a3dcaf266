import Foundation
import OSGCarbon
import OSGDomain
import Testing

@Suite("Seeded cross-checks against brute force, and the folder reader's errors")
struct CarbonPropertyTests {
    /// Brute force: the hour-weighted mean, second by second in whole-hour pieces.
    func naiveSum(_ series: CarbonSeries, from start: Int64, duration: Int64) -> Int64? {
        guard start >= series.firstHour * 3600, start + duration <= series.endHour * 3600 else { return nil }
        var sum: Int64 = 0
        var t = start
        while t < start + duration {
            let hourEnd = (t / 3600 + 1) * 3600
            let piece = min(hourEnd, start + duration) - t
            sum += series.milligramsPerKWh[Int(t / 3600 - series.firstHour)] * piece
            t += piece
        }
        return sum
    }

    @Test("weighted sums equal a brute-force sum for random runs", arguments: [UInt64(1), 2, 3, 4])
    func weightedSums(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        let values = (0..<48).map { _ in Int64(random.next(below: 900_000)) }
        let series = CarbonSeries(zone: "R", firstHour: 500_000, milligramsPerKWh: values)
        for _ in 0..<300 {
            let start = 500_000 * 3600 - 3600 + Int64(random.next(below: 50 * 3600))
            let duration = 1 + Int64(random.next(below: 20 * 3600))
            let fast = series.weightedSum(from: Timestamp(secondsSinceEpoch: start), durationSeconds: duration)
            #expect(fast == naiveSum(series, from: start, duration: duration), "start \(start) duration \(duration)")
        }
    }

    @Test("the planner matches a brute-force search over every start and zone", arguments: [UInt64(7), 8, 9, 10, 11])
    func plannerMatchesBruteForce(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        let first = CarbonSeries.hour(containing: time("2026-12-01T00:00:00Z"))
        // Few distinct values, so ties are common.
        let zones = ["Z1", "Z0", "Z2"].map { zone in
            CarbonSeries(zone: zone, firstHour: first, milligramsPerKWh: (0..<30).map { _ in Int64(random.next(below: 4)) * 50_000 })
        }
        let planner = CarbonShiftPlanner(atlas: try CarbonAtlas(series: zones))
        for _ in 0..<40 {
            let now = time("2026-12-01T00:00:00Z").adding(seconds: Int64(random.next(below: 6 * 3600)))
            let duration = 1800 + Int64(random.next(below: 4 * 3600))
            let maxDuration = duration + Int64(random.next(below: 3600))
            let deadline = now.adding(seconds: maxDuration + Int64(random.next(below: 30 * 3600)))
            let cap: Int? = random.next(below: 2) == 0 ? nil : Int(random.next(below: 4)) * 50
            let allowed = zones.map(\.zone).filter { _ in random.next(below: 4) != 0 }
            var job = spec(duration: duration, maxDuration: maxDuration, deadline: nil, cap: cap)
            job.deadline = deadline

            // Brute force: every whole-hour start that meets the deadline, every allowed zone.
            var best: (sum: Int64, k: Int64, zone: String)? = nil
            var k: Int64 = 0
            while now.adding(seconds: k * 3600 + maxDuration) <= deadline {
                for series in zones where allowed.contains(series.zone) {
                    let start = now.secondsSinceEpoch + k * 3600
                    if let cap, let value = series.intensity(at: Timestamp(secondsSinceEpoch: start)), value > Int64(cap) * 1000 { continue }
                    if series.intensity(at: Timestamp(secondsSinceEpoch: start)) == nil { continue }
                    guard let sum = naiveSum(series, from: start, duration: duration) else { continue }
                    if let b = best, (b.sum, b.k, b.zone) <= (sum, k, series.zone) { continue }
                    best = (sum, k, series.zone)
                }
                k += 1
            }
            let decision = planner.plan(job, now: now, allowedZones: allowed)
            guard let best else {
                #expect(decision == .noStartUnderCap || decision == .startNow(zone: nil, expectedMeanMilligramsPerKWh: nil))
                continue
            }
            let mean = (best.sum * 2 + duration) / (2 * duration)
            if best.k == 0 {
                #expect(decision == .startNow(zone: best.zone, expectedMeanMilligramsPerKWh: mean))
            } else if case .wait(let until, let zone, let expected, _, _) = decision {
                #expect(until == now.adding(seconds: best.k * 3600))
                #expect(zone == best.zone)
                #expect(expected == mean)
            } else {
                Issue.record("expected wait at k=\(best.k) in \(best.zone), got \(decision)")
            }
        }
    }

    @Test("a folder with a bad file names that file and line; a missing folder or one without series is unreadable")
    func directoryErrors() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("osg-carbon-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        func load() -> CarbonDataError? {
            do {
                _ = try CarbonAtlas(directory: folder.path)
                return nil
            } catch {
                return error
            }
        }
        try "not carbon".write(to: folder.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
        #expect(load()?.code == .unreadable)
        try [csvHeader, csvRow("2026-12-01 00:00:00", zone: "XX", "1"), csvRow("2026-12-01 01:00:00", zone: "XX", "x")]
            .joined(separator: "\n").write(to: folder.appendingPathComponent("XX_2026_hourly.csv"), atomically: true, encoding: .utf8)
        let error = try #require(load())
        #expect(error.code == .badNumber)
        #expect(error.file == "XX_2026_hourly.csv")
        #expect(error.line == 3)
        #expect(throws: CarbonDataError.self) { try CarbonAtlas(directory: folder.appendingPathComponent("missing").path) }
    }
}
