import Benchmark
import OSGCore
import OSGDomain
import OSGSpec
import Yams

/// The core's hot paths: reading a job spec, and applying submissions to the state machine.
let benchmarks: @Sendable () -> Void = {
    let now = Timestamp(rfc3339: "2026-11-23T00:00:00Z")!
    let specText = """
        name: llama-finetune
        image: ghcr.io/org/trainer:1.2
        resources:
          gpu: { model: H100, count: 8, vram_gib: 80 }
          cpu: 32
          memory_gib: 256
        nodes: 2
        duration: 6h
        max_duration: 8h
        max_price: 2.10
        placement:
          regions: [eu, us-west]
        """

    Benchmark("spec: read and validate a YAML job spec", configuration: .init(metrics: [.wallClock, .throughput, .mallocCountTotal])) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(JobSpecReader.read(specText, now: now))
        }
    }

    // What `osg bench server` submits: compact JSON, read by the JSON shortcut, and the same
    // text through libyaml (the reader's path for JSON before the shortcut).
    let jsonText = #"{"name":"bench-1","image":"ghcr.io/org/trainer:1.2","resources":{"gpu":{"model":"H100","count":2,"vram_gib":80},"cpu":8,"memory_gib":64},"nodes":1,"duration":"1h","max_duration":"2h","max_price":0.02}"#
    Benchmark("spec: read and validate a JSON job spec", configuration: .init(metrics: [.wallClock, .throughput, .mallocCountTotal])) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(JobSpecReader.read(jsonText, now: now))
        }
    }
    Benchmark("spec: read and validate a JSON job spec through libyaml", configuration: .init(metrics: [.wallClock, .throughput, .mallocCountTotal])) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(JobSpecReader.read(try! Yams.compose(yaml: jsonText, .default, .default, .utf8)!, now: now))
        }
    }

    let spec = JobSpecReader.read(specText, now: now).spec!
    Benchmark(
        "core: apply 1,000 job submissions",
        configuration: .init(metrics: [.wallClock, .throughput, .mallocCountTotal])
    ) { benchmark in
        for _ in benchmark.scaledIterations {
            var state = CoordinatorState(genesis: Genesis(governanceID: "gov"))
            for sequence in 0..<1_000 {
                let entry = LogEntry(sequence: UInt64(sequence), time: now, actor: "tenant-\(sequence % 17)", command: .submitJob(spec: spec, pool: nil))
                blackHole(state.apply(entry))
            }
        }
    }
}
