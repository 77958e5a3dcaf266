/// Optional measurements an operator's agent sends with a usage report. They are recorded and
/// published as reported; they never change what is paid (time × price does). They feed the
/// node's "claimed vs observed" figures (``NodeObservation``).
public struct UsageCounters: Hashable, Sendable, Codable {
    /// Mean GPU utilisation of the lease's GPUs since the previous report, in per-mille (0-1000).
    public var gpuUtilisationPerMille: Int?
    /// Energy the lease drew since it started, in Wh (cumulative: never less than the previous
    /// report's): its GPUs' board power where the node reads it, otherwise its share of the CPU
    /// package energy (RAPL) by CPU time.
    public var energyWh: Int64?
    /// Mean SM clock of the lease's GPUs since the previous report, per-mille of their maximum
    /// SM clock (0-1000): a busy GPU held below its maximum (power or thermal throttling)
    /// delivers that much less than its benchmark.
    public var gpuClockPerMille: Int?
    /// CPU time the lease's processes used since it started, in milliseconds (cumulative, like
    /// `energyWh`).
    public var cpuMilliseconds: Int64?

    public init(gpuUtilisationPerMille: Int? = nil, energyWh: Int64? = nil, gpuClockPerMille: Int? = nil, cpuMilliseconds: Int64? = nil) {
        self.gpuUtilisationPerMille = gpuUtilisationPerMille
        self.energyWh = energyWh
        self.gpuClockPerMille = gpuClockPerMille
        self.cpuMilliseconds = cpuMilliseconds
    }

    /// Largest accepted cumulative energy, in Wh (a terawatt-hour).
    public static let maxEnergyWh: Int64 = 1_000_000_000_000
    /// Largest accepted cumulative CPU time, in milliseconds (about 3,000 core-years).
    public static let maxCPUMilliseconds: Int64 = 100_000_000_000_000

    /// What is wrong with these counters as the next report after `previous` (the lease's last
    /// accepted report, `nil` for its first), or `nil`. The message names the wire field.
    public func problem(after previous: UsageCounters?) -> String? {
        if let perMille = gpuUtilisationPerMille, !(0...1_000).contains(perMille) {
            return "gpu_utilisation_per_mille must be between 0 and 1000, got \(perMille)"
        }
        if let perMille = gpuClockPerMille, !(0...1_000).contains(perMille) {
            return "gpu_clock_per_mille must be between 0 and 1000, got \(perMille)"
        }
        if let energy = energyWh {
            if !(0...Self.maxEnergyWh).contains(energy) {
                return "energy_wh must be between 0 and \(Self.maxEnergyWh), got \(energy)"
            }
            if let earlier = previous?.energyWh, energy < earlier {
                return "energy_wh counts since the lease started and may not decrease: \(energy) after \(earlier)"
            }
        }
        if let cpu = cpuMilliseconds {
            if !(0...Self.maxCPUMilliseconds).contains(cpu) {
                return "cpu_milliseconds must be between 0 and \(Self.maxCPUMilliseconds), got \(cpu)"
            }
            if let earlier = previous?.cpuMilliseconds, cpu < earlier {
                return "cpu_milliseconds counts since the lease started and may not decrease: \(cpu) after \(earlier)"
            }
        }
        return nil
    }
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
