import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The files the sandbox executor keeps for one lease, all under `<state>/leases/<leaseID>/`.
///
/// The lease directory is root's (0711: the job's uid may pass through it to reach `work/` while
/// bubblewrap sets up its mounts, and nothing more); every file in it but `work/` is root's and
/// 0600, so the job can neither read its neighbours' settings nor forge its own status. The job
/// sees only `work/`, mounted at `/work`.
struct SandboxLeaseDirectory: Sendable, Hashable {
    /// The longest lease id used as a directory name.
    static let maximumLeaseIDLength = 128

    let leaseID: String
    let root: URL

    /// The directory of `leaseID` under `leasesDirectory`; throws if the id is unsafe as a
    /// path component.
    init(leaseID: String, leasesDirectory: URL) throws {
        try Self.validate(leaseID: leaseID)
        self.leaseID = leaseID
        self.root = leasesDirectory.appendingPathComponent(leaseID, isDirectory: true)
    }

    /// The files of a warm slot's directory `slotRoot` (see ``SandboxWarmSlot``): a lease's
    /// layout, named by the slot until a lease takes it.
    init(slotRoot: URL) {
        self.leaseID = slotRoot.lastPathComponent
        self.root = slotRoot
    }

    /// Refuses ids that could escape the leases directory or break the files we write: empty,
    /// `.`/`..`, longer than ``maximumLeaseIDLength``, or with anything but ASCII letters,
    /// digits, `-`, `_` and `.`.
    static func validate(leaseID: String) throws {
        let allowed = leaseID.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x2D || byte == 0x5F || byte == 0x2E
        }
        guard !leaseID.isEmpty, leaseID != ".", leaseID != "..", leaseID.utf8.count <= maximumLeaseIDLength, allowed
        else {
            throw ExecutorError(
                "invalid_lease_id",
                "lease id \(leaseID.debugDescription) cannot name a directory: use 1-\(maximumLeaseIDLength) of A-Z a-z 0-9 - _ . (not . or ..)"
            )
        }
    }

    /// The job's writable directory, mounted at `/work` in the sandbox; owned by the job's uid.
    var work: URL { file("work") }
    /// The supervisor script every lease runs (see ``SandboxSupervisorScript``): not the lease's
    /// own, it lives in the executor's shared folder (``SandboxExecutor/sharedDirectory(of:)``)
    /// of the state directory that holds `leases/<leaseID>/`.
    var supervisorScript: URL {
        SandboxSupervisorScript.url(in: SandboxExecutor.sharedDirectory(of: root.deletingLastPathComponent().deletingLastPathComponent()))
    }
    /// The supervisor's own diagnostics (bash errors); not the job's output.
    var supervisorLog: URL { file("supervisor.log") }
    /// `<pid> <start time>\n` of the supervisor, written by the supervisor itself in one write
    /// (complete once its newline is there).
    var supervisorPID: URL { file("supervisor.pid") }
    /// `<pid> <start time>\n` of bubblewrap's monitor process, written by the supervisor in one
    /// write (complete once its newline is there).
    var sandboxPID: URL { file("sandbox.pid") }
    /// bubblewrap's `--json-status-fd` output: the sandbox's pid, then the job's exit code.
    var sandboxStatus: URL { file("sandbox.json") }
    /// How the job ended, one line (see ``SandboxExitStatus``); written by the supervisor only.
    var status: URL { file("status") }
    /// Present once the executor asked the job to stop: the job then ends as `.stopped`.
    var stopRequested: URL { file("stop-requested") }
    /// Present once the supervisor killed the job at its `maxDurationSeconds`.
    var timedOut: URL { file("timed-out") }
    /// The job's uid on the host, decimal.
    var jobUID: URL { file("uid") }
    /// bubblewrap's options, NUL-separated (read through `--args`, so the job's environment does
    /// not appear on bubblewrap's command line, which every host user can read).
    var bwrapArguments: URL { file("bwrap.args") }
    /// The job's command, NUL-separated.
    var command: URL { file("command") }
    /// The lease's cgroup v2 directory when it is not `osg-lease-<leaseID>`: a lease started in a
    /// warm sandbox keeps the cgroup named by its slot.
    var cgroupRecord: URL { file("cgroup") }
    /// What the job wrote to its stdout and stderr, raw.
    var stdout: URL { file("stdout") }
    var stderr: URL { file("stderr") }
    /// The order in which the executor first saw the lines of the two streams (see
    /// ``SandboxOutputLog``).
    var outputIndex: URL { file("output.index") }

    private func file(_ name: String) -> URL { root.appendingPathComponent(name, isDirectory: false) }
}
