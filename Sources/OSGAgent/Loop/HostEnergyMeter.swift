import Foundation

/// The host's CPU package energy, from RAPL in the Linux powercap tree
/// (`/sys/class/powercap/intel-rapl:N/energy_uj`, one per package; AMD processors appear there
/// too), beside the host's busy CPU time from `/proc/stat`. A lease's CPU energy over an interval
/// is the package energy of that interval times the lease's share of the busy CPU time
/// (``share(of:leaseCPUMilliseconds:)``): the figure usage reports carry as `energy_wh` on a node
/// whose leases have no GPU readings.
///
/// The counters wrap at `max_energy_range_uj`; each read adds the growth since the previous
/// one, so the meter must be read more often than once per wrap (minutes at full power; the
/// agent reads it with every usage report). Hosts without RAPL (most virtual machines, or
/// `energy_uj` readable only by root) have no meter: ``init(powercap:procStat:)`` returns `nil`.
public struct HostEnergyMeter: Sendable {
    /// Cumulative figures since the meter was made.
    public struct Reading: Sendable, Hashable {
        /// Package energy, joules.
        public var joules: Double
        /// Busy CPU time of the whole host (user, nice, system, irq, softirq, steal), milliseconds.
        public var busyMilliseconds: Int64
    }

    private struct Domain: Sendable {
        var energyFile: URL
        var rangeMicrojoules: UInt64
        var last: UInt64
    }

    private var domains: [Domain]
    private let procStat: URL
    private var joules: Double = 0

    /// A meter over every package domain under `powercap`; `nil` when there is none or one
    /// cannot be read.
    public init?(
        powercap: URL = URL(fileURLWithPath: "/sys/class/powercap"), procStat: URL = URL(fileURLWithPath: "/proc/stat")
    ) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: powercap.path) else { return nil }
        // Packages are `intel-rapl:N`; their sub-domains (`intel-rapl:N:M`, cores and DRAM) are
        // parts of the package's figure and are left out.
        let packages = names.filter { $0.hasPrefix("intel-rapl:") && $0.split(separator: ":").count == 2 }.sorted()
        var domains: [Domain] = []
        for name in packages {
            let directory = powercap.appendingPathComponent(name)
            guard let energy = Self.number(directory.appendingPathComponent("energy_uj")),
                  let range = Self.number(directory.appendingPathComponent("max_energy_range_uj")), range > 0 else { return nil }
            domains.append(Domain(energyFile: directory.appendingPathComponent("energy_uj"), rangeMicrojoules: range, last: energy))
        }
        guard !domains.isEmpty, Self.busyMilliseconds(procStat) != nil else { return nil }
        self.domains = domains
        self.procStat = procStat
    }

    /// Reads the counters: energy and busy time since the meter was made. `nil` when a file
    /// stopped reading.
    public mutating func read() -> Reading? {
        for index in domains.indices {
            guard let now = Self.number(domains[index].energyFile) else { return nil }
            let last = domains[index].last
            let grown = now >= last ? now - last : domains[index].rangeMicrojoules - last + now
            joules += Double(grown) / 1_000_000
            domains[index].last = now
        }
        guard let busy = Self.busyMilliseconds(procStat) else { return nil }
        return Reading(joules: joules, busyMilliseconds: busy)
    }

    /// The joules of `from`→`to` that belong to a lease that used `leaseCPUMilliseconds` of
    /// CPU in that interval: the package energy times the lease's share of the busy time (at
    /// most all of it). 0 when the host was not busy.
    public static func share(from: Reading, to: Reading, leaseCPUMilliseconds: Int64) -> Double {
        let busy = to.busyMilliseconds - from.busyMilliseconds
        let energy = to.joules - from.joules
        guard busy > 0, energy > 0, leaseCPUMilliseconds > 0 else { return 0 }
        return energy * min(1, Double(leaseCPUMilliseconds) / Double(busy))
    }

    /// The busy time in the first (`cpu `) line of `/proc/stat`, milliseconds.
    static func busyMilliseconds(_ procStat: URL) -> Int64? {
        guard let text = try? String(contentsOf: procStat, encoding: .utf8) else { return nil }
        return busyMilliseconds(procStatText: text, ticksPerSecond: Int64(max(1, sysconf(Int32(_SC_CLK_TCK)))))
    }

    /// The busy time of a `/proc/stat` text: user, nice, system, irq, softirq and steal (idle
    /// and iowait left out; guest time is already in user), milliseconds.
    static func busyMilliseconds(procStatText text: String, ticksPerSecond: Int64) -> Int64? {
        guard let line = text.split(whereSeparator: \.isNewline).first(where: { $0.hasPrefix("cpu ") }) else { return nil }
        let fields = line.split(separator: " ").dropFirst().compactMap { Int64($0) }
        guard fields.count >= 8 else { return nil }
        let busy = [0, 1, 2, 5, 6, 7].reduce(Int64(0)) { $0.addingSaturated(fields[$1]) }
        return busy.multipliedSaturated(by: 1_000) / ticksPerSecond
    }

    private static func number(_ file: URL) -> UInt64? {
        guard let text = try? String(contentsOf: file, encoding: .utf8) else { return nil }
        return UInt64(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
