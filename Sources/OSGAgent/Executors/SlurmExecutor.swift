import Foundation
import Logging

/// Runs leases through the operator's own Slurm: each lease is one batch job (`sbatch`),
/// watched with `scontrol show job` and stopped with `scancel`.
///
/// ```swift
/// let executor = SlurmExecutor(stateDirectory: URL(fileURLWithPath: "/var/lib/osg/slurm"), partition: "gpu")
/// try await executor.preflight()
/// let job = try await executor.start(work)       // sbatch, then waits until Slurm runs it
/// let exit = await job.exit()                    // .exited(code: 0), .timedOut, …
/// try await executor.cleanUp(leaseID: work.leaseID)
/// ```
///
/// What it asks of Slurm, per lease: `--job-name=osg-<lease id>`, one node and one task,
/// `--cpus-per-task`, `--mem=<GiB>G`, `--gres=gpu:<n>` when the lease has GPUs (Slurm picks
/// which; the job sees them in `CUDA_VISIBLE_DEVICES`), `--time` in whole minutes rounded up,
/// `--no-requeue`, `--chdir` and `--output` in the lease directory (see
/// ``SlurmSubmission``). Slurm enforces what its configuration enforces: memory only with
/// `CR_*_Memory` and cgroups or `OverMemoryKill`, devices only with `ConstrainDevices`; the
/// lease's `networkAllowed` and `diskGiB` are not enforced here (the operator's cluster policy
/// is).
///
/// The state directory must be on a file system the compute nodes share with the agent: Slurm
/// writes the output there, and the batch script its `started` and `status` files.
///
/// Never twice: a lease with a recorded Slurm job id is that job; `sbatch` is called only after
/// an intent (`submissions`) is written, and a lease with an intent but no recorded id is first
/// looked for in `squeue --name=osg-<lease id>` (same working directory), then by the id its
/// batch script wrote when it started. How Slurm's states become a ``JobExit`` is
/// ``SlurmJobOutcome``'s table.
public struct SlurmExecutor: LeaseExecutor {
    public let name = "slurm"
    /// Where each lease's directory lives (`<state>/leases/<lease id>/`).
    public let stateDirectory: URL
    /// The Slurm partition for every lease, or `nil` for the cluster's default.
    public let partition: String?
    /// How long ``start(_:)`` waits for Slurm to run a job before it returns the job queued.
    public let startWaitSeconds: Double
    let commands: SlurmCommandRunner
    let logger: Logger
    private let startsInFlight = SlurmStartsInFlight()

    /// - Parameters:
    ///   - stateDirectory: created if missing; shared with the compute nodes.
    ///   - partition: `--partition`, or `nil` for the default partition.
    ///   - binDirectory: where `sbatch`, `squeue`, `scontrol` and `scancel` are; `nil` searches
    ///     the agent's `PATH` and the system directories.
    ///   - slurmConfig: `SLURM_CONF` for the commands, or `nil` for Slurm's default.
    ///   - commandTimeoutSeconds: how long one Slurm command may take.
    ///   - startWaitSeconds: how long ``start(_:)`` waits for a queued job to start.
    public init(
        stateDirectory: URL, partition: String? = nil, binDirectory: URL? = nil, slurmConfig: URL? = nil,
        commandTimeoutSeconds: Double = 30, startWaitSeconds: Double = 60,
        logger: Logger = Logger(label: "osg.agent.slurm")
    ) {
        precondition(commandTimeoutSeconds > 0 && startWaitSeconds >= 0, "timeouts must be positive")
        self.stateDirectory = stateDirectory
        self.partition = partition
        self.startWaitSeconds = startWaitSeconds
        self.commands = SlurmCommandRunner(binDirectory: binDirectory, slurmConfig: slurmConfig, timeoutSeconds: commandTimeoutSeconds)
        self.logger = logger
    }

