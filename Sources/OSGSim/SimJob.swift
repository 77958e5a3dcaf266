/// Who submits a job, by the rule of docs/SIMULATOR.md ("User classes").
public enum UserClass: Int, CaseIterable, Sendable, Comparable {
    /// A heavy user: together the heaviest users cover 60 % of the demanded GPU-hours.
    case established
    /// Any other user not chosen as civic.
    case newcomer
    /// Every fifth other user (by id): public-interest work (schools, NGOs, public bodies).
    case civic

    /// The name used in reports.
    public var name: String {
        switch self {
        case .established: "established"
        case .newcomer: "newcomer"
        case .civic: "civic"
        }
    }

    public static func < (lhs: UserClass, rhs: UserClass) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// One job of a simulated workload. Times are seconds from the start of the simulation.
public struct SimJob: Hashable, Sendable {
    /// Submission time, seconds from the simulation's start.
    public var submitSeconds: Int64
    /// GPUs the job needs in total (`nodes` × ``gpusPerNode``).
    public var gpus: Int
    /// Run time once started, in seconds (at least 1).
    public var durationSeconds: Int64
    /// The submitting user (index into the workload's users).
    public var user: Int32
    /// Whether the job may wait for cleaner power (best-effort batch work, see the trace mapping).
    public var flexible: Bool
    /// CPU cores the job needs in total (0: not limited).
    public var cpus: Int
    /// Memory the job needs in total, GiB (0: not limited).
    public var memoryGiB: Int
    /// Nodes the job runs on at once (a gang when above 1), each with ``gpusPerNode`` GPUs.
    public var nodes: Int

    /// Creates a job.
    public init(submitSeconds: Int64, gpus: Int, durationSeconds: Int64, user: Int32, flexible: Bool, cpus: Int = 0,
                memoryGiB: Int = 0, nodes: Int = 1) {
        precondition(gpus >= 1 && durationSeconds >= 1 && cpus >= 0, "a job needs at least one GPU for at least one second")
        precondition(nodes >= 1 && gpus % nodes == 0 && memoryGiB >= 0, "a gang's GPUs split evenly over its nodes")
        self.submitSeconds = submitSeconds
        self.gpus = gpus
        self.durationSeconds = durationSeconds
        self.user = user
        self.flexible = flexible
        self.cpus = cpus
        self.memoryGiB = memoryGiB
        self.nodes = nodes
    }

    /// The largest GPU count a job asks on one node; a job asking more is a gang.
    public static let maxGPUsPerNode = 8

    /// The gang rule (docs/SIMULATOR.md): a request of `gpus` GPUs above ``maxGPUsPerNode``
    /// runs on `ceil(gpus / 8)` nodes with `ceil(gpus / nodes)` GPUs each (so the total may
    /// round up); CPU cores and memory split evenly, rounded up per node.
    public static func shaped(submitSeconds: Int64, gpus: Int, durationSeconds: Int64, user: Int32, flexible: Bool,
                              cpus: Int, memoryGiB: Int) -> SimJob {
        let nodes = (gpus + maxGPUsPerNode - 1) / maxGPUsPerNode
        let perNode = (gpus + nodes - 1) / nodes
        return SimJob(submitSeconds: submitSeconds, gpus: perNode * nodes, durationSeconds: durationSeconds, user: user, flexible: flexible,
                      cpus: (cpus + nodes - 1) / nodes * nodes, memoryGiB: (memoryGiB + nodes - 1) / nodes * nodes, nodes: nodes)
    }

    /// GPUs on each of the job's nodes.
    public var gpusPerNode: Int { gpus / nodes }
    /// CPU cores on each node (at least 1, the market's floor).
    public var cpusPerNode: Int { max(1, cpus / nodes) }
    /// Memory on each node, GiB (at least 1, the market's floor).
    public var memoryGiBPerNode: Int { max(1, memoryGiB / nodes) }

    /// GPU-seconds the job asks for.
    public var gpuSeconds: Int64 { Int64(gpus) * durationSeconds }
}

/// The jobs of one run (sorted by submission time, then position) and each user's class.
public struct Workload: Hashable, Sendable {
    /// Jobs in submission order.
    public var jobs: [SimJob]
    /// Class of each user, by user index.
    public var userClasses: [UserClass]

    /// Creates a workload; sorts the jobs by submission time (stable).
    public init(jobs: [SimJob], userClasses: [UserClass]) {
        var indexed = Array(jobs.enumerated())
        indexed.sort { $0.element.submitSeconds != $1.element.submitSeconds ? $0.element.submitSeconds < $1.element.submitSeconds : $0.offset < $1.offset }
        self.jobs = indexed.map(\.element)
        self.userClasses = userClasses
        precondition(self.jobs.allSatisfy { Int($0.user) < userClasses.count }, "every job's user has a class")
    }

    /// The class of a job's user.
    public func userClass(of job: SimJob) -> UserClass { userClasses[Int(job.user)] }
}
