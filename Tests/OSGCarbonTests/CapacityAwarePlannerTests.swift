import OSGCarbon
import OSGDomain
import Testing

@Suite("ZoneCapacityForecast: online GPUs less what is committed, per zone and hour")
struct ZoneCapacityForecastTests {
    let first = time("2026-12-01T00:00:00Z").secondsSinceEpoch

    @Test("a commitment holds every hour it touches, a release gives them back, and outside the forecast nothing is held")
    func commitAndRelease() {
        var forecast = ZoneCapacityForecast(firstHour: first / 3600, hourCount: 6)
        forecast.setCapacity(zone: "A", gpus: 8)
        // 00:30–02:10 touches hours 0, 1 and 2.
        forecast.commit(zone: "A", gpus: 5, fromSeconds: first + 1800, untilSeconds: first + 2 * 3600 + 600)
        #expect(forecast.room(zone: "A", fromSeconds: first, durationSeconds: 60) == 3)
        #expect(forecast.room(zone: "A", fromSeconds: first + 2 * 3600 + 3000, durationSeconds: 60) == 3)
        #expect(forecast.room(zone: "A", fromSeconds: first + 3 * 3600, durationSeconds: 3 * 3600) == 8)
        // A run over hours 2–3 sees the busiest of them.
        #expect(forecast.room(zone: "A", fromSeconds: first + 2 * 3600, durationSeconds: 7200) == 3)
        // Ended early at 01:20: hours 1 and 2 are free again (hour 0 is past and never read).
        forecast.release(zone: "A", gpus: 5, fromSeconds: first + 4800, untilSeconds: first + 2 * 3600 + 600)
        #expect(forecast.room(zone: "A", fromSeconds: first + 3600, durationSeconds: 7200) == 8)
        // Past the forecast's last hour nothing is committed; an unknown zone has no room.
        forecast.commit(zone: "A", gpus: 8, fromSeconds: first + 5 * 3600, untilSeconds: first + 9 * 3600)
        #expect(forecast.room(zone: "A", fromSeconds: first + 6 * 3600, durationSeconds: 3600) == 8)
        #expect(forecast.room(zone: "A", fromSeconds: first + 5 * 3600, durationSeconds: 3600) == 0)
        #expect(forecast.room(zone: "B", fromSeconds: first, durationSeconds: 60) == 0)
        #expect(forecast.capacity(zone: "A") == 8 && forecast.capacity(zone: "B") == 0)
    }
}

@Suite("CarbonShiftPlanner, capacity-aware: space first, and later hours only where the forecast has room")
struct CapacityAwarePlannerTests {
    // Hours from 2026-12-01T00:00Z, in grams per kWh: A is dirty now and clean from 03:00; B is middling.
    let planner = CarbonShiftPlanner(atlas: try! CarbonAtlas(series: [
        series("A", grams: [400, 400, 400, 20, 20, 20, 20, 20]),
        series("B", grams: [200, 200, 200, 200, 200, 200, 200, 200]),
    ]))
    let now = time("2026-12-01T00:00:00Z")

    func forecast(_ capacity: [String: Int]) -> ZoneCapacityForecast {
        var forecast = ZoneCapacityForecast(firstHour: CarbonSeries.hour(containing: now), hourCount: 24)
        for (zone, gpus) in capacity { forecast.setCapacity(zone: zone, gpus: gpus) }
        return forecast
    }

