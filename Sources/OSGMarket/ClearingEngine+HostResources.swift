/// What a node's host still offers besides GPUs, for an engine that lives across many
/// clearings (the simulator): leases hold CPU cores, memory and disk, and an order is checked
/// against what is left, not against the node's size. Within a clearing the engine counts them
/// itself: every placement takes its per-node cores, memory and disk from each node it uses.
extension ClearingEngine {
    /// Sets the CPU cores, memory and (for a node that states it) disk the node at `position`
    /// still offers: its size minus what running leases hold. Orders are then placed only where
    /// their per-node cores, memory and disk fit what is left. The diagnosis still judges
    /// "never fitted" against the node's size, as it does for GPUs.
    ///
    /// - Precondition: the values are not negative and not above the node's values at
    ///   construction (the search's slot bounds are computed from those).
    public mutating func setFreeHostResources(at position: Int, cpuCores: Int, memoryGiB: Int, diskGiB: Int? = nil) {
        precondition(cpuCores >= 0 && memoryGiB >= 0, "free cores and memory are not negative")
        precondition(cpuCores <= table.cpuCores[position] && memoryGiB <= table.memoryGiB[position],
                     "a node never has more cores or memory free than its size")
        host.cpuCores[position] = cpuCores
        host.memoryGiB[position] = memoryGiB
        if let diskGiB, host.diskGiB[position] >= 0 {
            precondition(diskGiB >= 0, "free disk is not negative")
            host.diskGiB[position] = diskGiB
        }
    }

    /// CPU cores, memory and disk (-1: not stated) still free on the node at `position`.
    public func freeHostResources(at position: Int) -> (cpuCores: Int, memoryGiB: Int, diskGiB: Int) {
        (host.cpuCores[position], host.memoryGiB[position], host.diskGiB[position])
    }

    /// GPUs stranded now: free GPUs on nodes with no free CPU core or no free memory left,
    /// which no job can use until work there ends (the market statistics report them per
    /// clearing).
    public var strandedGPUs: Int {
        var stranded = 0
        for node in 0..<table.count where freeGPUs[node] > 0 && (host.cpuCores[node] <= 0 || host.memoryGiB[node] <= 0) {
            stranded += freeGPUs[node]
        }
        return stranded
    }
}
