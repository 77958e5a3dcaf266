import Foundation
import OSGDomain
import Testing

@testable import OSGAgent

/// The text of `Fixtures/gpu-benchmark/<name>`.
private func gpuFixture(_ name: String) throws -> String {
    try String(contentsOf: fixtureURL(name), encoding: .utf8)
}

private func fixtureURL(_ name: String) throws -> URL {
    try #require(Bundle.module.resourceURL).appendingPathComponent("Fixtures/gpu-benchmark/\(name)")
}

/// The error code `parse` throws for `text`, or `nil` when it parses.
private func parseError(_ text: String, requested: [Int]) -> GPUBenchmarkOutputError? {
    do {
        _ = try GPUBenchmarkOutput.parse(text, requested: requested)
        return nil
    } catch {
        return error
    }
}

/// One GPU entry in the program's format, with figures overridable as raw JSON text.
private func entry(_ index: Int, _ overrides: [String: String] = [:], dropping: String? = nil) -> String {
    var fields: [(String, String)] = [
        ("index", "\(index)"), ("name", "\"NVIDIA H100 80GB HBM3\""), ("fp16_dense_gflops", "600000.5"), ("fp32_gflops", "51000.2"),
        ("memory_bandwidth_mbps", "2870000.1"), ("host_to_device_mbps", "53000.4"), ("device_to_host_mbps", "52900.9"), ("seconds", "1.9"),
    ]
    fields = fields.filter { $0.0 != dropping }.map { ($0.0, overrides[$0.0] ?? $0.1) }
    return "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
}

private func document(_ gpus: [String], format: String = "1", version: String? = "\"2.5.1+cu124\"") -> String {
    let versionField = version.map { ",\"tool_version\":\($0)" } ?? ""
    return "{\"format\":\(format),\"tool\":\"pytorch\"\(versionField),\"cuda\":\"12.4\",\"gpus\":[\(gpus.joined(separator: ","))]}"
}

/// Writes an executable shell script standing in for the Python interpreter; returns its path.
private func fakeInterpreter(_ body: String) throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("osg-fake-python-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let path = directory.appendingPathComponent("python3").path
    try ("#!/bin/sh\n" + body + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
    return path
}

private func removeFake(_ path: String) {
    try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent)
}

/// What this machine's Python offers, found once by running it.
private enum LocalPython {
    /// Whether `python3` is on `PATH`.
    static let exists: Bool = {
        if case .success = GPUBenchmark.locate("python3") { return true }
        return false
    }()

