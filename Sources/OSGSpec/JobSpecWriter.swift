import OSGDomain

/// Writes a ``JobSpec`` as YAML text that ``JobSpecReader`` reads back to the same spec.
///
/// The layout is fixed (the fields in DESIGN.md §3's order, defaults left out), so the same
/// spec always gives the same bytes: `osg import` prints it, and the export formats carry the
/// market terms that Slurm and Kubernetes cannot express in it.
public enum JobSpecWriter {
    /// The whole spec as a YAML document.
    public static func yaml(_ spec: JobSpec) -> String {
        var lines = ["name: \(spec.name)"]
        if let image = spec.image { lines.append("image: \(quoted(image))") }
        if let command = spec.command { lines.append("command: \(list(command))") }
        if let env = spec.env {
            lines.append("env:")
            lines += env.map { "  \($0.name): \(quoted($0.value))" }
        }
        if let inputs = spec.inputs {
            lines.append("inputs:")
            lines += inputs.map { input in
                "  - { path: \(quoted(input.path)), sha256: \(input.sha256), size: \(input.size)\(input.url.map { ", url: \(quoted($0))" } ?? "") }"
            }
        }
        if let secrets = spec.secrets {
            lines.append("secrets:")
            lines += secrets.map { "  - { name: \($0.name), sealed: \($0.sealed) }" }
        }
        if let outputs = spec.outputs {
            lines.append("outputs:")
            lines += outputs.map { "  - { path: \(quoted($0.path)), max_mib: \(($0.maxBytes + (1 << 20) - 1) >> 20) }" }
        }
        lines.append("resources:")
        lines.append("  gpu: \(gpu(spec.resources.gpu))")
        lines.append("  cpu: \(spec.resources.cpuCores)")
        lines.append("  memory_gib: \(spec.resources.memoryGiB)")
        if spec.resources.diskGiB != 0 { lines.append("  disk_gib: \(spec.resources.diskGiB)") }
        if spec.nodeCount != 1 { lines.append("nodes: \(spec.nodeCount)") }
        lines += marketTerms(spec, carriedElsewhere: ["gpu_model", "vram_gib"])
        return lines.joined(separator: "\n") + "\n"
    }

