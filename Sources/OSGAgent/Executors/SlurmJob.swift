import Foundation
import Logging

/// A lease's job in the operator's Slurm, as ``SlurmExecutor`` starts it or finds it again
/// after an agent restart. A value: any number of copies see the same job, because everything
/// they know lives in Slurm and in the lease directory.
public struct SlurmJob: RunningJob {
    public let leaseID: String
    /// The Slurm job id (`squeue -j`, `scontrol show job`).
    public let slurmJobID: String
    let directory: SlurmLeaseDirectory
    let commands: SlurmCommandRunner
    let logger: Logger
    let outputReader: SlurmOutputReader

    init(slurmJobID: String, directory: SlurmLeaseDirectory, commands: SlurmCommandRunner, logger: Logger) {
        precondition(SlurmSubmission.isJobID(slurmJobID), "Slurm job id \(slurmJobID) is not a number")
        self.leaseID = directory.leaseID
        self.slurmJobID = slurmJobID
        self.directory = directory
        self.commands = commands
        var logger = logger
        logger[metadataKey: "lease"] = "\(directory.leaseID)"
        logger[metadataKey: "slurm_job"] = "\(slurmJobID)"
        self.logger = logger
        self.outputReader = SlurmOutputReader(file: directory.output)
    }

    /// Where the job stands now: one `scontrol show job`, the lease directory, and
    /// ``SlurmJobOutcome``'s rule; an end, once concluded, is recorded and never re-read.
    ///
    /// - Throws: `slurm_command_failed` or `slurm_command_timeout` when slurmctld cannot be
    ///   asked, `slurm_output_unreadable` when its answer does not parse.
    func outcome() async throws -> SlurmJobOutcome {
        let directory = self.directory
        if let recorded = try await SlurmLeaseDirectory.offPool({ directory.recordedExit() }) { return .ended(recorded) }
        let arguments = ["show", "job", "-o", slurmJobID]
        let result = try await commands.run("scontrol", arguments)
        let record: SlurmJobRecord?
        if result.status == 0 {
            guard let parsed = SlurmJobRecord.parse(scontrolOutput: result.stdout, jobID: slurmJobID) else {
                throw ExecutorError(
                    "slurm_output_unreadable",
                    "`scontrol show job -o \(slurmJobID)` printed no line with JobId=\(slurmJobID) and a JobState: \(result.stdout.prefix(300))"
                )
            }
            record = parsed
        } else if SlurmJobRecord.isUnknownJob(stderr: result.stderr) {
            record = nil
        } else {
            throw SlurmCommandRunner.failure("scontrol", arguments, result)
        }
        let (status, stopRequested) = try await SlurmLeaseDirectory.offPool { (directory.recordedStatus(), directory.stopRequested) }
        let outcome = SlurmJobOutcome.resolve(record: record, recordedStatus: status, stopRequested: stopRequested, jobID: slurmJobID)
        guard case .ended(let exit) = outcome else { return outcome }
        let recorded = try await SlurmLeaseDirectory.offPool { try directory.recordExit(exit) }
        logger.info("Slurm job ended", metadata: ["exit": "\(recorded)", "slurm_state": "\(record?.state ?? "purged")"])
        return .ended(recorded)
    }

    /// Waits (polling, at most `timeoutSeconds`) until Slurm has started the job or it ended;
    /// returns the last outcome seen (`.queued` when the cluster had no room in time).
    func waitUntilStarted(timeoutSeconds: Double) async -> SlurmJobOutcome? {
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(timeoutSeconds)
        var delay = Duration.milliseconds(50)
        var last: SlurmJobOutcome?
        while true {
            do {
                last = try await outcome()
                if last != .queued { return last }
            } catch {
                logger.warning("could not ask Slurm about the job", metadata: ["error": "\(error)"])
            }
            guard clock.now + delay < deadline else { return last }
            do { try await Task.sleep(for: delay) } catch { return last }
            delay = min(delay * 2, .milliseconds(500))
        }
    }

