/// A machine (a node) an operator offers to the market, with the exact hardware a lease will get.
public struct ComputeNode: Hashable, Sendable, Codable {
    /// Unique node id chosen by the operator, e.g. `rack3-gpu07`.
    public var id: String
    /// The operator's id (hex of its public key in the coordinator).
    public var operatorID: String
    /// The exact GPU model on the node.
    public var gpuModel: GPUModel
    /// GPUs installed.
    public var gpuCount: Int
    /// Memory per GPU, in GiB.
    public var vramGiB: Int
    /// CPU cores.
    public var cpuCores: Int
    /// Memory, in GiB.
    public var memoryGiB: Int
    /// Local disk, in GiB.
    public var diskGiB: Int
    /// Market region, e.g. `eu`, `us-west`.
    public var region: String
    /// Jurisdiction: ISO 3166-1 alpha-2 country code.
    public var jurisdiction: String
    /// Electricity grid zone for carbon data, e.g. `NO`, `US-CAL-CISO`.
    public var gridZone: String
    /// How the node is powered.
    public var powerSource: PowerSource
    /// The operator's asking price per GPU-hour.
    public var askPerGPUHour: MicroCredits
    /// Collateral the operator stakes on this node's leases.
    public var stake: MicroCredits
    /// `true` when the node's GPUs are virtual (advertised by `osg agent --simulate` for demos
    /// and tests), shown in every public view; `nil` for real hardware (absent from the
    /// encoding, so older logs and snapshots keep their bytes; `false` is never stored).
    public var simulated: Bool?

    /// Whether the node's GPUs are virtual.
    public var isSimulated: Bool { simulated == true }

    /// Creates a node description.
    public init(
        id: String, operatorID: String, gpuModel: GPUModel, gpuCount: Int, vramGiB: Int, cpuCores: Int,
        memoryGiB: Int, diskGiB: Int, region: String, jurisdiction: String, gridZone: String,
        powerSource: PowerSource = .grid, askPerGPUHour: MicroCredits, stake: MicroCredits = .zero, simulated: Bool = false
    ) {
        self.id = id
        self.operatorID = operatorID
        self.gpuModel = gpuModel
        self.gpuCount = gpuCount
        self.vramGiB = vramGiB
        self.cpuCores = cpuCores
        self.memoryGiB = memoryGiB
        self.diskGiB = diskGiB
        self.region = region
        self.jurisdiction = jurisdiction
        self.gridZone = gridZone
        self.powerSource = powerSource
        self.askPerGPUHour = askPerGPUHour
        self.stake = stake
        self.simulated = simulated ? true : nil
    }

    /// The published bounds on a node's figures, which the coordinator's API enforces before
    /// anything is logged (a 400 `out_of_range` naming the field).
    ///
    /// They are chosen so that every aggregate the coordinator publishes fits 64 bits even
    /// over a million nodes of one operator: 10^6 × ``maxStake`` = 10^18 micro-credits and
    /// 10^6 × ``maxGPUs`` × ``maxAskPerGPUHour`` = 6.4 × 10^17, both below `Int64.max`
    /// (≈ 9.22 × 10^18). The core keeps accepting what earlier logs hold (``problems`` is
    /// unchanged, so every replay gives the same state); its sums are wide or saturating.
    public enum Limits {
        /// Most GPUs on one node: ``JobSpec/Limits/maxGPUsPerNode``.
        public static let maxGPUs = JobSpec.Limits.maxGPUsPerNode
        /// Largest memory per GPU, GiB (no catalogued GPU comes near it).
        public static let maxVRAMGiB = 4_096
        /// Most CPU cores on one node.
        public static let maxCPUCores = 100_000
        /// Largest memory on one node, GiB.
        public static let maxMemoryGiB = 1_000_000
        /// Largest local disk on one node, GiB.
        public static let maxDiskGiB = 100_000_000
        /// Highest ask per GPU-hour: the highest price a job may offer
        /// (``JobSpec/Limits/maxPricePerGPUHour``, 10,000 credits); a node asking more could
        /// never be placed.
        public static let maxAskPerGPUHour = JobSpec.Limits.maxPricePerGPUHour
        /// Largest stake on one node: 1,000,000 credits.
        public static let maxStake = MicroCredits(1_000_000 * MicroCredits.perCredit)
    }

    /// Reasons this description cannot be registered; empty when it is acceptable.
    public var problems: [String] {
        var problems: [String] = []
        if let problem = IdentifierText.problem(id, field: "id") { problems.append(problem) }
        if gpuCount < 1 || gpuCount > JobSpec.Limits.maxGPUsPerNode {
            problems.append("gpu count must be between 1 and \(JobSpec.Limits.maxGPUsPerNode), got \(gpuCount)")
        }
        if vramGiB < 1 || vramGiB > gpuModel.maxVRAMGiB {
            problems.append("vram_gib must be between 1 and \(gpuModel.maxVRAMGiB) for \(gpuModel.name), got \(vramGiB)")
        }
        if cpuCores < 1 { problems.append("cpu must be at least 1, got \(cpuCores)") }
        if memoryGiB < 1 { problems.append("memory_gib must be at least 1, got \(memoryGiB)") }
        if diskGiB < 0 { problems.append("disk_gib must not be negative, got \(diskGiB)") }
        if simulated == false { problems.append("simulated is stored only when true (absent means real hardware)") }
        if !JobSpec.isValidRegion(region) { problems.append("region '\(region)' must be lower-case letters, digits and '-'") }
        if !JobSpec.isValidJurisdiction(jurisdiction) { problems.append("jurisdiction '\(jurisdiction)' must be an ISO 3166-1 alpha-2 code") }
        if let problem = IdentifierText.problem(gridZone, field: "zone") { problems.append(problem) }
        if askPerGPUHour.rawValue <= 0 { problems.append("ask price must be more than 0, got \(askPerGPUHour)") }
        if stake.rawValue < 0 { problems.append("stake must not be negative, got \(stake)") }
        return problems
    }
}

/// Where a node's electricity comes from; carbon accounting uses the grid zone unless the
/// node has its own supply.
public enum PowerSource: String, Hashable, Sendable, Codable, CaseIterable {
    /// The zone's grid mix.
    case grid
    /// On-site solar.
    case solar
    /// On-site or contracted wind.
    case wind
    /// Hydro power.
    case hydro
    /// Nuclear power.
    case nuclear
}
