import Dispatch

/// `C = A × B` on `n × n` single-precision matrices, rows shared among the cores.
///
/// Each element of `C` is summed in one fixed order (over `k`, ascending) whichever core
/// computes its row, so the output is bit-for-bit the same for any core count.
struct MatrixKernel: @unchecked Sendable {
    // @unchecked: the buffers are written only by the worker owning the rows, during `run`.
    let size: Int
    let a: UnsafeMutableBufferPointer<Float>
    let b: UnsafeMutableBufferPointer<Float>
    let c: UnsafeMutableBufferPointer<Float>

    init(size: Int, seed: UInt64) {
        self.size = size
        let count = size * size
        a = .allocate(capacity: count)
        b = .allocate(capacity: count)
        c = .allocate(capacity: count)
        for index in 0..<count {
            a[index] = Float(HostBenchmark.seededUnit(seed: seed, index: index))
            b[index] = Float(HostBenchmark.seededUnit(seed: seed ^ 0xB, index: index))
        }
        c.initialize(repeating: 0)
    }

    func run(passes: Int, cores: Int) {
        DispatchQueue.concurrentPerform(iterations: cores) { worker in
            let rows = HostBenchmark.share(worker, of: cores, count: size)
            for _ in 0..<passes { multiply(rows: rows) }
        }
    }

    /// `C[i, ·] = Σₖ A[i, k] × B[k, ·]` for the rows given (i-k-j order: the inner loop runs
    /// along rows of `B` and `C`, which vectorises).
    func multiply(rows: Range<Int>) {
        let n = size
        guard let a = a.baseAddress, let b = b.baseAddress, let c = c.baseAddress else { return }
        for i in rows {
            let row = c + i * n
            row.update(repeating: 0, count: n)
            for k in 0..<n {
                let scale = a[i * n + k]
                let bRow = b + k * n
                for j in 0..<n { row[j] += scale * bRow[j] }
            }
        }
    }

    func digestOutput(into digest: inout BenchmarkDigest) {
        var index = 0
        while index + 1 < c.count {
            digest.add(UInt64(c[index].bitPattern) << 32 | UInt64(c[index + 1].bitPattern))
            index += 2
        }
        if index < c.count { digest.add(UInt64(c[index].bitPattern)) }
    }

    func deallocate() {
        a.deallocate()
        b.deallocate()
        c.deallocate()
    }
}
