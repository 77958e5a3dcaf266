/// What each node's host still offers besides GPUs: CPU cores, memory and local disk, by node
/// position (id order).
///
/// Every placement takes its per-node cores, memory and disk from each node it uses, so a
/// node never gives more of any resource than it has, summed over the orders placed on it
/// (DESIGN.md §4). Disk is counted only on nodes that state it (`-1`: not stated, never a
/// limit).
struct HostCapacity: Sendable {
    var cpuCores: [Int]
    var memoryGiB: [Int]
    /// -1 where the node does not state its disk.
    var diskGiB: [Int]

    /// The host figures of `table` (what the nodes offer at the start of a clearing).
    init(_ table: NodeTable) {
        cpuCores = table.cpuCores
        memoryGiB = table.memoryGiB
        diskGiB = table.diskGiB
    }

    /// Whether the node at `node` still has the cores, memory and disk `need` asks per node.
    @inline(__always)
    func fits(_ need: OrderRequirement, node: Int) -> Bool {
        if cpuCores[node] < need.cpuCores || memoryGiB[node] < need.memoryGiB { return false }
        let disk = diskGiB[node]
        return disk < 0 || disk >= need.diskGiB
    }

    /// Takes one node's share of `need` from the node at `node`.
    ///
    /// - Precondition: the node fits `need` (``fits(_:node:)``): nothing goes below zero.
    @inline(__always)
    mutating func take(_ need: OrderRequirement, node: Int) {
        precondition(fits(need, node: node), "a node never gives more cores, memory or disk than it has")
        cpuCores[node] -= need.cpuCores
        memoryGiB[node] -= need.memoryGiB
        if diskGiB[node] >= 0 { diskGiB[node] -= need.diskGiB }
    }
}

/// How badly placing an order on a node would strand the node's GPUs: the share of its GPUs
/// left free beyond the share of its scarcest host resource (cores or memory) left free, in
/// parts per million, never below 0.
///
/// With g, c and m the fractions of what the node offered at the start of the clearing (its
/// GPUs, cores and memory) still free after the placement, the score is max(0, g − min(c, m)). A job whose cores and memory are at most in
/// proportion to its GPUs scores 0 on every node; a core-hungry job scores high on a node
/// whose cores it would nearly exhaust while GPUs stay free, GPUs that nothing could use.
/// Among nodes of equal ask the search prefers the lowest score, so such jobs go where cores
/// are plentiful and GPUs are not stranded (docs/MARKET.md, "Which nodes an order gets").
/// Integer arithmetic (floor division), so the score is the same on every machine.
@inline(__always)
func strandingScore(freeGPUsAfter: Int, sizeGPUs: Int, freeCPUAfter: Int, sizeCPU: Int, freeMemoryAfter: Int, sizeMemory: Int) -> Int {
    guard sizeGPUs > 0, sizeCPU > 0, sizeMemory > 0 else { return 0 }
    let gpuShare = freeGPUsAfter * 1_000_000 / sizeGPUs
    let cpuShare = freeCPUAfter * 1_000_000 / sizeCPU
    let memoryShare = freeMemoryAfter * 1_000_000 / sizeMemory
    return max(0, gpuShare - min(cpuShare, memoryShare))
}

