import OSGDomain

/// One NVIDIA GPU as `nvidia-smi` lists it, with its catalogued model when its name has one.
public struct DiscoveredGPU: Hashable, Sendable, Codable {
    /// The driver's index (`CUDA_VISIBLE_DEVICES` numbering by PCI bus order).
    public var index: Int
    /// The GPU's UUID, e.g. `GPU-9a2b…`; stable across reboots and reindexing.
    public var uuid: String
    /// The marketing name as the driver reports it, e.g. `NVIDIA H100 80GB HBM3`.
    public var name: String
    /// The catalogued model for ``name`` (``NvidiaGPUName/catalogModel(forMarketingName:)``), or
    /// `nil` when the catalog has none: the operator then names the model in the agent config.
    public var model: GPUModel?
    /// Total device memory, MiB, as the driver reports it (less than the marketed size: the
    /// driver reserves some, and ECC more).
    public var memoryMiB: Int
    /// The enforced power limit, watts, or `nil` where the board does not report one (`[N/A]`).
    public var powerLimitWatts: Int?
    /// The driver version, e.g. `550.54.15`.
    public var driverVersion: String
    /// The PCI bus id, e.g. `00000000:18:00.0`.
    public var pciBusID: String

    /// Creates a GPU description.
    public init(
        index: Int, uuid: String, name: String, model: GPUModel?, memoryMiB: Int, powerLimitWatts: Int?,
        driverVersion: String, pciBusID: String
    ) {
        self.index = index
        self.uuid = uuid
        self.name = name
        self.model = model
        self.memoryMiB = memoryMiB
        self.powerLimitWatts = powerLimitWatts
        self.driverVersion = driverVersion
        self.pciBusID = pciBusID
    }

    /// Device memory in whole GiB, rounded to the nearest: the figure the market compares
    /// with a job's `vram_gib`. The driver reports a little less than the marketed size (an
    /// H100 80GB shows 81,559 MiB, a 24 GB RTX 4090 24,564 MiB), and rounding down would
    /// turn every such card into one size smaller than it is sold as.
    public var vramGiB: Int { (memoryMiB + 512) / 1_024 }
}
