/// What a short benchmark run measured on a node, as its operator's agent reports it.
///
/// Integers only (the core has no floating point): throughput in GFLOP/s and bandwidth in
/// MB/s (10^6 bytes per second), each the mean over the GPUs measured. Published beside the
/// node so tenants can compare providers by measured rather than catalogued performance.
public struct NodeBenchmark: Hashable, Sendable, Codable {
    /// The benchmark tool, e.g. `osg-agent-bench` (1-64 printable ASCII characters, no spaces).
    public var tool: String
    /// The tool's version, e.g. `1.4.0` (same rule as `tool`).
    public var toolVersion: String
    /// How long the run took, in seconds.
    public var durationSeconds: Int64
    /// How many of the node's GPUs were measured (the figures are their mean).
    public var gpusMeasured: Int
    /// Dense FP16 matrix-multiply throughput per GPU, GFLOP/s.
    public var fp16DenseGFLOPS: Int64
    /// FP32 throughput per GPU, GFLOP/s.
    public var fp32GFLOPS: Int64
    /// Device-memory bandwidth per GPU, MB/s.
    public var memoryBandwidthMBps: Int64
    /// Host-to-device copy bandwidth per GPU, MB/s.
    public var hostToDeviceMBps: Int64
    /// Device-to-host copy bandwidth per GPU, MB/s.
    public var deviceToHostMBps: Int64
    /// The host's CPU and memory, when the run measured them (`osg agent` always does); absent
    /// from the encoding otherwise, so older reports keep their bytes. A report with host
    /// figures may measure no GPU (`gpusMeasured` 0, every GPU figure 0): a node whose GPUs no
    /// tool here can measure, or a simulated one.
    public var host: HostMeasurement?

    /// What a run measured of the host.
    public struct HostMeasurement: Hashable, Sendable, Codable {
        /// CPU cores the run used.
        public var cpuCores: Int
        /// FP32 matrix-multiply throughput over those cores, GFLOP/s.
        public var cpuFP32GFLOPS: Int64
        /// Host memory bandwidth (a STREAM-like triad), MB/s.
        public var memoryBandwidthMBps: Int64

        public init(cpuCores: Int, cpuFP32GFLOPS: Int64, memoryBandwidthMBps: Int64) {
            self.cpuCores = cpuCores
            self.cpuFP32GFLOPS = cpuFP32GFLOPS
            self.memoryBandwidthMBps = memoryBandwidthMBps
        }
    }

    /// Creates a benchmark result.
    public init(
        tool: String, toolVersion: String, durationSeconds: Int64, gpusMeasured: Int, fp16DenseGFLOPS: Int64,
        fp32GFLOPS: Int64, memoryBandwidthMBps: Int64, hostToDeviceMBps: Int64, deviceToHostMBps: Int64,
        host: HostMeasurement? = nil
    ) {
        self.tool = tool
        self.toolVersion = toolVersion
        self.durationSeconds = durationSeconds
        self.gpusMeasured = gpusMeasured
        self.fp16DenseGFLOPS = fp16DenseGFLOPS
        self.fp32GFLOPS = fp32GFLOPS
        self.memoryBandwidthMBps = memoryBandwidthMBps
        self.hostToDeviceMBps = hostToDeviceMBps
        self.deviceToHostMBps = deviceToHostMBps
        self.host = host
    }

    /// The accepted ranges: generous bounds (about 100 times today's fastest GPU) that still
    /// refuse nonsense such as negative or 64-bit-overflowing figures.
    public enum Limits {
        /// Longest tool name or version, in bytes.
        public static let maxTextBytes = 64
        /// Longest run, in seconds (an hour).
        public static let durationSeconds: ClosedRange<Int64> = 1...3_600
        /// Throughput per GPU, GFLOP/s (100 PFLOP/s at most).
        public static let gflops: ClosedRange<Int64> = 1...100_000_000
        /// Device-memory bandwidth per GPU, MB/s (100 TB/s at most).
        public static let memoryBandwidthMBps: ClosedRange<Int64> = 1...100_000_000
        /// Host↔device bandwidth per GPU, MB/s (10 TB/s at most).
        public static let hostDeviceMBps: ClosedRange<Int64> = 1...10_000_000
    }

    /// Whether `text` is an acceptable tool name or version.
    public static func isValidText(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= Limits.maxTextBytes && text.utf8.allSatisfy { (0x21...0x7E).contains($0) }
    }

    /// Reasons this result cannot be recorded for a node with `gpuCount` GPUs; empty when it can.
    public func problems(gpuCount: Int) -> [String] {
        var problems: [String] = []
        if !Self.isValidText(tool) {
            problems.append("tool must be 1-\(Limits.maxTextBytes) printable ASCII characters without spaces, got \(tool.utf8.count) bytes")
        }
        if !Self.isValidText(toolVersion) {
            problems.append("tool_version must be 1-\(Limits.maxTextBytes) printable ASCII characters without spaces, got \(toolVersion.utf8.count) bytes")
        }
        func check(_ value: Int64, _ range: ClosedRange<Int64>, _ name: String) {
            if !range.contains(value) { problems.append("\(name) must be between \(range.lowerBound) and \(range.upperBound), got \(value)") }
        }
        check(durationSeconds, Limits.durationSeconds, "duration_seconds")
        if let host {
            if host.cpuCores < 1 || host.cpuCores > ComputeNode.Limits.maxCPUCores {
                problems.append("host_cpu_cores must be between 1 and \(ComputeNode.Limits.maxCPUCores), got \(host.cpuCores)")
            }
            check(host.cpuFP32GFLOPS, Limits.gflops, "host_cpu_fp32_gflops")
            check(host.memoryBandwidthMBps, Limits.memoryBandwidthMBps, "host_memory_bandwidth_mbps")
        }
        if gpusMeasured == 0, host != nil {
            // Only the host was measured: every GPU figure is 0.
            let gpuFigures = [fp16DenseGFLOPS, fp32GFLOPS, memoryBandwidthMBps, hostToDeviceMBps, deviceToHostMBps]
            if gpuFigures.contains(where: { $0 != 0 }) {
                problems.append("a run that measured no GPU (gpus_measured 0) reports 0 for every GPU figure")
            }
            return problems
        }
        if gpusMeasured < 1 || gpusMeasured > gpuCount {
            problems.append("gpus_measured must be between \(host == nil ? 1 : 0) and the node's \(gpuCount) GPUs, got \(gpusMeasured)")
        }
        check(fp16DenseGFLOPS, Limits.gflops, "fp16_dense_gflops")
        check(fp32GFLOPS, Limits.gflops, "fp32_gflops")
        check(memoryBandwidthMBps, Limits.memoryBandwidthMBps, "memory_bandwidth_mbps")
        check(hostToDeviceMBps, Limits.hostDeviceMBps, "host_to_device_mbps")
        check(deviceToHostMBps, Limits.hostDeviceMBps, "device_to_host_mbps")
        return problems
    }
}

/// A node's latest benchmark result with the time the coordinator recorded it.
public struct NodeBenchmarkReport: Hashable, Sendable, Codable {
    /// When it was recorded (the log entry's time).
    public var reported: Timestamp
    /// What was measured.
    public var result: NodeBenchmark

    public init(reported: Timestamp, result: NodeBenchmark) {
        self.reported = reported
        self.result = result
    }
}