    /// Whether `python3` can import torch and torch sees a CUDA device.
    static let hasCUDATorch: Bool = {
        guard case .success(let path) = GPUBenchmark.locate("python3") else { return false }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["-c", "import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }()
}

@Suite("GPU benchmark output")
struct GPUBenchmarkOutputTests {
    struct Sample: Sendable, CustomStringConvertible {
        var file: String
        var requested: [Int]
        var toolVersion: String
        var name: String
        /// fp16, fp32, memory, host-to-device, device-to-host: the means rounded down.
        var means: [Int64]
        var measuredSeconds: Int64
        var description: String { file }
    }

    static let samples = [
        Sample(
            file: "h100-sxm-2x.json", requested: [0, 1], toolVersion: "2.5.1+cu124", name: "NVIDIA H100 80GB HBM3",
            means: [614_969, 51_110, 2_870_178, 53_000, 52_889], measuredSeconds: 4
        ),
        Sample(
            file: "a100-sxm4-80gb-4x.json", requested: [3, 2, 1, 0], toolVersion: "2.4.1+cu121", name: "NVIDIA A100-SXM4-80GB",
            means: [262_461, 18_910, 1_718_969, 24_880, 25_015], measuredSeconds: 10
        ),
        Sample(
            file: "rtx4090-1x.json", requested: [0], toolVersion: "2.6.0+cu126", name: "NVIDIA GeForce RTX 4090",
            means: [162_345, 57_123, 931_245, 24_612, 26_134], measuredSeconds: 3
        ),
    ]

    @Test("representative outputs parse, and map to NodeBenchmark means rounded down that pass its validation", arguments: samples)
    func representative(_ sample: Sample) throws {
        guard case .measured(let result) = try GPUBenchmarkOutput.parse(try gpuFixture(sample.file), requested: sample.requested) else {
            Issue.record("expected a measurement")
            return
        }
        #expect(result.tool == "pytorch")
        #expect(result.toolVersion == sample.toolVersion)
        #expect(Set(result.gpus.map(\.index)) == Set(sample.requested))
        #expect(result.gpus.allSatisfy { $0.name == sample.name })
        #expect(result.measuredSeconds == sample.measuredSeconds)
        let host = NodeBenchmark.HostMeasurement(cpuCores: 32, cpuFP32GFLOPS: 900, memoryBandwidthMBps: 150_000)
        let benchmark = result.nodeBenchmark(durationSeconds: 12, host: host)
        #expect(benchmark.tool == "pytorch")
        #expect(benchmark.toolVersion == sample.toolVersion)
        #expect(benchmark.gpusMeasured == sample.requested.count)
        #expect(benchmark.durationSeconds == 12)
        #expect(benchmark.host == host)
        #expect(
            [benchmark.fp16DenseGFLOPS, benchmark.fp32GFLOPS, benchmark.memoryBandwidthMBps, benchmark.hostToDeviceMBps, benchmark.deviceToHostMBps]
                == sample.means
        )
        #expect(benchmark.problems(gpuCount: 8).isEmpty)
        #expect(result.nodeBenchmark(durationSeconds: result.measuredSeconds).problems(gpuCount: sample.requested.count).isEmpty)
    }

    @Test("the result decodes with JSONDecoder too, with the parser's checks")
    func decodable() throws {
        let result = try JSONDecoder().decode(GPUBenchmarkResult.self, from: Data(try gpuFixture("rtx4090-1x.json").utf8))
        #expect(result.gpus.map(\.fp32GFLOPS) == [57_123.4])
        #expect(result.cudaVersion == "12.6")
        #expect(throws: GPUBenchmarkOutputError.self) {
            try JSONDecoder().decode(GPUBenchmarkResult.self, from: Data(document([entry(0, ["fp32_gflops": "-1"])]).utf8))
        }
        #expect(throws: GPUBenchmarkOutputError.self) {
            try JSONDecoder().decode(GPUBenchmarkResult.self, from: Data(try gpuFixture("unavailable-no-torch.json").utf8))
        }
    }

    @Test("an unavailable output is a reason, not an error")
    func unavailable() throws {
        let parsed = try GPUBenchmarkOutput.parse(try gpuFixture("unavailable-no-torch.json"), requested: [0])
        #expect(parsed == .unavailable(reason: "PyTorch (torch) cannot be imported: ModuleNotFoundError: No module named 'torch'"))
        #expect(try GPUBenchmarkOutput.parse("{\"format\":1,\"unavailable\":\"  \"}", requested: [0]) == .unavailable(reason: "(the program gave no reason)"))
    }

    @Test("the last non-empty line is read: a notice printed before the result does not spoil it")
    func lastLine() throws {
        let text = "Warning: something a library printed\n" + document([entry(0)]) + "\n\n"
        guard case .measured(let result) = try GPUBenchmarkOutput.parse(text, requested: [0]) else {
            Issue.record("expected a measurement")
            return
        }
        #expect(result.gpus.map(\.index) == [0])
    }

    struct Broken: Sendable, CustomStringConvertible {
        var label: String
        var text: String
        var requested: [Int] = [0]
        var code: GPUBenchmarkOutputErrorCode
        /// A part of the message that names what is wrong.
        var names: String
        var description: String { label }
    }

    static let broken = [
        Broken(label: "nothing printed", text: "\n  \n", code: .notJSON, names: "printed nothing"),
        Broken(label: "a traceback", text: "Traceback (most recent call last):\n  RuntimeError: CUDA error", code: .notJSON, names: "RuntimeError"),
        Broken(label: "truncated JSON", text: String(document([entry(0)]).dropLast(5)), code: .notJSON, names: "not a JSON object"),
        Broken(label: "a JSON array", text: "[1, 2]", code: .notJSON, names: "not a JSON object"),
        Broken(label: "a figure as text", text: document([entry(0, ["fp32_gflops": "\"fast\""])]), code: .notJSON, names: "gpus[0].fp32_gflops is not a number"),
        Broken(label: "format 2", text: document([entry(0)], format: "2"), code: .unknownFormat, names: "format 2"),
        Broken(label: "no format", text: "{\"tool\":\"pytorch\"}", code: .unknownFormat, names: "no format field"),
        Broken(label: "no tool version", text: document([entry(0)], version: nil), code: .missingField, names: "tool_version is missing"),
        Broken(label: "no gpus", text: "{\"format\":1,\"tool\":\"pytorch\",\"tool_version\":\"2.5.1\"}", code: .missingField, names: "gpus is missing"),
        Broken(label: "no FP32 figure", text: document([entry(0, dropping: "fp32_gflops")]), code: .missingField, names: "gpus[0] (GPU 0).fp32_gflops is missing"),
        Broken(label: "no index", text: document([entry(0, dropping: "index")]), code: .missingField, names: "gpus[0].index is missing"),
        Broken(label: "no seconds", text: document([entry(0, dropping: "seconds")]), code: .missingField, names: "seconds is missing"),
        Broken(label: "a negative bandwidth", text: document([entry(0, ["memory_bandwidth_mbps": "-2870000"])]), code: .badFigure, names: "memory_bandwidth_mbps is negative"),
        Broken(label: "NaN", text: document([entry(0, ["fp16_dense_gflops": "NaN"])]), code: .badFigure, names: "fp16_dense_gflops is not a finite number"),
        Broken(label: "Infinity", text: document([entry(0, ["host_to_device_mbps": "Infinity"])]), code: .badFigure, names: "host_to_device_mbps is not a finite number"),
        Broken(label: "below 1", text: document([entry(0, ["device_to_host_mbps": "0.5"])]), code: .badFigure, names: "device_to_host_mbps is below 1"),
        Broken(label: "implausibly fast", text: document([entry(0, ["fp32_gflops": "1e12"])]), code: .badFigure, names: "fp32_gflops is beyond the plausible"),
        Broken(label: "negative seconds", text: document([entry(0, ["seconds": "-1"])]), code: .badFigure, names: "seconds must be between 0"),
        Broken(label: "no GPU measured", text: document([]), code: .missingGPU, names: "gpus is empty"),
        Broken(label: "a GPU not asked for", text: document([entry(0), entry(1)]), requested: [0], code: .unexpectedGPU, names: "measured GPU 1, which was not asked for"),
        Broken(label: "a negative index", text: document([entry(-1)]), code: .unexpectedGPU, names: "index must be between 0"),
        Broken(label: "a GPU missing", text: document([entry(0)]), requested: [0, 1], code: .missingGPU, names: "GPU 1 was asked for but is absent"),
        Broken(label: "a GPU twice", text: document([entry(0), entry(0)]), requested: [0, 1], code: .duplicateGPU, names: "GPU 0 appears more than once"),
    ]

    @Test("broken outputs are errors naming what is wrong, never a crash", arguments: broken)
    func brokenOutput(_ broken: Broken) {
        let error = parseError(broken.text, requested: broken.requested)
        #expect(error?.code == broken.code)
        #expect(error?.message.contains(broken.names) == true, "\(error?.message ?? "no error")")
    }

    @Test("means are taken over the GPUs and rounded down")
    func roundsDown() {
        func gpu(_ index: Int, _ figure: Double) -> GPUBenchmarkResult.GPU {
            .init(
                index: index, name: "x", fp16DenseGFLOPS: figure, fp32GFLOPS: figure, memoryBandwidthMBps: figure,
                hostToDeviceMBps: figure, deviceToHostMBps: figure, seconds: 0
            )
        }
        let result = GPUBenchmarkResult(tool: "pytorch", toolVersion: "2.5.1", gpus: [gpu(0, 10.9), gpu(1, 11.9), gpu(2, 12.9)])
        let benchmark = result.nodeBenchmark(durationSeconds: 5)
        #expect(benchmark.fp16DenseGFLOPS == 11)
        #expect(benchmark.fp32GFLOPS == 11)
        #expect(benchmark.memoryBandwidthMBps == 11)
        #expect(benchmark.hostToDeviceMBps == 11)
        #expect(benchmark.deviceToHostMBps == 11)
        #expect(benchmark.gpusMeasured == 3)
        #expect(result.measuredSeconds == 1)
        #expect(benchmark.problems(gpuCount: 3).isEmpty)
    }

    @Test(
        "tool versions are made acceptable NodeBenchmark text",
        arguments: [
            ("2.5.1+cu124", "2.5.1+cu124"),
            ("2.6.0 (local)", "2.6.0_(local)"),
            ("", "unknown"),
            ("2.5.1\ttab", "2.5.1_tab"),
            ("vérsion", "v_rsion"),
            (String(repeating: "9", count: 100), String(repeating: "9", count: 64)),
        ]
    )
    func sanitises(_ text: String, _ expected: String) {
        let sanitised = GPUBenchmarkResult.nodeBenchmarkText(text)
        #expect(sanitised == expected)
        #expect(NodeBenchmark.isValidText(sanitised))
    }
}

