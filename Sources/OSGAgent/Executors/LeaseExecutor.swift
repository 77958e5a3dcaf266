import Foundation
import OSGDomain

/// What an executor needs to run one lease's share of one node.
///
/// The agent builds it from the lease it polled (`GET /v1/leases`): the job spec's command or
/// image, the per-node resources, the GPUs of this node given to the lease, and the hard stop.
/// A gang lease gives each of its nodes the same work with its own ``rank``.
public struct LeaseWork: Sendable, Hashable, Codable {
    /// The lease id; unique on this node, and the key of everything the executor keeps for it.
    public var leaseID: String
    /// The job's order id.
    public var jobID: String
    /// The job's name, for labels (Slurm `--job-name`, log lines).
    public var jobName: String
    /// The program and its arguments; run inside ``image`` when there is one, else in the
    /// host's read-only system.
    public var command: [String]
    /// An OCI image reference (`ghcr.io/org/trainer:1.2`), or `nil` for a sandboxed process.
    public var image: String?
    /// CPU cores the lease may use.
    public var cpuCores: Int
    /// Memory the lease may use, GiB.
    public var memoryGiB: Int
    /// Scratch disk the lease may use, GiB (0: no promise).
    public var diskGiB: Int
    /// Indices of this node's GPUs given to the lease (`CUDA_VISIBLE_DEVICES`); on a simulated
    /// node there are no device nodes, and the indices are only exported.
    public var gpuIndices: [Int]
    /// Whether the job may reach the network (the spec's choice); default no.
    public var networkAllowed: Bool
    /// Environment variables for the job, on top of the executor's own minimal set.
    public var environment: [String: String]
    /// The hard limit: the job is killed this many seconds after it starts.
    public var maxDurationSeconds: Int64
    /// This node's place in a gang (0-based) and the gang's size (1 for a single node).
    public var rank: Int
    public var worldSize: Int
    /// The job's inputs, fetched and checked: each placed read-only at its path in the work
    /// directory.
    public var inputs: [StagedInput] = []
    /// The inputs the spec lists, still to fetch and check before the job starts.
    public var wantedInputs: [JobInput] = []
    /// What to return after the job ends (rank 0 of a gang returns them).
    public var outputs: [JobOutput] = []
    /// The commitment to the job's private contents, still to fetch, check and apply
    /// (``JobContents``); `nil` once applied, or for a spec logged in full.
    public var contents: String?
    /// The names of the job's secrets (from its contents), still to fetch when it starts.
    public var secretNames: [String] = []
    /// The secrets' values, for the executor's start only: never encoded (the agent's journal
    /// holds no secret), so a start after an agent restart fetches them again.
    public var secrets: [LeaseSecret] = []

    enum CodingKeys: String, CodingKey {
        case leaseID, jobID, jobName, command, image, cpuCores, memoryGiB, diskGiB, gpuIndices, networkAllowed, environment,
             maxDurationSeconds, rank, worldSize, inputs, wantedInputs, outputs, contents, secretNames
    }

    public init(
        leaseID: String, jobID: String, jobName: String, command: [String], image: String? = nil, cpuCores: Int,
        memoryGiB: Int, diskGiB: Int = 0, gpuIndices: [Int] = [], networkAllowed: Bool = false,
        environment: [String: String] = [:], maxDurationSeconds: Int64, rank: Int = 0, worldSize: Int = 1
    ) {
        self.leaseID = leaseID
        self.jobID = jobID
        self.jobName = jobName
        self.command = command
        self.image = image
        self.cpuCores = cpuCores
        self.memoryGiB = memoryGiB
        self.diskGiB = diskGiB
        self.gpuIndices = gpuIndices
        self.networkAllowed = networkAllowed
        self.environment = environment
        self.maxDurationSeconds = maxDurationSeconds
        self.rank = rank
        self.worldSize = worldSize
    }
}

/// How a job's process ended, as an executor saw it.
/// A secret's value for a job: a read-only file `/run/secrets/<name>` in memory.
public struct LeaseSecret: Sendable, Hashable {
    public var name: String
    public var value: [UInt8]

    public init(name: String, value: [UInt8]) {
        self.name = name
        self.value = value
    }
}

/// An input file on the node, checked against its digest, and where the job finds it.
public struct StagedInput: Sendable, Hashable, Codable {
    /// The path in the job's work directory (``JobDataPath``).
    public var path: String
    /// The checked file on the node.
    public var file: String

    public init(path: String, file: String) {
        self.path = path
        self.file = file
    }
}

