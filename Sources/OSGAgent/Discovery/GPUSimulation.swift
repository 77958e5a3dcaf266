import OSGDomain

/// Virtual GPUs a demo agent advertises instead of real ones: `osg agent --simulate 4xH100`.
///
/// The text is `<count>x<model>`: a count from 1 to ``OSGDomain/ComputeNode/Limits/maxGPUs``,
/// `x` (or `X` or `×`), and a catalogued model name, matched as ``OSGDomain/GPUModel/named(_:)``
/// does (`8xrtx-4090` is `8xRTX4090`). Each virtual GPU has the catalog's largest memory
/// size for the model.
public struct GPUSimulation: Hashable, Sendable, CustomStringConvertible {
    /// How many virtual GPUs.
    public var count: Int
    /// Their model.
    public var model: GPUModel

    /// Creates a simulation; `count` must be within the node limits.
    public init(count: Int, model: GPUModel) {
        precondition((1...ComputeNode.Limits.maxGPUs).contains(count), "simulated GPU count must be 1-\(ComputeNode.Limits.maxGPUs)")
        self.count = count
        self.model = model
    }

    /// Parses `--simulate` text such as `4xH100`.
    ///
    /// - Throws: ``DiscoveryError`` `simulate_malformed` (not `<count>x<model>`),
    ///   `simulate_count_out_of_range` or `simulate_unknown_model`.
    public init(text: String) throws {
        let trimmed = text.trimmingASCIIWhitespace()
        let usage = "expected <count>x<model>, e.g. --simulate 4xH100"
        guard !trimmed.isEmpty else {
            throw DiscoveryError(.simulateMalformed, "--simulate is empty; \(usage)")
        }
        guard let separator = trimmed.firstIndex(where: { $0 == "x" || $0 == "X" || $0 == "×" }) else {
            throw DiscoveryError(.simulateMalformed, "--simulate '\(trimmed)' has no count; \(usage)")
        }
        let countText = trimmed[..<separator].trimmingASCIIWhitespace()
        let modelText = trimmed[trimmed.index(after: separator)...].trimmingASCIIWhitespace()
        guard !countText.isEmpty, countText.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else {
            throw DiscoveryError(.simulateMalformed, "--simulate '\(trimmed)': count '\(countText)' is not a whole number; \(usage)")
        }
        let limit = ComputeNode.Limits.maxGPUs
        // A count too long for Int is out of range as surely as 65 is.
        guard let count = Int(countText), (1...limit).contains(count) else {
            throw DiscoveryError(.simulateCountOutOfRange, "--simulate '\(trimmed)': count \(countText) must be between 1 and \(limit) GPUs per node")
        }
        guard !modelText.isEmpty else {
            throw DiscoveryError(.simulateMalformed, "--simulate '\(trimmed)' has no model; \(usage)")
        }
        guard let model = GPUModel.named(modelText) else {
            throw DiscoveryError(.simulateUnknownModel, "--simulate '\(trimmed)': '\(modelText)' is not a catalogued GPU model; use one of \(GPUModel.catalog.map(\.name).joined(separator: ", "))")
        }
        self.init(count: count, model: model)
    }

    /// Memory per virtual GPU, GiB: the catalog's largest size for the model.
    public var vramGiB: Int { model.maxVRAMGiB }

    /// The virtual GPUs' indices, `0..<count`.
    public var gpuIndices: [Int] { Array(0..<count) }

    /// `4xH100`.
    public var description: String { "\(count)x\(model.name)" }
}
