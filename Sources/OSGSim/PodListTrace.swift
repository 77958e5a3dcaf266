/// One pod of an Alibaba GPU 2023 pod list (`openb_pod_list_*.csv`), as the simulator reads it.
///
/// Column mapping (docs/SIMULATOR.md, "Trace columns"):
/// - submit time ← `creation_time` (seconds from the trace's start);
/// - GPUs ← `num_gpu`; a GPU-sharing pod (`num_gpu` 0, `gpu_milli` > 0) needs 1 whole GPU,
///   since the market sells whole GPUs; a pod with neither is CPU-only and skipped;
/// - duration ← `deletion_time − scheduled_time`; a pod never scheduled (`pod_phase`
///   `Pending`, empty `scheduled_time`) never ran and is skipped;
/// - user ← none in this format: users are assigned by the seeded rule of ``WorkloadBuilder``;
/// - status ← `pod_phase` (`Running`, `Succeeded`, `Failed`): kept for the statistics, every
///   scheduled pod counts as a job (a failed pod used its GPUs until it failed);
/// - flexibility ← `qos`: `BE` (best effort) pods are flexible batch work, the others
///   (`LS`, `Burstable`, `Guaranteed`) are not.
public struct TracePod: Hashable, Sendable {
    /// `creation_time`, seconds from the trace's start.
    public var creationSeconds: Int64
    /// Whole GPUs needed (1 for a sharing pod).
    public var gpus: Int
    /// `gpu_milli` as given (1000 = one whole GPU).
    public var gpuMilli: Int
    /// Whether the pod asked for whole GPUs (`num_gpu` ≥ 1).
    public var wholeGPUs: Bool
    /// `deletion_time − scheduled_time`, uncapped.
    public var runSeconds: Int64
    /// `qos`.
    public var qos: String
    /// `pod_phase`.
    public var phase: String
    /// `cpu_milli`.
    public var cpuMilli: Int
    /// Line in the file (1-based), for messages.
    public var line: Int
    /// `memory_mib` (0 when the file has no such column).
    public var memoryMiB: Int = 0
    /// `name`, the pod's name (the Slurm replay's tie-break between pods created in one second).
    public var name: String = ""

    /// CPU cores asked: `ceil(cpu_milli / 1000)`.
    public var cores: Int { (cpuMilli + 999) / 1000 }
    /// Memory asked in GiB: `ceil(memory_mib / 1024)`.
    public var memoryGiB: Int { (memoryMiB + 1023) / 1024 }
}

/// Reads pod lists of the Alibaba GPU 2023 trace (Weng et al., ATC'23).
public enum PodListTrace {
    /// Columns the reader needs.
    public static let requiredColumns = ["name", "cpu_milli", "num_gpu", "gpu_milli", "qos", "pod_phase",
                                         "creation_time", "deletion_time", "scheduled_time"]

    /// The result of reading a file: the usable pods and how many rows were skipped.
    public struct Contents: Hashable, Sendable {
        /// Pods that ran on at least one GPU.
        public var pods: [TracePod]
        /// Rows of pods never scheduled.
        public var skippedUnscheduled: Int
        /// Rows of CPU-only pods.
        public var skippedCPUOnly: Int
        /// The never-scheduled pods that asked for whole GPUs (`num_gpu` ≥ 1) and have a
        /// `deletion_time`, with `runSeconds` = `deletion_time − creation_time`: the Slurm
        /// replay's selection (../shared/peers/slurm_replay.py) submits them too.
        public var unscheduledGPUPods: [TracePod] = []
    }

