/// A job as a user describes it: what to run, on what, for how long, at what price.
///
/// This is the typed form of the YAML/JSON job spec (DESIGN.md §3, a contract). Parse text
/// with `JobSpecReader` (module OSGSpec); check cross-field rules with ``problems(now:)``.
/// Resources are per node; `nodeCount > 1` asks for a gang that starts together or not at all.
public struct JobSpec: Hashable, Sendable, Codable {
    /// Job name: 1–63 characters of `a-z`, `0-9` and `-`, starting with a letter or digit.
    public var name: String
    /// Container image reference, when the job runs in a container.
    public var image: String?
    /// Command and arguments; for a sandboxed process, or to override the image's entry point.
    public var command: [String]?
    /// Resources each node must provide.
    public var resources: ResourceRequest
    /// Nodes in the gang (1 for a single-node job).
    public var nodeCount: Int
    /// Expected run time, in seconds.
    public var durationSeconds: Int64
    /// Hard limit on run time, in seconds; the job is stopped after it.
    public var maxDurationSeconds: Int64
    /// The highest price the user accepts, per GPU-hour.
    public var maxPricePerGPUHour: MicroCredits
    /// Latest finish time, when the user gives one.
    public var deadline: Timestamp?
    /// Where the job may run.
    public var placement: Placement
    /// Carbon constraints and flexibility.
    public var carbon: CarbonPolicy
    /// Standard, preemptible or set-aside.
    public var jobClass: JobClass
    /// How many times the job is run again after a run of its own fails (`job_failed`: a
    /// non-zero exit, out of memory); `nil` for none (0 is never stored, so older logs and
    /// snapshots keep their bytes). A node's fault always requeues, whatever this says.
    public var retries: Int?
    /// `true` when the job may reach the network from its sandbox; `nil` for no network, the
    /// default (`false` is never stored, so older logs and snapshots keep their bytes).
    public var network: Bool?
    /// Environment variables the job sees, sorted by name, names unique; `nil` for none (an
    /// empty list is never stored, so older logs and snapshots keep their bytes).
    public var env: [EnvironmentVariable]?
    /// Files the agent fetches and checks before the job starts; `nil` for none.
    public var inputs: [JobInput]?
    /// Files or directories returned to the owner after the job ends; `nil` for none.
    public var outputs: [JobOutput]?
    /// The job's secrets (private contents only; never in the log); `nil` for none.
    public var secrets: [JobSecret]?
    /// In the log: the commitment to the job's private contents (``JobContents``), when the
    /// image, command, env, data paths and secrets were taken out; `nil` in a full spec.
    public var contents: String?

    /// Whether the job may reach the network.
    public var allowsNetwork: Bool { network == true }

    /// Creates a spec; check it with ``problems(now:)``.
    public init(
        name: String, image: String? = nil, command: [String]? = nil, resources: ResourceRequest,
        nodeCount: Int = 1, durationSeconds: Int64, maxDurationSeconds: Int64? = nil,
        maxPricePerGPUHour: MicroCredits, deadline: Timestamp? = nil, placement: Placement = Placement(),
        carbon: CarbonPolicy = CarbonPolicy(), jobClass: JobClass = .standard, retries: Int = 0, network: Bool = false,
        env: [EnvironmentVariable] = [], inputs: [JobInput] = [], outputs: [JobOutput] = []
    ) {
        self.name = name
        self.image = image
        self.command = command
        self.resources = resources
        self.nodeCount = nodeCount
        self.durationSeconds = durationSeconds
        self.maxDurationSeconds = maxDurationSeconds ?? durationSeconds
        self.maxPricePerGPUHour = maxPricePerGPUHour
        self.deadline = deadline
        self.placement = placement
        self.carbon = carbon
        self.jobClass = jobClass
        self.retries = retries == 0 ? nil : retries
        self.network = network ? true : nil
        self.env = env.isEmpty ? nil : env.sorted { $0.name < $1.name }
        self.inputs = inputs.isEmpty ? nil : inputs
        self.outputs = outputs.isEmpty ? nil : outputs
    }

