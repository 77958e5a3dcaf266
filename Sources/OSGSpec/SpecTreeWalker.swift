import OSGDomain

/// Walks a composed YAML/JSON tree into a ``JobSpec``, collecting field-level problems
/// (unknown fields, wrong types, wrong units) and remembering where each field is so later
/// problems can point at it.
struct SpecTreeWalker {
    private(set) var problems: [SpecProblem] = []
    private var marks: [String: SpecMark] = [:]
    /// Whether to remember where each field is. Only problems need it: a reader may first walk
    /// without (a valid spec, the common case, costs no path strings and no table of marks)
    /// and walk again with it when there is a problem to locate.
    var recordsMarks = true

    /// Remembers that `field` is at `mark` (when ``recordsMarks``).
    private mutating func record(_ field: @autoclosure () -> String, at mark: SpecMark?) {
        if recordsMarks { marks[field()] = mark }
    }

    /// The location of `field`, or of its nearest enclosing field that was present.
    func mark(for field: String) -> SpecMark? {
        var path = field
        while true {
            if let mark = marks[path] { return mark }
            guard let cut = path.lastIndex(where: { $0 == "." || $0 == "[" }) else { return marks[""] }
            path = String(path[..<cut])
        }
    }

    private mutating func problem(_ code: SpecProblem.Code, _ field: String, _ message: String, at node: SpecNode?) {
        let mark = node?.mark ?? mark(for: field)
        problems.append(SpecProblem(code, field: field, message, line: mark?.line, column: mark?.column))
    }

    // MARK: Mappings

    /// The entries of a mapping node, reporting unknown keys (with a suggestion) against `known`.
    private mutating func fields(of node: SpecNode, at path: String, known: [String]) -> [String: SpecNode]? {
        record(path, at: node.mark)
        guard case .mapping(let mapping) = node else {
            problem(.wrongType, path, "must be a mapping of fields (\(known.joined(separator: ", "))), got \(describe(node))", at: node)
            return nil
        }
        var result: [String: SpecNode] = [:]
        for (keyNode, value) in mapping {
            guard case .scalar(let key) = keyNode else {
                problem(.wrongType, path, "field names must be plain text", at: keyNode)
                continue
            }
            let field = { path.isEmpty ? key.string : "\(path).\(key.string)" }
            guard known.contains(key.string) else {
                var message = "unknown field '\(key.string)';"
                if let guess = Self.closest(to: key.string, in: known) { message += " did you mean '\(guess)'?" }
                message += " known fields here: \(known.joined(separator: ", "))"
                problem(.unknownField, field(), message, at: keyNode)
                continue
            }
            record(field(), at: value.mark ?? keyNode.mark)
            if case .scalar(let scalar) = value, scalar.isNull { continue }
            result[key.string] = value
        }
        return result
    }

    // MARK: The spec

