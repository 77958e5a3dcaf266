import Foundation
import Testing

@testable import OSGAgent

@Suite("host benchmark")
struct HostBenchmarkTests {
    @Test("a run reports positive, bounded figures under the tool's name")
    func shape() async {
        let result = await HostBenchmark.run(workload: .small, cores: 2)
        #expect(result.tool == "osg-hostbench")
        #expect(result.toolVersion == "1")
        #expect(result.coresMeasured == 2)
        #expect((1...1_000_000_000).contains(result.cpuFP32GFLOPS))
        #expect((1...1_000_000_000).contains(result.memoryBandwidthMBps))
        #expect(result.durationMilliseconds >= 1)
    }

    @Test("the workload is identical on every run and for any core count", arguments: [1, 2, 3, 7])
    func reproducible(_ cores: Int) {
        let reference = HostBenchmark.measure(workload: .small, cores: 1)
        let run = HostBenchmark.measure(workload: .small, cores: cores)
        #expect(run.outputChecksum == reference.outputChecksum)
    }

    @Test("the small workload computes its known answer (a changed workload needs a new tool version)")
    func knownAnswer() {
        #expect(HostBenchmarkResult.currentToolVersion == "1")
        #expect(HostBenchmark.measure(workload: .small, cores: 2).outputChecksum == 7_244_183_955_958_639_614)
    }

    @Test("another seed is other work")
    func seedMatters() {
        var other = HostBenchmark.Workload.small
        other.seed ^= 1
        #expect(HostBenchmark.measure(workload: other, cores: 2).outputChecksum != HostBenchmark.measure(workload: .small, cores: 2).outputChecksum)
    }

    @Test("the matrix kernel computes the product it claims to")
    func matrixProduct() {
        let kernel = MatrixKernel(size: 5, seed: 42)
        defer { kernel.deallocate() }
        kernel.run(passes: 1, cores: 2)
        for i in 0..<5 {
            for j in 0..<5 {
                var sum: Float = 0
                for k in 0..<5 { sum += kernel.a[i * 5 + k] * kernel.b[k * 5 + j] }
                #expect(kernel.c[i * 5 + j] == sum)
            }
        }
    }

    @Test("the triad kernel leaves a = b + s × c for the last pass's s")
    func triad() {
        let kernel = TriadKernel(elements: 1_000, seed: 7, cores: 3)
        defer { kernel.deallocate() }
        kernel.run(passes: 2, cores: 3)
        for i in 0..<1_000 { #expect(kernel.a[i] == kernel.b[i] + 4.0 * kernel.c[i]) }
    }

    @Test("the seeded data lies in [-1, 1) and depends on the index")
    func seededData() {
        let values = (0..<1_000).map { HostBenchmark.seededUnit(seed: 1, index: $0) }
        #expect(values.allSatisfy { $0 >= -1 && $0 < 1 })
        #expect(Set(values).count == values.count)
    }

    @Test("shares split the work into contiguous, complete, disjoint ranges", arguments: [1, 2, 3, 8, 100])
    func shares(_ workers: Int) {
        let ranges = (0..<workers).map { HostBenchmark.share($0, of: workers, count: 48) }
        #expect(ranges.first?.lowerBound == 0)
        #expect(ranges.last?.upperBound == 48)
        for (left, right) in zip(ranges, ranges.dropFirst()) { #expect(left.upperBound == right.lowerBound) }
    }

    @Test("a result survives a JSON round trip")
    func codable() throws {
        let result = HostBenchmark.measure(workload: .small, cores: 1)
        #expect(try JSONDecoder().decode(HostBenchmarkResult.self, from: JSONEncoder().encode(result)) == result)
    }
}
