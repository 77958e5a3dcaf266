import OSGDomain

/// Large jobs mixed into the synthetic workload (`osg sim --large-jobs PERMILLE:MEAN`), to move
/// the pod list's GPU-count distribution towards Helios' (docs/SIMULATOR.md, "Helios").
///
/// Each generated job is, with probability `permille` / 1000, replaced by a large job: its GPU
/// count is a multiple of 8 with mean `meanGPUs` (8k or 8(k+1), mixed to hit the mean), its run
/// time drawn from the trace's ≥ 8-GPU pods (else the drawn shape's). Above 8 GPUs it is a gang.
public struct LargeJobs: Hashable, Sendable {
    /// Jobs per thousand that are large (0...1000).
    public var permille: Int
    /// Mean GPUs of a large job (8...512).
    public var meanGPUs: Double

    public init(permille: Int, meanGPUs: Double) {
        precondition((0...1000).contains(permille) && meanGPUs >= 8 && meanGPUs <= 512)
        self.permille = permille
        self.meanGPUs = meanGPUs
    }

    /// Parses `PERMILLE:MEAN`, e.g. `100:16`; `nil` when malformed or out of range.
    public init?(text: String) {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let permille = Int(parts[0]), let mean = Double(parts[1]),
              (0...1000).contains(permille), mean >= 8, mean <= 512 else { return nil }
        self.init(permille: permille, meanGPUs: mean)
    }

    /// One large job's GPU count: 8k with k = floor(mean / 8), or 8(k+1) with probability
    /// mean / 8 − k (in thousandths).
    func drawGPUs(_ random: inout SplitMix64) -> Int {
        let units = meanGPUs / 8
        let whole = Int(units)
        let upPermille = UInt64(((units - Double(whole)) * 1000).rounded())
        return 8 * (random.next(below: 1000) < upPermille ? whole + 1 : whole)
    }
}
