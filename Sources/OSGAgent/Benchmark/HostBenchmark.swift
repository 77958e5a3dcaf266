import Dispatch
import OSGDomain

/// A short, reproducible benchmark of the host's CPUs and memory: the same seeded work every
/// run, spread over the given cores.
///
/// Two kernels, each split into one contiguous share per core (no locks, no sharing of
/// written memory):
/// - **FP32 matrix multiply**: `C = A × B` for seeded `n × n` single-precision matrices,
///   ``Workload/matrixPasses`` times; `2n³` floating-point operations a pass.
/// - **STREAM triad**: `a[i] = b[i] + s × c[i]` over seeded double-precision arrays larger
///   than any CPU cache, ``Workload/streamPasses`` times; 24 bytes moved per element.
///
/// In a release build the standard workload took 0.3 s on two cores of a 2026 cloud VM (about
/// 20 GFLOP/s and 22 GB/s); a debug build takes about 4 s; ``Workload/small`` (a few
/// milliseconds) is for tests. The
/// kernels run on dispatch threads, never on the cooperative pool, so the agent's other tasks
/// keep running meanwhile.
///
/// ```swift
/// let result = await HostBenchmark.run(cores: host.cpuCores)
/// print(result.cpuFP32GFLOPS, result.memoryBandwidthMBps)
/// ```
public enum HostBenchmark {
    /// The fixed work one run does.
    public struct Workload: Hashable, Sendable {
        /// Matrix side, `n` (the matrices hold `n²` floats each).
        public let matrixSize: Int
        /// How many times `C = A × B` is computed.
        public let matrixPasses: Int
        /// Elements of each of the three triad arrays (8 bytes each).
        public let streamElements: Int
        /// How many times the triad sweeps the arrays.
        public let streamPasses: Int
        /// The seed of the matrices' and arrays' contents.
        public var seed: UInt64

        /// Creates a workload; sizes must be positive and bounded (a programmer's choice, not input).
        public init(matrixSize: Int, matrixPasses: Int, streamElements: Int, streamPasses: Int, seed: UInt64) {
            precondition((1...4_096).contains(matrixSize), "matrix size must be 1-4096")
            precondition((1...1_000).contains(matrixPasses), "matrix passes must be 1-1000")
            precondition((1...(1 << 28)).contains(streamElements), "stream elements must be 1-2^28")
            precondition((1...1_000).contains(streamPasses), "stream passes must be 1-1000")
            self.matrixSize = matrixSize
            self.matrixPasses = matrixPasses
            self.streamElements = streamElements
            self.streamPasses = streamPasses
            self.seed = seed
        }

        /// Version 1's work: 512 × 512 matrices (1 GFLOP over 4 passes) and three 64 MiB arrays
        /// (4 triad sweeps, 805 MB moved).
        public static let standard = Workload(
            matrixSize: 512, matrixPasses: 4, streamElements: 8 << 20, streamPasses: 4, seed: 0x6F73_672D_6263_6831
        )

        /// A few milliseconds of work, for tests and debug builds.
        public static let small = Workload(
            matrixSize: 48, matrixPasses: 2, streamElements: 1 << 14, streamPasses: 2, seed: 0x6F73_672D_6263_6831
        )

        /// Floating-point operations of the matrix kernel.
        public var matrixFlops: Double { 2 * Double(matrixSize) * Double(matrixSize) * Double(matrixSize) * Double(matrixPasses) }
        /// Bytes the triad moves, as STREAM counts them.
        public var streamBytes: Double { 24 * Double(streamElements) * Double(streamPasses) }
    }

    /// Runs `workload` on `cores` cores, on dispatch threads, and returns what it measured.
    ///
    /// - Parameters:
    ///   - workload: the work; ``Workload/standard`` for figures to publish.
    ///   - cores: how many cores to use at once, at least 1 (``HostResources/cpuCores``).
    public static func run(workload: Workload = .standard, cores: Int) async -> HostBenchmarkResult {
        await withCheckedContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async {
                continuation.resume(returning: measure(workload: workload, cores: cores))
            }
        }
    }

    /// Runs `workload` on `cores` cores on the calling thread (which blocks) and the dispatch pool.
    public static func measure(workload: Workload, cores: Int) -> HostBenchmarkResult {
        precondition((1...ComputeNode.Limits.maxCPUCores).contains(cores), "the benchmark runs on 1-\(ComputeNode.Limits.maxCPUCores) cores")
        let clock = ContinuousClock()
        let started = clock.now
        let matrix = MatrixKernel(size: workload.matrixSize, seed: workload.seed)
        defer { matrix.deallocate() }
        let matrixTime = clock.measure { matrix.run(passes: workload.matrixPasses, cores: cores) }
        let stream = TriadKernel(elements: workload.streamElements, seed: workload.seed, cores: cores)
        defer { stream.deallocate() }
        let streamTime = clock.measure { stream.run(passes: workload.streamPasses, cores: cores) }
        var digest = BenchmarkDigest()
        matrix.digestOutput(into: &digest)
        stream.digestOutput(into: &digest)
        let total = started.duration(to: clock.now)
        return HostBenchmarkResult(
            coresMeasured: cores,
            cpuFP32GFLOPS: rate(workload.matrixFlops / 1e9, over: matrixTime),
            memoryBandwidthMBps: rate(workload.streamBytes / 1e6, over: streamTime),
            durationMilliseconds: max(1, total.components.seconds * 1_000 + total.components.attoseconds / 1_000_000_000_000_000),
            outputChecksum: digest.value
        )
    }

    /// `amount / seconds`, rounded, at least 1 and at most a 64-bit-safe ceiling.
    static func rate(_ amount: Double, over duration: Duration) -> Int64 {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
        guard seconds > 0 else { return 1 }
        let value = (amount / seconds).rounded()
        guard value.isFinite else { return 1 }
        return Int64(min(max(value, 1), 1e15))
    }

    /// The contiguous share `[lower, upper)` of `count` items that worker `worker` of `workers` takes.
    static func share(_ worker: Int, of workers: Int, count: Int) -> Range<Int> {
        (count * worker / workers)..<(count * (worker + 1) / workers)
    }

    /// A seeded value in [-1, 1) for item `index`: a pure function of seed and index, so data
    /// is the same whichever thread writes it.
    @inline(__always)
    static func seededUnit(seed: UInt64, index: Int) -> Double {
        var generator = SplitMix64(seed: seed &+ UInt64(truncatingIfNeeded: index) &* 0xD1B5_4A32_D192_ED03)
        return Double(generator.next() >> 11) * 0x1p-52 - 1
    }
}
