import Foundation
import OSGDomain
import OSGSpec
import Testing

/// The time the fixtures are judged at.
let fixtureNow = Timestamp(rfc3339: "2026-11-23T00:00:00Z")!

func fixture(_ name: String) throws -> String {
    let url = try #require(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil))
    return try String(contentsOf: url, encoding: .utf8)
}

@Suite("Valid job specs read into typed specs")
struct ValidSpecTests {
    @Test("the design's example gang spec reads exactly")
    func gang() throws {
        let result = JobSpecReader.read(try fixture("good-gang.yaml"), now: fixtureNow)
        #expect(result.problems.isEmpty, "\(result.problems)")
        let spec = try #require(result.spec)
        #expect(spec.name == "llama-finetune")
        #expect(spec.command == ["python", "train.py"])
        #expect(spec.resources.gpu.selector == .exactly(GPUModel.named("H100")!))
        #expect(spec.resources.gpu.countPerNode == 8)
        #expect(spec.resources.gpu.minVRAMGiB == 80)
        #expect(spec.resources.cpuCores == 32 && spec.resources.memoryGiB == 256 && spec.resources.diskGiB == 500)
        #expect(spec.nodeCount == 2 && spec.totalGPUs == 16)
        #expect(spec.durationSeconds == 6 * 3600 && spec.maxDurationSeconds == 8 * 3600)
        #expect(spec.maxPricePerGPUHour == MicroCredits(2_100_000))
        #expect(spec.deadline == Timestamp(rfc3339: "2026-12-01T00:00:00Z"))
        #expect(spec.placement.regions == ["eu", "us-west"])
        #expect(spec.carbon.maxGCO2PerKWh == 200)
        #expect(spec.jobClass == .standard)
        // 2.10 credits × 16 GPUs × 8 h
        #expect(spec.maxCost == MicroCredits(268_800_000))
    }

    @Test("JSON specs read with defaults filled in")
    func json() throws {
        let result = JobSpecReader.read(try fixture("good-minimal.json"), now: fixtureNow)
        let spec = try #require(result.spec, "\(result.problems)")
        #expect(spec.resources.gpu.selector == .atLeast(GPUModel.named("A100")!))
        #expect(spec.nodeCount == 1 && spec.maxDurationSeconds == spec.durationSeconds)
        #expect(spec.resources.cpuCores == 1 && spec.jobClass == .standard && spec.image == nil)
    }

    @Test("a flexible preemptible spec reads with placement and carbon shifting")
    func flexible() throws {
        let spec = try #require(JobSpecReader.read(try fixture("good-flexible.yaml"), now: fixtureNow).spec)
        #expect(spec.carbon.shift && spec.jobClass == .preemptible)
        #expect(spec.placement.jurisdictions == ["DE", "FR", "NO"])
        #expect(spec.placement.excludedOperators == ["op-untrusted"])
    }
}

/// A valid base spec; each bad case below replaces or adds lines.
let baseSpec = """
    name: demo
    image: ghcr.io/org/app:1
    resources:
      gpu: { model: H100, count: 2 }
      cpu: 8
      memory_gib: 64
    duration: 2h
    max_price: 3.00
    """

struct BadCase: Sendable, CustomTestStringConvertible {
    var label: String
    var text: String
    var field: String
    var code: SpecProblem.Code
    var line: Int
    var testDescription: String { label }
}

