import OSGDomain

/// One node shape of a real fleet: the GPU model (mapped to the domain catalog), GPUs, CPU
/// cores and memory per node, and how many nodes of the source had it.
public struct NodeShape: Hashable, Sendable {
    /// The model as the source names it (e.g. `V100M32`, `G2`).
    public var traceModel: String
    /// The domain catalog model it maps to (``MachineTable/modelMapping``).
    public var model: GPUModel
    public var gpus: Int
    public var cpuCores: Int
    public var memoryGiB: Int
    /// Nodes of the source with this shape (the sampling weight).
    public var nodes: Int
}

/// Reads machine tables into node shapes (docs/SIMULATOR.md, "Fleet"). Three formats, told
/// apart by the header:
///
/// - Alibaba PAI 2020 `pai_machine_spec.csv`: `machine,gpu_type,cap_cpu,cap_mem,cap_gpu`
///   (memory in GB, taken as GiB);
/// - Alibaba GPU 2023 `openb_node_list_gpu_node.csv`: `sn,cpu_milli,memory_mib,gpu,model`;
/// - the derived table bundled as a resource: `trace_model,gpus,cpu_cores,memory_gib,nodes`.
///
/// Rows without GPUs (PAI's `CPU` machines) are skipped; a model missing from
/// ``modelMapping`` is an error naming the file and line.
public enum MachineTable {
    /// Trace GPU model → domain catalog model. `V100M16`/`V100M32` are V100s with 16/32 GB.
    /// The traces hide some models: PAI's `MISC` (8-GPU, 96-core, 512 GB hosts) and the 2023
    /// list's `G2` (8 GPUs, 96 cores, 384 GiB) have the host shape of the V100 servers beside
    /// them and are taken as V100; `G3` (8 GPUs, 128 cores, 768 GiB) has a DGX-A100-class host
    /// and is taken as A100. These three are assumptions, not facts of the traces.
    public static let modelMapping: [String: String] = [
        "P100": "P100", "T4": "T4", "V100": "V100", "V100M16": "V100", "V100M32": "V100", "A10": "A10",
        "MISC": "V100", "G2": "V100", "G3": "A100",
    ]

