import Foundation

/// What the executor hands `sbatch` for one lease: the batch script, the command line and the
/// environment. Pure: the same work and directory give the same bytes.
///
/// The environment reaches the job through `--export=ALL` of a clean `sbatch` environment
/// (``environment``: a minimal set and the `OSG_*` variables), not through a
/// `--export=NAME=value,…` list: Slurm splits that list at commas, and without `ALL` it loads
/// the submitting user's login environment into the job. The tenant's variables are `export`
/// lines in the script, shell-quoted, so no value can reach `sbatch` or the shell unquoted.
struct SlurmSubmission: Sendable, Hashable {
    var script: String
    var arguments: [String]
    var environment: [String: String]

    /// The job name Slurm shows for a lease; the crash-window lookup searches by it.
    static func jobName(leaseID: String) -> String { "osg-\(leaseID)" }

    /// `--time` in minutes: the lease's hard limit rounded up to a whole minute (Slurm's unit).
    static func timeLimitMinutes(maxDurationSeconds: Int64) -> Int64 {
        max(1, (maxDurationSeconds + 59) / 60)
    }

    /// - Throws: `image_unsupported` for an image, `invalid_work` for a lease the executor
    ///   cannot submit (the message names the field and the value).
    init(work: LeaseWork, directory: SlurmLeaseDirectory, partition: String?, baseEnvironment: [String: String]) throws {
        try Self.validate(work, directory: directory)
        let jobName = Self.jobName(leaseID: work.leaseID)
        var arguments = [
            "--parsable",
            "--job-name=\(jobName)",
            "--output=\(directory.output.path)",
            // A requeue after a node failure would rerun the tenant's work under the same lease and
            // truncate its output: a failed node ends the lease (NODE_FAIL → nodeFault) instead.
            "--no-requeue",
            "--open-mode=append",
            "--nodes=1",
            "--ntasks=1",
            "--cpus-per-task=\(work.cpuCores)",
            "--mem=\(work.memoryGiB)G",
            "--time=\(Self.timeLimitMinutes(maxDurationSeconds: work.maxDurationSeconds))",
            "--chdir=\(directory.work.path)",
            "--export=ALL",
        ]
        if !work.gpuIndices.isEmpty { arguments.append("--gres=gpu:\(work.gpuIndices.count)") }
        if let partition { arguments.append("--partition=\(partition)") }
        arguments.append(directory.batchScript.path)
        self.arguments = arguments

        var environment = baseEnvironment
        // The commands run in the C locale; the job gets UTF-8.
        environment["LANG"] = "C.UTF-8"
        environment["LC_ALL"] = nil
        environment["HOME"] = directory.work.path
        environment["OSG_LEASE_ID"] = work.leaseID
        environment["OSG_JOB_ID"] = work.jobID
        environment["OSG_JOB_NAME"] = work.jobName
        environment["OSG_RANK"] = String(work.rank)
        environment["OSG_WORLD_SIZE"] = String(work.worldSize)
        environment["OSG_WORK_DIR"] = directory.work.path
        // Without GPUs the job sees none, even on a cluster that does not fence devices; with
        // GPUs, Slurm's gres plugin sets CUDA_VISIBLE_DEVICES to the ones it allocated.
        if work.gpuIndices.isEmpty { environment["CUDA_VISIBLE_DEVICES"] = "" }
        self.environment = environment
        self.script = Self.script(work: work, directory: directory)
    }

