import Foundation
import OSGDomain
import OSGSpec
import Testing

/// The time the portability corpus is judged at (before the one deadline in it).
let portabilityNow = Timestamp(rfc3339: "2026-06-01T00:00:00Z")!

/// One entry of Fixtures/portability/expectations.json (its README gives the rules).
struct PortabilityExpectation: Decodable, CustomTestStringConvertible, Sendable {
    struct Expect: Decodable, Sendable {
        var name: String
        var gpuModel: String
        var gpusPerNode: Int
        var nodes: Int
        var cpu: Int
        var memoryGib: Int
        var diskGib: Int
        var durationS: Int64
        var maxDurationS: Int64
        var `class`: String
        var image: String?
        var command: [String]?
        var env: [String: String]?
        var retries: Int?
        var regions: [String]?
        var maxPrice: Double?
        var deadline: String?
        /// Whether the entry states the command (a `null` command is stated as "none").
        var statesCommand = false

        enum CodingKeys: String, CodingKey {
            case name, gpuModel = "gpu_model", gpusPerNode = "gpus_per_node", nodes, cpu, memoryGib = "memory_gib",
                 diskGib = "disk_gib", durationS = "duration_s", maxDurationS = "max_duration_s", `class`, image, command,
                 env, retries, regions, maxPrice = "max_price", deadline
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            name = try container.decode(String.self, forKey: .name)
            gpuModel = try container.decode(String.self, forKey: .gpuModel)
            gpusPerNode = try container.decode(Int.self, forKey: .gpusPerNode)
            nodes = try container.decode(Int.self, forKey: .nodes)
            cpu = try container.decode(Int.self, forKey: .cpu)
            memoryGib = try container.decode(Int.self, forKey: .memoryGib)
            diskGib = try container.decode(Int.self, forKey: .diskGib)
            durationS = try container.decode(Int64.self, forKey: .durationS)
            maxDurationS = try container.decode(Int64.self, forKey: .maxDurationS)
            `class` = try container.decode(String.self, forKey: .class)
            image = try container.decodeIfPresent(String.self, forKey: .image)
            statesCommand = container.contains(.command)
            command = try container.decodeIfPresent([String].self, forKey: .command)
            env = try container.decodeIfPresent([String: String].self, forKey: .env)
            retries = try container.decodeIfPresent(Int.self, forKey: .retries)
            regions = try container.decodeIfPresent([String].self, forKey: .regions)
            maxPrice = try container.decodeIfPresent(Double.self, forKey: .maxPrice)
            deadline = try container.decodeIfPresent(String.self, forKey: .deadline)
        }
    }

    var file: String
    var outcome: String
    var reasonContains: String?
    var expect: Expect?
    var warningsContain: [String]?

    enum CodingKeys: String, CodingKey {
        case file, outcome, reasonContains = "reason_contains", expect, warningsContain = "warnings_contain"
    }

    var testDescription: String { file }

    static let all: [PortabilityExpectation] = {
        guard let text = try? fixture("portability/expectations.json"),
              let entries = try? JSONDecoder().decode([PortabilityExpectation].self, from: Data(text.utf8)) else { return [] }
        return entries
    }()

    func importOptions() -> ImportOptions {
        ImportOptions(maxPrice: MicroCredits(2_500_000), now: portabilityNow, sourceName: (file as NSString).lastPathComponent.split(separator: ".").first.map(String.init) ?? file)
    }
}

