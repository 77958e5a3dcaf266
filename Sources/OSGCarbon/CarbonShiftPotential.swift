/// How much carbon deferring jobs could save in one zone: the experiment of Wiesner et al.,
/// "Let's Wait Awhile: How Temporal Workload Shifting Can Reduce Carbon Emissions in the
/// Cloud" (Middleware 2021), on a ``CarbonSeries``.
///
/// One job of `jobHours` arrives at every hour `t` of the series (as long as the whole window
/// fits). Run at once it sees the mean over `[t, t + L)`; deferred by an oracle forecast it
/// starts at the best whole hour `t + k`, `0 ≤ k ≤ windowHours`. The saving is
/// `1 − Σ shifted / Σ baseline` over all jobs (equal energy per job, so sums of means are
/// proportional to emissions). Integer arithmetic; ppm rounded half up.
public struct CarbonShiftPotential: Hashable, Sendable {
    /// Jobs simulated (one per arrival hour).
    public let jobs: Int
    /// Mean over jobs of the run's mean intensity when started at arrival, mgCO2-eq/kWh.
    public let baselineMeanMilligramsPerKWh: Int64
    /// The same when each job starts at its best hour within the window.
    public let shiftedMeanMilligramsPerKWh: Int64
    /// Relative saving in parts per million (`123_456` is 12.3456 %).
    public let savingPartsPerMillion: Int64

    /// The saving percentage with two decimals, e.g. `"12.35"` (for reports).
    public var savingPercentText: String {
        let hundredths = (savingPartsPerMillion + 50) / 100
        let fraction = String(hundredths % 100)
        return "\(hundredths / 100).\(fraction.count == 1 ? "0" + fraction : fraction)"
    }

    /// Simulates deferral of `jobHours`-long jobs by up to `windowHours` on `series`.
    ///
    /// - Parameters:
    ///   - series: one zone's hourly intensities.
    ///   - jobHours: run length `L` in hours (at least 1).
    ///   - windowHours: the longest deferral `W` in hours (0 gives no saving).
    /// - Returns: `nil` when the series is shorter than `L + W` hours or has zero total.
    public static func deferral(series: CarbonSeries, jobHours: Int, windowHours: Int) -> CarbonShiftPotential? {
        precondition(jobHours >= 1 && windowHours >= 0, "jobHours ≥ 1 and windowHours ≥ 0")
        let arrivals = series.hourCount - jobHours - windowHours + 1
        guard arrivals > 0 else { return nil }
        let sums = series.prefixSums
        func runSum(_ start: Int) -> Int64 { sums[start + jobHours] - sums[start] }
        var baseline: Int64 = 0
        var shifted: Int64 = 0
        for arrival in 0..<arrivals {
            baseline += runSum(arrival)
            var best = Int64.max
            for start in arrival...(arrival + windowHours) { best = min(best, runSum(start)) }
            shifted += best
        }
        guard baseline > 0 else { return nil }
        let divisor = Int64(arrivals) * Int64(jobHours)
        let (high, low) = (baseline - shifted).multipliedFullWidth(by: 1_000_000)
        let (quotient, remainder) = baseline.dividingFullWidth((high, low))
        let ppm = remainder * 2 >= baseline ? quotient + 1 : quotient
        return CarbonShiftPotential(
            jobs: arrivals,
            baselineMeanMilligramsPerKWh: CarbonSeries.roundHalfUp(baseline, dividedBy: divisor),
            shiftedMeanMilligramsPerKWh: CarbonSeries.roundHalfUp(shifted, dividedBy: divisor),
            savingPartsPerMillion: ppm
        )
    }
}
