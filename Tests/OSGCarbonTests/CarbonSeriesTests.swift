import OSGCarbon
import OSGDomain
import Testing

@Suite("CarbonSeries: exact hourly lookup and hour-weighted means")
struct CarbonSeriesTests {
    let series = CarbonSeries(zone: "XX", firstHour: hour("2026-12-01T00:00:00Z"), milligramsPerKWh: [100_000, 200_000, 400_000, 1])

    @Test("intensity(at:) returns the value of the hour containing the time, nil outside")
    func lookup() {
        #expect(series.intensity(at: time("2026-12-01T00:00:00Z")) == 100_000)
        #expect(series.intensity(at: time("2026-12-01T00:59:59Z")) == 100_000)
        #expect(series.intensity(at: time("2026-12-01T01:00:00Z")) == 200_000)
        #expect(series.intensity(at: time("2026-12-01T03:30:00Z")) == 1)
        #expect(series.intensity(at: time("2026-12-01T04:00:00Z")) == nil)
        #expect(series.intensity(at: time("2026-11-30T23:59:59Z")) == nil)
    }

    @Test("the mean weights each hour by the seconds of the run it covers")
    func weightedMean() {
        // Whole hours: (100 + 200) / 2.
        #expect(series.meanMilligramsPerKWh(from: time("2026-12-01T00:00:00Z"), durationSeconds: 7200) == 150_000)
        // Half of hour 0 and half of hour 1.
        #expect(series.meanMilligramsPerKWh(from: time("2026-12-01T00:30:00Z"), durationSeconds: 3600) == 150_000)
        // 30 min of 100, 60 of 200, 15 of 400: (3000 + 12000 + 6000) / 105 = 200 g.
        #expect(series.meanMilligramsPerKWh(from: time("2026-12-01T00:30:00Z"), durationSeconds: 105 * 60) == 200_000)
        // Inside one hour.
        #expect(series.meanMilligramsPerKWh(from: time("2026-12-01T02:10:00Z"), durationSeconds: 600) == 400_000)
        // Not covered: nil, and so is an empty run.
        #expect(series.meanMilligramsPerKWh(from: time("2026-12-01T03:30:00Z"), durationSeconds: 3600) == nil)
        #expect(series.meanMilligramsPerKWh(from: time("2026-12-01T00:00:00Z"), durationSeconds: 0) == nil)
    }

    @Test("the final division rounds half up")
    func roundHalfUp() {
        let odd = CarbonSeries(zone: "XX", firstHour: 0, milligramsPerKWh: [0, 1, 2])
        // (0 + 1) / 2 = 0.5 → 1;  (0 + 1 + 2) / 3 = 1 exactly; 1 s of 0 and 2 s of 1 → 0.667 → 1.
        #expect(odd.meanMilligramsPerKWh(from: Timestamp(secondsSinceEpoch: 0), durationSeconds: 7200) == 1)
        #expect(odd.meanMilligramsPerKWh(from: Timestamp(secondsSinceEpoch: 0), durationSeconds: 3 * 3600) == 1)
        #expect(odd.meanMilligramsPerKWh(from: Timestamp(secondsSinceEpoch: 3599), durationSeconds: 3) == 1)
        // 2 s of 0 and 1 s of 1 → 0.333 → 0.
        #expect(odd.meanMilligramsPerKWh(from: Timestamp(secondsSinceEpoch: 3598), durationSeconds: 3) == 0)
    }

    @Test("an atlas joins contiguous series of one zone and refuses a gap between them")
    func atlasJoins() throws {
        let a = CarbonSeries(zone: "XX", firstHour: 10, milligramsPerKWh: [1, 2])
        let b = CarbonSeries(zone: "XX", firstHour: 12, milligramsPerKWh: [3])
        let atlas = try CarbonAtlas(series: [b, a, CarbonSeries(zone: "YY", firstHour: 0, milligramsPerKWh: [5])])
        #expect(atlas.zones == ["XX", "YY"])
        #expect(atlas["XX"]?.milligramsPerKWh == [1, 2, 3])
        #expect(atlas["XX"]?.firstHour == 10)
        let gap = CarbonSeries(zone: "XX", firstHour: 13, milligramsPerKWh: [3])
        #expect(throws: CarbonDataError.self) { try CarbonAtlas(series: [a, gap]) }
        do {
            _ = try CarbonAtlas(series: [a, gap])
        } catch {
            #expect(error.code == .notContiguous)
        }
    }
}
