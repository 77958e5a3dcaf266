import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A job of the ``SandboxExecutor``: the handle on one lease's supervisor and its files.
///
/// The supervisor, not this handle, owns the job: the handle signals it through files and
/// signals, and learns how it ended from the `status` file the supervisor writes. One handle
/// exists per lease in an executor; after an agent restart a new handle is built from the lease
/// directory.
public final class SandboxJob: RunningJob, Sendable {
    public let leaseID: String
    let directory: SandboxLeaseDirectory
    /// The supervisor, or `nil` for a job found ended (or lost) in the state directory.
    let supervisor: SandboxProcessIdentity?
    /// Where the job's CPU time is read, if anywhere.
    private let cpuTime: LeaseCPUTime?
    /// The largest CPU time read so far (a per-uid sum can fall back when a process is reaped).
    private let largestCPUMilliseconds = Mutex<Int64?>(nil)
    private let logger: Logger
    /// File work (signals, output) runs here, off the cooperative pool, one operation at a time.
    private let queue: DispatchQueue
    private let outcome = Mutex<Outcome>(.running(waiters: []))
    private let outputLog: Mutex<SandboxOutputLog>

    private enum Outcome {
        case running(waiters: [CheckedContinuation<JobExit, Never>])
        case ended(JobExit)
    }

    /// How often an adopted job (not our child) is checked for its end.
    static let adoptedPollMilliseconds: UInt32 = 100

    /// A job whose supervisor runs; `isChild` if this process started it (then its end is awaited
    /// with `waitpid`, otherwise polled every ``adoptedPollMilliseconds``).
    init(directory: SandboxLeaseDirectory, supervisor: SandboxProcessIdentity, isChild: Bool, cpuTime: LeaseCPUTime?, logger: Logger) {
        self.leaseID = directory.leaseID
        self.directory = directory
        self.supervisor = supervisor
        self.cpuTime = cpuTime
        self.logger = logger
        self.queue = DispatchQueue(label: "osg.sandbox.job.\(directory.leaseID)")
        self.outputLog = Mutex(SandboxOutputLog(directory: directory))
        if isChild {
            SandboxProcess.reap(supervisor.pid) { [self] status in
                // Not ours to wait for after all (SIGCHLD ignored, reaped elsewhere): watch it instead.
                if status == nil { Self.poll(supervisor, directory) }
                finish()
            }
        } else {
            let thread = Thread { [self] in
                Self.poll(supervisor, directory)
                finish()
            }
            thread.name = "osg-sandbox-watch-\(directory.leaseID)"
            thread.stackSize = 64 * 1024
            thread.start()
        }
    }

    /// A job that ended already: how it ended is known.
    init(directory: SandboxLeaseDirectory, ended: JobExit, logger: Logger) {
        self.leaseID = directory.leaseID
        self.directory = directory
        self.supervisor = nil
        self.cpuTime = nil
        self.logger = logger
        self.queue = DispatchQueue(label: "osg.sandbox.job.\(directory.leaseID)")
        self.outputLog = Mutex(SandboxOutputLog(directory: directory))
        outcome.withLock { $0 = .ended(ended) }
    }

    /// Returns once the supervisor has written the status or is gone.
    private static func poll(_ supervisor: SandboxProcessIdentity, _ directory: SandboxLeaseDirectory) {
        while supervisor.isAlive && !SandboxFiles.exists(directory.status) {
            usleep(adoptedPollMilliseconds * 1000)
        }
    }

    /// The supervisor is gone: reads its verdict and wakes every waiter.
    private func finish() {
        let exit: JobExit
        if let line = SandboxFiles.readText(directory.status) {
            exit = SandboxExitStatus.parse(line)
        } else {
            exit = .nodeFault("the job's supervisor ended without recording how the job ended")
        }
        let waiters = outcome.withLock { state -> [CheckedContinuation<JobExit, Never>] in
            guard case .running(let waiters) = state else { return [] }
            state = .ended(exit)
            return waiters
        }
        logger.info("sandbox job ended", metadata: ["lease": "\(leaseID)", "exit": "\(exit)"])
        for waiter in waiters { waiter.resume(returning: exit) }
    }

    /// How the job ended, or `nil` while it runs.
    public var endedExit: JobExit? {
        outcome.withLock { state in
            if case .ended(let exit) = state { return exit }
            return nil
        }
    }