    /// The environment as a list, sorted by name (empty when the spec sets none).
    public var environment: [EnvironmentVariable] { env ?? [] }

    /// Runs after a failure the spec allows (0 when it says nothing).
    public var retryLimit: Int { retries ?? 0 }

    /// GPUs the whole job holds: per-node count × nodes.
    public var totalGPUs: Int { resources.gpu.countPerNode * nodeCount }

    /// The most the job can cost: max price × GPUs × max duration, rounded up to a micro-credit.
    public var maxCost: MicroCredits {
        let product = maxPricePerGPUHour.rawValue.multipliedFullWidth(by: Int64(totalGPUs) * maxDurationSeconds)
        let (quotient, remainder) = Int64(3600).dividingFullWidth(product)
        return MicroCredits(remainder > 0 ? quotient + 1 : quotient)
    }
}

/// Resources one node must provide to a job.
public struct ResourceRequest: Hashable, Sendable, Codable {
    /// The GPUs wanted on each node.
    public var gpu: GPURequest
    /// CPU cores per node.
    public var cpuCores: Int
    /// Memory per node, in GiB.
    public var memoryGiB: Int
    /// Local disk per node, in GiB.
    public var diskGiB: Int

    /// Creates a request; the defaults ask for one core, 1 GiB of memory and no disk.
    public init(gpu: GPURequest, cpuCores: Int = 1, memoryGiB: Int = 1, diskGiB: Int = 0) {
        self.gpu = gpu
        self.cpuCores = cpuCores
        self.memoryGiB = memoryGiB
        self.diskGiB = diskGiB
    }
}

/// The GPUs a job wants on each node.
public struct GPURequest: Hashable, Sendable, Codable {
    /// Which models are acceptable.
    public var selector: GPUSelector
    /// GPUs per node.
    public var countPerNode: Int
    /// Minimum memory per GPU, in GiB, when the job needs a floor.
    public var minVRAMGiB: Int?

    /// Creates a GPU request.
    public init(selector: GPUSelector, countPerNode: Int, minVRAMGiB: Int? = nil) {
        self.selector = selector
        self.countPerNode = countPerNode
        self.minVRAMGiB = minVRAMGiB
    }
}

/// Where a job may run.
public struct Placement: Hashable, Sendable, Codable {
    /// Allowed regions; empty means anywhere.
    public var regions: [String]
    /// Allowed jurisdictions (ISO 3166-1 alpha-2 country codes); empty means any.
    public var jurisdictions: [String]
    /// Operators the job must not run on.
    public var excludedOperators: [String]

    /// Creates a placement policy; the defaults allow anywhere.
    public init(regions: [String] = [], jurisdictions: [String] = [], excludedOperators: [String] = []) {
        self.regions = regions
        self.jurisdictions = jurisdictions
        self.excludedOperators = excludedOperators
    }
}

/// How a job treats the carbon intensity of the power it runs on.
public struct CarbonPolicy: Hashable, Sendable, Codable {
    /// Hard cap on the grid's carbon intensity where and when the job starts, gCO2-eq per kWh.
    public var maxGCO2PerKWh: Int?
    /// Whether the job may wait (up to its deadline) for cleaner power.
    public var shift: Bool

    /// Creates a carbon policy; by default no cap and no shifting.
    public init(maxGCO2PerKWh: Int? = nil, shift: Bool = false) {
        self.maxGCO2PerKWh = maxGCO2PerKWh
        self.shift = shift
    }
}

/// The service class of a job.
public enum JobClass: String, Hashable, Sendable, Codable, CaseIterable {
    /// Runs to completion once placed.
    case standard
    /// Cheaper; may be preempted with notice and requeued.
    case preemptible
    /// Runs on capacity set aside for a pool; needs an eligible grant.
    case setAside = "set-aside"
}

/// One environment variable of a job (`env:` in the spec).
public struct EnvironmentVariable: Hashable, Sendable, Codable {
    /// The name: a letter or `_`, then letters, digits and `_`.
    public var name: String
    /// The value, as the job sees it.
    public var value: String

    /// Creates a variable; check it with ``JobSpec/problems(now:)``.
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}
