import ArgumentParser
import Foundation
import OSGCarbon
import OSGCore
import OSGDomain

/// `osg carbon`: grid carbon data in the coordinator: list what is recorded, or (governance)
/// load Electricity Maps hourly files into the log.
struct CarbonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "carbon",
        abstract: "List the grid carbon data the coordinator has recorded; governance loads Electricity Maps files.",
        subcommands: [List.self, Load.self],
        defaultSubcommand: List.self
    )

    /// `osg carbon list` (the default): the public `/v1/carbon` view.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List each zone's recorded hours and its intensity now.")

        @OptionGroup var options: ClientOptions

        func run() async throws {
            let answer = try await options.call(try options.publicClient(), .GET, "/v1/carbon")
            guard !options.json else { return }
            let zones = answer["zones"] as? [[String: Any]] ?? []
            if zones.isEmpty { print("no carbon data recorded (osg serve --carbon, or osg carbon load)") }
            for zone in zones {
                let now = (zone["now_g_per_kwh"] as? String).map { "now \($0) gCO2/kWh" } ?? "no value for the current hour"
                print("\(zone["zone"] ?? "?")  \(zone["hours"] ?? 0) hours  \(zone["first_hour"] ?? "?") to \(zone["end_hour"] ?? "?")  \(now)")
            }
        }
    }

    /// `osg carbon load PATH…`: each file's series, in windows the coordinator accepts, as the
    /// governance command `recordCarbonSeries` (`POST /v1/carbon`).
    struct Load: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record Electricity Maps hourly files (<ZONE>_<YEAR>_hourly.csv, or a folder of them) in the log, signed with the governance key.",
            discussion: """
                Each file's hours are recorded as they are (their own dates): a window must overlap or \
                touch the hours already recorded for its zone, so files of one zone go oldest first. \
                A bad file is reported with its line and column before anything is sent.
                """)

        @Argument(help: "Electricity Maps hourly CSV files, or folders of them.")
        var paths: [String]

        @OptionGroup var options: ClientOptions

        func run() async throws {
            var series: [CarbonSeries] = []
            do {
                for path in paths {
                    var isDirectory: ObjCBool = false
                    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                        throw CleanExit.failure("\(path): no such file or folder")
                    }
                    if isDirectory.boolValue {
                        let atlas = try CarbonAtlas(directory: path)
                        series += atlas.zones.map { atlas.seriesByZone[$0]! }
                    } else {
                        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw CleanExit.failure("\(path): cannot read it as UTF-8 text") }
                        series.append(try ElectricityMapsCSV.parse(text, file: path))
                    }
                }
            } catch let error as CarbonDataError {
                throw CleanExit.failure("\(error)")
            }
            let client = try options.signingClient()
            var recorded: [[String: Any]] = []
            for one in series.sorted(by: { ($0.zone, $0.firstHour) < ($1.zone, $1.firstHour) }) {
                for body in Self.windows(of: one) {
                    // One JSON object at the end, not one per request.
                    let answer = try await options.quiet.call(client, .POST, "/v1/carbon", body: Array(JSONOutput.string(body).utf8))
                    recorded.append(["zone": one.zone, "first_hour": body["first_hour"] ?? "", "hours": (body["mg_per_kwh"] as? [Int64])?.count ?? 0,
                                     "sequence": answer["sequence"] ?? -1])
                }
                if !options.json { print("\(one.zone): \(one.milligramsPerKWh.count) hours from \(Self.time(ofHour: one.firstHour)) recorded") }
            }
            if options.json { JSONOutput.print(["recorded": recorded]) }
        }

        /// The request bodies for `series`, at most ``OSGCore/CoordinatorState/maxCarbonWindowHours`` hours each.
        static func windows(of series: CarbonSeries) -> [[String: Any]] {
            let size = CoordinatorState.maxCarbonWindowHours
            return stride(from: 0, to: series.milligramsPerKWh.count, by: size).map { start in
                let values = Array(series.milligramsPerKWh[start..<min(start + size, series.milligramsPerKWh.count)])
                return ["zone": series.zone, "first_hour": time(ofHour: series.firstHour + Int64(start)), "mg_per_kwh": values]
            }
        }

        /// Hour `hour` (hours since 1970) as RFC 3339.
        static func time(ofHour hour: Int64) -> String {
            Timestamp(secondsSinceEpoch: hour * 3_600).description
        }
    }
}