@Suite("Bad specs: every problem names its field and line")
struct BadSpecTests {
    static let cases: [BadCase] = [
        BadCase(label: "unknown top-level field", text: baseSpec + "\npriority: high", field: "priority", code: .unknownField, line: 9),
        BadCase(label: "unknown nested field", text: baseSpec.replacingOccurrences(of: "cpu: 8", with: "cpus: 8"), field: "resources.cpus", code: .unknownField, line: 5),
        BadCase(label: "memory with a unit", text: baseSpec.replacingOccurrences(of: "memory_gib: 64", with: "memory_gib: 64GB"), field: "resources.memory_gib", code: .wrongUnit, line: 6),
        BadCase(label: "gpu count 0", text: baseSpec.replacingOccurrences(of: "count: 2", with: "count: 0"), field: "resources.gpu.count", code: .outOfRange, line: 4),
        BadCase(label: "gpu count as text", text: baseSpec.replacingOccurrences(of: "count: 2", with: "count: \"2\""), field: "resources.gpu.count", code: .wrongType, line: 4),
        BadCase(label: "fractional gpu count", text: baseSpec.replacingOccurrences(of: "count: 2", with: "count: 1.5"), field: "resources.gpu.count", code: .wrongType, line: 4),
        BadCase(label: "unknown GPU model", text: baseSpec.replacingOccurrences(of: "H100", with: "H110"), field: "resources.gpu.model", code: .unknownValue, line: 4),
        BadCase(label: "vram above the model's", text: baseSpec.replacingOccurrences(of: "count: 2 }", with: "count: 2, vram_gib: 200 }"), field: "resources.gpu.vram_gib", code: .outOfRange, line: 4),
        BadCase(label: "max_duration below duration", text: baseSpec + "\nmax_duration: 1h", field: "max_duration", code: .inconsistent, line: 9),
        BadCase(label: "duration without unit", text: baseSpec.replacingOccurrences(of: "duration: 2h", with: "duration: 7200"), field: "duration", code: .wrongUnit, line: 7),
        BadCase(label: "duration with unknown unit", text: baseSpec.replacingOccurrences(of: "duration: 2h", with: "duration: 2 hours"), field: "duration", code: .invalidFormat, line: 7),
        BadCase(label: "deadline in the past", text: baseSpec + "\ndeadline: 2020-01-01T00:00:00Z", field: "deadline", code: .inThePast, line: 9),
        BadCase(label: "deadline too soon", text: baseSpec + "\ndeadline: 2026-11-23T01:00:00Z", field: "deadline", code: .inconsistent, line: 9),
        BadCase(label: "deadline not a time", text: baseSpec + "\ndeadline: next week", field: "deadline", code: .invalidFormat, line: 9),
        BadCase(label: "unknown class", text: baseSpec + "\nclass: urgent", field: "class", code: .unknownValue, line: 9),
        BadCase(label: "negative price", text: baseSpec.replacingOccurrences(of: "max_price: 3.00", with: "max_price: -1"), field: "max_price", code: .outOfRange, line: 8),
        BadCase(label: "price with too many decimals", text: baseSpec.replacingOccurrences(of: "max_price: 3.00", with: "max_price: 0.0000001"), field: "max_price", code: .invalidFormat, line: 8),
        BadCase(label: "missing max_price", text: baseSpec.replacingOccurrences(of: "max_price: 3.00", with: ""), field: "max_price", code: .missingField, line: 1),
        BadCase(label: "neither image nor command", text: baseSpec.replacingOccurrences(of: "image: ghcr.io/org/app:1", with: ""), field: "image", code: .missingField, line: 1),
        BadCase(label: "bad job name", text: baseSpec.replacingOccurrences(of: "name: demo", with: "name: My Job"), field: "name", code: .invalidFormat, line: 1),
        BadCase(label: "nodes 0", text: baseSpec + "\nnodes: 0", field: "nodes", code: .outOfRange, line: 9),
        BadCase(label: "regions not a list", text: baseSpec + "\nplacement:\n  regions: eu", field: "placement.regions", code: .wrongType, line: 10),
        BadCase(label: "bad jurisdiction", text: baseSpec + "\nplacement:\n  jurisdictions: [Germany]", field: "placement.jurisdictions[0]", code: .invalidFormat, line: 10),
        BadCase(label: "carbon shift without deadline", text: baseSpec + "\ncarbon:\n  shift: true", field: "carbon.shift", code: .inconsistent, line: 10),
        BadCase(label: "carbon shift not a bool", text: baseSpec + "\ncarbon:\n  shift: maybe", field: "carbon.shift", code: .wrongType, line: 10),
        BadCase(label: "carbon cap out of range", text: baseSpec + "\ncarbon:\n  max_gco2_per_kwh: 0", field: "carbon.max_gco2_per_kwh", code: .outOfRange, line: 10),
        BadCase(label: "duplicate key", text: baseSpec + "\nname: again", field: "name", code: .duplicateField, line: 1),
        BadCase(label: "not YAML", text: "name: demo\nimage: a: b\n", field: "", code: .syntax, line: 2),
        BadCase(label: "not a mapping", text: "- just\n- a list", field: "", code: .wrongType, line: 1),
        // Found by fuzzing (Fuzz/FuzzJobSpecs): a byte the YAML reader refuses had no line.
        BadCase(label: "control character", text: "name: demo\ncommand: [\"é\u{01}\"]\n", field: "", code: .syntax, line: 2),
        BadCase(label: "JSON with a wrong type", text: #"{"name": "j", "image": "i", "resources": {"gpu": {"count": true}}, "duration": "1h", "max_price": 1}"#, field: "resources.gpu.count", code: .wrongType, line: 1),
    ]

    @Test("the problem is reported with its field, code and line", arguments: cases)
    func reports(_ badCase: BadCase) {
        let result = JobSpecReader.read(badCase.text, now: fixtureNow)
        #expect(result.spec == nil)
        let match = result.problems.first { $0.field == badCase.field && $0.code == badCase.code }
        #expect(match != nil, "expected \(badCase.code) on '\(badCase.field)', got \(result.problems)")
        #expect(match?.line == badCase.line, "line of \(String(describing: match))")
        #expect(!(match?.message.isEmpty ?? true))
    }

    @Test("a byte the YAML reader refuses is located by line and column (in Unicode scalars)")
    func readerErrorPosition() throws {
        let result = JobSpecReader.read("name: demo\ncommand: [\"é\u{01}\"]\n", now: fixtureNow)
        let problem = try #require(result.problems.first)
        #expect(problem.code == .syntax && problem.line == 2 && problem.column == 13, "\(problem)")
        #expect(problem.message.contains("0x1"), "\(problem.message)")
    }

    @Test("every problem in one document is reported at once")
    func allAtOnce() {
        let text = """
            name: demo
            image: app
            resources:
              gpu: { model: H110, count: 0 }
              memory_gib: 256GB
            duration: 6h
            max_duration: 4h
            max_price: 2.10
            deadline: 2020-01-01T00:00:00Z
            priority: high
            class: urgent
            """
        let fields = JobSpecReader.read(text, now: fixtureNow).problems.map(\.field)
        #expect(fields == ["resources.gpu.model", "resources.gpu.count", "resources.memory_gib", "max_duration",
                           "deadline", "priority", "class"])
    }

    @Test("an unknown field near a known name suggests it")
    func suggestion() {
        let problems = JobSpecReader.read(baseSpec + "\nmax_duraton: 3h", now: fixtureNow).problems
        #expect(problems.first?.message.contains("did you mean 'max_duration'") == true)
    }

    @Test("an empty document is a problem, not a crash")
    func empty() {
        #expect(JobSpecReader.read("", now: fixtureNow).problems.first?.code == .missingField)
        #expect(JobSpecReader.read("# only a comment\n", now: fixtureNow).problems.first?.code == .missingField)
    }
}

