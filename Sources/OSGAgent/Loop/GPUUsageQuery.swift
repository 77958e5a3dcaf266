import Foundation
import OSGDomain

/// What the agent reads of its GPUs' use for usage reports: utilisation, power and SM clock per
/// GPU, from `nvidia-smi --query-gpu=index,utilization.gpu,power.draw,clocks.sm,clocks.max.sm
/// --format=csv,noheader,nounits`.
public enum GPUUsageQuery {
    /// One GPU's reading.
    public struct Reading: Sendable, Hashable {
        /// Utilisation over the driver's last sample period, percent (0-100).
        public var utilisationPercent: Int
        /// Power drawn now, watts; `nil` when the GPU does not report it (`[N/A]`).
        public var powerWatts: Double?
        /// SM clock now, per-mille of the GPU's maximum SM clock (0-1000); `nil` when either
        /// clock is not reported.
        public var clockPerMille: Int?

        public init(utilisationPercent: Int, powerWatts: Double?, clockPerMille: Int? = nil) {
            self.utilisationPercent = utilisationPercent
            self.powerWatts = powerWatts
            self.clockPerMille = clockPerMille
        }
    }

    public static let arguments = [
        "--query-gpu=index,utilization.gpu,power.draw,clocks.sm,clocks.max.sm", "--format=csv,noheader,nounits",
    ]

    /// Readings by GPU index. A line that does not read (a lost GPU, `[N/A]` utilisation) is
    /// left out: its GPU simply has no reading this time.
    public static func parse(_ output: String) -> [Int: Reading] {
        var readings: [Int: Reading] = [:]
        for line in output.split(whereSeparator: \.isNewline) {
            let fields = line.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.count == 3 || fields.count == 5, let index = Int(fields[0]), index >= 0,
                  let utilisation = Int(fields[1]), (0...100).contains(utilisation) else { continue }
            let power = Double(fields[2]).flatMap { $0.isFinite && $0 >= 0 && $0 < 100_000 ? $0 : nil }
            var clock: Int?
            if fields.count == 5, let sm = Int(fields[3]), let maximum = Int(fields[4]), sm >= 0, maximum > 0, maximum < 100_000 {
                clock = min(1_000, sm * 1_000 / maximum)
            }
            readings[index] = Reading(utilisationPercent: utilisation, powerWatts: power, clockPerMille: clock)
        }
        return readings
    }
}

/// What a lease's GPUs did between two usage reports, as the report carries it.
public struct LeaseUsageMeter: Sendable, Hashable {
    /// Energy drawn so far, watt-hours (cumulative, as the API wants it).
    public private(set) var energyWh: Double

    /// - Parameter energyWh: what the lease's last accepted report said (a restarted agent goes
    ///   on from there: the figure is cumulative and may never go down).
    public init(energyWh: Int64 = 0) {
        self.energyWh = Double(max(0, energyWh))
    }

    /// The counters for a report covering `seconds` since the previous one, from `readings` of
    /// the lease's `gpuIndices`: the mean utilisation and SM clock in per-mille, and the energy
    /// so far with this period's at the power read now (a rectangle per report: as fine as the
    /// reports). `nil` fields when no GPU of the lease has a reading.
    public mutating func counters(readings: [Int: GPUUsageQuery.Reading], gpuIndices: [Int], seconds: Double) -> UsageCounters {
        let mine = gpuIndices.compactMap { readings[$0] }
        guard !mine.isEmpty else { return UsageCounters() }
        let utilisation = mine.reduce(0) { $0 + $1.utilisationPercent } * 10 / mine.count
        let clocks = mine.compactMap(\.clockPerMille)
        let clock = clocks.isEmpty ? nil : clocks.reduce(0, +) / clocks.count
        let powers = mine.compactMap(\.powerWatts)
        guard !powers.isEmpty else { return UsageCounters(gpuUtilisationPerMille: utilisation, gpuClockPerMille: clock) }
        add(joules: powers.reduce(0, +) * max(0, seconds))
        return UsageCounters(gpuUtilisationPerMille: utilisation, energyWh: Int64(energyWh.rounded(.down)), gpuClockPerMille: clock)
    }

    /// Adds energy measured another way (the lease's share of the CPU package, ``HostEnergyMeter``)
    /// and returns the cumulative figure to report.
    @discardableResult
    public mutating func add(joules: Double) -> Int64 {
        if joules.isFinite, joules > 0 { energyWh += joules / 3_600 }
        return Int64(energyWh.rounded(.down))
    }
}
