import OSGCore
import OSGDomain

extension Views {
    /// A node's latest benchmark result.
    struct Benchmark: Encodable, Sendable {
        var reported: String
        var tool: String
        var toolVersion: String
        var durationSeconds: Int64
        var gpusMeasured: Int
        var fp16DenseGflops: Int64
        var fp32Gflops: Int64
        var memoryBandwidthMbps: Int64
        var hostToDeviceMbps: Int64
        var deviceToHostMbps: Int64
        /// The host's figures, when the run measured them.
        var hostCpuCores: Int?
        var hostCpuFp32Gflops: Int64?
        var hostMemoryBandwidthMbps: Int64?
    }

    static func benchmark(_ report: NodeBenchmarkReport?) -> Benchmark? {
        guard let report else { return nil }
        let result = report.result
        return Benchmark(
            reported: report.reported.description, tool: result.tool, toolVersion: result.toolVersion,
            durationSeconds: result.durationSeconds, gpusMeasured: result.gpusMeasured, fp16DenseGflops: result.fp16DenseGFLOPS,
            fp32Gflops: result.fp32GFLOPS, memoryBandwidthMbps: result.memoryBandwidthMBps,
            hostToDeviceMbps: result.hostToDeviceMBps, deviceToHostMbps: result.deviceToHostMBps,
            hostCpuCores: result.host?.cpuCores, hostCpuFp32Gflops: result.host?.cpuFP32GFLOPS,
            hostMemoryBandwidthMbps: result.host?.memoryBandwidthMBps)
    }

    /// A node's "claimed vs observed" figures (``OSGDomain/NodeClaimComparison``).
    struct ClaimedVsObserved: Encodable, Sendable {
        struct Figures: Encodable, Sendable {
            var fp16DenseGflops: Int64?
            var fp32Gflops: Int64?
            var memoryBandwidthMbps: Int64?
        }
        var claimed: Figures
        var benchmarked: Figures?
        var benchmarkPerMille: Figures?
        var leasesReported: Int
        var reportedGpuSeconds: Int64
        var utilisationPerMille: Int?
        var clockPerMille: Int?
        var observedPerMille: Int?
        var energyWh: Int64
        var cpuSeconds: Int64
    }

    static func claimedVsObserved(_ comparison: NodeClaimComparison) -> ClaimedVsObserved {
        func figures(_ figures: GPUFigures) -> ClaimedVsObserved.Figures {
            .init(fp16DenseGflops: figures.fp16DenseGFLOPS, fp32Gflops: figures.fp32GFLOPS, memoryBandwidthMbps: figures.memoryBandwidthMBps)
        }
        let observed = comparison.observed ?? .none
        return ClaimedVsObserved(
            claimed: figures(comparison.claimed), benchmarked: comparison.benchmarked.map(figures),
            benchmarkPerMille: comparison.benchmarkPerMille.map(figures), leasesReported: observed.leasesReported,
            reportedGpuSeconds: observed.reportedGPUSeconds, utilisationPerMille: comparison.utilisationPerMille,
            clockPerMille: comparison.clockPerMille, observedPerMille: comparison.observedPerMille,
            energyWh: observed.energyWh, cpuSeconds: observed.cpuMilliseconds / 1_000)
    }

    /// A lease's last usage report.
    struct Usage: Encodable, Sendable {
        /// Settled up to this time.
        var through: String
        var reported: String
        var reporter: String
        /// Paid to the operators by usage reports so far, in credits.
        var settled: String
        var gpuUtilisationPerMille: Int?
        var energyWh: Int64?
        var gpuClockPerMille: Int?
        var cpuMilliseconds: Int64?
    }

    static func usage(_ usage: LeaseUsage?) -> Usage? {
        guard let usage else { return nil }
        return Usage(
            through: usage.through.description, reported: usage.reported.description, reporter: usage.reporterID,
            settled: usage.settled.description, gpuUtilisationPerMille: usage.counters.gpuUtilisationPerMille,
            energyWh: usage.counters.energyWh, gpuClockPerMille: usage.counters.gpuClockPerMille,
            cpuMilliseconds: usage.counters.cpuMilliseconds)
    }

    /// The answer to an accepted usage report.
    struct UsageAccepted: Encodable, Sendable {
        var sequence: UInt64
        var time: String
        var events: [String]
        /// What this report paid, in credits.
        var paid: String
        var usage: Usage?
    }
}