    /// Writes the stop request unless the job has already ended; returns whether it still runs
    /// (or is queued), and `nil` when Slurm could not be asked (then it is treated as running).
    private func requestStop() async -> SlurmJobOutcome? {
        let current = try? await outcome()
        if case .ended = current { return current }
        let directory = self.directory
        do {
            try await SlurmLeaseDirectory.offPool { try directory.recordStopRequest() }
        } catch {
            logger.error("could not record the stop request", metadata: ["error": "\(error)"])
        }
        return current
    }

    /// `scancel --signal=TERM --full` (the batch shell and every process of the job), then, if
    /// the job still runs after `graceSeconds`, ``kill()``. A job still queued is cancelled at
    /// once. Returns after the first `scancel`; errors are logged.
    public func terminate(graceSeconds: Int64) async {
        let current = await requestStop()
        if case .ended = current { return }
        if current == .queued { return await cancel([]) }
        await cancel(["--signal=TERM", "--full"])
        let job = self
        Task {
            try? await Task.sleep(for: .seconds(max(0, graceSeconds)))
            if case .ended = try? await job.outcome() { return }
            await job.kill()
        }
    }

    /// `scancel --signal=KILL --full` (every process of the job at once, without Slurm's
    /// `KillWait`), then `scancel` (which also removes a job still queued). Errors are logged.
    public func kill() async {
        let current = await requestStop()
        if case .ended = current { return }
        if current != .queued { await cancel(["--signal=KILL", "--full"]) }
        await cancel([])
    }

    private func cancel(_ options: [String]) async {
        let arguments = options + [slurmJobID]
        do {
            let result = try await commands.run("scancel", arguments)
            // A job that ended meanwhile is what we wanted.
            if result.status != 0 && !result.stderr.contains("already completing or completed") {
                logger.warning("scancel failed", metadata: ["error": "\(SlurmCommandRunner.failure("scancel", arguments, result))"])
            }
        } catch {
            logger.warning("scancel failed", metadata: ["error": "\(error)"])
        }
    }

    /// Polls Slurm until the job ends (every 0.2 s at first, backing off to every 5 s). An
    /// error asking Slurm is logged and the poll goes on: slurmctld restarts, the job does not.
    ///
    /// If the waiting task is cancelled, returns `.nodeFault` saying so, without recording it:
    /// a later call (or a restarted agent) still finds the real end.
    public func exit() async -> JobExit {
        var delay = Duration.milliseconds(200)
        var failures = 0
        while true {
            do {
                if case .ended(let exit) = try await outcome() { return exit }
                failures = 0
            } catch {
                failures += 1
                // The first failure and then one in 60: a long slurmctld outage does not flood the log.
                if failures % 60 == 1 { logger.warning("could not ask Slurm about the job", metadata: ["error": "\(error)", "failures": "\(failures)"]) }
            }
            do {
                try await Task.sleep(for: delay)
            } catch {
                return .nodeFault("the agent stopped waiting for Slurm job \(slurmJobID) before it ended")
            }
            delay = min(delay * 3 / 2, .seconds(5))
        }
    }

    /// Lines of `output.log` from line `offset` on, at most `limit`. stderr lines are the ones
    /// the batch script tagged. While the job runs, a last line without its newline is held
    /// back (it may still grow); once the batch script has ended it is returned too.
    public func output(from offset: Int, limit: Int) async throws -> (lines: [OutputLine], next: Int) {
        precondition(offset >= 0 && limit >= 0, "output(from: \(offset), limit: \(limit)): both must be non-negative")
        let directory = self.directory
        let reader = outputReader
        return try await SlurmLeaseDirectory.offPool {
            let finished = directory.recordedExit() != nil || directory.recordedStatus() != nil
            return try reader.read(from: offset, limit: limit, includeUnterminatedLastLine: finished)
        }
    }
}
