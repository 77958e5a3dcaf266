/// A node's "claimed vs observed" figures (docs/AGENT.md): what its GPU model's data sheet
/// claims, what its own benchmark measured, and what its leases' usage reports observed, with
/// the ratios between them. Everything comes from the log (the node's registration, its
/// benchmark reports, its leases' usage reports), so anyone replaying the log gets the same
/// figures, and a valuation of the node rests on them.
public struct NodeClaimComparison: Hashable, Sendable, Codable {
    /// The GPU model the node registered with.
    public var gpuModel: String
    /// The model's data-sheet figures per GPU.
    public var claimed: GPUFigures
    /// The node's benchmark per GPU; `nil` without a benchmark that measured its GPUs.
    public var benchmarked: GPUFigures?
    /// Benchmarked ÷ claimed per figure, in per-mille (1000: the data sheet's figure), where
    /// both are known; `nil` with ``benchmarked``.
    public var benchmarkPerMille: GPUFigures?
    /// The sums of its leases' usage reports; `nil` before the first report.
    public var observed: NodeObservation?
    /// Mean GPU utilisation its leases reported, per-mille.
    public var utilisationPerMille: Int?
    /// Mean GPU clock its leases reported, per-mille of the maximum.
    public var clockPerMille: Int?
    /// The throughput its leases got against the claim, per-mille: the benchmark's ratio for
    /// dense FP16 (FP32 where the data sheet has no FP16 figure) times the mean clock its
    /// leases reported. `nil` unless both are known.
    public var observedPerMille: Int?

    /// The comparison for a node of `model` with `benchmark` (its latest, if any) and
    /// `observation` (its leases' usage so far, if any).
    public init(model: GPUModel, benchmark: NodeBenchmark?, observation: NodeObservation?) {
        gpuModel = model.name
        claimed = model.datasheet
        observed = observation
        utilisationPerMille = observation?.utilisationPerMille
        clockPerMille = observation?.clockPerMille
        if let benchmark, benchmark.gpusMeasured > 0 {
            let measured = GPUFigures(
                fp16DenseGFLOPS: benchmark.fp16DenseGFLOPS, fp32GFLOPS: benchmark.fp32GFLOPS,
                memoryBandwidthMBps: benchmark.memoryBandwidthMBps)
            benchmarked = measured
            let ratios = GPUFigures(
                fp16DenseGFLOPS: Self.perMille(measured.fp16DenseGFLOPS, of: claimed.fp16DenseGFLOPS),
                fp32GFLOPS: Self.perMille(measured.fp32GFLOPS, of: claimed.fp32GFLOPS),
                memoryBandwidthMBps: Self.perMille(measured.memoryBandwidthMBps, of: claimed.memoryBandwidthMBps))
            benchmarkPerMille = ratios
            if let throughput = ratios.fp16DenseGFLOPS ?? ratios.fp32GFLOPS, let clock = clockPerMille {
                observedPerMille = Int(clamping: throughput.multipliedSaturated(by: Int64(clock)) / 1_000)
            }
        }
    }

    /// `value ÷ reference` in per-mille, rounded down; `nil` unless both are known and the
    /// reference is positive.
    static func perMille(_ value: Int64?, of reference: Int64?) -> Int64? {
        guard let value, let reference, reference > 0 else { return nil }
        return value.multipliedSaturated(by: 1_000) / reference
    }
}