@Suite("GPU benchmark runner")
struct GPUBenchmarkRunnerTests {
    @Test("the program gets -c, its source and the indices; what it prints is the measurement")
    func measured() async throws {
        let fixture = try fixtureURL("h100-sxm-2x.json").path
        let interpreter = try fakeInterpreter(
            """
            [ "$1" = "-c" ] && [ "$3" = '{"gpus":[0,1]}' ] || { echo "bad arguments: $1 $3" >&2; exit 2; }
            case "$2" in *"import torch"*) ;; *) echo "not the benchmark program" >&2; exit 2 ;; esac
            cat '\(fixture)'
            """
        )
        defer { removeFake(interpreter) }
        let outcome = await GPUBenchmark.run(gpuIndices: [0, 1], interpreter: interpreter, timeout: .seconds(20))
        guard case .measured(let result) = outcome else {
            Issue.record("expected a measurement, got \(outcome)")
            return
        }
        #expect(result.gpus.map(\.index) == [0, 1])
        #expect(result.nodeBenchmark(durationSeconds: 3).problems(gpuCount: 2).isEmpty)
    }

    @Test("garbage on stdout is a failure that says the output is unusable")
    func garbage() async throws {
        let interpreter = try fakeInterpreter("echo 'Segmentation fault in libcuda?'")
        defer { removeFake(interpreter) }
        let outcome = await GPUBenchmark.run(gpuIndices: [0], interpreter: interpreter, timeout: .seconds(20))
        guard case .failed(let message) = outcome else {
            Issue.record("expected a failure, got \(outcome)")
            return
        }
        #expect(message.contains("output is unusable"))
        #expect(message.contains("not_json"))
    }

