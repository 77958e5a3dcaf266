import Foundation
import OSGCarbon
import OSGDomain
import Testing

/// The fixture folder of small real series (see Fixtures/carbon/README.md).
func fixtureDirectory() throws -> String {
    let url = try #require(Bundle.module.url(forResource: "Fixtures/carbon", withExtension: nil))
    return url.path
}

/// The full shared data set (`../shared/data/carbon` next to the worktree, or
/// `OSG_CARBON_DATA`), when this machine has it.
let sharedCarbonDirectory: String? = {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let path = ProcessInfo.processInfo.environment["OSG_CARBON_DATA"]
        ?? root.deletingLastPathComponent().appendingPathComponent("shared/data/carbon").path
    return FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent("ES_2022_hourly.csv")) ? path : nil
}()

let csvHeader = "Datetime (UTC),Country,Zone Name,Zone Id,Carbon Intensity gCO₂eq/kWh (direct),Carbon Intensity gCO₂eq/kWh (LCA),Low Carbon Percentage,Renewable Percentage,Data Source,Data Estimated,Data Estimation Method"

/// A CSV row in the Electricity Maps layout.
func csvRow(_ time: String, zone: String = "XX", _ direct: String) -> String {
    "\(time),Land,Land,\(zone),\(direct),1.0,50.0,50.0,test,false,"
}

func time(_ text: String) -> Timestamp { Timestamp(rfc3339: text)! }

/// Hour index of an RFC 3339 time.
func hour(_ text: String) -> Int64 { CarbonSeries.hour(containing: time(text)) }

/// A series from whole gram values starting at `first`.
func series(_ zone: String, from first: String = "2026-12-01T00:00:00Z", grams: [Int64]) -> CarbonSeries {
    CarbonSeries(zone: zone, firstHour: hour(first), milligramsPerKWh: grams.map { $0 * 1000 })
}

/// A flexible (or not) single-GPU spec.
func spec(
    duration: Int64 = 3600, maxDuration: Int64? = nil, deadline: String? = nil, shift: Bool = true, cap: Int? = nil
) -> JobSpec {
    JobSpec(
        name: "job", command: ["run"],
        resources: ResourceRequest(gpu: GPURequest(selector: .any, countPerNode: 1)),
        durationSeconds: duration, maxDurationSeconds: maxDuration,
        maxPricePerGPUHour: MicroCredits(1_000_000), deadline: deadline.map(time),
        carbon: CarbonPolicy(maxGCO2PerKWh: cap, shift: shift)
    )
}