    /// Sends SIGTERM to every process of the job, and has the supervisor's `kill-after` helper
    /// kill the sandbox `graceSeconds` later if it still runs (even if the agent has died by
    /// then). The job then ends as `.stopped`, unless it had ended before.
    public func terminate(graceSeconds: Int64) async {
        await perform { job in
            guard job.markStopRequested() else { return }
            if let initPID = job.sandboxInit() { SandboxProcess.signalNamespace(ofInit: initPID, SIGTERM) }
            let grace = max(0, graceSeconds)
            do {
                let helper = try SandboxProcess.spawnDetached(
                    ["/bin/bash", job.directory.supervisorScript.path]
                        + SandboxSupervisorScript.killAfterArguments(leaseDirectory: job.directory.root.path, seconds: grace),
                    logPath: job.directory.supervisorLog.path
                )
                SandboxProcess.reap(helper)
            } catch {
                job.logger.error("could not start the grace-period killer; killing now", metadata: ["lease": "\(job.leaseID)", "error": "\(error)"])
                job.killSandbox()
            }
        }
    }

    /// Kills the sandbox now: bubblewrap's monitor dies, its sandbox dies with it
    /// (`--die-with-parent`), and the kernel kills every process of the pid namespace. The job
    /// then ends as `.stopped`, unless it had ended before.
    public func kill() async {
        await perform { job in
            guard job.markStopRequested() else { return }
            job.killSandbox()
        }
    }

    /// Waits for the job's end; any number of tasks may wait.
    public func exit() async -> JobExit {
        await withCheckedContinuation { continuation in
            let ended = outcome.withLock { state -> JobExit? in
                switch state {
                case .ended(let exit):
                    return exit
                case .running(var waiters):
                    waiters.append(continuation)
                    state = .running(waiters: waiters)
                    return nil
                }
            }
            if let ended { continuation.resume(returning: ended) }
        }
    }

    /// Output lines from `offset`, at most `limit` (and at most
    /// ``SandboxOutputLog/maximumLinesPerCall``); see ``SandboxOutputLog`` for line order and
    /// truncation.
    public func output(from offset: Int, limit: Int) async throws -> (lines: [OutputLine], next: Int) {
        let ended = endedExit != nil
        return try await withCheckedThrowingContinuation { continuation in
            queue.async { [self] in
                guard SandboxFiles.exists(directory.root) else {
                    return continuation.resume(throwing: ExecutorError("lease_unknown", "lease \(leaseID) has no state directory any more (cleaned up)"))
                }
                continuation.resume(with: Result { try outputLog.withLock { try $0.lines(from: offset, limit: limit, jobEnded: ended) } })
            }
        }
    }

    /// CPU time of the job's processes so far, milliseconds, never less than an earlier answer;
    /// `nil` when it cannot be told (no cgroup and no uid of its own, or a job found ended).
    public func cpuMilliseconds() async -> Int64? {
        guard let cpuTime else { return nil }
        return await withCheckedContinuation { continuation in
            queue.async { [self] in
                let read = cpuTime.milliseconds()
                continuation.resume(returning: largestCPUMilliseconds.withLock { largest in
                    if let read { largest = max(largest ?? 0, read) }
                    return largest
                })
            }
        }
    }

    // MARK: - Stopping

    private func perform(_ body: @escaping @Sendable (SandboxJob) -> Void) async {
        guard endedExit == nil else { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async { [self] in
                body(self)
                continuation.resume()
            }
        }
    }

    /// Records that the executor stops the job (the supervisor then writes `stopped`); `false` if
    /// the job has already ended, so its own status stands.
    private func markStopRequested() -> Bool {
        guard supervisor != nil, !SandboxFiles.exists(directory.status) else { return false }
        do {
            try SandboxFiles.writeAtomically("\(Int(Date().timeIntervalSince1970))\n", to: directory.stopRequested)
            return true
        } catch {
            logger.error("could not record the stop request", metadata: ["lease": "\(leaseID)", "error": "\(error)"])
            return true
        }
    }

    /// The host pid of the sandbox's init (bubblewrap's reaper), checked to be our sandbox's.
    private func sandboxInit() -> pid_t? {
        guard let monitor = sandboxMonitor(),
            let text = SandboxFiles.readText(directory.sandboxStatus),
            let first = text.split(separator: "\n").first,
            let info = try? JSONDecoder().decode(BubblewrapInfo.self, from: Data(first.utf8)),
            SandboxProcess.parent(of: info.childPID) == monitor.pid
        else { return nil }
        return info.childPID
    }

    /// bubblewrap's monitor process, if it still runs.
    private func sandboxMonitor() -> SandboxProcessIdentity? {
        guard let line = SandboxFiles.readText(directory.sandboxPID), let monitor = SandboxProcessIdentity(line: line),
            monitor.isAlive
        else { return nil }
        return monitor
    }

    private func killSandbox() {
        sandboxMonitor()?.send(SIGKILL)
    }

    private struct BubblewrapInfo: Decodable {
        var childPID: pid_t
        enum CodingKeys: String, CodingKey { case childPID = "child-pid" }
    }
}
