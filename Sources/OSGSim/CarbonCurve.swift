import Foundation

/// Carbon shifting's cost and gain over offered load (docs/SIMULATOR.md, "Carbon over load"):
/// for each load the same fleet and a workload sized to that load run through the three
/// regimes, and a point keeps gCO2 per GPU-hour of each, and the waits carbon shifting adds
/// (open against open-no-carbon).
public struct CarbonCurvePoint: Hashable, Sendable {
    /// Offered load: demanded ÷ available GPU-hours.
    public var load: Double
    public var jobs: Int
    public var concentratedGrams: Double
    public var openGrams: Double
    public var openNoCarbonGrams: Double
    public var openMeanWaitSeconds: Double
    public var openNoCarbonMeanWaitSeconds: Double
    /// The largest over user classes of open's wait p90 ÷ open-no-carbon's (1 when both are 0).
    public var worstClassP90Ratio: Double
    /// Flexible jobs planned for a later, cleaner slot in the open regime.
    public var deferred: Int

    /// gCO2 per GPU-hour, open ÷ concentrated.
    public var gramsRatio: Double { concentratedGrams == 0 ? 0 : openGrams / concentratedGrams }
    /// Mean wait, open ÷ open-no-carbon (1 when both are 0).
    public var meanWaitRatio: Double { CarbonCurve.ratio(openMeanWaitSeconds, openNoCarbonMeanWaitSeconds) }

    /// The point of one load from the three regimes' figures.
    public init(load: Double, jobs: Int, concentrated: RegimeMetrics, open: RegimeMetrics, openNoCarbon: RegimeMetrics) {
        self.load = load
        self.jobs = jobs
        concentratedGrams = concentrated.gramsCO2PerGPUHour
        openGrams = open.gramsCO2PerGPUHour
        openNoCarbonGrams = openNoCarbon.gramsCO2PerGPUHour
        openMeanWaitSeconds = open.meanWaitSeconds
        openNoCarbonMeanWaitSeconds = openNoCarbon.meanWaitSeconds
        worstClassP90Ratio = zip(open.classes, openNoCarbon.classes)
            .map { CarbonCurve.ratio(Double($0.waitP90Seconds), Double($1.waitP90Seconds)) }.max() ?? 1
        deferred = open.deferredForCarbon
    }
}

/// Runs and prints the carbon curve.
public enum CarbonCurve {
    /// The loads of the curve: 10 % to 90 % in steps of 10.
    public static let loads: [Double] = (1...9).map { Double($0) / 10 }

    /// `a ÷ b`, 1 when both are 0 and infinity when only `b` is.
    static func ratio(_ a: Double, _ b: Double) -> Double {
        b == 0 ? (a == 0 ? 1 : .infinity) : a / b
    }

    /// One point per load: `scenario(load)` builds the run, whose three regimes run side by side.
    public static func run(loads: [Double] = loads, scenario: (Double) throws(SimDataError) -> SimScenario) throws(SimDataError) -> [CarbonCurvePoint] {
        var points: [CarbonCurvePoint] = []
        for load in loads {
            let built = try scenario(load)
            let results = RegimeResults(count: Simulator.regimeNames.count)
            DispatchQueue.concurrentPerform(iterations: Simulator.regimeNames.count) { index in
                results.set(index, Simulator.runRegime(Simulator.regimeNames[index], on: built))
            }
            let regimes = results.values
            points.append(CarbonCurvePoint(load: load, jobs: built.workload.jobs.count, concentrated: regimes[0], open: regimes[1], openNoCarbon: regimes[2]))
        }
        return points
    }

    /// The curve as a table, with the goals of docs/SIMULATOR.md's claims.
    public static func table(_ points: [CarbonCurvePoint]) -> String {
        var lines = ["load  jobs      gCO2/GPUh conc.  open    open-no-carbon  open÷conc.  mean wait open / no-carbon (s)  ratio   worst class p90 ratio  deferred"]
        for point in points {
            lines.append([
                pad(String(format: "%.0f%%", point.load * 100), 6), pad(String(point.jobs), 10),
                pad(SimReportText.fixed(point.concentratedGrams, 1), 17), pad(SimReportText.fixed(point.openGrams, 1), 8),
                pad(SimReportText.fixed(point.openNoCarbonGrams, 1), 16), pad(SimReportText.fixed(point.gramsRatio, 3), 12),
                pad(SimReportText.fixed(point.openMeanWaitSeconds, 1) + " / " + SimReportText.fixed(point.openNoCarbonMeanWaitSeconds, 1), 32),
                pad(SimReportText.fixed(point.meanWaitRatio, 3), 8), pad(SimReportText.fixed(point.worstClassP90Ratio, 3), 23), String(point.deferred),
            ].joined())
        }
        lines.append("goals: open÷conc. <= 0.75 with mean wait ratio <= 1.05 and p90 ratio <= 1.10 at 50 % load; worst class p90 ratio <= 1.10 at every load")
        return lines.joined(separator: "\n")
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }

    /// The curve as one JSON object (`points`, each with the fields of ``CarbonCurvePoint``).
    public static func json(_ points: [CarbonCurvePoint]) -> String {
        let items = points.map { point in
            "{\"load\":\(SimReportText.fixed(point.load, 2)),\"jobs\":\(point.jobs),"
                + "\"gco2_per_gpu_hour\":{\"concentrated\":\(SimReportText.fixed(point.concentratedGrams, 2)),\"open\":\(SimReportText.fixed(point.openGrams, 2)),\"open_no_carbon\":\(SimReportText.fixed(point.openNoCarbonGrams, 2))},"
                + "\"gco2_open_over_concentrated\":\(number(point.gramsRatio)),"
                + "\"wait_mean_s\":{\"open\":\(SimReportText.fixed(point.openMeanWaitSeconds, 1)),\"open_no_carbon\":\(SimReportText.fixed(point.openNoCarbonMeanWaitSeconds, 1))},"
                + "\"wait_mean_ratio\":\(number(point.meanWaitRatio)),\"worst_class_p90_ratio\":\(number(point.worstClassP90Ratio)),"
                + "\"deferred_for_carbon\":\(point.deferred)}"
        }
        return "{\"points\":[" + items.joined(separator: ",") + "]}"
    }

    /// A ratio as JSON: a number, or `null` when infinite.
    private static func number(_ value: Double) -> String { value.isFinite ? SimReportText.fixed(value, 4) : "null" }
}
