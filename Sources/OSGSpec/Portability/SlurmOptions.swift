import OSGDomain

/// The `#SBATCH` options of a script, by long name (the last value of an option wins, as in
/// sbatch), and how they map to a ``SpecDraft``.
struct SlurmOptions {
    private(set) var values: [String: String] = [:]
    /// Options in the order first met, for warnings in source order.
    private(set) var order: [String] = []

    /// Short options and their long names.
    static let longNames: [Character: String] = [
        "J": "job-name", "N": "nodes", "n": "ntasks", "c": "cpus-per-task", "t": "time", "p": "partition",
        "q": "qos", "G": "gpus", "a": "array", "o": "output", "e": "error", "A": "account", "C": "constraint",
        "D": "chdir", "d": "dependency", "w": "nodelist", "x": "exclude", "L": "licenses", "M": "clusters",
        "i": "input", "m": "distribution", "S": "core-spec", "B": "extra-node-info", "b": "begin", "F": "nodefile",
        "W": "wait", "H": "hold", "k": "no-kill", "s": "oversubscribe", "O": "overcommit", "Q": "quiet", "v": "verbose",
        "h": "help", "V": "version", "l": "label",
    ]

    /// Options that never take a value.
    static let flags: Set<String> = [
        "wait", "hold", "no-kill", "oversubscribe", "overcommit", "quiet", "verbose", "help", "version", "requeue",
        "no-requeue", "contiguous", "parsable", "test-only", "spread-job", "use-min-nodes", "exclusive", "ignore-pbs",
        "get-user-env", "container-mount-home", "no-container-mount-home", "label",
    ]

    /// The options this importer carries into the spec.
    static let carried: Set<String> = [
        "job-name", "nodes", "ntasks", "ntasks-per-node", "cpus-per-task", "cpus-per-gpu", "gres", "gpus",
        "gpus-per-node", "gpus-per-task", "constraint", "mem", "mem-per-cpu", "mem-per-gpu", "tmp", "time",
        "time-min", "array", "partition", "qos", "deadline", "container-image",
    ]

    /// Reads option words (`--name=value`, `--name value`, `-N2`, `-N 2`).
    mutating func read(_ words: [String], warnings: inout [String]) throws(ImportRefusal) {
        var index = 0
        while index < words.count {
            let word = words[index]
            index += 1
            var name: String
            var value: String?
            if word.hasPrefix("--") {
                let body = word.dropFirst(2)
                if let equals = body.firstIndex(of: "=") {
                    name = String(body[..<equals])
                    value = String(body[body.index(after: equals)...])
                } else {
                    name = String(body)
                }
            } else if word.hasPrefix("-"), word.count >= 2 {
                let letter = word[word.index(after: word.startIndex)]
                guard let long = Self.longNames[letter] else {
                    warnings.append("#SBATCH \(word): unknown option, not carried")
                    continue
                }
                name = long
                let attached = word.dropFirst(2)
                if !attached.isEmpty { value = String(attached.hasPrefix("=") ? attached.dropFirst() : attached) }
            } else {
                warnings.append("#SBATCH \(word): not an option, ignored")
                continue
            }
            if value == nil, !Self.flags.contains(name), index < words.count, !words[index].hasPrefix("-") {
                value = words[index]
                index += 1
            }
            if values[name] == nil && !order.contains(name) { order.append(name) }
            values[name] = value ?? ""
        }
    }

