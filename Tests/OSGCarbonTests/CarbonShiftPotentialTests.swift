import OSGCarbon
import OSGDomain
import Testing

@Suite("CarbonShiftPotential: the Let's Wait Awhile deferral experiment")
struct CarbonShiftPotentialTests {
    @Test("hand-checked: one job per hour, deferred to the best hour within the window")
    func handChecked() throws {
        let s = series("X", grams: [100, 50, 100, 100])
        // L = 1, W = 1: arrivals 0, 1, 2; baseline 100 + 50 + 100, shifted 50 + 50 + 100.
        let result = try #require(CarbonShiftPotential.deferral(series: s, jobHours: 1, windowHours: 1))
        #expect(result.jobs == 3)
        #expect(result.baselineMeanMilligramsPerKWh == 83_333)
        #expect(result.shiftedMeanMilligramsPerKWh == 66_667)
        #expect(result.savingPartsPerMillion == 200_000)
        #expect(result.savingPercentText == "20.00")
        #expect(CarbonShiftPotential.deferral(series: s, jobHours: 1, windowHours: 0)?.savingPartsPerMillion == 0)
        #expect(CarbonShiftPotential.deferral(series: s, jobHours: 2, windowHours: 3) == nil)
    }

    @Test("the 14-day fixtures show a positive saving for 1-hour jobs deferred up to 24 h")
    func fixtures() throws {
        let atlas = try CarbonAtlas(directory: try fixtureDirectory())
        for zone in atlas.zones {
            let series = try #require(atlas[zone])
            let result = try #require(CarbonShiftPotential.deferral(series: series, jobHours: 1, windowHours: 24))
            #expect(result.savingPartsPerMillion > 0, "\(zone)")
            #expect(result.shiftedMeanMilligramsPerKWh < result.baselineMeanMilligramsPerKWh)
        }
    }

    @Test(
        "full 2021–2022 data (../shared/data/carbon): deferring 1-hour jobs within 24 h saves carbon in ES and US-CAL-CISO",
        .enabled(if: sharedCarbonDirectory != nil, "skipped: ../shared/data/carbon (or OSG_CARBON_DATA) is not on this machine")
    )
    func fullData() throws {
        let atlas = try CarbonAtlas(directory: try #require(sharedCarbonDirectory))
        #expect(atlas.zones == ["BR", "ES", "NO", "US-CAL-CISO"])
        for zone in atlas.zones {
            let series = try #require(atlas[zone])
            #expect(series.hourCount == 2 * 8760, "\(zone): 2021 and 2022 joined without gaps")
        }
        // Known answers (recomputed independently with exact decimals): ES 23.39 %, US-CAL-CISO 35.94 %.
        let expected: [String: (jobs: Int, baseline: Int64, shifted: Int64, ppm: Int64)] = [
            "ES": (17_496, 146_969, 112_596, 233_880),
            "US-CAL-CISO": (17_496, 200_092, 128_175, 359_423),
        ]
        for (zone, want) in expected {
            let series = try #require(atlas[zone])
            let result = try #require(CarbonShiftPotential.deferral(series: series, jobHours: 1, windowHours: 24))
            #expect(result.savingPartsPerMillion > 0, "\(zone): \(result.savingPercentText) %")
            #expect(result.jobs == want.jobs)
            #expect(result.baselineMeanMilligramsPerKWh == want.baseline)
            #expect(result.shiftedMeanMilligramsPerKWh == want.shifted)
            #expect(result.savingPartsPerMillion == want.ppm, "\(zone): \(result.savingPercentText) %")
        }
    }
}