    /// The batch script. It records the Slurm job id when it starts and the command's exit
    /// status when it ends (so the end is known after Slurm forgot the job), tags each stderr line
    /// with `\u{1F}` in the one output file (so output keeps the order the lines were written in,
    /// and each line its stream), and exits with the command's status (Slurm's `ExitCode`).
    static func script(work: LeaseWork, directory: SlurmLeaseDirectory) -> String {
        let exports = work.environment.keys.sorted().map { "export \($0)=\(shellQuoted(work.environment[$0]!))" }
        let command = work.command.map(shellQuoted).joined(separator: " ")
        return """
            #!/bin/bash
            # OpenStargate lease \(work.leaseID) (job \(work.jobID)): written by the agent's Slurm executor.
            lease_dir=\(shellQuoted(directory.url.path))
            printf '%s\\n' "$SLURM_JOB_ID" > "$lease_dir/started.tmp" && mv -f "$lease_dir/started.tmp" "$lease_dir/started"
            \(exports.joined(separator: "\n"))
            exec 3>&1
            exec 4> >(while IFS= read -r line || [ -n "$line" ]; do printf '\\037%s\\n' "$line"; done >&3)
            tagger=$!
            \(command) 2>&4 3>&- 4>&-
            status=$?
            # Every stderr line is written before the status: close the tagger's input and wait
            # for it (at most 5 s, in case a process the job left behind still holds stderr).
            exec 4>&-
            { sleep 5; kill "$tagger" 2>/dev/null; } &
            watchdog=$!
            wait "$tagger" 2>/dev/null
            kill "$watchdog" 2>/dev/null
            printf '%s\\n' "$status" > "$lease_dir/status.tmp" && mv -f "$lease_dir/status.tmp" "$lease_dir/status"
            exit "$status"

            """
    }

    /// `value` in single quotes, safe for any bytes but NUL.
    static func shellQuoted(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }

    /// Lease ids name a directory and a Slurm job: 1–128 of `A-Z a-z 0-9 . _ -`, not starting with `.`.
    static func isSafeLeaseID(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 128 && !id.hasPrefix(".")
            && id.utf8.allSatisfy { $0.isASCIIAlphanumeric || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    /// A Slurm job id as `sbatch --parsable` prints it for a plain job: digits.
    static func isJobID(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 20 && id.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    static func isEnvironmentName(_ name: String) -> Bool {
        guard let first = name.utf8.first, !(first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9")) else { return false }
        return name.utf8.allSatisfy { $0.isASCIIAlphanumeric || $0 == UInt8(ascii: "_") }
    }

    static func validate(_ work: LeaseWork, directory: SlurmLeaseDirectory) throws {
        if let image = work.image {
            throw ExecutorError(
                "image_unsupported",
                "lease \(work.leaseID) asks for image \(image), but the Slurm executor runs commands only: run image jobs with the sandbox executor"
            )
        }
        func invalid(_ what: String) -> ExecutorError { ExecutorError("invalid_work", "lease \(work.leaseID): \(what)") }
        guard !work.command.isEmpty else { throw invalid("command is empty: give the program to run") }
        guard !work.command.contains(where: { $0.contains("\0") }) else { throw invalid("command holds a NUL byte") }
        guard work.cpuCores >= 1 else { throw invalid("cpuCores is \(work.cpuCores): at least 1") }
        guard work.memoryGiB >= 1 else { throw invalid("memoryGiB is \(work.memoryGiB): at least 1") }
        guard work.maxDurationSeconds >= 1 else { throw invalid("maxDurationSeconds is \(work.maxDurationSeconds): at least 1") }
        for (name, value) in work.environment {
            guard isEnvironmentName(name) else { throw invalid("environment name \(name) is not a shell variable name ([A-Za-z_][A-Za-z0-9_]*)") }
            guard !value.contains("\0") else { throw invalid("environment value of \(name) holds a NUL byte") }
        }
        // sbatch expands %j, %x, … in --output, and a path with a % would land elsewhere.
        guard !directory.url.path.contains("%") else {
            throw ExecutorError("invalid_state_directory", "state directory \(directory.url.path) holds a %, which sbatch expands in --output: choose a path without %")
        }
    }
}

extension UInt8 {
    fileprivate var isASCIIAlphanumeric: Bool {
        (self >= UInt8(ascii: "a") && self <= UInt8(ascii: "z")) || (self >= UInt8(ascii: "A") && self <= UInt8(ascii: "Z"))
            || (self >= UInt8(ascii: "0") && self <= UInt8(ascii: "9"))
    }
}
