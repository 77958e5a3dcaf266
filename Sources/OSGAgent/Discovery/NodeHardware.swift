import OSGDomain

/// What the agent advertises for this node: its GPUs (real or simulated) and the host's CPU
/// cores, memory and disk, every figure within ``OSGDomain/ComputeNode/Limits``.
///
/// ```swift
/// let host = try HostDiscovery().resources(workDirectory: workDirectory)
/// let offer = try await NvidiaSMIRunner().run().inventory().offer(configuredModel: nil)
/// let hardware = try NodeHardware(offer: offer, host: host)
/// ```
public struct NodeHardware: Hashable, Sendable, Codable {
    /// The GPU model advertised.
    public var gpuModel: GPUModel
    /// GPUs advertised, 1 to ``OSGDomain/ComputeNode/Limits/maxGPUs``.
    public var gpuCount: Int
    /// Memory per GPU, GiB (1 to the model's catalogued largest size).
    public var vramGiB: Int
    /// Whether the GPUs are virtual (`--simulate`): there are no device nodes to hand a job.
    public var simulated: Bool
    /// The indices of the GPUs offered, ascending (`CUDA_VISIBLE_DEVICES` numbering).
    public var gpuIndices: [Int]
    /// CPU cores, 1 to ``OSGDomain/ComputeNode/Limits/maxCPUCores``.
    public var cpuCores: Int
    /// Memory, GiB, 1 to ``OSGDomain/ComputeNode/Limits/maxMemoryGiB``.
    public var memoryGiB: Int
    /// Free disk in the work directory, GiB, 0 to ``OSGDomain/ComputeNode/Limits/maxDiskGiB``.
    public var diskGiB: Int

    /// The hardware of a node offering real GPUs.
    ///
    /// - Throws: ``DiscoveryError`` `host_too_small` when the host has less than 1 GiB of memory.
    public init(offer: GPUOffer, host: HostResources) throws {
        try self.init(
            gpuModel: offer.model, gpuIndices: offer.gpuIndices, vramGiB: offer.vramGiB, simulated: false, host: host
        )
    }

    /// The hardware of a demo node offering virtual GPUs.
    ///
    /// - Throws: ``DiscoveryError`` `host_too_small` when the host has less than 1 GiB of memory.
    public init(simulation: GPUSimulation, host: HostResources) throws {
        try self.init(
            gpuModel: simulation.model, gpuIndices: simulation.gpuIndices, vramGiB: simulation.vramGiB, simulated: true,
            host: host
        )
    }

    private init(gpuModel: GPUModel, gpuIndices: [Int], vramGiB: Int, simulated: Bool, host: HostResources) throws {
        let limits = ComputeNode.Limits.self
        // GPUOffer and GPUSimulation guarantee these; a broken guarantee is a programmer error.
        precondition((1...limits.maxGPUs).contains(gpuIndices.count), "a node advertises 1-\(limits.maxGPUs) GPUs")
        precondition((1...gpuModel.maxVRAMGiB).contains(vramGiB), "vram must be within the catalog's size for \(gpuModel.name)")
        guard host.memoryGiB >= 1 else {
            throw DiscoveryError(.hostTooSmall, "the agent may use \(host.memoryLimitBytes ?? host.memoryTotalBytes) bytes of memory, less than the 1 GiB a node must offer; raise the cgroup memory limit (systemd MemoryMax=, docker --memory) or run the agent on a larger host")
        }
        self.gpuModel = gpuModel
        self.gpuCount = gpuIndices.count
        self.vramGiB = vramGiB
        self.simulated = simulated
        self.gpuIndices = gpuIndices
        // Figures beyond the published bounds are clamped: advertising less than a host has is
        // honest, and no real host comes near them.
        self.cpuCores = min(max(1, host.cpuCores), limits.maxCPUCores)
        self.memoryGiB = min(host.memoryGiB, limits.maxMemoryGiB)
        self.diskGiB = min(host.disk.freeGiB, limits.maxDiskGiB)
    }
}
