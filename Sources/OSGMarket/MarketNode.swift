import OSGDomain

/// A node as one clearing sees it: its shape, where it is, what it asks, and how many GPUs
/// are free right now.
///
/// This is the `nodes[]` entry of a market snapshot (DESIGN.md §4). `cpuCores`, `memoryGiB`
/// and `diskGiB` describe the node and are checked against each order's per-node request;
/// the capacity the market trades is `freeGPUs`.
public struct MarketNode: Hashable, Sendable {
    /// Unique node id.
    public var id: String
    /// The operator offering the node.
    public var operatorID: String
    /// The exact GPU model on the node.
    public var gpuModel: GPUModel
    /// GPUs free for this clearing (0...``JobSpec/Limits/maxGPUsPerNode``).
    public var freeGPUs: Int
    /// Memory per GPU, in GiB.
    public var vramGiB: Int
    /// CPU cores of the node.
    public var cpuCores: Int
    /// Memory of the node, in GiB.
    public var memoryGiB: Int
    /// Local disk of the node, in GiB, when the snapshot states it (`nil`: not constrained).
    public var diskGiB: Int?
    /// Market region, e.g. `eu`.
    public var region: String
    /// ISO 3166-1 alpha-2 jurisdiction, e.g. `DE`.
    public var jurisdiction: String
    /// Grid zone for carbon accounting.
    public var zone: String
    /// The operator's ask per GPU-hour.
    public var askPerGPUHour: MicroCredits
    /// Current carbon intensity of the node's zone in millionths of gCO2-eq/kWh
    /// (`45_500_000` is 45.5 g/kWh); `nil` when unknown. A node with no figure is not eligible
    /// for an order with a carbon cap.
    public var carbonMicroGCO2PerKWh: Int64?

    /// Creates a node description for a clearing.
    public init(
        id: String, operatorID: String, gpuModel: GPUModel, freeGPUs: Int, vramGiB: Int, cpuCores: Int,
        memoryGiB: Int, diskGiB: Int? = nil, region: String, jurisdiction: String, zone: String,
        askPerGPUHour: MicroCredits, carbonMicroGCO2PerKWh: Int64? = nil
    ) {
        self.id = id
        self.operatorID = operatorID
        self.gpuModel = gpuModel
        self.freeGPUs = freeGPUs
        self.vramGiB = vramGiB
        self.cpuCores = cpuCores
        self.memoryGiB = memoryGiB
        self.diskGiB = diskGiB
        self.region = region
        self.jurisdiction = jurisdiction
        self.zone = zone
        self.askPerGPUHour = askPerGPUHour
        self.carbonMicroGCO2PerKWh = carbonMicroGCO2PerKWh
    }
}
