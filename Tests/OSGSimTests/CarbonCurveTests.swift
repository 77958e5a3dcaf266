import Foundation
import OSGCarbon
import OSGSim
import Testing

@Suite("Carbon over load: the curve of osg sim --carbon-curve")
struct CarbonCurveTests {
    /// The small fixture scenario at an offered load.
    static func scenario(load: Double) throws(SimDataError) -> SimScenario {
        let pods = try! PodListTrace.parse(SimTestSupport.text("pods-small.csv"), file: "pods-small.csv").pods
        let atlas = try! CarbonAtlas(directory: SimTestSupport.fixtures + "/carbon")
        let offers = try! PriceCatalog.parse(SimTestSupport.text("prices-vast-small.csv"), file: "prices-vast-small.csv")
        var configuration = SimConfiguration(operators: 40, days: 3, seed: 11, jobs: nil)
        configuration.offeredLoad = load
        return try Simulator.scenario(pods: pods, atlas: atlas, marketOffers: offers, listOffers: offers, configuration: configuration)
    }

    @Test("each load runs all three regimes on a workload sized to it; the points agree with single runs and the JSON reads back")
    func curve() throws {
        let points = try CarbonCurve.run(loads: [0.2, 0.6], scenario: Self.scenario)
        #expect(points.map(\.load) == [0.2, 0.6])
        #expect(points[0].jobs < points[1].jobs, "a higher load has more jobs")
        // A point holds the regimes' own figures.
        let single = try Self.scenario(load: 0.6)
        let open = Simulator.runRegime("open", on: single)
        let plain = Simulator.runRegime("open-no-carbon", on: single)
        let concentrated = Simulator.runRegime("concentrated", on: single)
        #expect(points[1] == CarbonCurvePoint(load: 0.6, jobs: single.workload.jobs.count, concentrated: concentrated, open: open, openNoCarbon: plain))
        #expect(abs(points[1].gramsRatio - open.gramsCO2PerGPUHour / concentrated.gramsCO2PerGPUHour) < 1e-12)
        // Carbon shifting prefers clean zones; it never makes a class's p90 wait worse than 10 % here.
        for point in points {
            #expect(point.openGrams <= point.openNoCarbonGrams, "load \(point.load)")
            #expect(point.worstClassP90Ratio <= 1.1, "load \(point.load)")
        }
        let object = try #require(try JSONSerialization.jsonObject(with: Data(CarbonCurve.json(points).utf8)) as? [String: Any])
        let items = try #require(object["points"] as? [[String: Any]])
        #expect(items.count == 2)
        #expect((items[1]["jobs"] as? Int) == points[1].jobs)
        #expect(CarbonCurve.table(points).contains("60%"))
    }
}
