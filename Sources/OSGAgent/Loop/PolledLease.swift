import OSGDomain

/// A lease as the coordinator's operator poll (`GET /v1/leases`) shows it: the running leases
/// on the operator's nodes, each with what the agent needs to run it (docs/API.md).
public struct PolledLease: Sendable, Hashable, Decodable {
    public struct Allocation: Sendable, Hashable, Decodable {
        public var node: String
        public var gpus: Int

        public init(node: String, gpus: Int) {
            self.node = node
            self.gpus = gpus
        }
    }

    /// The job's spec, as far as the operator needs it.
    public struct Spec: Sendable, Hashable, Decodable {
        public var name: String
        public var cpu: Int
        public var memoryGib: Int
        public var diskGib: Int
        public var gpusPerNode: Int
        public var nodes: Int
        public var durationSeconds: Int64
        public var network: Bool
        /// The files to fetch and check before the job starts.
        public var inputs: [JobInput]?
        /// What to return after the job ends.
        public var outputs: [JobOutput]?
        /// The commitment to the job's private contents (image, command, env, data paths,
        /// secrets), fetched from the coordinator's blob store and checked before the job starts.
        public var contents: String?

        public init(name: String, cpu: Int, memoryGib: Int, diskGib: Int = 0, gpusPerNode: Int, nodes: Int = 1,
                    durationSeconds: Int64, network: Bool = false, inputs: [JobInput]? = nil, outputs: [JobOutput]? = nil) {
            self.inputs = inputs
            self.outputs = outputs
            self.name = name
            self.cpu = cpu
            self.memoryGib = memoryGib
            self.diskGib = diskGib
            self.gpusPerNode = gpusPerNode
            self.nodes = nodes
            self.durationSeconds = durationSeconds
            self.network = network
        }
    }

    /// A preemption notice on the lease: stop before `deadline`.
    public struct Preemption: Sendable, Hashable, Decodable {
        public var forJob: String
        public var noticed: String
        public var deadline: String

        public init(forJob: String, noticed: String, deadline: String) {
            self.forJob = forJob
            self.noticed = noticed
            self.deadline = deadline
        }
    }

    public var id: String
    public var job: String
    /// The lease's nodes, sorted by node id: a node's index is its rank in the gang.
    public var nodes: [Allocation]
    public var start: String
    public var image: String?
    public var command: [String]?
    /// The job's environment variables (`env:` in its spec).
    public var env: [EnvironmentVariable]?
    public var maxDurationSeconds: Int64?
    public var spec: Spec?
    public var preemption: Preemption?
    /// The lease's last usage report, as far as the agent needs it.
    public var usage: Usage?

    /// The last usage report's cumulative figures.
    public struct Usage: Sendable, Hashable, Decodable {
        public var energyWh: Int64?
        public var cpuMilliseconds: Int64?
        enum CodingKeys: String, CodingKey { case energyWh = "energy_wh", cpuMilliseconds = "cpu_milliseconds" }
    }

    public init(id: String, job: String, nodes: [Allocation], start: String, image: String? = nil, command: [String]?,
                maxDurationSeconds: Int64?, spec: Spec?, preemption: Preemption? = nil) {
        self.id = id
        self.job = job
        self.nodes = nodes
        self.start = start
        self.image = image
        self.command = command
        self.maxDurationSeconds = maxDurationSeconds
        self.spec = spec
        self.preemption = preemption
    }

    enum CodingKeys: String, CodingKey {
        case id, job, nodes, start, image, command, env, spec, preemption, usage
        case maxDurationSeconds = "max_duration_seconds"
    }
}

extension PolledLease.Spec {
    enum CodingKeys: String, CodingKey {
        case name, cpu, nodes, network, inputs, outputs, contents
        case memoryGib = "memory_gib", diskGib = "disk_gib", gpusPerNode = "gpus_per_node", durationSeconds = "duration_seconds"
    }
}

extension PolledLease.Preemption {
    enum CodingKeys: String, CodingKey {
        case forJob = "for_job", noticed, deadline
    }
}
