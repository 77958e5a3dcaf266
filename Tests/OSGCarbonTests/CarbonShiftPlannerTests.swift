import OSGCarbon
import OSGDomain
import Testing

@Suite("CarbonShiftPlanner: cleanest start and zone within the deadline, under the cap")
struct CarbonShiftPlannerTests {
    // Hours from 2026-12-01T00:00Z, in grams per kWh.
    let planner = CarbonShiftPlanner(atlas: try! CarbonAtlas(series: [
        series("A", grams: [300, 200, 100, 50, 400, 500]),
        series("B", grams: [250, 250, 90, 90, 90, 90]),
    ]))
    let now = time("2026-12-01T00:00:00Z")

    @Test("a 1-hour job picks the cleanest hour over all allowed zones, with the saving versus now")
    func cleanestHour() {
        let decision = planner.plan(spec(deadline: "2026-12-01T06:00:00Z"), now: now, allowedZones: ["A", "B"])
        #expect(decision == .wait(
            until: time("2026-12-01T03:00:00Z"), zone: "A", expectedMeanMilligramsPerKWh: 50_000,
            nowMeanMilligramsPerKWh: 250_000, savingVersusNowMilligramsPerKWh: 200_000))
    }

    @Test("the run's mean decides, not the start hour: a 2-hour job avoids the spike after the cleanest hour")
    func meanOverRun() {
        let decision = planner.plan(spec(duration: 7200, deadline: "2026-12-01T06:00:00Z"), now: now, allowedZones: ["B", "A"])
        // A from 02:00: (100 + 50) / 2 = 75 beats A from 03:00: (50 + 400) / 2 = 225 and B's 90.
        #expect(decision == .wait(
            until: time("2026-12-01T02:00:00Z"), zone: "A", expectedMeanMilligramsPerKWh: 75_000,
            nowMeanMilligramsPerKWh: 250_000, savingVersusNowMilligramsPerKWh: 175_000))
    }

    @Test("no start lets max_duration run past the deadline")
    func deadline() {
        // Deadline 03:00 and max_duration 1 h: the latest start is 02:00, where B (90) beats A (100).
        let decision = planner.plan(spec(deadline: "2026-12-01T03:00:00Z"), now: now, allowedZones: ["A", "B"])
        #expect(decision.zone == "B")
        if case .wait(let until, _, _, _, _) = decision { #expect(until == time("2026-12-01T02:00:00Z")) } else { Issue.record("expected wait, got \(decision)") }
        // max_duration 2 h pulls the latest start back to 01:00: B and A both 250/200 → A at 01:00.
        let tighter = planner.plan(spec(maxDuration: 7200, deadline: "2026-12-01T03:00:00Z"), now: now, allowedZones: ["A", "B"])
        #expect(tighter == .wait(until: time("2026-12-01T01:00:00Z"), zone: "A", expectedMeanMilligramsPerKWh: 200_000,
                                 nowMeanMilligramsPerKWh: 250_000, savingVersusNowMilligramsPerKWh: 50_000))
    }

    @Test("the cap applies to the start hour: only starts at or under it count, even when the run's mean is higher")
    func cap() {
        // Cap 80 g: only A at 03:00 (50) qualifies.
        #expect(planner.plan(spec(deadline: "2026-12-01T06:00:00Z", cap: 80), now: now, allowedZones: ["A", "B"]).zone == "A")
        // A 2-hour run from 03:00 has mean 225 > cap, but its start hour (50) is under it.
        let twoHours = planner.plan(spec(duration: 7200, deadline: "2026-12-01T06:00:00Z", cap: 60), now: now, allowedZones: ["A", "B"])
        #expect(twoHours == .wait(until: time("2026-12-01T03:00:00Z"), zone: "A", expectedMeanMilligramsPerKWh: 225_000,
                                  nowMeanMilligramsPerKWh: nil, savingVersusNowMilligramsPerKWh: nil))
        // Cap 80 but deadline 03:00: no start hour qualifies.
        #expect(planner.plan(spec(deadline: "2026-12-01T03:00:00Z", cap: 80), now: now, allowedZones: ["A", "B"]) == .noStartUnderCap)
        // Exactly at the cap is allowed.
        #expect(planner.plan(spec(deadline: "2026-12-01T01:00:00Z", cap: 250), now: now, allowedZones: ["B"])
                == .startNow(zone: "B", expectedMeanMilligramsPerKWh: 250_000))
    }

    @Test("ties go to the earliest start, then the lowest zone id, whatever the order of the zones")
    func ties() throws {
        let twin = CarbonShiftPlanner(atlas: try CarbonAtlas(series: [
            series("D", grams: [100, 50, 80, 50]), series("C", grams: [100, 50, 80, 50]),
        ]))
        let expected = CarbonShiftDecision.wait(until: time("2026-12-01T01:00:00Z"), zone: "C", expectedMeanMilligramsPerKWh: 50_000,
                                                nowMeanMilligramsPerKWh: 100_000, savingVersusNowMilligramsPerKWh: 50_000)
        for zones in [["C", "D"], ["D", "C"], ["D", "C", "D"]] {
            #expect(twin.plan(spec(deadline: "2026-12-01T04:00:00Z"), now: now, allowedZones: zones) == expected)
        }
    }

    @Test("a job starts now when now is cleanest, and prefers the cleanest zone")
    func startNow() throws {
        let flat = CarbonShiftPlanner(atlas: try CarbonAtlas(series: [
            series("A", grams: [80, 90, 90]), series("B", grams: [70, 90, 90]),
        ]))
        #expect(flat.plan(spec(deadline: "2026-12-01T03:00:00Z"), now: now, allowedZones: ["A", "B"])
                == .startNow(zone: "B", expectedMeanMilligramsPerKWh: 70_000))
        #expect(flat.zonesCleanestFirst(spec(deadline: "2026-12-01T03:00:00Z"), now: now, allowedZones: ["A", "B", "Z"]) == ["B", "A"])
        #expect(flat.zonesCleanestFirst(spec(deadline: "2026-12-01T03:00:00Z", cap: 75), now: now, allowedZones: ["A", "B"]) == ["B"])
        // Only allowed zones count.
        #expect(flat.plan(spec(deadline: "2026-12-01T03:00:00Z"), now: now, allowedZones: ["A", "Z"])
                == .startNow(zone: "A", expectedMeanMilligramsPerKWh: 80_000))
    }

    @Test("a job without shift, without a deadline, or with no zone data starts now with no preference")
    func notFlexible() {
        let none = CarbonShiftDecision.startNow(zone: nil, expectedMeanMilligramsPerKWh: nil)
        #expect(planner.plan(spec(deadline: "2026-12-01T06:00:00Z", shift: false), now: now, allowedZones: ["A"]) == none)
        #expect(planner.plan(spec(deadline: nil), now: now, allowedZones: ["A"]) == none)
        #expect(planner.plan(spec(deadline: "2026-12-01T06:00:00Z"), now: now, allowedZones: ["Z"]) == none)
        #expect(planner.plan(spec(deadline: "2026-12-01T06:00:00Z"), now: now, allowedZones: []) == none)
    }

    @Test("a start between hour marks weighs partial hours, and waits in whole hours from now")
    func offHourNow() {
        let halfPast = time("2026-12-01T02:30:00Z")
        // From 02:30: A 1 h = (100 + 50) / 2 = 75, from 03:30: (50 + 400) / 2 = 225; B: 90 each.
        let decision = planner.plan(spec(deadline: "2026-12-01T06:00:00Z"), now: halfPast, allowedZones: ["A", "B"])
        #expect(decision == .startNow(zone: "A", expectedMeanMilligramsPerKWh: 75_000))
    }

    @Test("a far deadline is bounded by the data: no start beyond what the series covers")
    func farDeadline() {
        let decision = planner.plan(spec(deadline: "2036-12-01T00:00:00Z"), now: now, allowedZones: ["B"])
        #expect(decision == .wait(until: time("2026-12-01T02:00:00Z"), zone: "B", expectedMeanMilligramsPerKWh: 90_000,
                                  nowMeanMilligramsPerKWh: 250_000, savingVersusNowMilligramsPerKWh: 160_000))
    }
}
