/// Where a Slurm job stands, as the executor concludes from what Slurm and the lease directory
/// say. Pure: ``resolve(record:recordedStatus:stopRequested:jobID:)`` is the whole rule.
///
/// | Slurm `JobState` | outcome |
/// |---|---|
/// | `PENDING`, `REQUEUED`, `REQUEUE_HOLD`, `REQUEUE_FED`, `RESV_DEL_HOLD` | ``queued`` |
/// | `RUNNING`, `CONFIGURING`, `COMPLETING`, `SUSPENDED`, `STOPPED`, `SIGNALING`, `STAGE_OUT`, `RESIZING`, any state Slurm adds later | ``running`` (the time limit still ends it, in a state listed here) |
/// | `COMPLETED`, `SPECIAL_EXIT` | `exited(code: N)` of `ExitCode=N:S` |
/// | `FAILED` with `S` = 0 | `exited(code: N)` (the command's status, which the batch script exits with) |
/// | `FAILED` with `S` > 0 | `signalled(signal: S)` (Slurm's memory poll kills with 9) |
/// | `OUT_OF_MEMORY` | `outOfMemory` |
/// | `TIMEOUT`, `DEADLINE` | `timedOut` |
/// | `CANCELLED` | `nodeFault` (cancelled outside the agent: by the operator or an admin) |
/// | `PREEMPTED` | `nodeFault` (the operator's cluster took the resources back: the node's reason, so the tenant is refunded) |
/// | `NODE_FAIL`, `BOOT_FAIL`, `REVOKED` | `nodeFault` |
/// | unknown to slurmctld (purged after `MinJobAge`) | `exited(code:)` of the batch script's `status` file, else `nodeFault` |
///
/// When the agent asked the job to stop (``RunningJob/terminate(graceSeconds:)`` or
/// ``RunningJob/kill()`` wrote `stop-requested` before the job had ended), every end is
/// `stopped`, except `OUT_OF_MEMORY`, `TIMEOUT`/`DEADLINE` and node failures, which keep their
/// own reason. (`scancel --signal=TERM --full` ends a job as `FAILED` with `ExitCode=0:15`,
/// plain `scancel` as `CANCELLED`.)
///
/// The status file holds what the shell saw, so a command killed by signal `n` shows as
/// `exited(code: 128 + n)` once Slurm has forgotten the job.
enum SlurmJobOutcome: Sendable, Hashable {
    case queued
    case running
    case ended(JobExit)

    static let queuedStates: Set<String> = ["PENDING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "RESV_DEL_HOLD"]

    /// - Parameters:
    ///   - record: what `scontrol show job` says, or `nil` when slurmctld no longer knows the job.
    ///   - recordedStatus: the batch script's `status` file, if it got that far.
    ///   - stopRequested: whether the agent asked the job to stop.
    ///   - jobID: the Slurm job id, for messages.
    static func resolve(record: SlurmJobRecord?, recordedStatus: Int32?, stopRequested: Bool, jobID: String) -> SlurmJobOutcome {
        guard let record else {
            if stopRequested { return .ended(.stopped) }
            if let recordedStatus { return .ended(.exited(code: recordedStatus)) }
            return .ended(.nodeFault("Slurm no longer knows job \(jobID) and its batch script left no exit status (it was purged after MinJobAge, or slurmctld lost its state)"))
        }
        let exit: JobExit
        switch record.state {
        case _ where queuedStates.contains(record.state):
            return .queued
        case "COMPLETED", "SPECIAL_EXIT":
            exit = .exited(code: record.exitStatus)
        case "FAILED":
            exit = record.exitSignal > 0 ? .signalled(signal: record.exitSignal) : .exited(code: record.exitStatus)
        case "OUT_OF_MEMORY":
            return .ended(.outOfMemory)
        case "TIMEOUT", "DEADLINE":
            return .ended(.timedOut)
        case "NODE_FAIL", "BOOT_FAIL", "REVOKED":
            return .ended(.nodeFault("Slurm job \(jobID) ended \(record.state) (\(record.reason))"))
        case "CANCELLED":
            exit = .nodeFault("Slurm job \(jobID) was cancelled outside the agent (\(record.reason))")
        case "PREEMPTED":
            exit = .nodeFault("Slurm job \(jobID) was preempted by the cluster (\(record.reason))")
        default:
            return .running
        }
        return .ended(stopRequested ? .stopped : exit)
    }
}