public enum JobExit: Sendable, Hashable, Codable {
    /// It exited by itself with this status (0 = success).
    case exited(code: Int32)
    /// It was ended by this signal (not one the executor sent: a crash, or the kernel).
    case signalled(signal: Int32)
    /// It ran out of its memory limit (the kernel's OOM killer, or the cgroup's).
    case outOfMemory
    /// The executor killed it at its `max_duration`.
    case timedOut
    /// The executor stopped it on request (``RunningJob/terminate(graceSeconds:)`` or ``RunningJob/kill()``).
    case stopped
    /// It never ran, or the executor lost it, for a reason of the node's, not the job's (the
    /// sandbox could not start, the image could not be unpacked, the process vanished while
    /// the agent was down): the lease ends as a node fault, and the tenant is refunded.
    case nodeFault(String)
    /// An input could not be fetched or did not match its digest: the job never started.
    case inputFailed(String)

    /// Whether the job itself succeeded.
    public var succeeded: Bool { self == .exited(code: 0) }
}

/// One line a job wrote, in order.
public struct OutputLine: Sendable, Hashable {
    public enum Stream: String, Sendable, Hashable { case stdout, stderr }
    public var stream: Stream
    public var text: String

    public init(stream: Stream, text: String) {
        self.stream = stream
        self.text = text
    }
}

/// A job an executor started (or found again after the agent restarted).
public protocol RunningJob: Sendable {
    /// The lease it runs.
    var leaseID: String { get }
    /// Asks the job to stop (SIGTERM, `scancel --signal=TERM`), then kills it after
    /// `graceSeconds` if it still runs. Returns at once.
    func terminate(graceSeconds: Int64) async
    /// Kills the job and everything it started, now.
    func kill() async
    /// Waits for the job to end; safe to call more than once and from several tasks.
    func exit() async -> JobExit
    /// Output lines from `offset` on (line numbers counted from 0), at most `limit`, and the
    /// offset to pass next. Output is kept on the host (outside the job's reach) until
    /// ``LeaseExecutor/cleanUp(leaseID:)``, so it survives an agent restart.
    func output(from offset: Int, limit: Int) async throws -> (lines: [OutputLine], next: Int)
    /// CPU time the job's processes used so far, milliseconds (never decreasing), or `nil`
    /// when this executor cannot tell.
    func cpuMilliseconds() async -> Int64?
}

extension RunningJob {
    /// Not measured by default.
    public func cpuMilliseconds() async -> Int64? { nil }
}

/// Runs leases on this host: the sandbox (bubblewrap) by default, or the operator's Slurm.
///
/// Jobs outlive the agent process: an agent that restarts calls ``runningJobs()`` and finds
/// them again, so a coordinator or agent restart never kills tenants' work (DESIGN.md §11).
/// Everything the executor keeps for a lease lives under its state directory, keyed by lease id.
public protocol LeaseExecutor: Sendable {
    /// `sandbox`, `slurm`, … (shown in `osg agent status`).
    var name: String { get }
    /// Checks the executor can run jobs on this host at all (bubblewrap present and allowed
    /// to create namespaces, Slurm reachable); throws a clear ``ExecutorError`` otherwise.
    func preflight() async throws
    /// Starts `work`; returns once the job's process is running. Starting a lease that is
    /// already running (or finished but not cleaned up) returns that job: never runs it twice.
    func start(_ work: LeaseWork) async throws -> any RunningJob
    /// The jobs this executor started and has not cleaned up, running or finished, by lease id
    /// (after an agent restart, too).
    func runningJobs() async throws -> [String: any RunningJob]
    /// Removes everything kept for the lease (work directory, output, status). The job must
    /// have ended.
    func cleanUp(leaseID: String) async throws
    /// The lease's work directory on this node (outputs are collected from it after the job
    /// ends, before ``cleanUp(leaseID:)``).
    func workDirectory(leaseID: String) -> URL?
    /// Whether the executor gives a job its ``LeaseWork/secrets`` (in memory, never on disk).
    var deliversSecrets: Bool { get }
    /// Keeps what a lease of each of `shapes` needs to start built ahead (one per listed shape),
    /// so that such a lease starts without waiting for it; `[]` lets it all go. An executor
    /// that builds nothing ahead ignores it (the default).
    func keepWarm(_ shapes: [WarmLeaseShape]) async
}

/// Why an executor could not do what was asked; `code` is stable, `message` names the fix.
public struct ExecutorError: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: String
    public var message: String

    public init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}

extension LeaseExecutor {
    /// Builds nothing ahead.
    public func keepWarm(_ shapes: [WarmLeaseShape]) async {}

    /// Kills every job this executor holds, waits for each to end and removes its files (a
    /// bench's or a devnet's last clean-up; a production agent leaves jobs to the coordinator's
    /// decisions).
    public func killAll() async {
        guard let jobs = try? await runningJobs() else { return }
        for (leaseID, job) in jobs {
            await job.kill()
            _ = await job.exit()
            try? await cleanUp(leaseID: leaseID)
        }
    }
}