    /// Parses a machine table into shapes, sorted by (trace model, GPUs, cores, memory).
    ///
    /// - Throws: ``SimDataError`` for an unknown header, a bad number, an unmapped model, or
    ///   no GPU node at all.
    public static func parse(_ text: String, file: String) throws(SimDataError) -> [NodeShape] {
        let lines = CSVLine.lines(text)
        guard let header = lines.first else { throw SimDataError(.empty, file: file, "the file is empty") }
        let names = try CSVLine.fields(header.text, file: file, line: header.number).map { String($0).trimmingCharacters(in: " \u{FEFF}\r") }
        enum Format { case pai, openb, derived }
        let format: Format
        let columns: [String]
        if names.contains("gpu_type") && names.contains("cap_gpu") {
            format = .pai; columns = ["gpu_type", "cap_gpu", "cap_cpu", "cap_mem"]
        } else if names.contains("cpu_milli") && names.contains("memory_mib") {
            format = .openb; columns = ["model", "gpu", "cpu_milli", "memory_mib"]
        } else if names.contains("trace_model") {
            format = .derived; columns = ["trace_model", "gpus", "cpu_cores", "memory_gib", "nodes"]
        } else {
            throw SimDataError(.missingColumn, file: file, line: 1,
                               "unknown header; expected PAI 2020 (machine,gpu_type,cap_cpu,cap_mem,cap_gpu), GPU 2023 (sn,cpu_milli,memory_mib,gpu,model) or trace_model,gpus,cpu_cores,memory_gib,nodes")
        }
        var at: [Int] = []
        for column in columns {
            guard let position = names.firstIndex(of: column) else {
                throw SimDataError(.missingColumn, file: file, line: 1, "the header lacks column `\(column)`")
            }
            at.append(position)
        }
        struct Key: Hashable { var model: String; var gpus: Int; var cpu: Int; var memory: Int }
        var counts: [Key: Int] = [:]
        for (number, line) in lines.dropFirst() where !line.isEmpty {
            let fields = try CSVLine.fields(line, file: file, line: number)
            guard fields.count == names.count else {
                throw SimDataError(.badRow, file: file, line: number, "has \(fields.count) fields, the header has \(names.count)")
            }
            func integer(_ slot: Int) throws(SimDataError) -> Int {
                let text = String(fields[at[slot]]).trimmingCharacters(in: " \r")
                guard let value = Int(text), value >= 0, value < 100_000_000 else {
                    throw SimDataError(.badRow, file: file, line: number, "`\(columns[slot])` is `\(text)`; expected a whole number ≥ 0")
                }
                return value
            }
            let traceModel = String(fields[at[0]]).trimmingCharacters(in: " \r")
            let gpus = try integer(1)
            if gpus == 0 || traceModel == "CPU" { continue }
            guard gpus <= 64 else { throw SimDataError(.badRow, file: file, line: number, "`\(columns[1])` is \(gpus); a node holds at most 64 GPUs") }
            guard modelMapping[traceModel] != nil else {
                throw SimDataError(.badRow, file: file, line: number, "GPU model `\(traceModel)` has no mapping to the catalog (known: \(modelMapping.keys.sorted().joined(separator: ", ")))")
            }
            var cpu = try integer(2)
            var memory = try integer(3)
            switch format {
            case .openb:
                cpu = cpu / 1000
                memory = memory / 1024
            case .pai, .derived: break
            }
            guard cpu >= 1, memory >= 1 else {
                throw SimDataError(.badRow, file: file, line: number, "a GPU node needs at least one core and 1 GiB of memory")
            }
            let nodes = format == .derived ? try integer(4) : 1
            counts[Key(model: traceModel, gpus: gpus, cpu: cpu, memory: memory), default: 0] += nodes
        }
        let shapes = counts.compactMap { key, nodes -> NodeShape? in
            guard nodes > 0 else { return nil }
            return NodeShape(traceModel: key.model, model: GPUModel.named(modelMapping[key.model]!)!, gpus: key.gpus,
                             cpuCores: key.cpu, memoryGiB: key.memory, nodes: nodes)
        }.sorted { ($0.traceModel, $0.gpus, $0.cpuCores, $0.memoryGiB) < ($1.traceModel, $1.gpus, $1.cpuCores, $1.memoryGiB) }
        guard !shapes.isEmpty else { throw SimDataError(.empty, file: file, "holds no GPU node") }
        return shapes
    }

    /// The derived table (the bundled resource's format) of `shapes`.
    public static func derivedCSV(_ shapes: [NodeShape]) -> String {
        "trace_model,gpus,cpu_cores,memory_gib,nodes\n"
            + shapes.map { "\($0.traceModel),\($0.gpus),\($0.cpuCores),\($0.memoryGiB),\($0.nodes)\n" }.joined()
    }

    /// The price per GPU-hour of `model` from a marketplace catalog: the median of its offers;
    /// when the catalog has none, the median of the catalog model nearest in capability rank
    /// (the lower rank on a tie, then the name).
    public static func pricePerGPUHour(_ model: GPUModel, offers: [GPUOffer]) -> Int64 {
        precondition(!offers.isEmpty)
        let same = offers.filter { $0.model == model }
        if !same.isEmpty { return PriceCatalog.medianPricePerGPUHour(same) }
        let nearest = Set(offers.map(\.model)).min {
            (abs($0.rank - model.rank), $0.rank, $0.name) < (abs($1.rank - model.rank), $1.rank, $1.name)
        }!
        return PriceCatalog.medianPricePerGPUHour(offers.filter { $0.model == nearest })
    }
}
