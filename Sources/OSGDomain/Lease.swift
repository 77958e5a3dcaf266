/// The right to use GPUs on specific nodes at a fixed price, from a start time.
///
/// A lease names the exact hardware (node ids and GPU counts) and the price per GPU-hour the
/// order pays. Its end always carries a machine-readable reason and the refund rule applied.
public struct Lease: Hashable, Sendable, Codable {
    /// Unique lease id.
    public var id: String
    /// The order the lease serves.
    public var orderID: String
    /// GPUs taken on each node.
    public var allocations: [NodeAllocation]
    /// Price per GPU-hour the order pays.
    public var pricePerGPUHour: MicroCredits
    /// When the lease started.
    public var start: Timestamp
    /// How it ended, once it has.
    public var end: LeaseEnd?
    /// The last usage report (streamed settlement), if any; absent from the encoding when none.
    public var usage: LeaseUsage?

    /// Creates a running lease.
    public init(id: String, orderID: String, allocations: [NodeAllocation], pricePerGPUHour: MicroCredits, start: Timestamp) {
        precondition(!allocations.isEmpty, "a lease holds at least one node")
        self.id = id
        self.orderID = orderID
        self.allocations = allocations
        self.pricePerGPUHour = pricePerGPUHour
        self.start = start
    }

    /// GPUs held across all nodes.
    public var totalGPUs: Int { allocations.reduce(0) { $0 + $1.gpus } }
}

/// GPUs one lease takes on one node.
public struct NodeAllocation: Hashable, Sendable, Codable {
    /// The node.
    public var nodeID: String
    /// GPUs taken on it.
    public var gpus: Int

    public init(nodeID: String, gpus: Int) {
        self.nodeID = nodeID
        self.gpus = gpus
    }
}

/// How and when a lease ended.
public struct LeaseEnd: Hashable, Sendable, Codable {
    /// When it ended.
    public var at: Timestamp
    /// Why it ended.
    public var reason: LeaseEndReason
    /// The job's exit status as the node's agent reported it (a signal N as 128 + N), when it
    /// reported one; absent from the encoding otherwise, so older snapshots keep their bytes.
    public var exitCode: Int?
    /// What came back for each of the spec's outputs, in the spec's order (`nil` where nothing
    /// did), when the agent returned outputs; absent from the encoding otherwise.
    public var outputs: [OutputBlob?]?

    public init(at: Timestamp, reason: LeaseEndReason, exitCode: Int? = nil, outputs: [OutputBlob?]? = nil) {
        self.at = at
        self.reason = reason
        self.outputs = outputs
        self.exitCode = exitCode
    }

    /// The range of exit codes a lease end may carry: a process's 0–255, and -1 for "ended
    /// without an exit status of its own".
    public static let exitCodes = -1...255
}

/// Machine-readable reasons a lease ends; each implies a published refund rule.
public enum LeaseEndReason: String, Hashable, Sendable, Codable, CaseIterable {
    /// The job finished; the unused escrow is refunded.
    case completed
    /// The tenant cancelled; use so far is paid, the rest refunded.
    case cancelledByTenant = "cancelled_by_tenant"
    /// The job hit max_duration.
    case maxDurationReached = "max_duration_reached"
    /// Preempted (preemptible class only) after notice; the job is requeued.
    case preempted
    /// The node stopped heartbeating; the job is requeued, the operator's stake may be slashed.
    case nodeLost = "node_lost"
    /// The operator removed the node; the job is requeued, the operator's stake may be slashed.
    case nodeWithdrawn = "node_withdrawn"
    /// The job itself failed (a non-zero exit, out of memory, a crash), as the node's agent
    /// reported: the tenant pays for the time used, and the job is requeued only while its
    /// spec's `retries` allow another run.
    case jobFailed = "job_failed"
    /// An input of the job could not be fetched or did not match its SHA-256 and size: the
    /// input's fault, not the node's. Paid and requeued as `job_failed`.
    case inputFailed = "input_failed"
    /// The node's agent reported a fault of the node (hardware failure, the sandbox could not
    /// start, the job's supervisor vanished): like `node_lost`, the job is requeued.
    case nodeFault = "node_fault"
}