    /// The whole spec as one line of JSON (the spec's JSON form: `max_price` as text, so no
    /// reader takes it for a binary fraction).
    public static func json(_ spec: JobSpec) -> String {
        var fields = ["\"name\":\(quoted(spec.name))"]
        if let image = spec.image { fields.append("\"image\":\(quoted(image))") }
        if let command = spec.command { fields.append("\"command\":[\(command.map(quoted).joined(separator: ","))]") }
        if let env = spec.env {
            fields.append("\"env\":{\(env.map { "\(quoted($0.name)):\(quoted($0.value))" }.joined(separator: ","))}")
        }
        if let inputs = spec.inputs {
            let items = inputs.map { input in
                "{\"path\":\(quoted(input.path)),\"sha256\":\"\(input.sha256)\",\"size\":\(input.size)\(input.url.map { ",\"url\":\(quoted($0))" } ?? "")}"
            }
            fields.append("\"inputs\":[\(items.joined(separator: ","))]")
        }
        if let secrets = spec.secrets {
            fields.append("\"secrets\":[\(secrets.map { "{\"name\":\(quoted($0.name)),\"sealed\":\"\($0.sealed)\"}" }.joined(separator: ","))]")
        }
        if let outputs = spec.outputs {
            let items = outputs.map { "{\"path\":\(quoted($0.path)),\"max_mib\":\(($0.maxBytes + (1 << 20) - 1) >> 20)}" }
            fields.append("\"outputs\":[\(items.joined(separator: ","))]")
        }
        let resources = spec.resources
        var gpu = ["\"model\":\(quoted(resources.gpu.selector.description))", "\"count\":\(resources.gpu.countPerNode)"]
        if let vram = resources.gpu.minVRAMGiB { gpu.append("\"vram_gib\":\(vram)") }
        fields.append("\"resources\":{\"gpu\":{\(gpu.joined(separator: ","))},\"cpu\":\(resources.cpuCores),\"memory_gib\":\(resources.memoryGiB),\"disk_gib\":\(resources.diskGiB)}")
        fields.append("\"nodes\":\(spec.nodeCount)")
        fields.append("\"duration\":\(quoted(DurationText.format(seconds: spec.durationSeconds)))")
        fields.append("\"max_duration\":\(quoted(DurationText.format(seconds: spec.maxDurationSeconds)))")
        fields.append("\"max_price\":\(quoted(spec.maxPricePerGPUHour.description))")
        if let deadline = spec.deadline { fields.append("\"deadline\":\(quoted(deadline.description))") }
        let placement = spec.placement
        fields.append("\"placement\":{\"regions\":[\(placement.regions.map(quoted).joined(separator: ","))],\"jurisdictions\":[\(placement.jurisdictions.map(quoted).joined(separator: ","))],\"exclude_operators\":[\(placement.excludedOperators.map(quoted).joined(separator: ","))]}")
        var carbon = ["\"shift\":\(spec.carbon.shift)"]
        if let cap = spec.carbon.maxGCO2PerKWh { carbon.insert("\"max_gco2_per_kwh\":\(cap)", at: 0) }
        fields.append("\"carbon\":{\(carbon.joined(separator: ","))}")
        fields.append("\"class\":\(quoted(spec.jobClass.rawValue))")
        fields.append("\"retries\":\(spec.retryLimit)")
        fields.append("\"network\":\(spec.allowsNetwork)")
        return "{" + fields.joined(separator: ",") + "}"
    }

    /// What a spec says beyond a batch system's own directives, one YAML line each: the market
    /// terms (`max_price`, `deadline`, `placement`, `carbon`, `class`, `retries`, `network`),
    /// `duration` and `max_duration`, and the GPU model and memory floor — minus the keys in
    /// `carriedElsewhere`, which the export format states itself. ``MarketTerms`` reads them back.
    public static func marketTerms(_ spec: JobSpec, carriedElsewhere: Set<String>) -> [String] {
        var lines: [String] = []
        func add(_ key: String, _ value: String) {
            if !carriedElsewhere.contains(key) { lines.append("\(key): \(value)") }
        }
        add("gpu_model", spec.resources.gpu.selector.description)
        if let vram = spec.resources.gpu.minVRAMGiB { add("vram_gib", "\(vram)") }
        add("duration", DurationText.format(seconds: spec.durationSeconds))
        if spec.maxDurationSeconds != spec.durationSeconds {
            add("max_duration", DurationText.format(seconds: spec.maxDurationSeconds))
        }
        add("max_price", spec.maxPricePerGPUHour.description)
        if let deadline = spec.deadline { add("deadline", deadline.description) }
        let placement = spec.placement
        var placementParts: [String] = []
        if !placement.regions.isEmpty { placementParts.append("regions: \(list(placement.regions))") }
        if !placement.jurisdictions.isEmpty { placementParts.append("jurisdictions: \(list(placement.jurisdictions))") }
        if !placement.excludedOperators.isEmpty { placementParts.append("exclude_operators: \(list(placement.excludedOperators))") }
        if !placementParts.isEmpty { add("placement", "{ \(placementParts.joined(separator: ", ")) }") }
        var carbonParts: [String] = []
        if let cap = spec.carbon.maxGCO2PerKWh { carbonParts.append("max_gco2_per_kwh: \(cap)") }
        if spec.carbon.shift { carbonParts.append("shift: true") }
        if !carbonParts.isEmpty { add("carbon", "{ \(carbonParts.joined(separator: ", ")) }") }
        if spec.jobClass != .standard { add("class", spec.jobClass.rawValue) }
        if let retries = spec.retries { add("retries", "\(retries)") }
        if spec.allowsNetwork { add("network", "true") }
        return lines
    }

    /// `resources.gpu` as a flow mapping.
    private static func gpu(_ gpu: GPURequest) -> String {
        var parts = ["model: \(gpu.selector.description)", "count: \(gpu.countPerNode)"]
        if let vram = gpu.minVRAMGiB { parts.append("vram_gib: \(vram)") }
        return "{ \(parts.joined(separator: ", ")) }"
    }

    /// A YAML flow list of quoted strings.
    static func list(_ items: [String]) -> String {
        "[" + items.map(quoted).joined(separator: ", ") + "]"
    }

    /// `text` as a YAML double-quoted scalar (JSON string syntax, which YAML 1.2 reads).
    public static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case "\r": result += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16, uppercase: true)
                    result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}
