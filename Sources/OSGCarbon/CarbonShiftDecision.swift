import OSGDomain

/// When and where a job should start, as ``CarbonShiftPlanner`` decides it.
public enum CarbonShiftDecision: Hashable, Sendable {
    /// Start in this clearing.
    ///
    /// - `zone`: the allowed zone with the lowest expected mean intensity now, which the
    ///   market prefers; `nil` when the job is not flexible or no allowed zone has data
    ///   (no carbon preference: the market's ordinary rules apply).
    /// - `expectedMeanMilligramsPerKWh`: the run's expected mean in that zone.
    case startNow(zone: String?, expectedMeanMilligramsPerKWh: Int64?)
    /// Wait: a later start (a whole number of hours from now, before the deadline allows no
    /// later start) in `zone` has a lower expected mean than any start now.
    ///
    /// `nowMeanMilligramsPerKWh` is the best expected mean of a start now (`nil` when no zone
    /// may start now, e.g. every zone is above the cap now), and
    /// `savingVersusNowMilligramsPerKWh` is that minus `expectedMeanMilligramsPerKWh`.
    case wait(
        until: Timestamp, zone: String, expectedMeanMilligramsPerKWh: Int64,
        nowMeanMilligramsPerKWh: Int64?, savingVersusNowMilligramsPerKWh: Int64?
    )
    /// The job is flexible but no allowed zone has a start hour, within its window, at or under
    /// its carbon cap (or no data covers a whole run): nothing to plan; the market's cap check
    /// decides.
    case noStartUnderCap

    /// The zone the decision prefers, if any.
    public var zone: String? {
        switch self {
        case .startNow(let zone, _): zone
        case .wait(_, let zone, _, _, _): zone
        case .noStartUnderCap: nil
        }
    }
}
