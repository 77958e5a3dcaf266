import Foundation
/// The report as one HTML page with inline SVG bar charts (pure text; no I/O).
public enum SimReportHTML {
    static let colours = ["#7f7f7f", "#1f77b4", "#2ca02c"]

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    /// A grouped bar chart: one group per label, one bar per series (regime).
    static func barChart(title: String, unit: String, groups: [String], series: [String], values: [[Double]]) -> String {
        let width = 640.0
        let height = 260.0
        let left = 60.0
        let bottom = 40.0
        let top = 30.0
        let maxValue = max(values.flatMap { $0 }.max() ?? 0, 1e-9)
        let groupWidth = (width - left - 10) / Double(max(groups.count, 1))
        let barWidth = groupWidth * 0.8 / Double(max(series.count, 1))
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" role=\"img\" aria-label=\"\(escape(title))\">"
        svg += "<text x=\"\(left)\" y=\"18\" font-size=\"14\" font-family=\"sans-serif\">\(escape(title)) (\(escape(unit)))</text>"
        let plotHeight = height - bottom - top
        for tick in 0...4 {
            let value = maxValue * Double(tick) / 4
            let y = top + plotHeight * (1 - Double(tick) / 4)
            svg += "<line x1=\"\(left)\" x2=\"\(width - 10)\" y1=\"\(SimReportText.fixed(y, 1))\" y2=\"\(SimReportText.fixed(y, 1))\" stroke=\"#ddd\"/>"
            svg += "<text x=\"\(left - 4)\" y=\"\(SimReportText.fixed(y + 4, 1))\" font-size=\"10\" text-anchor=\"end\" font-family=\"sans-serif\">\(SimReportText.fixed(value, value < 10 ? 2 : 0))</text>"
        }
        for (g, group) in groups.enumerated() {
            let x0 = left + Double(g) * groupWidth + groupWidth * 0.1
            for (s, _) in series.enumerated() {
                let value = values[s][g]
                let barHeight = plotHeight * value / maxValue
                let x = x0 + Double(s) * barWidth
                svg += "<rect x=\"\(SimReportText.fixed(x, 1))\" y=\"\(SimReportText.fixed(top + plotHeight - barHeight, 1))\" width=\"\(SimReportText.fixed(barWidth - 1, 1))\" height=\"\(SimReportText.fixed(barHeight, 1))\" fill=\"\(colours[s % colours.count])\"><title>\(escape(series[s])) \(escape(group)): \(SimReportText.fixed(value, 3))</title></rect>"
            }
            svg += "<text x=\"\(SimReportText.fixed(x0 + groupWidth * 0.4, 1))\" y=\"\(Int(height - bottom + 16))\" font-size=\"11\" text-anchor=\"middle\" font-family=\"sans-serif\">\(escape(group))</text>"
        }
        for (s, name) in series.enumerated() {
            let x = left + Double(s) * 150
            svg += "<rect x=\"\(x)\" y=\"\(Int(height - 14))\" width=\"10\" height=\"10\" fill=\"\(colours[s % colours.count])\"/>"
            svg += "<text x=\"\(x + 14)\" y=\"\(Int(height - 5))\" font-size=\"11\" font-family=\"sans-serif\">\(escape(name))</text>"
        }
        return svg + "</svg>"
    }

    /// The whole page: the scenario, the terminal table, and charts of waits, acceptance,
    /// price, carbon, utilisation, fairness and the outage.
    public static func page(_ report: SimReport) -> String {
        let names = report.regimes.map(\.name)
        let classes = UserClass.allCases.map(\.name)
        func perClass(_ value: (ClassMetrics) -> Double) -> [[Double]] {
            report.regimes.map { regime in regime.classes.map(value) }
        }
        var charts: [String] = []
        charts.append(barChart(title: "Queue wait p50 by user class", unit: "hours", groups: classes, series: names,
                               values: perClass { Double($0.waitP50Seconds) / 3600 }))
        charts.append(barChart(title: "Queue wait p90 by user class", unit: "hours", groups: classes, series: names,
                               values: perClass { Double($0.waitP90Seconds) / 3600 }))
        charts.append(barChart(title: "Queue wait p99 by user class", unit: "hours", groups: classes, series: names,
                               values: perClass { Double($0.waitP99Seconds) / 3600 }))
        charts.append(barChart(title: "Acceptance by user class", unit: "%", groups: classes, series: names,
                               values: perClass { $0.acceptanceRate * 100 }))
        let single: [(String, String, (RegimeMetrics) -> Double)] = [
            ("Mean price per GPU-hour", "credits", { $0.meanPricePerGPUHour }),
            ("Carbon per GPU-hour", "gCO2-eq", { $0.gramsCO2PerGPUHour }),
            ("Utilisation", "%", { $0.utilisation * 100 }),
            ("Jain fairness (served/demanded per user)", "index", { $0.jainFairness }),
            ("Region outage: jobs delayed", "jobs", { Double($0.outageDelayed) }),
            ("Region outage: jobs lost", "jobs", { Double($0.outageLost) }),
        ]
        for (title, unit, value) in single {
            charts.append(barChart(title: title, unit: unit, groups: ["all"], series: names, values: report.regimes.map { [value($0)] }))
        }
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>osg sim report</title>
            <style>body{font-family:sans-serif;max-width:1320px;margin:1em auto;padding:0 1em}pre{background:#f6f6f6;padding:1em;overflow:auto;font-size:12px}svg{margin:.5em;border:1px solid #eee}</style>
            </head><body>
            <h1>OpenStargate simulation</h1>
            <p>Concentrated (few large regions, exclusive deals, FIFO with backfill) versus open (market with set-asides, fair share and carbon shifting) and open without carbon shifting, on the same workload and fleet. Definitions: docs/SIMULATOR.md.</p>
            <pre>\(escape(SimReportText.table(report)))</pre>
            \(charts.joined(separator: "\n"))
            </body></html>

            """
    }
}