    @Test("a non-zero exit is a failure naming the status and the end of stderr")
    func exits3() async throws {
        let interpreter = try fakeInterpreter(
            """
            echo '{"format":1,"unavailable":"never read"}'
            echo 'Traceback (most recent call last):' >&2
            echo 'torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 1.00 GiB' >&2
            exit 3
            """
        )
        defer { removeFake(interpreter) }
        let outcome = await GPUBenchmark.run(gpuIndices: [0], interpreter: interpreter, timeout: .seconds(20))
        guard case .failed(let message) = outcome else {
            Issue.record("expected a failure, got \(outcome)")
            return
        }
        #expect(message.contains("exited 3"))
        #expect(message.contains("CUDA out of memory"))
    }

    @Test("a program that outlives the timeout is killed, with what it started, and fails promptly")
    func timesOut() async throws {
        // The child sleeps while holding the output pipes: only killing the group ends the run.
        let interpreter = try fakeInterpreter("echo started >&2\nsleep 30\necho late")
        defer { removeFake(interpreter) }
        // The runner's own thread is timed (the whole suite runs in parallel on 2 cores, so an
        // await may wait seconds for a free thread of the pool after the run ended).
        let clock = ContinuousClock()
        let started = clock.now
        let run = GPUBenchmark.ChildRun.execute([interpreter, "-c", "x", "{}"], environment: [], timeout: .milliseconds(700))
        let elapsed = started.duration(to: clock.now)
        #expect(run.ending == .timedOut)
        #expect(elapsed < .seconds(10), "killed, not waited for: the child sleeps 30 s")
        let outcome = await GPUBenchmark.run(gpuIndices: [0], interpreter: interpreter, timeout: .milliseconds(700))
        guard case .failed(let message) = outcome else {
            Issue.record("expected a failure, got \(outcome)")
            return
        }
        #expect(message.contains("did not finish within 0.7 seconds and was killed"))
        #expect(message.contains("started"))
    }