    @Test("a job with room now starts now in the cleanest zone with room, though a later hour is far cleaner")
    func spaceFirst() {
        let job = spec(deadline: "2026-12-01T08:00:00Z")
        let both = planner.plan(job, gpus: 2, now: now, allowedZones: ["A", "B"], freeNow: { _ in 4 }, forecast: forecast(["A": 4, "B": 4]))
        #expect(both == .startNow(zone: "B", expectedMeanMilligramsPerKWh: 200_000))
        // B full now: A, though dirtier, because it has room.
        let onlyA = planner.plan(job, gpus: 2, now: now, allowedZones: ["A", "B"], freeNow: { $0 == "A" ? 4 : 1 }, forecast: forecast(["A": 4, "B": 4]))
        #expect(onlyA == .startNow(zone: "A", expectedMeanMilligramsPerKWh: 400_000))
        // A job that is not flexible is not planned.
        #expect(planner.plan(spec(deadline: nil), gpus: 1, now: now, allowedZones: ["A"], freeNow: { _ in 8 }, forecast: forecast(["A": 8]))
            == .startNow(zone: nil, expectedMeanMilligramsPerKWh: nil))
    }

    @Test("a job with no room now is planned for the cleanest slot with forecast room; committed slots spread the next jobs")
    func waterFilling() {
        var capacity = forecast(["A": 4, "B": 4])
        let job = spec(deadline: "2026-12-01T08:00:00Z")
        let start = now.secondsSinceEpoch
        // A is busy until 04:00, B until 01:00.
        capacity.commit(zone: "A", gpus: 4, fromSeconds: start, untilSeconds: start + 4 * 3600)
        capacity.commit(zone: "B", gpus: 4, fromSeconds: start, untilSeconds: start + 3600)
        var starts: [CarbonShiftDecision] = []
        for _ in 0..<3 {
            let decision = planner.plan(job, gpus: 3, now: now, allowedZones: ["A", "B"], freeNow: { _ in 0 }, forecast: capacity)
            starts.append(decision)
            if case .wait(let until, let zone, _, _, _) = decision {
                capacity.commit(zone: zone, gpus: 3, fromSeconds: until.secondsSinceEpoch, untilSeconds: until.secondsSinceEpoch + 3600)
            }
        }
        // First A at 04:00 (20 g), then A at 05:00 (04:00's room is taken), then A at 06:00.
        #expect(starts.map(\.zone) == ["A", "A", "A"])
        let hours = starts.compactMap { if case .wait(let until, _, _, _, _) = $0 { until } else { nil } }
        #expect(hours == [time("2026-12-01T04:00:00Z"), time("2026-12-01T05:00:00Z"), time("2026-12-01T06:00:00Z")])
        if case .wait(_, _, let expected, let nowMean, let saving) = starts[0] {
            #expect(expected == 20_000 && nowMean == 200_000 && saving == 180_000)
        }
    }

    @Test("a slot that saves less than the threshold is not worth waiting for: the job queues for the cleanest zone now")
    func threshold() {
        var capacity = forecast(["B": 4])
        let start = now.secondsSinceEpoch
        capacity.commit(zone: "B", gpus: 4, fromSeconds: start, untilSeconds: start + 3600)
        // Only B allowed: every slot is 200 g, no saving over now.
        let decision = planner.plan(spec(deadline: "2026-12-01T08:00:00Z"), gpus: 1, now: now, allowedZones: ["B"], freeNow: { _ in 0 }, forecast: capacity)
        #expect(decision == .startNow(zone: "B", expectedMeanMilligramsPerKWh: 200_000))
    }

    @Test("a threshold that holds startable jobs makes a job with room wait for a much cleaner slot")
    func holding() {
        let holds = CarbonShiftPlanner.DeferralThreshold(minimumSavingMilligramsPerKWh: 20_000, minimumSavingPercent: 25, holdsStartableJobs: true)
        let decision = planner.plan(spec(deadline: "2026-12-01T08:00:00Z"), gpus: 1, now: now, allowedZones: ["A", "B"],
                                    freeNow: { _ in 4 }, forecast: forecast(["A": 4, "B": 4]), threshold: holds)
        #expect(decision == .wait(until: time("2026-12-01T03:00:00Z"), zone: "A", expectedMeanMilligramsPerKWh: 20_000,
                                  nowMeanMilligramsPerKWh: 200_000, savingVersusNowMilligramsPerKWh: 180_000))
    }

    @Test("over many seeds a plan never breaks the deadline or the forecast: every wait fits max_duration and its slot's room",
          arguments: UInt64(1)...40)
    func property(seed: UInt64) {
        var random = SplitMixForTests(seed: seed)
        var capacity = forecast(["A": 8, "B": 8])
        let start = now.secondsSinceEpoch
        for zone in ["A", "B"] {
            capacity.commit(zone: zone, gpus: Int(random.next(below: 9)), fromSeconds: start, untilSeconds: start + Int64(random.next(below: 6) + 1) * 3600)
        }
        for _ in 0..<30 {
            let deadlineHours = Int64(random.next(below: 8) + 1)
            let duration = Int64(random.next(below: 3) + 1) * 1800
            let gpus = Int(random.next(below: 4) + 1)
            let deadline = now.adding(seconds: deadlineHours * 3600)
            var job = spec(duration: duration, deadline: nil)
            job.deadline = deadline
            let free = Int(random.next(below: 3))
            let decision = planner.plan(job, gpus: gpus, now: now, allowedZones: ["A", "B"], freeNow: { _ in free }, forecast: capacity)
            switch decision {
            case .wait(let until, let zone, _, _, _):
                #expect(free < gpus, "seed \(seed): a job with room now waited")
                #expect(until.adding(seconds: job.maxDurationSeconds) <= deadline, "seed \(seed): the slot breaks the deadline")
                #expect(capacity.room(zone: zone, fromSeconds: until.secondsSinceEpoch, durationSeconds: duration) >= gpus, "seed \(seed): no room in the slot")
                capacity.commit(zone: zone, gpus: gpus, fromSeconds: until.secondsSinceEpoch, untilSeconds: until.secondsSinceEpoch + duration)
            case .startNow(let zone, _):
                #expect(zone != nil, "seed \(seed)")
            case .noStartUnderCap:
                Issue.record("seed \(seed): no cap was set")
            }
        }
    }
}

/// A small seeded generator for the property test (SplitMix64).
struct SplitMixForTests {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next(below bound: UInt64) -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return (z ^ (z >> 31)) % bound
    }
}
