/// What a node's host still offers besides GPUs, for an engine that lives across many
/// clearings (the simulator): leases hold CPU cores and memory, and an order should be
/// checked against what is left, not against the node's size.
extension ClearingEngine {
    /// Sets the CPU cores and memory the node at `position` still offers (its size minus what
    /// running leases hold). Orders are then placed only where their per-node cores and
    /// memory fit what is left. Within one clearing the engine does not count cores and memory
    /// between orders (only GPUs), so a caller that needs exact limits checks the placements.
    ///
    /// - Precondition: the values are not negative and not above the node's values at
    ///   construction (the search's slot bounds are computed from those).
    public mutating func setFreeHostResources(at position: Int, cpuCores: Int, memoryGiB: Int) {
        precondition(cpuCores >= 0 && memoryGiB >= 0, "free cores and memory are not negative")
        table.cpuCores[position] = cpuCores
        table.memoryGiB[position] = memoryGiB
    }
}
