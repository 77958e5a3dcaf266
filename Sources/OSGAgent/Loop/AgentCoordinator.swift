import OSGDomain

/// What the agent needs of the coordinator's public API (docs/API.md), every call signed with
/// the operator's key by the implementation (`osg agent` uses the HTTP client in OSGCommands;
/// tests may use a fake).
public protocol AgentCoordinator: Sendable {
    /// `POST /v1/nodes`; a node already registered by this operator is not an error (its ask
    /// is brought up to date instead).
    func register(_ node: NodeRegistrationRequest) async throws(AgentCoordinatorError)
    /// `POST /v1/heartbeats` for all of the agent's nodes in one signed request.
    func heartbeat(nodeIDs: [String]) async throws(AgentCoordinatorError)
    /// `GET /v1/leases?after=V&wait=S`: the running leases on the operator's nodes once their
    /// version passes `after` (or `waitSeconds` pass), and the version to pass next.
    func pollLeases(after version: UInt64, waitSeconds: Int) async throws(AgentCoordinatorError) -> (version: UInt64, leases: [PolledLease])
    /// `POST /v1/leases/{id}/end`. A lease that had already ended is not an error.
    func endLease(_ leaseID: String, report: LeaseReconciler.EndReport) async throws(AgentCoordinatorError)
    /// `POST /v1/leases/{id}/logs` (at most 1,000 lines): `firstLine` numbers the first of them
    /// in `nodeID`'s output of the lease, so the coordinator drops lines it already has when
    /// the agent sends them again.
    func postLogs(leaseID: String, nodeID: String, firstLine: Int, lines: [String]) async throws(AgentCoordinatorError)
    /// `POST /v1/nodes/{id}/benchmark`: what the benchmarks measured of the node: the host's
    /// figures, with its GPUs' means when the GPU benchmark measured every one of them.
    func reportBenchmark(nodeID: String, result: NodeBenchmark) async throws(AgentCoordinatorError)
    /// `POST /v1/leases/{id}/usage`: settle the lease up to `through`.
    func reportUsage(leaseID: String, through: Timestamp, counters: UsageCounters) async throws(AgentCoordinatorError)
}

/// A node as the agent registers it (`POST /v1/nodes`).
public struct NodeRegistrationRequest: Sendable, Hashable, Codable {
    public var id: String
    public var gpuModel: String
    public var gpus: Int
    public var vramGib: Int
    public var cpu: Int
    public var memoryGib: Int
    public var diskGib: Int
    public var region: String
    public var jurisdiction: String
    public var zone: String
    public var powerSource: String
    /// Credits per GPU-hour, as a decimal string (`"1.2"`).
    public var askPrice: String
    /// Credits, as a decimal string.
    public var stake: String
    public var simulated: Bool

    public init(id: String, gpuModel: String, gpus: Int, vramGib: Int, cpu: Int, memoryGib: Int, diskGib: Int, region: String,
                jurisdiction: String, zone: String, powerSource: String, askPrice: String, stake: String, simulated: Bool) {
        self.id = id
        self.gpuModel = gpuModel
        self.gpus = gpus
        self.vramGib = vramGib
        self.cpu = cpu
        self.memoryGib = memoryGib
        self.diskGib = diskGib
        self.region = region
        self.jurisdiction = jurisdiction
        self.zone = zone
        self.powerSource = powerSource
        self.askPrice = askPrice
        self.stake = stake
        self.simulated = simulated
    }

    enum CodingKeys: String, CodingKey {
        case id, gpus, cpu, region, jurisdiction, zone, stake, simulated
        case gpuModel = "gpu_model", vramGib = "vram_gib", memoryGib = "memory_gib", diskGib = "disk_gib"
        case powerSource = "power_source", askPrice = "ask_price"
    }
}

/// Why a call to the coordinator did not go through.
public enum AgentCoordinatorError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No answer (connection refused, timeout, a 5xx): try again later, with backoff.
    case unreachable(String)
    /// The coordinator refused the request (a 4xx): `code` is the API's error code.
    case refused(status: Int, code: String, message: String)

    public var description: String {
        switch self {
        case .unreachable(let detail): "coordinator unreachable: \(detail)"
        case .refused(let status, let code, let message): "refused (\(status) \(code)): \(message)"
        }
    }
}
