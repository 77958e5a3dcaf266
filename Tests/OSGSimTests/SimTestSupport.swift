import Foundation
import OSGCarbon
import OSGDomain
@testable import OSGSim

enum SimTestSupport {
    static var fixtures: String { Bundle.module.resourceURL!.appendingPathComponent("Fixtures").path }

    static func text(_ name: String) throws -> String {
        try String(contentsOfFile: fixtures + "/" + name, encoding: .utf8)
    }

    /// A flat series of `hours` hours from 2022-01-01 with a daily dip (clean 02:00-05:00).
    static func series(_ zone: String, base: Int64, hours: Int = 24 * 10) -> CarbonSeries {
        let first = Timestamp(rfc3339: "2022-01-01T00:00:00Z")!.secondsSinceEpoch / 3600
        return CarbonSeries(zone: zone, firstHour: first, milligramsPerKWh: (0..<hours).map { hour in
            (2...5).contains(hour % 24) ? base / 4 : base
        })
    }

    /// The tiny scenario of the determinism and regime tests, from the fixtures.
    static func smallScenario(seed: UInt64, jobs: Int = 400, operators: Int = 60, days: Int = 3) throws -> (SimScenario, SimConfiguration) {
        let pods = try PodListTrace.parse(text("pods-small.csv"), file: "pods-small.csv").pods
        let atlas = try CarbonAtlas(directory: fixtures + "/carbon")
        let offers = try PriceCatalog.parse(text("prices-vast-small.csv"), file: "prices-vast-small.csv")
        let configuration = SimConfiguration(operators: operators, days: days, seed: seed, jobs: jobs)
        let scenario = try Simulator.scenario(pods: pods, atlas: atlas, marketOffers: offers, listOffers: offers, configuration: configuration)
        return (scenario, configuration)
    }

    /// FNV-1a (64-bit) of `text`'s UTF-8 bytes, hex: the committed golden digest of a report,
    /// so a change of results shows even when two runs in one process agree with each other.
    static func digest(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return String(hash, radix: 16)
    }
}