    /// Reads the top-level mapping. Returns a spec whenever the root is a mapping; check
    /// ``problems`` before trusting it.
    mutating func readSpec(_ root: SpecNode) -> JobSpec? {
        let top = ["name", "image", "command", "resources", "nodes", "duration", "max_duration", "max_price",
                   "deadline", "placement", "carbon", "class", "retries", "network", "env", "inputs", "outputs", "secrets"]
        guard let fields = fields(of: root, at: "", known: top) else { return nil }
        let name = require(fields, "name", in: "", at: root).flatMap { string($0, "name") }
        let image = fields["image"].flatMap { string($0, "image") }
        let command = fields["command"].flatMap { strings($0, "command") }
        let resources = require(fields, "resources", in: "", at: root).flatMap { readResources($0) }
        let nodeCount = fields["nodes"].map { integer($0, "nodes", unit: "nodes") } ?? 1
        let durationSeconds = require(fields, "duration", in: "", at: root).flatMap { duration($0, "duration") }
        let maxDurationSeconds = fields["max_duration"].map { duration($0, "max_duration") } ?? durationSeconds
        let maxPrice = require(fields, "max_price", in: "", at: root).flatMap { price($0, "max_price") }
        let deadline = fields["deadline"].flatMap { timestamp($0, "deadline") }
        let placement = fields["placement"].map { readPlacement($0) } ?? Placement()
        let carbon = fields["carbon"].map { readCarbon($0) } ?? CarbonPolicy()
        let jobClass = fields["class"].map { readClass($0) } ?? .standard
        let retries = fields["retries"].map { integer($0, "retries", unit: "runs") } ?? 0
        let network = fields["network"].map { boolean($0, "network") } ?? false
        let env = fields["env"].map { readEnvironment($0) } ?? []
        let inputs = fields["inputs"].map { readInputs($0) } ?? []
        let outputs = fields["outputs"].map { readOutputs($0) } ?? []
        let secrets = fields["secrets"].map { readSecrets($0) } ?? []

        // Fields that failed to read stand in with harmless values so the cross-field rules can
        // still run; `JobSpecReader` drops verdicts that involve a failed field.
        let spec = JobSpec(
            name: name ?? "unnamed", image: image, command: command,
            resources: resources ?? ResourceRequest(gpu: GPURequest(selector: .any, countPerNode: 1)),
            nodeCount: nodeCount ?? 1, durationSeconds: durationSeconds ?? 1,
            maxDurationSeconds: maxDurationSeconds ?? durationSeconds ?? 1,
            maxPricePerGPUHour: maxPrice ?? MicroCredits(1), deadline: deadline,
            placement: placement ?? Placement(), carbon: carbon ?? CarbonPolicy(), jobClass: jobClass ?? .standard,
            retries: retries ?? 0, network: network ?? false, env: env ?? [],
            inputs: inputs ?? [], outputs: outputs ?? [])
        var withSecrets = spec
        if let secrets, !secrets.isEmpty { withSecrets.secrets = secrets }
        return withSecrets
    }

    /// Whether reading `field`, a field inside it or a field around it produced a problem.
    func failed(_ field: String) -> Bool {
        func contains(_ outer: String, _ inner: String) -> Bool {
            inner == outer || inner.hasPrefix(outer + ".") || inner.hasPrefix(outer + "[")
        }
        return problems.contains { !$0.field.isEmpty && (contains(field, $0.field) || contains($0.field, field)) }
    }

    private mutating func require(_ fields: [String: SpecNode], _ key: String, in path: String, at parent: SpecNode) -> SpecNode? {
        if let node = fields[key] { return node }
        let field = path.isEmpty ? key : "\(path).\(key)"
        problem(.missingField, field, "is required", at: parent)
        return nil
    }

    private mutating func readResources(_ node: SpecNode) -> ResourceRequest? {
        guard let fields = fields(of: node, at: "resources", known: ["gpu", "cpu", "memory_gib", "disk_gib"]) else { return nil }
        let gpu = require(fields, "gpu", in: "resources", at: node).flatMap { readGPU($0) }
        let cpu = fields["cpu"].map { integer($0, "resources.cpu", unit: "cores") } ?? 1
        let memory = fields["memory_gib"].map { integer($0, "resources.memory_gib", unit: "GiB") } ?? 1
        let disk = fields["disk_gib"].map { integer($0, "resources.disk_gib", unit: "GiB") } ?? 0
        // Unreadable parts are already reported; placeholders let the other parts be checked.
        return ResourceRequest(
            gpu: gpu ?? GPURequest(selector: .any, countPerNode: 1), cpuCores: cpu ?? 1,
            memoryGiB: memory ?? 1, diskGiB: disk ?? 0)
    }