@Suite("osg import: the corpus of Slurm scripts and Kubernetes manifests")
struct ImportCorpusTests {
    @Test("the corpus has at least 30 files, every one with an expectation")
    func corpusSize() throws {
        let entries = PortabilityExpectation.all
        #expect(entries.count >= 30)
        let root = try #require(Bundle.module.url(forResource: "Fixtures/portability", withExtension: nil))
        var files: [String] = []
        for folder in ["slurm", "kubernetes"] {
            let names = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(folder).path)
            files += names.map { "\(folder)/\($0)" }
        }
        #expect(Set(files) == Set(entries.map(\.file)))
        #expect(entries.filter { $0.outcome == "refused" }.count >= 6)
    }

    @Test("each file imports to the expected spec with its warnings, or is refused with its reason", arguments: PortabilityExpectation.all)
    func importsAsExpected(_ entry: PortabilityExpectation) throws {
        let text = try fixture("portability/\(entry.file)")
        let result = Result { () throws(ImportRefusal) in try JobImporter.read(text, options: entry.importOptions()) }
        switch (entry.outcome, result) {
        case ("refused", .failure(let refusal)):
            #expect(refusal.reason.contains(try #require(entry.reasonContains)), "\(refusal.reason)")
        case ("spec", .success(let imported)):
            let expect = try #require(entry.expect)
            let spec = imported.spec
            #expect(spec.name == expect.name)
            #expect(spec.resources.gpu.selector.description == expect.gpuModel)
            #expect(spec.resources.gpu.countPerNode == expect.gpusPerNode)
            #expect(spec.nodeCount == expect.nodes)
            #expect(spec.resources.cpuCores == expect.cpu)
            #expect(spec.resources.memoryGiB == expect.memoryGib)
            #expect(spec.resources.diskGiB == expect.diskGib)
            #expect(spec.durationSeconds == expect.durationS)
            #expect(spec.maxDurationSeconds == expect.maxDurationS)
            #expect(spec.jobClass.rawValue == expect.class)
            #expect(spec.image == expect.image)
            if expect.statesCommand { #expect(spec.command == expect.command) }
            #expect(Dictionary(uniqueKeysWithValues: spec.environment.map { ($0.name, $0.value) }) == (expect.env ?? [:]))
            #expect(spec.retryLimit == (expect.retries ?? 0))
            #expect(spec.placement.regions == (expect.regions ?? []))
            if let price = expect.maxPrice { #expect(spec.maxPricePerGPUHour.rawValue == Int64((price * 1_000_000).rounded())) }
            if let deadline = expect.deadline { #expect(spec.deadline == Timestamp(rfc3339: deadline)) }
            for wanted in entry.warningsContain ?? [] {
                #expect(imported.warnings.contains { $0.contains(wanted) }, "no warning mentions '\(wanted)': \(imported.warnings)")
            }
        case (_, .failure(let refusal)):
            Issue.record("expected a spec, refused: \(refusal.reason)")
        case (_, .success(let imported)):
            Issue.record("expected a refusal (\(entry.reasonContains ?? "")), got \(imported.spec)")
        }
    }

    @Test("every imported spec survives export to Slurm and to Kubernetes and import again unchanged",
          arguments: PortabilityExpectation.all.filter { $0.outcome == "spec" })
    func corpusRoundTrips(_ entry: PortabilityExpectation) throws {
        let spec = try JobImporter.read(try fixture("portability/\(entry.file)"), options: entry.importOptions()).spec
        try expectRoundTrip(spec)
    }
}

/// Exports `spec` both ways, imports each, and expects the same spec and a readable spec file.
func expectRoundTrip(_ spec: JobSpec, context: String = "", sourceLocation: SourceLocation = #_sourceLocation) throws {
    let options = ImportOptions(now: portabilityNow, sourceName: "round-trip")
    let slurm = SlurmScriptExporter.script(spec).text
    let fromSlurm = try JobImporter.read(slurm, options: options).spec
    #expect(fromSlurm == spec, "\(context) Slurm script:\n\(slurm)", sourceLocation: sourceLocation)
    let kubernetes = KubernetesJobExporter.manifest(spec, queue: "team-a").text
    let fromKubernetes = try JobImporter.read(kubernetes, options: options).spec
    #expect(fromKubernetes == spec, "\(context) manifest:\n\(kubernetes)", sourceLocation: sourceLocation)
    let yaml = JobSpecWriter.yaml(spec)
    let read = JobSpecReader.read(yaml, now: portabilityNow)
    #expect(read.spec == spec, "\(context) spec file:\n\(yaml)\nproblems: \(read.problems)", sourceLocation: sourceLocation)
    let json = JobSpecWriter.json(spec)
    let readJSON = JobSpecReader.read(json, now: portabilityNow)
    #expect(readJSON.spec == spec, "\(context) JSON:\n\(json)\nproblems: \(readJSON.problems)", sourceLocation: sourceLocation)
}

@Suite("osg export: specs round trip through Slurm and Kubernetes")
struct ExportRoundTripTests {
    /// A random valid spec from `seed`: every field the exporters carry varies.
    static func randomSpec(seed: UInt64) -> JobSpec {
        var random = SplitMix64(seed: seed)
        func pick<T>(_ items: [T]) -> T { items[Int(random.next() % UInt64(items.count))] }
        let models = GPUModel.catalog
        let selector: GPUSelector = pick([.any, .exactly(pick(models)), .atLeast(pick(models))])
        let duration = Int64(pick([60, 3_600, 5_400, 86_400, 100_000, 7 * 86_400 + 59]))
        let maxDuration = duration + Int64(pick([0, 0, 600, 3_600]))
        let words = ["python", "train.py", "--lr=3e-4", "it's", "a b", "$HOME", "x;y", "ünïcode", "#tag", ""]
        var command: [String]? = (0..<Int(1 + random.next() % 4)).map { _ in pick(words) }
        if command?.first == "" { command?[0] = "python" }
        let image: String? = pick([nil, "ghcr.io/org/trainer:1.2", "nvcr.io/nvidia/pytorch:24.05-py3"])
        if image == nil && random.next() % 3 == 0 { command = ["bash", "-c", "set -e\necho start\npython train.py \"$@\" | tee log.txt"] }
        if image != nil && random.next() % 3 == 0 { command = nil }
        let env = (0..<Int(random.next() % 3)).map { index in EnvironmentVariable(name: "VAR_\(index)", value: pick(words)) }
        return JobSpec(
            name: pick(["train", "llama-ft-2", "a"]), image: image, command: command,
            resources: ResourceRequest(
                gpu: GPURequest(selector: selector, countPerNode: Int(1 + random.next() % 8),
                                minVRAMGiB: random.next() % 2 == 0 ? nil : 8),
                cpuCores: Int(1 + random.next() % 64), memoryGiB: Int(1 + random.next() % 512), diskGiB: Int(random.next() % 3) * 100),
            nodeCount: Int(1 + random.next() % 4), durationSeconds: duration, maxDurationSeconds: maxDuration,
            maxPricePerGPUHour: MicroCredits(Int64(1 + random.next() % 5_000_000)),
            deadline: random.next() % 3 == 0 ? portabilityNow.adding(seconds: 30 * 86_400 + 17) : nil,
            placement: Placement(regions: random.next() % 2 == 0 ? [] : ["eu", "us-west"], jurisdictions: random.next() % 2 == 0 ? [] : ["DE"],
                                 excludedOperators: random.next() % 4 == 0 ? ["op-7"] : []),
            carbon: CarbonPolicy(maxGCO2PerKWh: random.next() % 2 == 0 ? nil : 250, shift: false),
            jobClass: pick([.standard, .preemptible]), retries: Int(random.next() % 4), network: random.next() % 2 == 0, env: env)
    }

    @Test("300 random specs: spec → export → import → the same spec (a failure names its seed)")
    func randomSpecsRoundTrip() throws {
        for seed in UInt64(1)...300 {
            let spec = Self.randomSpec(seed: seed)
            #expect(spec.problems(now: portabilityNow).isEmpty, "seed \(seed): \(spec.problems(now: portabilityNow))")
            try expectRoundTrip(spec, context: "seed \(seed)")
        }
    }

    @Test("what an export cannot carry is named in a warning: inputs and outputs, and each secret")
    func exportWarnsOfWhatItDrops() {
        var spec = Self.randomSpec(seed: 7)
        spec.secrets = [JobSecret(name: "HF_TOKEN", sealed: String(repeating: "a", count: 64)), JobSecret(name: "DB_PASSWORD", sealed: String(repeating: "b", count: 64))]
        spec.inputs = [JobInput(path: "data.bin", sha256: String(repeating: "c", count: 64), size: 10)]
        for warnings in [SlurmScriptExporter.script(spec).warnings, KubernetesJobExporter.manifest(spec, queue: "q").warnings] {
            #expect(warnings.contains { $0.contains("secrets are not carried") && $0.contains("HF_TOKEN") && $0.contains("DB_PASSWORD") }, "\(warnings)")
            #expect(warnings.contains { $0.contains("inputs and outputs are not carried") }, "\(warnings)")
        }
        spec.secrets = nil
        #expect(!SlurmScriptExporter.script(spec).warnings.contains { $0.contains("secrets") })
    }
}

@Suite("osg import: extreme values are refused or read, never a crash")
struct ImportExtremeValueTests {
    static let directives = [
        "--ntasks=9223372036854775807 --nodes=1", "-c 9223372036854775807 --ntasks-per-node=1048576", "--mem-per-cpu=9223372036854775807T -c 4",
        "--mem-per-gpu=1048576T", "--gpus-per-task=1048576 --ntasks-per-node=1048576", "--cpus-per-gpu=1048576",
        "--tmp=99999999999999999999T", "--tmp=0", "--nodes=0", "--nodes=-3", "-t 99999999999-23:59:59", "-t 0", "--gres=gpu:x:-1",
        "--time=1:2:3:4", "--gpus=0", "--deadline=garbage",
    ]

    @Test("each directive, with a GPU and a time limit beside it", arguments: directives)
    func slurm(_ directive: String) {
        let script = "#!/bin/bash\n#SBATCH --gres=gpu:1 -t 60\n#SBATCH \(directive)\npython x.py\n"
        let result = Result { () throws(ImportRefusal) in try SlurmScriptImporter.read(script, options: ImportOptions(maxPrice: MicroCredits(1), now: portabilityNow, sourceName: "x")) }
        if case .success(let imported) = result { #expect(imported.spec.problems(now: portabilityNow).isEmpty) }
    }

    static let quantities = ["999999999999999999999999Ei", "1e18", "123456789012345678901234.5678E", "0.000000001n", "1e-18", "Ki", ".", "1..2", "-1"]

    @Test("Kubernetes quantities", arguments: quantities)
    func kubernetes(_ quantity: String) {
        let manifest = """
            apiVersion: v1
            kind: Pod
            metadata: {name: extreme}
            spec:
              activeDeadlineSeconds: 600
              containers:
                - name: main
                  image: busybox
                  resources: {limits: {cpu: "\(quantity)", memory: "\(quantity)", nvidia.com/gpu: "1", ephemeral-storage: "\(quantity)"}}
            """
        let result = Result { () throws(ImportRefusal) in try KubernetesManifestImporter.read(manifest, options: ImportOptions(maxPrice: MicroCredits(1), now: portabilityNow, sourceName: "x")) }
        if case .success(let imported) = result { #expect(imported.spec.problems(now: portabilityNow).isEmpty) }
    }
}
