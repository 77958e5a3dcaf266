import Foundation

/// The files the Slurm executor keeps for one lease, in `<state>/leases/<leaseID>/`.
///
/// | file | written by | holds |
/// |---|---|---|
/// | `job.sh` | executor, before `sbatch` | the batch script |
/// | `submissions` | executor, before each `sbatch` | how many times `sbatch` was called (the intent) |
/// | `slurm-job-id` | executor, after `sbatch` | the Slurm job id |
/// | `started` | batch script, first line | `$SLURM_JOB_ID`, once Slurm runs it |
/// | `status` | batch script, last line | the command's exit status, as the shell saw it |
/// | `stop-requested` | executor, on terminate/kill | that the end is ours, not the job's |
/// | `exit.json` | executor, once the end is known | the ``JobExit``, so it never changes |
/// | `output.log` | Slurm (`--output`) | stdout, and stderr lines tagged with `\u{1F}` |
/// | `work/` | the job | its working directory (`--chdir`, `HOME`) |
///
/// Every write is atomic (a temporary file renamed over the old one), so a crash leaves either
/// the old content or the new. The methods block: call them through ``offPool(_:)``.
struct SlurmLeaseDirectory: Sendable, Hashable {
    let leaseID: String
    let url: URL

    init(stateDirectory: URL, leaseID: String) {
        precondition(SlurmSubmission.isSafeLeaseID(leaseID), "lease id \(leaseID) is not a safe file name")
        self.leaseID = leaseID
        self.url = stateDirectory.appendingPathComponent("leases", isDirectory: true)
            .appendingPathComponent(leaseID, isDirectory: true)
    }

    var work: URL { url.appendingPathComponent("work", isDirectory: true) }
    var batchScript: URL { url.appendingPathComponent("job.sh") }
    var output: URL { url.appendingPathComponent("output.log") }
    var submissions: URL { url.appendingPathComponent("submissions") }
    var slurmJobIDFile: URL { url.appendingPathComponent("slurm-job-id") }
    var started: URL { url.appendingPathComponent("started") }
    var status: URL { url.appendingPathComponent("status") }
    var stopRequest: URL { url.appendingPathComponent("stop-requested") }
    var exitRecord: URL { url.appendingPathComponent("exit.json") }

    var exists: Bool { FileManager.default.fileExists(atPath: url.path) }

    func create() throws {
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    }

    func remove() throws {
        guard exists else { return }
        try FileManager.default.removeItem(at: url)
    }

    // MARK: Job id

    /// The recorded Slurm job id, else the one the batch script wrote when it started.
    func knownSlurmJobID() -> String? {
        readLine(slurmJobIDFile) ?? readLine(started)
    }

    func recordSlurmJobID(_ id: String) throws {
        precondition(SlurmSubmission.isJobID(id), "Slurm job id \(id) is not a number")
        try write(id + "\n", to: slurmJobIDFile)
    }

    /// Whether `sbatch` may have been called for this lease: the crash window between the call and
    /// ``recordSlurmJobID(_:)``.
    var submissionIntended: Bool { FileManager.default.fileExists(atPath: submissions.path) }

    /// How many times `sbatch` was called for this lease.
    func submissionCount() -> Int { readLine(submissions).flatMap(Int.init) ?? 0 }

    /// Counts one more `sbatch` call; written before the call, so it is an intent.
    func recordSubmissionIntent() throws {
        try write("\(submissionCount() + 1)\n", to: submissions)
    }

    // MARK: The end

    /// The exit status the batch script recorded, or `nil` if it did not get that far.
    func recordedStatus() -> Int32? { readLine(status).flatMap(Int32.init) }

    var stopRequested: Bool { FileManager.default.fileExists(atPath: stopRequest.path) }

    func recordStopRequest() throws { try write("\(Int(Date().timeIntervalSince1970))\n", to: stopRequest) }

    /// The end once recorded, or `nil`.
    func recordedExit() -> JobExit? {
        guard let data = try? Data(contentsOf: exitRecord) else { return nil }
        return try? JSONDecoder().decode(JobExit.self, from: data)
    }

    /// Records `exit` unless an end is already recorded, and returns the recorded one: the first
    /// conclusion stands, whatever Slurm forgets later.
    func recordExit(_ exit: JobExit) throws -> JobExit {
        if let recorded = recordedExit() { return recorded }
        try JSONEncoder().encode(exit).write(to: exitRecord, options: .atomic)
        return exit
    }

    // MARK: Files

    /// Runs short blocking file I/O on a dispatch thread and resumes the caller when it is done, so
    /// the cooperative pool never waits on the disk. (Child processes get threads of their own.)
    static func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try body() })
            }
        }
    }

    private func readLine(_ file: URL) -> String? {
        guard let text = try? String(contentsOf: file, encoding: .utf8) else { return nil }
        let line = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return line.isEmpty ? nil : line
    }

    func write(_ text: String, to file: URL) throws {
        try Data(text.utf8).write(to: file, options: .atomic)
    }
}