    /// Checks that Slurm's commands are installed, that `scontrol ping` finds slurmctld up, that
    /// the partition exists and that the state directory is writable.
    ///
    /// - Throws: `slurm_not_installed` ("Slurm is not installed: apt-get install slurm-wlm"),
    ///   `slurmctld_unreachable` ("slurmctld does not answer: …"), `slurm_partition_unknown`,
    ///   `state_directory_unwritable`.
    public func preflight() async throws {
        for tool in ["sbatch", "squeue", "scontrol", "scancel"] where commands.executable(tool) == nil {
            throw ExecutorError(
                "slurm_not_installed",
                "Slurm is not installed: apt-get install slurm-wlm (no \(tool) in \(commands.binDirectory?.path ?? commands.searchPath.joined(separator: ":")))"
            )
        }
        let ping: SlurmCommandResult
        do {
            ping = try await commands.run("scontrol", ["ping"])
        } catch let error as ExecutorError {
            throw ExecutorError("slurmctld_unreachable", "slurmctld does not answer: \(error.message)")
        }
        guard ping.status == 0, SlurmPing.isUp(ping.stdout) else {
            let said = (ping.stdout + ping.stderr).trimmingCharacters(in: .whitespacesAndNewlines)
            throw ExecutorError(
                "slurmctld_unreachable",
                "slurmctld does not answer: \(said.isEmpty ? "scontrol ping exited \(ping.status)" : said) (is slurmctld running, munged running with the cluster's key, and SLURM_CONF \(commands.environment()["SLURM_CONF"] ?? "/etc/slurm/slurm.conf") right?)"
            )
        }
        if let partition {
            let result = try await commands.run("scontrol", ["show", "partition", "-o", partition])
            guard result.status == 0 else {
                throw ExecutorError(
                    "slurm_partition_unknown",
                    "partition \(partition) is not in this Slurm: \(result.stderr.trimmingCharacters(in: .whitespacesAndNewlines)) (see sinfo for the partitions)"
                )
            }
        }
        let leases = stateDirectory.appendingPathComponent("leases", isDirectory: true)
        do {
            try await SlurmLeaseDirectory.offPool {
                try FileManager.default.createDirectory(at: leases, withIntermediateDirectories: true)
                let probe = leases.appendingPathComponent(".write-probe")
                try Data().write(to: probe)
                try FileManager.default.removeItem(at: probe)
            }
        } catch {
            throw ExecutorError("state_directory_unwritable", "cannot write in \(leases.path): \(error)")
        }
    }

    /// Submits `work` as a batch job, unless the lease already has one (then that job is
    /// returned), and waits up to ``startWaitSeconds`` for Slurm to run it. A job still queued
    /// then is returned queued: ``SlurmJob/exit()`` waits for it, ``SlurmJob/terminate(graceSeconds:)``
    /// takes it off the queue.
    ///
    /// - Throws: `image_unsupported` for an image, `invalid_work` for a lease that cannot be
    ///   submitted, `slurm_command_failed` (with sbatch's message) when Slurm refuses it.
    public func start(_ work: LeaseWork) async throws -> any RunningJob {
        guard SlurmSubmission.isSafeLeaseID(work.leaseID) else {
            throw ExecutorError("invalid_work", "lease id \(work.leaseID) is not 1-128 of A-Z a-z 0-9 . _ - (not starting with .)")
        }
        let directory = SlurmLeaseDirectory(stateDirectory: stateDirectory, leaseID: work.leaseID)
        try SlurmSubmission.validate(work, directory: directory)
        let job = try await startsInFlight.start(work.leaseID) { try await submitOnce(work, directory: directory) }
        let clock = ContinuousClock()
        let began = clock.now
        let outcome = await job.waitUntilStarted(timeoutSeconds: startWaitSeconds)
        if outcome == .queued {
            logger.notice("Slurm has not started the job yet; it stays queued", metadata: ["lease": "\(work.leaseID)", "slurm_job": "\(job.slurmJobID)"])
        } else {
            logger.debug("Slurm job running", metadata: ["lease": "\(work.leaseID)", "slurm_job": "\(job.slurmJobID)", "waited": "\(clock.now - began)"])
        }
        return job
    }

    /// The lease's job: the recorded one, one found again, or a new submission.
    private func submitOnce(_ work: LeaseWork, directory: SlurmLeaseDirectory) async throws -> SlurmJob {
        try await SlurmLeaseDirectory.offPool { try directory.create() }
        if let found = try await findJob(directory) { return found }
        try await SlurmLeaseDirectory.offPool { try StagedInputPlacement.place(work.inputs, in: directory.work) }

        let submission = try SlurmSubmission(work: work, directory: directory, partition: partition, baseEnvironment: commands.environment())
        try await SlurmLeaseDirectory.offPool {
            try directory.write(submission.script, to: directory.batchScript)
            try directory.recordSubmissionIntent()
        }
        let printed = try await commands.output("sbatch", submission.arguments, environment: submission.environment)
        guard let slurmJobID = SlurmSubmitOutput.jobID(printed) else {
            throw ExecutorError("slurm_output_unreadable", "`sbatch --parsable` printed no job id: \(printed.prefix(300))")
        }
        try await SlurmLeaseDirectory.offPool { try directory.recordSlurmJobID(slurmJobID) }
        logger.info("submitted to Slurm", metadata: ["lease": "\(work.leaseID)", "slurm_job": "\(slurmJobID)"])
        return SlurmJob(slurmJobID: slurmJobID, directory: directory, commands: commands, logger: logger)
    }

