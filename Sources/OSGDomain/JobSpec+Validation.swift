extension JobSpec {
    /// Published limits on a spec's fields (openapi.json, docs/API.md "Input bounds").
    ///
    /// Together they keep a job's largest budget within 64 bits: ``maxPricePerGPUHour`` ×
    /// ``maxGPUsPerNode`` × ``maxNodes`` × ``maxDurationSeconds`` ÷ 3600 is 1.4 × 10^18
    /// micro-credits, under `Int64.max` (≈ 9.22 × 10^18), so ``JobSpec/maxCost`` of a valid spec
    /// never overflows.
    public enum Limits {
        /// Most GPUs one node can offer a job.
        public static let maxGPUsPerNode = 64
        /// Most nodes in one gang.
        public static let maxNodes = 1024
        /// Longest run a spec may ask for (90 days), in seconds.
        public static let maxDurationSeconds: Int64 = 90 * 86_400
        /// Highest price a spec may state per GPU-hour (10,000 credits).
        public static let maxPricePerGPUHour = MicroCredits(10_000 * MicroCredits.perCredit)
        /// Highest carbon cap that means anything (gCO2-eq/kWh).
        public static let maxCarbonGCO2PerKWh = 2_000
        /// Most CPU cores a spec may ask for per node.
        public static let maxCPUCores = 4_096
        /// Most memory a spec may ask for per node, GiB.
        public static let maxMemoryGiB = 65_536
        /// Most local disk a spec may ask for per node, GiB.
        public static let maxDiskGiB = 1_048_576
        /// Most runs after a failed one (`retries`).
        public static let maxRetries = 10
        /// Most files in `inputs`.
        public static let maxInputs = 64
        /// Most entries in `outputs`.
        public static let maxOutputs = 16
        /// Largest input, and largest cap of an output (1 TiB), in bytes.
        public static let maxDataBytes: Int64 = 1 << 40
        /// Longest input URL, in bytes.
        public static let maxURLBytes = 2_048
        /// Most secrets of one job.
        public static let maxSecrets = 32
        /// Most environment variables in `env`.
        public static let maxEnvironmentVariables = 128
        /// Most bytes of one environment variable's value.
        public static let maxEnvironmentValueBytes = 4_096
    }

    /// Every rule the spec breaks, given the current time (for deadlines); empty when valid.
    ///
    /// Field-level checks (types, units, unknown fields) happen while reading the text; these
    /// are the rules on values and between fields, so an API that builds a spec in code gets
    /// the same verdicts as a user with a YAML file.
    public func problems(now: Timestamp) -> [SpecProblem] {
        var problems: [SpecProblem] = []
        func add(_ code: SpecProblem.Code, _ field: String, _ message: String) {
            problems.append(SpecProblem(code, field: field, message))
        }
        if !Self.isValidName(name) {
            add(.invalidFormat, "name", "'\(name)' is not a valid job name: use 1-63 characters a-z, 0-9 and '-', starting and ending with a letter or digit")
        }
        if contents != nil {
            problems += committedProblems()
        } else if image == nil && command == nil {
            add(.missingField, "image", "a job needs `image:` (a container) or `command:` (a sandboxed process)")
        }
        if let image, image.isEmpty || image.contains(where: { $0 == " " || $0 == "\t" || $0 == "\n" }) {
            add(.invalidFormat, "image", "'\(image)' is not an image reference such as ghcr.io/org/trainer:1.2")
        }
        if let command, command.isEmpty {
            add(.outOfRange, "command", "must list at least the program to run, e.g. [\"python\", \"train.py\"]")
        }
        let gpu = resources.gpu
        if gpu.countPerNode < 1 || gpu.countPerNode > Limits.maxGPUsPerNode {
            add(.outOfRange, "resources.gpu.count", "must be between 1 and \(Limits.maxGPUsPerNode), got \(gpu.countPerNode)")
        }
        if let vram = gpu.minVRAMGiB {
            let ceiling: Int
            switch gpu.selector {
            case .exactly(let model): ceiling = model.maxVRAMGiB
            case .any, .atLeast: ceiling = GPUModel.catalog.map(\.maxVRAMGiB).max() ?? 0
            }
            if vram < 1 || vram > ceiling {
                let what = if case .exactly(let model) = gpu.selector { "\(model.name) has at most \(ceiling) GiB" } else { "no catalogued GPU has more than \(ceiling) GiB" }
                add(.outOfRange, "resources.gpu.vram_gib", "must be between 1 and \(ceiling), got \(vram) (\(what))")
            }
        }
        if resources.cpuCores < 1 || resources.cpuCores > Limits.maxCPUCores {
            add(.outOfRange, "resources.cpu", "must be between 1 and \(Limits.maxCPUCores) cores, got \(resources.cpuCores)")
        }
        if resources.memoryGiB < 1 || resources.memoryGiB > Limits.maxMemoryGiB {
            add(.outOfRange, "resources.memory_gib", "must be between 1 and \(Limits.maxMemoryGiB) GiB, got \(resources.memoryGiB)")
        }
        if resources.diskGiB < 0 || resources.diskGiB > Limits.maxDiskGiB {
            add(.outOfRange, "resources.disk_gib", "must be between 0 and \(Limits.maxDiskGiB) GiB, got \(resources.diskGiB)")
        }
        if let retries, retries < 1 || retries > Limits.maxRetries {
            add(.outOfRange, "retries", "must be between 0 and \(Limits.maxRetries), got \(retries)")
        }
        if nodeCount < 1 || nodeCount > Limits.maxNodes {
            add(.outOfRange, "nodes", "must be between 1 and \(Limits.maxNodes), got \(nodeCount)")
        }
        if durationSeconds <= 0 || durationSeconds > Limits.maxDurationSeconds {
            add(.outOfRange, "duration", "must be more than 0s and at most 90d, got \(DurationText.format(seconds: durationSeconds))")
        }
        if maxDurationSeconds > Limits.maxDurationSeconds {
            add(.outOfRange, "max_duration", "must be at most 90d, got \(DurationText.format(seconds: maxDurationSeconds))")
        } else if maxDurationSeconds < durationSeconds {
            add(.inconsistent, "max_duration", "\(DurationText.format(seconds: maxDurationSeconds)) is shorter than duration \(DurationText.format(seconds: durationSeconds)); max_duration is the hard limit and must be at least the expected duration")
        }
        if maxPricePerGPUHour.rawValue <= 0 || maxPricePerGPUHour > Limits.maxPricePerGPUHour {
            add(.outOfRange, "max_price", "must be more than 0 and at most \(Limits.maxPricePerGPUHour) credits per GPU-hour, got \(maxPricePerGPUHour)")
        }
        if let deadline {
            if deadline <= now {
                add(.inThePast, "deadline", "\(deadline) is not in the future (now is \(now))")
            } else if now.adding(seconds: durationSeconds) > deadline {
                add(.inconsistent, "deadline", "\(deadline) is too soon: a \(DurationText.format(seconds: durationSeconds)) job started now would finish at \(now.adding(seconds: durationSeconds))")
            }
        }
        for (index, region) in placement.regions.enumerated() where !Self.isValidRegion(region) {
            add(.invalidFormat, "placement.regions[\(index)]", "'\(region)' is not a region name: use lower-case letters, digits and '-', e.g. eu or us-west")
        }
        for (index, code) in placement.jurisdictions.enumerated() where !Self.isValidJurisdiction(code) {
            add(.invalidFormat, "placement.jurisdictions[\(index)]", "'\(code)' is not an ISO 3166-1 alpha-2 country code such as DE or FR")
        }
        for (index, op) in placement.excludedOperators.enumerated() where op.isEmpty {
            add(.invalidFormat, "placement.exclude_operators[\(index)]", "operator id is empty")
        }
        if let cap = carbon.maxGCO2PerKWh, cap < 1 || cap > Limits.maxCarbonGCO2PerKWh {
            add(.outOfRange, "carbon.max_gco2_per_kwh", "must be between 1 and \(Limits.maxCarbonGCO2PerKWh) gCO2/kWh, got \(cap)")
        }
        problems += environmentProblems()
        problems += dataProblems()
        if carbon.shift && deadline == nil {
            add(.inconsistent, "carbon.shift", "shifting for cleaner power needs a `deadline:` to bound the wait")
        }
        return problems
    }

    private func environmentProblems() -> [SpecProblem] {
        var problems: [SpecProblem] = []
        let variables = environment
        if variables.count > Limits.maxEnvironmentVariables {
            problems.append(SpecProblem(.outOfRange, field: "env", "sets \(variables.count) variables; at most \(Limits.maxEnvironmentVariables)"))
        }
        var seen = Set<String>()
        for variable in variables {
            let field = "env.\(variable.name)"
            if !Self.isValidEnvironmentName(variable.name) {
                problems.append(SpecProblem(.invalidFormat, field: field, "'\(variable.name)' is not a variable name: use letters, digits and '_', not starting with a digit"))
            } else if variable.name.hasPrefix("OSG_") {
                problems.append(SpecProblem(.invalidFormat, field: field, "names starting with OSG_ are set by the agent (OSG_LEASE_ID, OSG_RANK, ...); choose another name"))
            }
            if !seen.insert(variable.name).inserted {
                problems.append(SpecProblem(.duplicateField, field: field, "is set more than once"))
            }
            if variable.value.utf8.count > Limits.maxEnvironmentValueBytes || variable.value.utf8.contains(0) {
                problems.append(SpecProblem(.outOfRange, field: field, "the value must be at most \(Limits.maxEnvironmentValueBytes) bytes with no NUL byte"))
            }
        }
        return problems
    }

    /// The rules of a public spec whose contents are committed: nothing private left in it.
    private func committedProblems() -> [SpecProblem] {
        var problems: [SpecProblem] = []
        if let contents, !JobDataPath.isDigest(contents) {
            problems.append(SpecProblem(.invalidFormat, field: "contents", "must be a SHA-256 commitment: 64 lower-case hex digits"))
        }
        if image != nil || command != nil || env != nil || secrets != nil
            || (inputs ?? []).contains(where: { !$0.path.isEmpty || $0.url != nil }) || (outputs ?? []).contains(where: { !$0.path.isEmpty }) {
            problems.append(SpecProblem(.inconsistent, field: "contents", "a spec with committed contents carries no image, command, env, secrets, data paths or URLs"))
        }
        return problems
    }

    private func dataProblems() -> [SpecProblem] {
        var problems: [SpecProblem] = []
        func add(_ code: SpecProblem.Code, _ field: String, _ message: String) {
            problems.append(SpecProblem(code, field: field, message))
        }
        let inputs = self.inputs ?? [], outputs = self.outputs ?? []
        // Committed contents: the paths are in them (checked before the split), not here.
        let committed = contents != nil
        if inputs.count > Limits.maxInputs { add(.outOfRange, "inputs", "lists \(inputs.count) files; at most \(Limits.maxInputs)") }
        if outputs.count > Limits.maxOutputs { add(.outOfRange, "outputs", "lists \(outputs.count) paths; at most \(Limits.maxOutputs)") }
        var paths = Set<String>()
        for (index, input) in inputs.enumerated() {
            let field = "inputs[\(index)]"
            if committed {
                // Paths and URLs are private: checked before the commitment was made.
            } else if !JobDataPath.isValid(input.path) || input.path.hasSuffix("/") {
                add(.invalidFormat, "\(field).path", "'\(input.path)' is not a path inside the work directory: relative, no '..', '.' or empty parts, at most 255 bytes")
            } else if !paths.insert(input.path).inserted {
                add(.duplicateField, "\(field).path", "'\(input.path)' is listed twice")
            } else if let other = inputs.first(where: { $0.path.hasPrefix(input.path + "/") }) {
                add(.inconsistent, "\(field).path", "'\(input.path)' is a file, so '\(other.path)' cannot be inside it")
            }
            if !JobDataPath.isDigest(input.sha256) {
                add(.invalidFormat, "\(field).sha256", "must be a SHA-256 digest: 64 lower-case hex digits (osg blobs put FILE prints it)")
            }
            if input.size < 0 || input.size > Limits.maxDataBytes {
                add(.outOfRange, "\(field).size", "must be between 0 and \(Limits.maxDataBytes) bytes, got \(input.size)")
            }
            if !committed, let url = input.url {
                let lower = url.lowercased()
                if !(lower.hasPrefix("https://") || lower.hasPrefix("http://")) || url.utf8.count > Limits.maxURLBytes
                    || url.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) {
                    add(.invalidFormat, "\(field).url", "must be an http:// or https:// URL of at most \(Limits.maxURLBytes) bytes without spaces")
                }
            }
        }
        var secretNames = Set<String>()
        for (index, secret) in (secrets ?? []).enumerated() {
            let field = "secrets[\(index)]"
            if !Self.isValidEnvironmentName(secret.name) || secret.name.hasPrefix("OSG_") {
                add(.invalidFormat, "\(field).name", "'\(secret.name)' is not a variable-style name (letters, digits, '_'; not OSG_…)")
            } else if !secretNames.insert(secret.name).inserted || (env ?? []).contains(where: { $0.name == secret.name }) {
                add(.duplicateField, "\(field).name", "'\(secret.name)' is named twice (secrets and env share the names)")
            }
            if !JobDataPath.isDigest(secret.sealed) {
                add(.invalidFormat, "\(field).sealed", "must be the SHA-256 of the sealed secret's blob")
            }
        }
        if (secrets ?? []).count > Limits.maxSecrets { add(.outOfRange, "secrets", "at most \(Limits.maxSecrets) secrets") }
        var outputPaths = Set<String>()
        for (index, output) in outputs.enumerated() {
            let field = "outputs[\(index)]"
            if committed {
                // As for inputs.
            } else if !JobDataPath.isValid(output.path) {
                add(.invalidFormat, "\(field).path", "'\(output.path)' is not a path inside the work directory: relative, no '..', '.' or empty parts, at most 255 bytes")
            } else if !outputPaths.insert(output.path).inserted {
                add(.duplicateField, "\(field).path", "'\(output.path)' is listed twice")
            }
            if output.maxBytes < 1 || output.maxBytes > Limits.maxDataBytes {
                add(.outOfRange, "\(field).max_mib", "must be between 1 MiB and 1 TiB")
            }
        }
        return problems
    }

    /// Whether `name` is a portable environment variable name (`[A-Za-z_][A-Za-z0-9_]*`, at
    /// most 255 bytes).
    public static func isValidEnvironmentName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...255).contains(bytes.count) else { return false }
        func letter(_ byte: UInt8) -> Bool { (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || byte == UInt8(ascii: "_") }
        return letter(bytes[0]) && bytes.allSatisfy { letter($0) || (0x30...0x39).contains($0) }
    }

    static func isValidName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...63).contains(bytes.count) else { return false }
        func alphanumeric(_ byte: UInt8) -> Bool { (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte) }
        return alphanumeric(bytes[0]) && alphanumeric(bytes[bytes.count - 1])
            && bytes.allSatisfy { alphanumeric($0) || $0 == UInt8(ascii: "-") }
    }

    /// Whether `region` is a region-like name (regions, pools): 1–63 characters of lower-case
    /// letters, digits and '-'.
    public static func isValidRegion(_ region: String) -> Bool {
        !region.isEmpty && region.utf8.count <= 63
            && region.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == UInt8(ascii: "-") }
    }

    /// Whether `code` is an ISO 3166-1 alpha-2 country code in upper case (`DE`).
    public static func isValidJurisdiction(_ code: String) -> Bool {
        code.utf8.count == 2 && code.utf8.allSatisfy { (0x41...0x5A).contains($0) }
    }
}