@Suite("The env field")
struct EnvironmentFieldTests {
    @Test("env reads as a sorted list; numbers and booleans are kept as written")
    func reads() throws {
        let text = """
            name: env-job
            command: [env]
            env: { ZED: "last", HF_HOME: /work/hf, THREADS: 8, DEBUG: true, EMPTY: "" }
            resources: { gpu: { count: 1 } }
            duration: 1h
            max_price: 1
            """
        let result = JobSpecReader.read(text, now: fixtureNow)
        let spec = try #require(result.spec, "\(result.problems)")
        #expect(spec.environment.map(\.name) == ["DEBUG", "EMPTY", "HF_HOME", "THREADS", "ZED"])
        #expect(spec.environment.map(\.value) == ["true", "", "/work/hf", "8", "last"])
    }

    @Test("bad names, agent names, a null value and a list are refused at their field")
    func refused() {
        let text = """
            name: env-job
            command: [env]
            env: { 1ABC: x, OSG_RANK: "3", "A-B": y, NULLED: }
            resources: { gpu: { count: 1 } }
            duration: 1h
            max_price: 1
            """
        let problems = JobSpecReader.read(text, now: fixtureNow).problems
        #expect(problems.contains { $0.field == "env.NULLED" && $0.message.contains("value") }, "\(problems)")
        let valued = JobSpecReader.read(text.replacingOccurrences(of: "NULLED: }", with: "NULLED: v }"), now: fixtureNow).problems
        #expect(valued.contains { $0.field == "env.1ABC" }, "\(valued)")
        #expect(valued.contains { $0.field == "env.OSG_RANK" && $0.message.contains("agent") }, "\(valued)")
        #expect(valued.contains { $0.field == "env.A-B" }, "\(valued)")
        let list = JobSpecReader.read(text.replacingOccurrences(of: "env: { 1ABC: x, OSG_RANK: \"3\", \"A-B\": y, NULLED: }", with: "env: [A=1]"), now: fixtureNow).problems
        #expect(list.contains { $0.field == "env" && $0.code == .wrongType }, "\(list)")
    }
}