    /// Maps the options onto `draft`, warning about each one it cannot carry.
    func apply(to draft: inout SpecDraft, warnings: inout [String]) throws(ImportRefusal) {
        if let array = values["array"] {
            throw ImportRefusal("--array=\(array): array jobs are not carried; submit one spec per task (e.g. a loop over `osg submit`)")
        }
        for name in order where !Self.carried.contains(name) {
            let value = values[name].map { $0.isEmpty ? "" : "=\($0)" } ?? ""
            if Self.flags.contains(name) || Self.knownNotCarried.contains(name) {
                warnings.append("--\(name)\(value): not carried (no equivalent in an OpenStargate job spec)")
            } else {
                warnings.append("--\(name)\(value): unknown sbatch option, not carried")
            }
        }
        draft.name = values["job-name"]

        if let nodes = values["nodes"] {
            let parts = nodes.split(separator: "-", maxSplits: 1)
            guard let count = parts.first.flatMap({ Int($0) }) else { throw ImportRefusal("--nodes=\(nodes): not a node count") }
            if parts.count == 2 { warnings.append("--nodes=\(nodes): a range; the gang asks for exactly \(count) nodes") }
            draft.nodes = count
        }
        let tasksPerNode: Int
        if let perNode = values["ntasks-per-node"] {
            tasksPerNode = try Self.count(perNode, "ntasks-per-node")
        } else if let tasks = values["ntasks"] {
            let total = try Self.count(tasks, "ntasks")
            tasksPerNode = total / max(draft.nodes, 1) + (total % max(draft.nodes, 1) == 0 ? 0 : 1)
        } else {
            tasksPerNode = 1
        }

        var model: GPUModel?
        var typeText: String?
        var gpus: Int?
        if let gres = values["gres"] {
            for item in gres.split(separator: ",") {
                let parts = item.split(separator: ":").map(String.init)
                guard parts.first == "gpu" else {
                    warnings.append("--gres=\(item): only gpu resources are carried; \(parts.first ?? "") dropped")
                    continue
                }
                switch parts.count {
                case 1: gpus = 1
                case 2: gpus = try Self.count(parts[1], "gres")
                default:
                    typeText = parts[1]
                    gpus = try Self.count(parts[2].split(separator: "(").first.map(String.init) ?? parts[2], "gres")
                }
            }
        }
        func typed(_ text: String, _ option: String) throws(ImportRefusal) -> Int {
            let parts = text.split(separator: ":").map(String.init)
            if parts.count == 2 { typeText = parts[0] }
            return try Self.count(parts.last ?? "", option)
        }
        if let perNode = values["gpus-per-node"] { gpus = try typed(perNode, "gpus-per-node") }
        if let total = values["gpus"] {
            let count = try typed(total, "gpus")
            guard count % max(draft.nodes, 1) == 0 else {
                throw ImportRefusal("--gpus=\(total) over \(draft.nodes) nodes: a gang gets the same GPUs on each node; use --gpus-per-node")
            }
            gpus = count / max(draft.nodes, 1)
        }
        if let perTask = values["gpus-per-task"] { gpus = try Self.product(try typed(perTask, "gpus-per-task"), tasksPerNode, "gpus-per-task") }
        if let typeText {
            model = GPUTypeName.model(typeText)
            if model == nil { warnings.append("GPU type '\(typeText)' is not a catalogued model; the spec asks for any GPU") }
        }
        if let constraint = values["constraint"] {
            if model == nil, let named = GPUTypeName.model(constraint) {
                model = named
            } else {
                warnings.append("--constraint=\(constraint): node features are not carried")
            }
        }
        draft.gpusPerNode = gpus
        draft.gpuSelector = model.map { .exactly($0) }

        if let perTask = values["cpus-per-task"] {
            draft.cpu = try Self.product(try Self.count(perTask, "cpus-per-task"), tasksPerNode, "cpus-per-task")
        } else if let perGPU = values["cpus-per-gpu"] {
            draft.cpu = try Self.product(try Self.count(perGPU, "cpus-per-gpu"), gpus ?? 1, "cpus-per-gpu")
        } else {
            draft.cpu = tasksPerNode
        }

        if let memory = values["mem"] {
            let mib = try Self.mebibytes(memory, "mem")
            guard mib > 0 else { throw ImportRefusal("--mem=0 (all of a node's memory) has no equivalent: state the memory the job needs, e.g. --mem=64G") }
            draft.memoryGiB = Self.gibibytes(mib)
        } else if let perCPU = values["mem-per-cpu"] {
            draft.memoryGiB = Self.gibibytes(try Self.product(try Self.mebibytes(perCPU, "mem-per-cpu"), draft.cpu, "mem-per-cpu"))
        } else if let perGPU = values["mem-per-gpu"] {
            draft.memoryGiB = Self.gibibytes(try Self.product(try Self.mebibytes(perGPU, "mem-per-gpu"), gpus ?? 1, "mem-per-gpu"))
        }
        if let tmp = values["tmp"] {
            let mib = try Self.mebibytes(tmp, "tmp")
            draft.diskGiB = mib == 0 ? 0 : Self.gibibytes(mib)
        }

        if let time = values["time"], !SlurmTime.isUnlimited(time) { draft.maxDurationSeconds = try SlurmTime.seconds(time, option: "time") }
        if let minimum = values["time-min"] { draft.durationSeconds = try SlurmTime.seconds(minimum, option: "time-min") }

        for option in ["partition", "qos"] {
            guard let value = values[option] else { continue }
            if PreemptibleHint.matches(value) {
                draft.jobClass = .preemptible
                warnings.append("--\(option)=\(value): read as class preemptible (the job may be stopped with notice and requeued)")
            } else {
                warnings.append("--\(option)=\(value): a hint only; the market places the job by its resources and price")
            }
        }
        if let deadline = values["deadline"] {
            let text = deadline.hasSuffix("Z") ? deadline : deadline + (deadline.count == 16 ? ":00Z" : "Z")
            guard let time = Timestamp(rfc3339: text) else { throw ImportRefusal("--deadline=\(deadline): not a time such as 2026-12-01T18:00:00") }
            draft.deadline = time
            if !deadline.hasSuffix("Z") { warnings.append("--deadline=\(deadline): read as UTC") }
        }
        if let image = values["container-image"] { draft.image = image }
    }

