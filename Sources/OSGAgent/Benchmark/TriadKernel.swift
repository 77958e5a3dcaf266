import Dispatch

/// STREAM's triad, `a[i] = b[i] + s × c[i]`, over double-precision arrays, a contiguous share
/// of the elements per core. Each pass uses its own `s`, so no pass repeats another's stores.
struct TriadKernel: @unchecked Sendable {
    // @unchecked: each worker writes only its own share of the arrays.
    let elements: Int
    let a: UnsafeMutableBufferPointer<Double>
    let b: UnsafeMutableBufferPointer<Double>
    let c: UnsafeMutableBufferPointer<Double>

    /// Allocates the arrays and fills them on the cores that will sweep them (first touch
    /// places each share's pages in its worker's memory node).
    init(elements: Int, seed: UInt64, cores: Int) {
        self.elements = elements
        a = .allocate(capacity: elements)
        b = .allocate(capacity: elements)
        c = .allocate(capacity: elements)
        let kernel = self
        DispatchQueue.concurrentPerform(iterations: cores) { worker in
            kernel.fill(HostBenchmark.share(worker, of: cores, count: elements), seed: seed)
        }
    }

    /// Writes the seeded start values of `share`.
    private func fill(_ share: Range<Int>, seed: UInt64) {
        guard let a = a.baseAddress, let b = b.baseAddress, let c = c.baseAddress else { return }
        for index in share {
            (a + index).initialize(to: 0)
            (b + index).initialize(to: HostBenchmark.seededUnit(seed: seed ^ 0x5, index: index))
            (c + index).initialize(to: HostBenchmark.seededUnit(seed: seed ^ 0x7, index: index))
        }
    }

    func run(passes: Int, cores: Int) {
        DispatchQueue.concurrentPerform(iterations: cores) { worker in
            let share = HostBenchmark.share(worker, of: cores, count: elements)
            guard let a = a.baseAddress, let b = b.baseAddress, let c = c.baseAddress else { return }
            for pass in 0..<passes {
                let scalar = 3.0 + Double(pass)
                for i in share { a[i] = b[i] + scalar * c[i] }
            }
        }
    }

    func digestOutput(into digest: inout BenchmarkDigest) {
        for value in a { digest.add(value.bitPattern) }
    }

    func deallocate() {
        a.deallocate()
        b.deallocate()
        c.deallocate()
    }
}
