import OSGDomain

/// What the GPU benchmark (``GPUBenchmark``) measured, GPU by GPU, as its program printed it.
///
/// Figures are as measured (fractional); ``nodeBenchmark(durationSeconds:host:)`` turns them
/// into the integer means a ``OSGDomain/NodeBenchmark`` reports. A result holds at least one
/// GPU, each index once, and every figure within ``OSGDomain/NodeBenchmark/Limits``: the parser
/// (``GPUBenchmarkOutput/parse(_:requested:)``) and decoding refuse anything else.
///
/// ```swift
/// if case .measured(let result) = await GPUBenchmark.run(gpuIndices: [0, 1], timeout: .seconds(120)) {
///     let report = result.nodeBenchmark(durationSeconds: 9, host: hostFigures)
/// }
/// ```
public struct GPUBenchmarkResult: Hashable, Sendable {
    /// The tool as the program named it (`pytorch`).
    public var tool: String
    /// The tool's version as the program printed it, e.g. `2.5.1+cu124`.
    public var toolVersion: String
    /// The CUDA version PyTorch was built with, e.g. `12.4`, when the program said.
    public var cudaVersion: String?
    /// The GPUs measured, in the order the program printed them.
    public var gpus: [GPU]

    /// What one GPU measured. Throughput in GFLOP/s (10^9 operations a second), bandwidth in
    /// MB/s (10^6 bytes a second).
    public struct GPU: Hashable, Sendable {
        /// The driver's index of the GPU (as `nvidia-smi` numbers it).
        public var index: Int
        /// The device's name as CUDA reports it, e.g. `NVIDIA H100 80GB HBM3`.
        public var name: String
        /// Dense FP16 matrix-multiply throughput.
        public var fp16DenseGFLOPS: Double
        /// FP32 matrix-multiply throughput, TF32 disabled.
        public var fp32GFLOPS: Double
        /// Device-memory bandwidth of a device-to-device copy, read and write bytes counted.
        public var memoryBandwidthMBps: Double
        /// Pinned host memory to device copy bandwidth.
        public var hostToDeviceMBps: Double
        /// Device to pinned host memory copy bandwidth.
        public var deviceToHostMBps: Double
        /// How long this GPU's measurements took.
        public var seconds: Double

        /// Creates one GPU's figures.
        public init(
            index: Int, name: String, fp16DenseGFLOPS: Double, fp32GFLOPS: Double, memoryBandwidthMBps: Double,
            hostToDeviceMBps: Double, deviceToHostMBps: Double, seconds: Double
        ) {
            self.index = index
            self.name = name
            self.fp16DenseGFLOPS = fp16DenseGFLOPS
            self.fp32GFLOPS = fp32GFLOPS
            self.memoryBandwidthMBps = memoryBandwidthMBps
            self.hostToDeviceMBps = hostToDeviceMBps
            self.deviceToHostMBps = deviceToHostMBps
            self.seconds = seconds
        }
    }

    /// Creates a result; `gpus` must not be empty (a programmer's error otherwise).
    public init(tool: String, toolVersion: String, cudaVersion: String? = nil, gpus: [GPU]) {
        precondition(!gpus.isEmpty, "a GPU benchmark result measures at least one GPU")
        self.tool = tool
        self.toolVersion = toolVersion
        self.cudaVersion = cudaVersion
        self.gpus = gpus
    }

    /// The time the program spent measuring, all GPUs together, in whole seconds rounded up
    /// (at least 1): the run's duration when the caller did not time it (Python's start and
    /// PyTorch's import are not included).
    public var measuredSeconds: Int64 {
        let total = gpus.reduce(0) { $0 + $1.seconds }.rounded(.up)
        return Int64(min(max(total, 1), Double(NodeBenchmark.Limits.durationSeconds.upperBound)))
    }

    /// The result as a ``OSGDomain/NodeBenchmark``: each GPU figure the mean over the measured
    /// GPUs, rounded down to an integer; ``tool`` and ``toolVersion`` made acceptable to
    /// ``OSGDomain/NodeBenchmark/isValidText(_:)`` (see ``nodeBenchmarkText(_:)``).
    ///
    /// The report passes ``OSGDomain/NodeBenchmark/problems(gpuCount:)`` for a node with at
    /// least as many GPUs as were measured, as long as `durationSeconds` (and `host`, if any) are
    /// within its limits.
    ///
    /// - Parameters:
    ///   - durationSeconds: the whole run's wall time (``measuredSeconds`` when not timed).
    ///   - host: the host benchmark's figures, when the same report carries them.
    public func nodeBenchmark(durationSeconds: Int64, host: NodeBenchmark.HostMeasurement? = nil) -> NodeBenchmark {
        NodeBenchmark(
            tool: Self.nodeBenchmarkText(tool),
            toolVersion: Self.nodeBenchmarkText(toolVersion),
            durationSeconds: durationSeconds,
            gpusMeasured: gpus.count,
            fp16DenseGFLOPS: mean(\.fp16DenseGFLOPS, within: NodeBenchmark.Limits.gflops),
            fp32GFLOPS: mean(\.fp32GFLOPS, within: NodeBenchmark.Limits.gflops),
            memoryBandwidthMBps: mean(\.memoryBandwidthMBps, within: NodeBenchmark.Limits.memoryBandwidthMBps),
            hostToDeviceMBps: mean(\.hostToDeviceMBps, within: NodeBenchmark.Limits.hostDeviceMBps),
            deviceToHostMBps: mean(\.deviceToHostMBps, within: NodeBenchmark.Limits.hostDeviceMBps),
            host: host
        )
    }

    /// The mean of one figure over the GPUs, rounded down, kept within `limits` (the parser
    /// already refuses figures outside them; this only guards a hand-built result).
    func mean(_ figure: KeyPath<GPU, Double>, within limits: ClosedRange<Int64>) -> Int64 {
        precondition(!gpus.isEmpty, "a GPU benchmark result measures at least one GPU")
        let mean = (gpus.reduce(0) { $0 + $1[keyPath: figure] } / Double(gpus.count)).rounded(.down)
        guard mean.isFinite else { return limits.lowerBound }
        return Int64(min(max(mean, Double(limits.lowerBound)), Double(limits.upperBound)))
    }

    /// `text` as a ``OSGDomain/NodeBenchmark`` tool name or version: every character that is
    /// not printable ASCII or is a space becomes `_`, and the text is cut to
    /// ``OSGDomain/NodeBenchmark/Limits/maxTextBytes``; empty text becomes `unknown`.
    ///
    /// ```swift
    /// GPUBenchmarkResult.nodeBenchmarkText("2.5.1+cu124")   // "2.5.1+cu124"
    /// GPUBenchmarkResult.nodeBenchmarkText("2.6.0 (local)") // "2.6.0_(local)"
    /// ```
    public static func nodeBenchmarkText(_ text: String) -> String {
        let bytes = text.unicodeScalars.prefix(NodeBenchmark.Limits.maxTextBytes).map { scalar -> UInt8 in
            (0x21...0x7E).contains(scalar.value) ? UInt8(scalar.value) : UInt8(ascii: "_")
        }
        return bytes.isEmpty ? "unknown" : String(decoding: bytes, as: UTF8.self)
    }
}
