import Foundation
import OSGCarbon
import OSGDomain

/// Reads the carbon files of "Let's Wait Awhile" (Wiesner et al., Middleware 2021;
/// github.com/dos-group/lets-wait-awhile, `data/*_ci.csv`): columns `Time`
/// (`YYYY-MM-DD HH:MM:SS`, no zone given; read as UTC) and `Carbon Intensity` (gCO2-eq/kWh,
/// decimal), in 15- or 30-minute steps. Each hour's value is the mean of its steps, rounded
/// to a milligram, so the series fits ``CarbonSeries`` and the deferral experiment.
public enum LetsWaitAwhileCSV {
    /// Parses one file into an hourly series for `zone`.
    ///
    /// - Throws: ``SimDataError`` naming the file and line of a bad time or value, times out
    ///   of order, or a missing hour; a missing column; an empty file.
    public static func parse(_ text: String, file: String, zone: String) throws(SimDataError) -> CarbonSeries {
        let lines = CSVLine.lines(text)
        guard let header = lines.first else { throw SimDataError(.empty, file: file, "the file is empty") }
        let names = try CSVLine.fields(header.text, file: file, line: header.number).map { String($0).trimmingCharacters(in: " \u{FEFF}") }
        guard let timeAt = names.firstIndex(of: "Time"), let valueAt = names.firstIndex(of: "Carbon Intensity") else {
            throw SimDataError(.missingColumn, file: file, line: 1, "the header needs columns `Time` and `Carbon Intensity`")
        }
        var firstHour: Int64? = nil
        var hourly: [Int64] = []
        var currentHour: Int64? = nil
        var sum = 0.0
        var count = 0
        var lastTime: Int64 = .min
        func flush() {
            if count > 0 { hourly.append(Int64((sum / Double(count) * 1000).rounded())) }
            sum = 0
            count = 0
        }
        for (number, line) in lines.dropFirst() where !line.isEmpty {
            let fields = try CSVLine.fields(line, file: file, line: number)
            guard fields.count == names.count else {
                throw SimDataError(.badRow, file: file, line: number, "has \(fields.count) fields, the header has \(names.count)")
            }
            let timeText = fields[timeAt].replacingOccurrences(of: " ", with: "T") + "Z"
            guard let time = Timestamp(rfc3339: timeText) else {
                throw SimDataError(.badRow, file: file, line: number, "`Time` is `\(fields[timeAt])`; expected YYYY-MM-DD HH:MM:SS")
            }
            guard let value = Double(fields[valueAt]), value >= 0, value < 100_000 else {
                throw SimDataError(.badRow, file: file, line: number, "`Carbon Intensity` is `\(fields[valueAt])`; expected gCO2-eq/kWh ≥ 0")
            }
            guard time.secondsSinceEpoch > lastTime else {
                throw SimDataError(.badRow, file: file, line: number, "time \(fields[timeAt]) is not after the previous row's")
            }
            lastTime = time.secondsSinceEpoch
            let hour = CarbonSeries.hour(containing: time)
            if let current = currentHour, hour != current {
                flush()
                guard hour == current + 1 else {
                    throw SimDataError(.badRow, file: file, line: number, "\(hour - current - 1) hours are missing before \(fields[timeAt])")
                }
            }
            if firstHour == nil { firstHour = hour }
            currentHour = hour
            sum += value
            count += 1
        }
        flush()
        guard let firstHour, !hourly.isEmpty else { throw SimDataError(.empty, file: file, "holds no data row") }
        return CarbonSeries(zone: zone, firstHour: firstHour, milligramsPerKWh: hourly)
    }

    /// The part of `series` within the calendar year `year` (UTC), as the paper used 2020.
    public static func year(_ year: Int, of series: CarbonSeries) -> CarbonSeries? {
        guard let from = Timestamp(rfc3339: "\(year)-01-01T00:00:00Z"), let to = Timestamp(rfc3339: "\(year + 1)-01-01T00:00:00Z") else { return nil }
        let first = max(series.firstHour, from.secondsSinceEpoch / 3600)
        let end = min(series.endHour, to.secondsSinceEpoch / 3600)
        guard end > first else { return nil }
        return CarbonSeries(zone: series.zone, firstHour: first,
                            milligramsPerKWh: Array(series.milligramsPerKWh[Int(first - series.firstHour)..<Int(end - series.firstHour)]))
    }
}