    /// The job already submitted for the lease in `directory`, or `nil` when there is none:
    /// the recorded id; the id the batch script wrote when it started; or, when an `sbatch` may
    /// have gone out unrecorded (an intent without an id), the job `squeue` lists under the
    /// lease's name and working directory. An id found is recorded.
    private func findJob(_ directory: SlurmLeaseDirectory) async throws -> SlurmJob? {
        let (known, intended) = try await SlurmLeaseDirectory.offPool { (directory.knownSlurmJobID(), directory.submissionIntended) }
        var slurmJobID = known
        if slurmJobID == nil && intended {
            let name = SlurmSubmission.jobName(leaseID: directory.leaseID)
            let listed = try await commands.output(
                "squeue", ["--noheader", "--states=all", "--name=\(name)", "--format=\(SlurmQueueEntry.format)"]
            )
            slurmJobID = SlurmQueueEntry.parse(listed)
                .filter { $0.name == name && $0.workDirectory == directory.work.path && SlurmSubmission.isJobID($0.jobID) }
                .max { ($0.jobID.count, $0.jobID) < ($1.jobID.count, $1.jobID) }?.jobID
            if let slurmJobID {
                logger.notice("found a submission the agent had not recorded", metadata: ["lease": "\(directory.leaseID)", "slurm_job": "\(slurmJobID)"])
            }
        }
        guard let slurmJobID, SlurmSubmission.isJobID(slurmJobID) else { return nil }
        try await SlurmLeaseDirectory.offPool { try directory.recordSlurmJobID(slurmJobID) }
        return SlurmJob(slurmJobID: slurmJobID, directory: directory, commands: commands, logger: logger)
    }

    /// Every lease directory with a job, running or ended, by lease id: the jobs an agent that
    /// restarted takes up again. A directory whose `sbatch` never reached Slurm is left out
    /// (the lease was never started; starting it again submits it).
    public func runningJobs() async throws -> [String: any RunningJob] {
        let leases = stateDirectory.appendingPathComponent("leases", isDirectory: true)
        let names = try await SlurmLeaseDirectory.offPool {
            ((try? FileManager.default.contentsOfDirectory(atPath: leases.path)) ?? []).filter(SlurmSubmission.isSafeLeaseID)
        }
        var jobs: [String: any RunningJob] = [:]
        for leaseID in names.sorted() {
            let directory = SlurmLeaseDirectory(stateDirectory: stateDirectory, leaseID: leaseID)
            if let job = try await findJob(directory) { jobs[leaseID] = job }
        }
        return jobs
    }

    /// A Slurm job may run on another host than the agent: secrets are not delivered there.
    public var deliversSecrets: Bool { false }

    public func workDirectory(leaseID: String) -> URL? {
        SlurmSubmission.isSafeLeaseID(leaseID) ? SlurmLeaseDirectory(stateDirectory: stateDirectory, leaseID: leaseID).work : nil
    }

    /// Removes the lease's directory (script, output, status, work directory).
    ///
    /// - Throws: `job_still_running` when Slurm still runs or queues the lease's job.
    public func cleanUp(leaseID: String) async throws {
        guard SlurmSubmission.isSafeLeaseID(leaseID) else {
            throw ExecutorError("invalid_work", "lease id \(leaseID) is not 1-128 of A-Z a-z 0-9 . _ - (not starting with .)")
        }
        let directory = SlurmLeaseDirectory(stateDirectory: stateDirectory, leaseID: leaseID)
        guard try await SlurmLeaseDirectory.offPool({ directory.exists }) else { return }
        if let job = try await findJob(directory) {
            let outcome = try await job.outcome()
            guard case .ended = outcome else {
                throw ExecutorError(
                    "job_still_running",
                    "lease \(leaseID): Slurm job \(job.slurmJobID) is still \(outcome == .queued ? "queued" : "running"): terminate it and wait for exit() before cleaning up"
                )
            }
        }
        try await SlurmLeaseDirectory.offPool { try directory.remove() }
    }
}

/// Starts in flight, by lease id: a second ``SlurmExecutor/start(_:)`` of a lease whose first is
/// still submitting joins it instead of submitting again.
actor SlurmStartsInFlight {
    private var tasks: [String: Task<SlurmJob, any Error>] = [:]

    func start(_ leaseID: String, _ submit: @escaping @Sendable () async throws -> SlurmJob) async throws -> SlurmJob {
        if let running = tasks[leaseID] { return try await running.value }
        let task = Task { try await submit() }
        tasks[leaseID] = task
        defer { tasks[leaseID] = nil }
        return try await task.value
    }
}
