/// Optional measurements an operator's agent sends with a usage report. They are recorded and
/// published as reported; they never change what is paid (time × price does).
public struct UsageCounters: Hashable, Sendable, Codable {
    /// Mean GPU utilisation of the lease's GPUs since the previous report, in per-mille (0-1000).
    public var gpuUtilisationPerMille: Int?
    /// Energy the lease's GPUs drew since the lease started, in Wh (cumulative: never less than
    /// the previous report's).
    public var energyWh: Int64?

    public init(gpuUtilisationPerMille: Int? = nil, energyWh: Int64? = nil) {
        self.gpuUtilisationPerMille = gpuUtilisationPerMille
        self.energyWh = energyWh
    }

    /// Largest accepted cumulative energy, in Wh (a terawatt-hour).
    public static let maxEnergyWh: Int64 = 1_000_000_000_000
}

/// The last usage report of a lease: how far its escrow has been settled, what that paid in
/// total, and the measurements that came with it.
public struct LeaseUsage: Hashable, Sendable, Codable {
    /// The lease is settled up to this time (the next report or the end settles from here).
    public var through: Timestamp
    /// When the report was recorded (the log entry's time).
    public var reported: Timestamp
    /// The operator who reported it.
    public var reporterID: String
    /// Paid to the operators by all usage reports of this lease so far.
    public var settled: MicroCredits
    /// The measurements of this report.
    public var counters: UsageCounters

    public init(through: Timestamp, reported: Timestamp, reporterID: String, settled: MicroCredits, counters: UsageCounters) {
        self.through = through
        self.reported = reported
        self.reporterID = reporterID
        self.settled = settled
        self.counters = counters
    }
}
