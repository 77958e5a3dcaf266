/// Throughput and bandwidth figures of one GPU; a figure not known is `nil`, never guessed.
public struct GPUFigures: Hashable, Sendable, Codable {
    /// Dense tensor FP16/BF16 throughput, GFLOP/s (without sparsity).
    public var fp16DenseGFLOPS: Int64?
    /// FP32 (non-tensor) throughput, GFLOP/s.
    public var fp32GFLOPS: Int64?
    /// Device-memory bandwidth, MB/s (10^6 bytes per second).
    public var memoryBandwidthMBps: Int64?

    public init(fp16DenseGFLOPS: Int64?, fp32GFLOPS: Int64?, memoryBandwidthMBps: Int64?) {
        self.fp16DenseGFLOPS = fp16DenseGFLOPS
        self.fp32GFLOPS = fp32GFLOPS
        self.memoryBandwidthMBps = memoryBandwidthMBps
    }
}

extension GPUModel {
    /// What this model's data sheet claims for one GPU: the "claimed" side of a node's
    /// "claimed vs observed" figures (``NodeClaimComparison``); every field `nil` for a model the source lacks.
    public var datasheet: GPUFigures {
        Self.datasheetByName[name] ?? GPUFigures(fp16DenseGFLOPS: nil, fp32GFLOPS: nil, memoryBandwidthMBps: nil)
    }

    /// Data-sheet figures per catalogued model: (tensor FP16/BF16 dense GFLOP/s, FP32 GFLOP/s,
    /// memory bandwidth MB/s).
    ///
    /// Source: Epoch AI, "Machine Learning Hardware" (https://epoch.ai/data/machine-learning-hardware,
    /// CC BY 4.0, credit "Epoch AI"; columns `Tensor-FP16/BF16 performance (FLOP/s)`,
    /// `FP32 (single precision) performance (FLOP/s)`, `Memory bandwidth (byte/s)`), the same
    /// table as ``boardPowerWattsByName``. Rows used: H100 SXM5 80GB, H200 SXM, A100 SXM4 80 GB,
    /// V100 (SXM2), P100, Tesla K80, Tesla T4, A10 PCIe, A10G, L4, GeForce RTX 3090, A40 PCIe,
    /// RTX A6000, GeForce RTX 4090, L40, GH200, B200, Instinct MI300X. The table has no row for
    /// A30, L40S, RTX5090 or MI250 (only MI250X), and no tensor figure for K80, P100, T4, A10,
    /// A10G, RTX 3090 and RTX A6000: those figures are `nil`.
    static let datasheetByName: [String: GPUFigures] = [
        "K80": GPUFigures(fp16DenseGFLOPS: nil, fp32GFLOPS: 8_126, memoryBandwidthMBps: 241_000),
        "P100": GPUFigures(fp16DenseGFLOPS: nil, fp32GFLOPS: 9_300, memoryBandwidthMBps: 732_000),
        "T4": GPUFigures(fp16DenseGFLOPS: nil, fp32GFLOPS: 8_141, memoryBandwidthMBps: 320_000),
        "V100": GPUFigures(fp16DenseGFLOPS: 125_000, fp32GFLOPS: 15_670, memoryBandwidthMBps: 897_000),
        "A10": GPUFigures(fp16DenseGFLOPS: nil, fp32GFLOPS: 31_240, memoryBandwidthMBps: 600_200),
        "A10G": GPUFigures(fp16DenseGFLOPS: nil, fp32GFLOPS: 31_500, memoryBandwidthMBps: 600_200),
        "L4": GPUFigures(fp16DenseGFLOPS: 121_000, fp32GFLOPS: 30_290, memoryBandwidthMBps: 300_100),
        "RTX3090": GPUFigures(fp16DenseGFLOPS: nil, fp32GFLOPS: 35_580, memoryBandwidthMBps: 936_000),
        "A40": GPUFigures(fp16DenseGFLOPS: 149_700, fp32GFLOPS: 37_420, memoryBandwidthMBps: 695_800),
        "RTXA6000": GPUFigures(fp16DenseGFLOPS: nil, fp32GFLOPS: 38_700, memoryBandwidthMBps: 768_000),
        "RTX4090": GPUFigures(fp16DenseGFLOPS: 330_000, fp32GFLOPS: 82_600, memoryBandwidthMBps: 1_008_000),
        "L40": GPUFigures(fp16DenseGFLOPS: 181_000, fp32GFLOPS: 90_520, memoryBandwidthMBps: 864_000),
        "A100": GPUFigures(fp16DenseGFLOPS: 312_000, fp32GFLOPS: 19_490, memoryBandwidthMBps: 2_039_000),
        "H100": GPUFigures(fp16DenseGFLOPS: 989_400, fp32GFLOPS: 66_910, memoryBandwidthMBps: 3_350_000),
        "MI300X": GPUFigures(fp16DenseGFLOPS: 1_307_400, fp32GFLOPS: 163_400, memoryBandwidthMBps: 5_300_000),
        "GH200": GPUFigures(fp16DenseGFLOPS: 989_500, fp32GFLOPS: 66_910, memoryBandwidthMBps: 4_900_000),
        "H200": GPUFigures(fp16DenseGFLOPS: 989_500, fp32GFLOPS: 66_910, memoryBandwidthMBps: 4_800_000),
        "B200": GPUFigures(fp16DenseGFLOPS: 2_250_000, fp32GFLOPS: 62_080, memoryBandwidthMBps: 7_700_000),
    ]
}
