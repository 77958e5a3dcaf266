import OSGDomain

/// A job spec being assembled from another system's description: each field as far as the
/// description gave it, checked as a whole by ``spec(options:missingDuration:)``.
struct SpecDraft {
    var name: String?
    var image: String?
    var command: [String]?
    var env: [EnvironmentVariable] = []
    var gpuSelector: GPUSelector?
    var gpusPerNode: Int?
    var vramGiB: Int?
    var cpu = 1
    var memoryGiB: Int?
    var diskGiB = 0
    var nodes = 1
    var durationSeconds: Int64?
    var maxDurationSeconds: Int64?
    var maxPrice: MicroCredits?
    var deadline: Timestamp?
    var placement = Placement()
    var carbon = CarbonPolicy()
    var jobClass = JobClass.standard
    var retries = 0
    var network = false

    /// The spec, or the reason it cannot be one. `missingDuration` says, in the source's own
    /// terms, how to give a run time; `warnings` gains the defaults the draft had to choose.
    func spec(options: ImportOptions, missingDuration: String, warnings: inout [String]) throws(ImportRefusal) -> JobSpec {
        guard let gpus = gpusPerNode, gpus > 0 else {
            throw ImportRefusal("asks for no GPU: OpenStargate leases GPUs, so a job needs at least one per node")
        }
        let maxDuration = maxDurationSeconds ?? durationSeconds ?? options.durationSeconds
        guard let maxDuration else {
            throw ImportRefusal("\(missingDuration); or pass --duration D (e.g. --duration 6h)")
        }
        guard let price = maxPrice ?? options.maxPrice else {
            throw ImportRefusal("no price bound: pass --max-price P (credits per GPU-hour)")
        }
        let memory: Int
        if let memoryGiB {
            memory = memoryGiB
        } else {
            memory = cpu
            warnings.append("no memory request: asking for 1 GiB per core (\(memory) GiB per node); set resources.memory_gib to what the job needs")
        }
        let spec = JobSpec(
            name: JobName.sanitized(name ?? "", fallback: options.sourceName),
            image: image, command: command,
            resources: ResourceRequest(
                gpu: GPURequest(selector: gpuSelector ?? .any, countPerNode: gpus, minVRAMGiB: vramGiB),
                cpuCores: cpu, memoryGiB: memory, diskGiB: diskGiB),
            nodeCount: nodes, durationSeconds: durationSeconds ?? maxDuration, maxDurationSeconds: maxDuration,
            maxPricePerGPUHour: price, deadline: deadline, placement: placement, carbon: carbon, jobClass: jobClass,
            retries: retries, network: network, env: env)
        let problems = spec.problems(now: options.now)
        guard problems.isEmpty else {
            throw ImportRefusal("the spec it gives is not valid: " + problems.map { "\($0.field): \($0.message)" }.joined(separator: "; "))
        }
        return spec
    }
}

/// Job names from other systems made into valid spec names.
enum JobName {
    /// `text` in lower case with every run of other characters than a-z, 0-9 as one '-',
    /// without leading or trailing '-', cut to 63 characters; `fallback` treated the same way
    /// when nothing is left, and `job` when that is empty too.
    static func sanitized(_ text: String, fallback: String) -> String {
        func clean(_ text: String) -> String {
            var result = ""
            for scalar in text.lowercased().unicodeScalars {
                if ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) {
                    result.unicodeScalars.append(scalar)
                } else if !result.isEmpty && !result.hasSuffix("-") {
                    result += "-"
                }
            }
            var cut = String(result.prefix(63))
            while cut.hasSuffix("-") { cut.removeLast() }
            return cut
        }
        let name = clean(text)
        if !name.isEmpty { return name }
        let stem = clean(fallback)
        return stem.isEmpty ? "job" : stem
    }
}

/// GPU model names as other systems write them (`nvidia_a100-sxm4-80gb`, `Tesla-V100-SXM2-16GB`,
/// `NVIDIA-GeForce-RTX-4090`) matched to the catalogue.
enum GPUTypeName {
    /// The catalogued model `text` names: the whole text, else its first '-'/'_'-separated token
    /// that is a model name, else two adjacent tokens together (`RTX` `4090`).
    static func model(_ text: String) -> GPUModel? {
        if let model = GPUModel.named(text) { return model }
        let tokens = text.split(whereSeparator: { $0 == "-" || $0 == "_" || $0 == " " }).map(String.init)
        if let model = tokens.lazy.compactMap({ GPUModel.named($0) }).first { return model }
        return zip(tokens, tokens.dropFirst()).lazy.compactMap { GPUModel.named($0 + $1) }.first
    }
}

/// Queue, partition, QOS and priority class names that say "may be stopped".
enum PreemptibleHint {
    /// Whether a word of `name` (split at anything but letters and digits) is `low`, `spot`,
    /// `scavenger` or `standby`, or starts with `preempt`.
    static func matches(_ name: String) -> Bool {
        name.lowercased().split { !($0.isLetter || $0.isNumber) }.contains { word in
            ["low", "spot", "scavenger", "standby"].contains(word) || word.hasPrefix("preempt")
        }
    }
}
