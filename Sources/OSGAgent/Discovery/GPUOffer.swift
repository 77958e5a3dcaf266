import OSGDomain

/// The GPUs a node advertises: one model, at least one GPU.
public struct GPUOffer: Hashable, Sendable {
    /// The model advertised.
    public var model: GPUModel
    /// The GPUs offered, by index (1 to ``OSGDomain/ComputeNode/Limits/maxGPUs``).
    public var gpus: [DiscoveredGPU]
    /// GPUs of other models left out.
    public var warnings: [DiscoveryWarning]

    /// Creates an offer.
    public init(model: GPUModel, gpus: [DiscoveredGPU], warnings: [DiscoveryWarning] = []) {
        precondition(!gpus.isEmpty && gpus.count <= ComputeNode.Limits.maxGPUs, "an offer holds 1 to \(ComputeNode.Limits.maxGPUs) GPUs")
        self.model = model
        self.gpus = gpus
        self.warnings = warnings
    }

    /// Memory per GPU to advertise, GiB: the smallest offered GPU's (a job may land on any),
    /// at most the catalog's largest size for the model and at least 1.
    public var vramGiB: Int {
        let smallest = gpus.map(\.vramGiB).min() ?? 1
        return max(1, min(smallest, model.maxVRAMGiB))
    }

    /// The offered GPUs' indices, ascending.
    public var gpuIndices: [Int] { gpus.map(\.index).sorted() }
}