    private mutating func readGPU(_ node: SpecNode) -> GPURequest? {
        guard let fields = fields(of: node, at: "resources.gpu", known: ["model", "count", "vram_gib"]) else { return nil }
        var selector: GPUSelector? = .any
        if let modelNode = fields["model"], let text = string(modelNode, "resources.gpu.model") {
            selector = GPUSelector(text: text)
            if selector == nil {
                let names = GPUModel.catalog.map(\.name)
                var message = "unknown GPU model or class '\(text)'"
                if let guess = Self.closest(to: text.uppercased(), in: names) { message += "; did you mean '\(guess)'?" }
                message += " Use a model (\(names.joined(separator: ", "))), a class such as A100+ (that model or better), or any"
                problem(.unknownValue, "resources.gpu.model", message, at: modelNode)
            }
        } else if fields["model"] != nil {
            selector = nil
        }
        let count = require(fields, "count", in: "resources.gpu", at: node).flatMap { integer($0, "resources.gpu.count", unit: "GPUs") }
        let vram = fields["vram_gib"].flatMap { integer($0, "resources.gpu.vram_gib", unit: "GiB") }
        guard let count else { return nil }
        // An unreadable model is already reported; `any` stands in so the count is still checked.
        return GPURequest(selector: selector ?? .any, countPerNode: count, minVRAMGiB: vram)
    }

    private mutating func readPlacement(_ node: SpecNode) -> Placement? {
        guard let fields = fields(of: node, at: "placement", known: ["regions", "jurisdictions", "exclude_operators"]) else { return nil }
        let regions = fields["regions"].map { strings($0, "placement.regions") } ?? []
        let jurisdictions = fields["jurisdictions"].map { strings($0, "placement.jurisdictions") } ?? []
        let excluded = fields["exclude_operators"].map { strings($0, "placement.exclude_operators") } ?? []
        guard let regions, let jurisdictions, let excluded else { return nil }
        return Placement(regions: regions, jurisdictions: jurisdictions, excludedOperators: excluded)
    }

    private mutating func readCarbon(_ node: SpecNode) -> CarbonPolicy? {
        guard let fields = fields(of: node, at: "carbon", known: ["max_gco2_per_kwh", "shift"]) else { return nil }
        let cap = fields["max_gco2_per_kwh"].flatMap { integer($0, "carbon.max_gco2_per_kwh", unit: "gCO2/kWh") }
        let shift = fields["shift"].map { boolean($0, "carbon.shift") } ?? false
        guard let shift else { return nil }
        return CarbonPolicy(maxGCO2PerKWh: cap, shift: shift)
    }

    /// `env:`, a mapping of variable names to text; numbers and booleans are taken as written.
    private mutating func readEnvironment(_ node: SpecNode) -> [EnvironmentVariable]? {
        record("env", at: node.mark)
        guard case .mapping(let mapping) = node else {
            problem(.wrongType, "env", "must be a mapping of variable names to values, such as {HF_HOME: /work/hf}, got \(describe(node))", at: node)
            return nil
        }
        var variables: [EnvironmentVariable] = []
        var ok = true
        for (keyNode, value) in mapping {
            guard case .scalar(let key) = keyNode else {
                problem(.wrongType, "env", "variable names must be plain text", at: keyNode)
                ok = false
                continue
            }
            let field = "env.\(key.string)"
            record(field, at: value.mark ?? keyNode.mark)
            guard case .scalar(let scalar) = value, !scalar.isNull else {
                problem(.wrongType, field, "must be a value (text or a number); write \"\" for an empty one", at: value)
                ok = false
                continue
            }
            variables.append(EnvironmentVariable(name: key.string, value: scalar.string))
        }
        return ok ? variables : nil
    }

    /// The items of a list of mappings at `field`, each with its path (`inputs[0]`).
    private mutating func items(_ node: SpecNode, _ field: String, example: String) -> [(SpecNode, String)]? {
        record(field, at: node.mark)
        guard case .sequence(let sequence) = node else {
            problem(.wrongType, field, "must be a list of mappings such as \(example), got \(describe(node))", at: node)
            return nil
        }
        return sequence.enumerated().map { ($1, "\(field)[\($0)]") }
    }