    /// sbatch options this importer knows but cannot carry.
    static let knownNotCarried: Set<String> = [
        "account", "mail-type", "mail-user", "output", "error", "chdir", "export", "signal", "dependency", "reservation",
        "begin", "nice", "exclude", "nodelist", "hint", "open-mode", "comment", "licenses", "input", "distribution",
        "clusters", "core-spec", "extra-node-info", "nodefile", "wckey", "gpu-bind", "gpu-freq", "cpu-freq", "mincpus",
        "sockets-per-node", "cores-per-socket", "threads-per-core", "ntasks-per-core", "ntasks-per-socket", "ntasks-per-gpu",
        "propagate", "profile", "uid", "gid", "priority", "container", "container-mounts", "container-workdir",
        "container-env", "network", "switches", "mem-bind", "kill-on-invalid-dep", "acctg-freq", "power", "batch",
        "export-file", "thread-spec", "tres-per-task", "x11", "delay-boot", "reboot",
    ]

    /// `a × b`, refused when it overflows or passes what any spec field allows (a disk's MiB).
    static func product(_ a: Int, _ b: Int, _ option: String) throws(ImportRefusal) -> Int {
        let (value, overflow) = a.multipliedReportingOverflow(by: b)
        guard !overflow, value <= JobSpec.Limits.maxDiskGiB * 1024 else { throw ImportRefusal("--\(option): \(a) × \(b) is too large") }
        return value
    }

    static func count(_ text: String, _ option: String) throws(ImportRefusal) -> Int {
        guard let value = Int(text), value >= 0, value <= 1 << 20 else { throw ImportRefusal("--\(option)=\(text): not a whole number up to 1048576") }
        return value
    }

    /// A Slurm size (`64G`, `32000M`, `32000`, `500M`, `1T`; no unit = MiB) in MiB, rounded up.
    static func mebibytes(_ text: String, _ option: String) throws(ImportRefusal) -> Int {
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        let unit = text.dropFirst(digits.count).uppercased()
        guard let number = Int(digits) else { throw ImportRefusal("--\(option)=\(text): not a size such as 64G or 32000M") }
        let (multiplier, divisor): (Int, Int) = switch unit {
        case "", "M", "MB": (1, 1)
        case "K", "KB": (1, 1024)
        case "G", "GB": (1024, 1)
        case "T", "TB": (1024 * 1024, 1)
        default: (0, 0)
        }
        guard divisor > 0 else { throw ImportRefusal("--\(option)=\(text): unknown unit '\(unit)' (K, M, G or T)") }
        let (product, overflow) = number.multipliedReportingOverflow(by: multiplier)
        guard !overflow, product <= JobSpec.Limits.maxDiskGiB * 1024 else { throw ImportRefusal("--\(option)=\(text): too large") }
        return (product + divisor - 1) / divisor
    }

    /// MiB rounded up to whole GiB, at least 1.
    static func gibibytes(_ mebibytes: Int) -> Int {
        max(1, (mebibytes + 1023) / 1024)
    }
}

/// Slurm's time formats.
enum SlurmTime {
    /// Whether `text` is Slurm's word for no limit.
    static func isUnlimited(_ text: String) -> Bool {
        ["UNLIMITED", "INFINITE"].contains(text.uppercased())
    }

    /// Seconds in `M`, `M:S`, `H:M:S`, `D-H`, `D-H:M` or `D-H:M:S`.
    static func seconds(_ text: String, option: String) throws(ImportRefusal) -> Int64 {
        if isUnlimited(text) {
            throw ImportRefusal("--\(option)=\(text): an unlimited run has no price bound; give a time limit such as --time=24:00:00")
        }
        func fail() -> ImportRefusal {
            ImportRefusal("--\(option)=\(text): not a Slurm time (M, M:S, H:M:S, D-H, D-H:M or D-H:M:S)")
        }
        var days: Int64 = 0
        var clock = Substring(text)
        if let dash = text.firstIndex(of: "-") {
            guard let value = Int64(text[..<dash]) else { throw fail() }
            days = value
            clock = text[text.index(after: dash)...]
        }
        let parts = clock.split(separator: ":", omittingEmptySubsequences: false).map { Int64($0) }
        guard !parts.isEmpty, parts.count <= 3, parts.allSatisfy({ $0 != nil && $0! >= 0 }), days >= 0, days <= 10_000 else { throw fail() }
        let numbers = parts.map { $0! }
        let seconds: Int64
        if text.contains("-") {
            // D-H, D-H:M, D-H:M:S
            let hours = numbers[0], minutes = numbers.count > 1 ? numbers[1] : 0, secs = numbers.count > 2 ? numbers[2] : 0
            seconds = ((days * 24 + hours) * 60 + minutes) * 60 + secs
        } else {
            switch numbers.count {
            case 1: seconds = numbers[0] * 60
            case 2: seconds = numbers[0] * 60 + numbers[1]
            default: seconds = (numbers[0] * 60 + numbers[1]) * 60 + numbers[2]
            }
        }
        guard seconds > 0 else { throw fail() }
        return seconds
    }
}
