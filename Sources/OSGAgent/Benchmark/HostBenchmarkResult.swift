/// What the host benchmark (``HostBenchmark``) measured on this host's CPUs and memory.
///
/// Integers only, like ``OSGDomain/NodeBenchmark``: throughput in GFLOP/s and bandwidth in MB/s
/// (10^6 bytes per second), each at least 1.
public struct HostBenchmarkResult: Hashable, Sendable, Codable {
    /// `osg-hostbench`.
    public static let toolName = "osg-hostbench"
    /// The workload's version: a new version means new work, and figures not comparable with older ones.
    public static let currentToolVersion = "1"

    /// The tool, ``toolName``.
    public var tool: String
    /// The tool's version, ``currentToolVersion``.
    public var toolVersion: String
    /// How many cores ran the workload at once.
    public var coresMeasured: Int
    /// Single-precision matrix-multiply throughput of all measured cores together, GFLOP/s.
    public var cpuFP32GFLOPS: Int64
    /// Sustained memory bandwidth of a STREAM triad on all measured cores, MB/s (24 bytes
    /// counted per element: two 8-byte reads and one 8-byte write, as STREAM counts them).
    public var memoryBandwidthMBps: Int64
    /// Wall time of the whole run, data preparation included, milliseconds.
    public var durationMilliseconds: Int64
    /// A digest of everything the workload computed: the same for every run of one workload,
    /// whatever the core count (debug and release builds agree too: IEEE arithmetic in a fixed
    /// order), so a result is known to come from the full work. The tests hold the small
    /// workload's value: a change of the work must change ``currentToolVersion`` with it.
    public var outputChecksum: UInt64

    /// Creates a result.
    public init(
        tool: String = Self.toolName, toolVersion: String = Self.currentToolVersion, coresMeasured: Int,
        cpuFP32GFLOPS: Int64, memoryBandwidthMBps: Int64, durationMilliseconds: Int64, outputChecksum: UInt64
    ) {
        self.tool = tool
        self.toolVersion = toolVersion
        self.coresMeasured = coresMeasured
        self.cpuFP32GFLOPS = cpuFP32GFLOPS
        self.memoryBandwidthMBps = memoryBandwidthMBps
        self.durationMilliseconds = durationMilliseconds
        self.outputChecksum = outputChecksum
    }
}