    /// `inputs:`, a list of `{path, sha256, size, url?}`.
    private mutating func readInputs(_ node: SpecNode) -> [JobInput]? {
        guard let items = items(node, "inputs", example: "[{path: data/train.bin, sha256: <64 hex digits>, size: 1048576}]") else { return nil }
        var inputs: [JobInput] = []
        var ok = true
        for (item, field) in items {
            guard let fields = fields(of: item, at: field, known: ["path", "sha256", "size", "url"]) else { ok = false; continue }
            let path = require(fields, "path", in: field, at: item).flatMap { string($0, "\(field).path") }
            var digest = require(fields, "sha256", in: field, at: item).flatMap { string($0, "\(field).sha256") }
            if let text = digest, text.hasPrefix("sha256:") { digest = String(text.dropFirst("sha256:".count)) }
            let size = require(fields, "size", in: field, at: item).flatMap { integer($0, "\(field).size", unit: "bytes") }
            let url = fields["url"].flatMap { string($0, "\(field).url") }
            guard let path, let digest, let size, fields["url"] == nil || url != nil else { ok = false; continue }
            inputs.append(JobInput(path: path, sha256: digest, size: Int64(size), url: url))
        }
        return ok ? inputs : nil
    }

    /// `secrets:`, a list of `{name, sealed}` (`osg submit --secret NAME=@FILE` writes them).
    private mutating func readSecrets(_ node: SpecNode) -> [JobSecret]? {
        guard let items = items(node, "secrets", example: "[{name: HF_TOKEN, sealed: <64 hex digits>}] (osg submit --secret NAME=@FILE)") else { return nil }
        var secrets: [JobSecret] = []
        var ok = true
        for (item, field) in items {
            guard let fields = fields(of: item, at: field, known: ["name", "sealed"]) else { ok = false; continue }
            let name = require(fields, "name", in: field, at: item).flatMap { string($0, "\(field).name") }
            let sealed = require(fields, "sealed", in: field, at: item).flatMap { string($0, "\(field).sealed") }
            guard let name, let sealed else { ok = false; continue }
            secrets.append(JobSecret(name: name, sealed: sealed))
        }
        return ok ? secrets : nil
    }

    /// `outputs:`, a list of `{path, max_mib}`.
    private mutating func readOutputs(_ node: SpecNode) -> [JobOutput]? {
        guard let items = items(node, "outputs", example: "[{path: results, max_mib: 1024}]") else { return nil }
        var outputs: [JobOutput] = []
        var ok = true
        for (item, field) in items {
            guard let fields = fields(of: item, at: field, known: ["path", "max_mib"]) else { ok = false; continue }
            let path = require(fields, "path", in: field, at: item).flatMap { string($0, "\(field).path") }
            let cap = require(fields, "max_mib", in: field, at: item).flatMap { integer($0, "\(field).max_mib", unit: "MiB") }
            guard let path, let cap else { ok = false; continue }
            let (bytes, overflow) = Int64(cap).multipliedReportingOverflow(by: 1 << 20)
            outputs.append(JobOutput(path: path, maxBytes: overflow ? Int64.max : bytes))
        }
        return ok ? outputs : nil
    }

    private mutating func readClass(_ node: SpecNode) -> JobClass? {
        guard let text = string(node, "class") else { return nil }
        if let jobClass = JobClass(rawValue: text) { return jobClass }
        let names = JobClass.allCases.map(\.rawValue)
        var message = "unknown class '\(text)'; use one of \(names.joined(separator: ", "))"
        if let guess = Self.closest(to: text, in: names) { message += " (did you mean '\(guess)'?)" }
        problem(.unknownValue, "class", message, at: node)
        return nil
    }

    // MARK: Scalars

    private mutating func string(_ node: SpecNode, _ field: String) -> String? {
        guard case .scalar(let scalar) = node else {
            problem(.wrongType, field, "must be text, got \(describe(node))", at: node)
            return nil
        }
        return scalar.string
    }