    @Test("no interpreter of that name is unavailable; a configured path that is not a program fails")
    func noInterpreter() async {
        let missing = await GPUBenchmark.run(gpuIndices: [0], interpreter: "osg-no-such-python-\(UUID().uuidString)", timeout: .seconds(5))
        guard case .unavailable(let reason) = missing else {
            Issue.record("expected unavailable, got \(missing)")
            return
        }
        #expect(reason.contains("install Python 3"))
        let badPath = await GPUBenchmark.run(gpuIndices: [0], interpreter: "/nonexistent/python3", timeout: .seconds(5))
        guard case .failed(let message) = badPath else {
            Issue.record("expected a failure, got \(badPath)")
            return
        }
        #expect(message.contains("/nonexistent/python3 is not an executable file"))
    }

    @Test("no GPU asked for measures nothing")
    func noGPU() async {
        #expect(await GPUBenchmark.run(gpuIndices: [], timeout: .seconds(5)) == .unavailable("no GPU to measure"))
    }

    @Test("the program's environment locates Python and CUDA, numbers devices as the driver does, and holds nothing else")
    func environment() {
        let agent = [
            "PATH": "/opt/python/bin:/usr/bin", "HOME": "/home/agent", "VIRTUAL_ENV": "/opt/venv", "LD_LIBRARY_PATH": "/usr/local/cuda/lib64",
            "CUDA_VISIBLE_DEVICES": "2,3", "CUDA_DEVICE_ORDER": "FASTEST_FIRST", "OSG_TOKEN": "secret", "AWS_SECRET_ACCESS_KEY": "secret",
        ]
        let environment = GPUBenchmark.childEnvironment(from: agent)
        #expect(
            environment == [
                "CUDA_DEVICE_ORDER=PCI_BUS_ID", "HOME=/home/agent", "LD_LIBRARY_PATH=/usr/local/cuda/lib64", "PATH=/opt/python/bin:/usr/bin",
                "PYTHONDONTWRITEBYTECODE=1", "VIRTUAL_ENV=/opt/venv",
            ]
        )
        #expect(GPUBenchmark.childEnvironment(from: [:]).contains("PATH=\(GPUBenchmark.defaultSearchPath)"))
    }

    @Test("the real program, where Python has no PyTorch with CUDA, reports the GPUs unavailable, naming torch", .enabled(if: LocalPython.exists && !LocalPython.hasCUDATorch))
    func realProgramWithoutTorch() async {
        let outcome = await GPUBenchmark.run(gpuIndices: [0], timeout: .seconds(60))
        guard case .unavailable(let reason) = outcome else {
            Issue.record("expected unavailable, got \(outcome)")
            return
        }
        #expect(reason.contains("torch"))
    }

    @Test("the real program, on a stand-in torch with known rates, reports those rates (TF32 off) for each GPU", .enabled(if: LocalPython.exists))
    func realProgramOnStandInTorch() async throws {
        let standIn = try fixtureURL("fake-torch").path
        let interpreter = try fakeInterpreter("PYTHONPATH='\(standIn)' FAKE_TORCH_GPUS=3 exec python3 \"$@\"")
        defer { removeFake(interpreter) }
        let outcome = await GPUBenchmark.run(gpuIndices: [2, 0], interpreter: interpreter, timeout: .seconds(60))
        guard case .measured(let result) = outcome else {
            Issue.record("expected a measurement, got \(outcome)")
            return
        }
        #expect(result.gpus.map(\.index) == [2, 0])
        #expect(result.gpus.map(\.name) == ["Fake GPU 2", "Fake GPU 0"])
        #expect(result.toolVersion == "2.5.1+cu124")
        #expect(result.cudaVersion == "12.4")
        let benchmark = result.nodeBenchmark(durationSeconds: 1)
        // Simulated times are exact to a few ulps: a mean may land one below the rate.
        #expect((399_999...400_000).contains(benchmark.fp16DenseGFLOPS))
        #expect((49_999...50_000).contains(benchmark.fp32GFLOPS))
        #expect((1_999_999...2_000_000).contains(benchmark.memoryBandwidthMBps))
        #expect((24_999...25_000).contains(benchmark.hostToDeviceMBps))
        #expect((25_999...26_000).contains(benchmark.deviceToHostMBps))
        #expect(benchmark.problems(gpuCount: 3).isEmpty)

        let absent = await GPUBenchmark.run(gpuIndices: [5], interpreter: interpreter, timeout: .seconds(60))
        guard case .failed(let message) = absent else {
            Issue.record("expected a failure, got \(absent)")
            return
        }
        #expect(message.contains("exited 2") && message.contains("not among the 3 CUDA devices"))
    }

    @Test("the real program measures this host's first GPU", .enabled(if: LocalPython.hasCUDATorch))
    func realGPU() async {
        let outcome = await GPUBenchmark.run(gpuIndices: [0], timeout: .seconds(180))
        guard case .measured(let result) = outcome else {
            Issue.record("expected a measurement, got \(outcome)")
            return
        }
        #expect(result.tool == "pytorch")
        #expect(result.gpus.map(\.index) == [0])
        #expect(result.nodeBenchmark(durationSeconds: result.measuredSeconds).problems(gpuCount: 1).isEmpty)
    }
}

