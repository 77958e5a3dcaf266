import Foundation

/// Writes the HTML report (the only file output of the simulator).
public enum SimReportFiles {
    /// Writes `index.html` and `report.json` into `directory` (created if needed).
    ///
    /// - Throws: ``SimDataError`` `.unreadable` naming the path that cannot be written.
    public static func write(_ report: SimReport, to directory: String) throws(SimDataError) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try Data(SimReportHTML.page(report).utf8).write(to: URL(fileURLWithPath: directory).appendingPathComponent("index.html"))
            try Data((SimReportText.json(report) + "\n").utf8).write(to: URL(fileURLWithPath: directory).appendingPathComponent("report.json"))
        } catch {
            throw SimDataError(.unreadable, file: directory, "cannot write the report: \(error)")
        }
    }
}
