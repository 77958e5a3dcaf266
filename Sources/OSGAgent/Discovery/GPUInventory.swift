import OSGDomain

/// The healthy GPUs `nvidia-smi` listed on this host, and warnings for the ones left out.
///
/// A node advertises GPUs of one model; ``offer(configuredModel:)`` chooses them:
/// - every GPU of one catalogued model, and no model configured → all of them;
/// - a model configured → the GPUs of that model (the others are left out with a warning);
///   if none is catalogued as that model but every GPU has one uncatalogued name (an
///   `NVIDIA A800`, say), the configured model is the operator's word for that name;
/// - several models, or an uncatalogued name, and no model configured → an error listing
///   ``groupedByModel()`` so the operator can choose.
public struct GPUInventory: Hashable, Sendable {
    /// The healthy GPUs, by index.
    public var gpus: [DiscoveredGPU]
    /// One warning per GPU left out (lost, needing a reset, or reporting error values).
    public var warnings: [DiscoveryWarning]

    /// Creates an inventory.
    public init(gpus: [DiscoveredGPU], warnings: [DiscoveryWarning] = []) {
        self.gpus = gpus
        self.warnings = warnings
    }

    /// GPUs of one kind: a catalogued model, or one uncatalogued marketing name.
    public struct Group: Hashable, Sendable, CustomStringConvertible {
        /// The catalogued model, or `nil` for GPUs whose name the catalog does not know.
        public var model: GPUModel?
        /// The marketing names in the group (an A100 group may hold `A100-SXM4-80GB` and `A100-SXM4-40GB`).
        public var names: [String]
        /// The group's GPUs, by index.
        public var gpus: [DiscoveredGPU]

        /// `4 × A100 (NVIDIA A100-SXM4-80GB)` or `2 × uncatalogued 'NVIDIA A800-SXM4-80GB'`.
        public var description: String {
            let names = names.map { "'\($0)'" }.joined(separator: ", ")
            if let model { return "\(gpus.count) × \(model.name) (\(names))" }
            return "\(gpus.count) × uncatalogued \(names)"
        }
    }

    /// The GPUs grouped by catalogued model (uncatalogued ones by marketing name), in the
    /// order of each group's lowest index.
    public func groupedByModel() -> [Group] {
        var groups: [Group] = []
        for gpu in gpus {
            let slot = groups.firstIndex { group in
                if let model = gpu.model { return group.model == model }
                return group.model == nil && group.names == [gpu.name]
            }
            if let slot {
                groups[slot].gpus.append(gpu)
                if !groups[slot].names.contains(gpu.name) { groups[slot].names.append(gpu.name) }
            } else {
                groups.append(Group(model: gpu.model, names: [gpu.name], gpus: [gpu]))
            }
        }
        return groups
    }

    /// The GPUs this node will advertise, all of one model (see the type's documentation).
    ///
    /// - Parameter configuredModel: the model the agent's config names, or `nil` to take the
    ///   host's only model.
    /// - Throws: ``DiscoveryError`` `no_gpu` (empty inventory), `unknown_gpu_model`,
    ///   `mixed_gpu_models`, `configured_model_absent` or `gpu_count_out_of_range`.
    public func offer(configuredModel: GPUModel?) throws -> GPUOffer {
        let groups = groupedByModel()
        guard !groups.isEmpty else {
            throw DiscoveryError(.noGPU, "no healthy GPU on this host; repair the GPUs, or use --simulate NxMODEL to advertise virtual GPUs for a demo")
        }
        let listing = groups.map(\.description).joined(separator: "; ")
        let chosen: Group
        let model: GPUModel
        if let configuredModel {
            if let group = groups.first(where: { $0.model == configuredModel }) {
                chosen = group
            } else if groups.count == 1, groups[0].model == nil {
                chosen = groups[0]
            } else {
                throw DiscoveryError(.configuredModelAbsent, "the agent config names GPU model \(configuredModel.name), but this host has \(listing); set the model to one of these")
            }
            model = configuredModel
        } else {
            if let unknown = groups.first(where: { $0.model == nil }) {
                throw DiscoveryError(.unknownGPUModel, "GPU name \(unknown.names.map { "'\($0)'" }.joined(separator: ", ")) is not in the GPU catalog; set the model in the agent config to the catalogued model it is sold as (one of \(GPUModel.catalog.map(\.name).joined(separator: ", ")))")
            }
            guard groups.count == 1, let only = groups[0].model else {
                throw DiscoveryError(.mixedGPUModels, "this host has GPUs of several models (\(listing)); a node advertises one model: set the model in the agent config to the one to offer")
            }
            chosen = groups[0]
            model = only
        }
        guard chosen.gpus.count <= ComputeNode.Limits.maxGPUs else {
            throw DiscoveryError(.gpuCountOutOfRange, "this host has \(chosen.gpus.count) \(model.name) GPUs, more than the \(ComputeNode.Limits.maxGPUs) one node may advertise; run one agent per group of at most \(ComputeNode.Limits.maxGPUs) GPUs")
        }
        let leftOut = groups.filter { $0 != chosen }.map {
            DiscoveryWarning(.gpuNotOffered, "\($0) left out: this node offers \(model.name) only")
        }
        return GPUOffer(model: model, gpus: chosen.gpus, warnings: leftOut)
    }
}