    private mutating func strings(_ node: SpecNode, _ field: String) -> [String]? {
        record(field, at: node.mark)
        guard case .sequence(let sequence) = node else {
            problem(.wrongType, field, "must be a list such as [a, b], got \(describe(node))", at: node)
            return nil
        }
        var result: [String] = []
        var ok = true
        for (index, item) in sequence.enumerated() {
            let itemField = "\(field)[\(index)]"
            record(itemField, at: item.mark)
            if let text = string(item, itemField) { result.append(text) } else { ok = false }
        }
        return ok ? result : nil
    }

    private mutating func integer(_ node: SpecNode, _ field: String, unit: String) -> Int? {
        guard case .scalar(let scalar) = node else {
            problem(.wrongType, field, "must be a whole number of \(unit), got \(describe(node))", at: node)
            return nil
        }
        let text = scalar.string
        if scalar.isPlain, let value = Int(text) { return value }
        let digits = text.prefix { $0.isNumber || $0 == "." || $0 == "-" }
        if !digits.isEmpty, digits.count < text.count, Double(digits) != nil {
            let suffix = text.dropFirst(digits.count).trimmingASCIIWhitespace()
            problem(.wrongUnit, field, "takes a plain number of \(unit), got '\(text)'; drop the unit '\(suffix)' (the unit is \(unit))", at: node)
        } else if !scalar.isPlain, Int(text) != nil {
            problem(.wrongType, field, "must be a number, got the text \"\(text)\"; write it without quotes", at: node)
        } else if Double(text) != nil {
            problem(.wrongType, field, "must be a whole number of \(unit), got \(text)", at: node)
        } else {
            problem(.wrongType, field, "must be a whole number of \(unit), got '\(text)'", at: node)
        }
        return nil
    }

    private mutating func boolean(_ node: SpecNode, _ field: String) -> Bool? {
        if case .scalar(let scalar) = node, scalar.isPlain {
            switch scalar.string {
            case "true", "True", "TRUE": return true
            case "false", "False", "FALSE": return false
            default: break
            }
        }
        problem(.wrongType, field, "must be true or false, got \(describe(node))", at: node)
        return nil
    }

    private mutating func duration(_ node: SpecNode, _ field: String) -> Int64? {
        guard let text = string(node, field) else { return nil }
        do {
            return try DurationText.seconds(text)
        } catch {
            let code: SpecProblem.Code = switch error {
            case .missingUnit, .unknownUnit: .wrongUnit
            default: .invalidFormat
            }
            problem(code, field, error.description, at: node)
            return nil
        }
    }

    private mutating func price(_ node: SpecNode, _ field: String) -> MicroCredits? {
        guard let text = string(node, field) else { return nil }
        if text.hasPrefix("-") {
            problem(.outOfRange, field, "must be more than 0 credits per GPU-hour, got \(text)", at: node)
            return nil
        }
        do {
            return try MicroCredits(decimal: text)
        } catch {
            problem(.invalidFormat, field, "\(error.description) (credits per GPU-hour)", at: node)
            return nil
        }
    }

    private mutating func timestamp(_ node: SpecNode, _ field: String) -> Timestamp? {
        guard let text = string(node, field) else { return nil }
        if let time = Timestamp(rfc3339: text) { return time }
        problem(.invalidFormat, field, "'\(text)' is not an RFC 3339 time such as 2026-12-01T00:00:00Z", at: node)
        return nil
    }

    private func describe(_ node: SpecNode) -> String {
        switch node {
        case .scalar(let scalar): "'\(scalar.string)'"
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        }
    }

    // MARK: Suggestions

    /// The known name closest to `word` by edit distance, if it is close enough to be a typo.
    static func closest(to word: String, in names: [String]) -> String? {
        let scored = names.map { ($0, editDistance(word.lowercased(), $0.lowercased())) }
        guard let best = scored.min(by: { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }) else { return nil }
        return best.1 <= max(2, word.count / 3) ? best.0 : nil
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
