/// What the usage reports of a node's leases observed, summed over every report: the
/// "observed" side of the node's "claimed vs observed" figures (``NodeClaimComparison``).
///
/// Every sum is of GPU-seconds of this node (a report's interval times the GPUs the lease holds
/// on the node), weighted where it says so; all saturate at `Int64.max` instead of trapping.
/// A report covers the interval from the lease's previous settlement (or its start) to its
/// `through`; a lease over several nodes counts on each node with that node's GPUs.
public struct NodeObservation: Hashable, Sendable, Codable {
    /// Leases on this node with at least one usage report.
    public var leasesReported: Int
    /// GPU-seconds covered by usage reports.
    public var reportedGPUSeconds: Int64
    /// GPU-seconds covered by a report with a GPU utilisation figure.
    public var utilisationGPUSeconds: Int64
    /// Σ GPU-seconds × utilisation per-mille over those reports.
    public var busyPerMilleGPUSeconds: Int64
    /// GPU-seconds covered by a report with a GPU clock figure.
    public var clockGPUSeconds: Int64
    /// Σ GPU-seconds × clock per-mille over those reports.
    public var clockPerMilleGPUSeconds: Int64
    /// Energy the leases drew, Wh (the growth of each lease's cumulative figure).
    public var energyWh: Int64
    /// CPU time the leases used, milliseconds (the growth of each lease's cumulative figure).
    public var cpuMilliseconds: Int64

    /// Nothing observed yet.
    public static let none = NodeObservation(
        leasesReported: 0, reportedGPUSeconds: 0, utilisationGPUSeconds: 0, busyPerMilleGPUSeconds: 0,
        clockGPUSeconds: 0, clockPerMilleGPUSeconds: 0, energyWh: 0, cpuMilliseconds: 0)

    public init(
        leasesReported: Int, reportedGPUSeconds: Int64, utilisationGPUSeconds: Int64, busyPerMilleGPUSeconds: Int64,
        clockGPUSeconds: Int64, clockPerMilleGPUSeconds: Int64, energyWh: Int64, cpuMilliseconds: Int64
    ) {
        self.leasesReported = leasesReported
        self.reportedGPUSeconds = reportedGPUSeconds
        self.utilisationGPUSeconds = utilisationGPUSeconds
        self.busyPerMilleGPUSeconds = busyPerMilleGPUSeconds
        self.clockGPUSeconds = clockGPUSeconds
        self.clockPerMilleGPUSeconds = clockPerMilleGPUSeconds
        self.energyWh = energyWh
        self.cpuMilliseconds = cpuMilliseconds
    }

    /// This observation with one usage report added.
    ///
    /// - Parameters:
    ///   - counters: the report's counters; `previous` the lease's last accepted ones (`nil`
    ///     for its first report, which also counts the lease).
    ///   - seconds: the interval the report covers (never negative).
    ///   - gpus: the GPUs the lease holds on this node.
    public func adding(_ counters: UsageCounters, previous: UsageCounters?, isFirstReport: Bool, seconds: Int64, gpus: Int) -> NodeObservation {
        precondition(seconds >= 0 && gpus >= 0, "a report covers a non-negative interval of a non-negative GPU count")
        let gpuSeconds = seconds.multipliedSaturated(by: Int64(gpus))
        var next = self
        if isFirstReport, leasesReported < Int.max { next.leasesReported = leasesReported + 1 }
        next.reportedGPUSeconds = reportedGPUSeconds.addingSaturated(gpuSeconds)
        if let perMille = counters.gpuUtilisationPerMille {
            next.utilisationGPUSeconds = utilisationGPUSeconds.addingSaturated(gpuSeconds)
            next.busyPerMilleGPUSeconds = busyPerMilleGPUSeconds.addingSaturated(gpuSeconds.multipliedSaturated(by: Int64(perMille)))
        }
        if let perMille = counters.gpuClockPerMille {
            next.clockGPUSeconds = clockGPUSeconds.addingSaturated(gpuSeconds)
            next.clockPerMilleGPUSeconds = clockPerMilleGPUSeconds.addingSaturated(gpuSeconds.multipliedSaturated(by: Int64(perMille)))
        }
        if let energy = counters.energyWh {
            next.energyWh = energyWh.addingSaturated(max(0, energy - (previous?.energyWh ?? 0)))
        }
        if let cpu = counters.cpuMilliseconds {
            next.cpuMilliseconds = cpuMilliseconds.addingSaturated(max(0, cpu - (previous?.cpuMilliseconds ?? 0)))
        }
        return next
    }

    /// Mean GPU utilisation over the reports that carried one, per-mille; `nil` when none did.
    public var utilisationPerMille: Int? { Self.mean(busyPerMilleGPUSeconds, over: utilisationGPUSeconds) }
    /// Mean GPU clock over the reports that carried one, per-mille of maximum; `nil` when none did.
    public var clockPerMille: Int? { Self.mean(clockPerMilleGPUSeconds, over: clockGPUSeconds) }

    private static func mean(_ weighted: Int64, over weight: Int64) -> Int? {
        guard weight > 0 else { return nil }
        return Int(min(1_000, weighted / weight))
    }
}