    /// Parses the text of a pod list.
    ///
    /// - Parameters:
    ///   - text: the whole file.
    ///   - file: its name, for messages.
    /// - Throws: ``SimDataError`` naming the file and line of the first bad row (wrong field
    ///   count, a number that does not parse, a deletion before scheduling), a missing column,
    ///   or a file without any usable pod.
    public static func parse(_ text: String, file: String) throws(SimDataError) -> Contents {
        let lines = CSVLine.lines(text)
        guard let header = lines.first else { throw SimDataError(.empty, file: file, "the file is empty; expected a header \(requiredColumns.joined(separator: ","))") }
        let names = header.text.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingCharacters(in: " \u{FEFF}") }
        var column: [String: Int] = [:]
        for (position, name) in names.enumerated() where column[name] == nil { column[name] = position }
        for name in requiredColumns where column[name] == nil {
            throw SimDataError(.missingColumn, file: file, line: 1, "the header lacks column `\(name)` (an openb_pod_list_*.csv header has \(requiredColumns.joined(separator: ",")))")
        }
        var pods: [TracePod] = []
        pods.reserveCapacity(lines.count)
        var unscheduledGPUPods: [TracePod] = []
        var unscheduled = 0
        var cpuOnly = 0
        for (number, line) in lines.dropFirst() where !line.isEmpty {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count == names.count else {
                throw SimDataError(.badRow, file: file, line: number, "has \(fields.count) fields, the header has \(names.count)")
            }
            func integer(_ name: String, allowEmpty: Bool = false) throws(SimDataError) -> Int64? {
                let raw = fields[column[name]!]
                if raw.isEmpty {
                    if allowEmpty { return nil }
                    throw SimDataError(.badRow, file: file, line: number, "`\(name)` is empty; expected a whole number")
                }
                guard let value = Int64(raw), value >= 0 else {
                    throw SimDataError(.badRow, file: file, line: number, "`\(name)` is `\(raw)`; expected a whole number ≥ 0")
                }
                return value
            }
            let numGPU = try integer("num_gpu")!
            let gpuMilli = try integer("gpu_milli")!
            let creation = try integer("creation_time")!
            let cpuMilliValue = try integer("cpu_milli")!
            let memoryMiBValue = column["memory_mib"] == nil ? 0 : try integer("memory_mib")!
            guard numGPU <= 64, gpuMilli <= 1000 else {
                throw SimDataError(.badRow, file: file, line: number, "`num_gpu` \(numGPU) / `gpu_milli` \(gpuMilli) out of range (at most 64 GPUs, 1000 milli)")
            }
            let name = String(fields[column["name"]!])
            guard let scheduled = try integer("scheduled_time", allowEmpty: true) else {
                unscheduled += 1
                if numGPU >= 1, let deletion = try integer("deletion_time", allowEmpty: true), deletion >= creation {
                    unscheduledGPUPods.append(TracePod(
                        creationSeconds: creation, gpus: Int(numGPU), gpuMilli: Int(gpuMilli), wholeGPUs: true,
                        runSeconds: deletion - creation, qos: String(fields[column["qos"]!]),
                        phase: String(fields[column["pod_phase"]!]), cpuMilli: Int(cpuMilliValue), line: number,
                        memoryMiB: Int(memoryMiBValue), name: name))
                }
                continue
            }
            guard let deletion = try integer("deletion_time", allowEmpty: true) else {
                throw SimDataError(.badRow, file: file, line: number, "`deletion_time` is empty for a scheduled pod")
            }
            guard deletion >= scheduled else {
                throw SimDataError(.badRow, file: file, line: number, "`deletion_time` \(deletion) is before `scheduled_time` \(scheduled)")
            }
            if numGPU == 0 && gpuMilli == 0 {
                cpuOnly += 1
                continue
            }
            pods.append(TracePod(
                creationSeconds: creation, gpus: max(1, Int(numGPU)), gpuMilli: Int(gpuMilli), wholeGPUs: numGPU >= 1,
                runSeconds: deletion - scheduled, qos: String(fields[column["qos"]!]),
                phase: String(fields[column["pod_phase"]!]), cpuMilli: Int(cpuMilliValue), line: number, memoryMiB: Int(memoryMiBValue),
                name: name))
        }
        guard !pods.isEmpty else { throw SimDataError(.empty, file: file, "holds no pod that was scheduled on a GPU") }
        return Contents(pods: pods, skippedUnscheduled: unscheduled, skippedCPUOnly: cpuOnly, unscheduledGPUPods: unscheduledGPUPods)
    }
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        var view = Substring(self)
        while let first = view.first, set.contains(first) { view = view.dropFirst() }
        while let last = view.last, set.contains(last) { view = view.dropLast() }
        return String(view)
    }
}