@Suite("Each node's benchmark report: host figures, and its own GPUs' means")
struct AgentNodeBenchmarkTests {
    static let host = HostBenchmarkResult(
        coresMeasured: 8, cpuFP32GFLOPS: 300, memoryBandwidthMBps: 20_000, durationMilliseconds: 900, outputChecksum: 1)

    static func gpu(_ index: Int, fp16: Double) -> GPUBenchmarkResult.GPU {
        .init(index: index, name: "NVIDIA H100", fp16DenseGFLOPS: fp16, fp32GFLOPS: 50_000, memoryBandwidthMBps: 2_000_000,
              hostToDeviceMBps: 20_000, deviceToHostMBps: 21_000, seconds: 2)
    }

    @Test("a node gets the means over its own GPUs only; a node with an unmeasured GPU, or none measured, posts host figures alone")
    func perNode() {
        let measured = GPUBenchmarkResult(tool: "pytorch", toolVersion: "2.5.1+cu124", gpus: [
            Self.gpu(0, fp16: 700_000), Self.gpu(1, fp16: 800_000), Self.gpu(2, fp16: 100_000), Self.gpu(3, fp16: 900_000),
        ])
        let first = Agent.nodeBenchmark(host: Self.host, gpus: measured, offer: .init(id: "a", gpuIndices: [0, 1]), durationSeconds: 12)
        #expect(first.tool == "pytorch" && first.toolVersion == "2.5.1+cu124" && first.gpusMeasured == 2)
        #expect(first.fp16DenseGFLOPS == 750_000 && first.durationSeconds == 12)
        #expect(first.host == NodeBenchmark.HostMeasurement(cpuCores: 8, cpuFP32GFLOPS: 300, memoryBandwidthMBps: 20_000))
        #expect(first.problems(gpuCount: 2).isEmpty)
        let second = Agent.nodeBenchmark(host: Self.host, gpus: measured, offer: .init(id: "b", gpuIndices: [2, 3]), durationSeconds: 12)
        #expect(second.fp16DenseGFLOPS == 500_000, "never another node's GPUs")
        let missing = Agent.nodeBenchmark(host: Self.host, gpus: measured, offer: .init(id: "c", gpuIndices: [3, 4]), durationSeconds: 12)
        #expect(missing.gpusMeasured == 0 && missing.tool == HostBenchmarkResult.toolName, "GPU 4 was not measured: host figures only")
        #expect(missing.problems(gpuCount: 2).isEmpty)
        let none = Agent.nodeBenchmark(host: Self.host, gpus: nil, offer: .init(id: "d", gpuIndices: [0]), durationSeconds: 1)
        #expect(none.gpusMeasured == 0 && none.fp16DenseGFLOPS == 0 && none.host != nil)
    }
}
