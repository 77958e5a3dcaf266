import OSGDomain

/// CPU cores, memory and local disk on one node: what a job takes there (its spec's per-node
/// `cpu`, `memory_gib` and `disk_gib`), what running leases and pending preemptions hold, or
/// what is still free.
///
/// GPUs are counted apart (``CoordinatorState/allocatedGPUs``, the engine's free GPUs); these
/// are the host's other resources, which a node never gives more of than it has, summed over
/// every running lease on it (DESIGN.md §4). Coordinator nodes always state their disk.
struct HostUse: Hashable, Sendable {
    var cpuCores = 0
    var memoryGiB = 0
    var diskGiB = 0

    static let zero = HostUse()

    init(cpuCores: Int = 0, memoryGiB: Int = 0, diskGiB: Int = 0) {
        self.cpuCores = cpuCores
        self.memoryGiB = memoryGiB
        self.diskGiB = diskGiB
    }

    /// What a job of `spec` takes on each node it uses.
    init(perNodeOf spec: JobSpec) {
        self.init(cpuCores: spec.resources.cpuCores, memoryGiB: spec.resources.memoryGiB, diskGiB: spec.resources.diskGiB)
    }

    /// All that `node` has.
    init(sizeOf node: ComputeNode) {
        self.init(cpuCores: node.cpuCores, memoryGiB: node.memoryGiB, diskGiB: node.diskGiB)
    }

    /// Whether every figure is at least that of `need`.
    func covers(_ need: HostUse) -> Bool {
        cpuCores >= need.cpuCores && memoryGiB >= need.memoryGiB && diskGiB >= need.diskGiB
    }

    /// Whether no figure is negative.
    var isNonNegative: Bool { cpuCores >= 0 && memoryGiB >= 0 && diskGiB >= 0 }

    /// Each figure at least 0.
    var atLeastZero: HostUse {
        HostUse(cpuCores: max(0, cpuCores), memoryGiB: max(0, memoryGiB), diskGiB: max(0, diskGiB))
    }

    /// Figure by figure, the larger of the two.
    func widened(to other: HostUse) -> HostUse {
        HostUse(cpuCores: max(cpuCores, other.cpuCores), memoryGiB: max(memoryGiB, other.memoryGiB), diskGiB: max(diskGiB, other.diskGiB))
    }

    /// Figure by figure, the smaller of the two.
    func limited(to other: HostUse) -> HostUse {
        HostUse(cpuCores: min(cpuCores, other.cpuCores), memoryGiB: min(memoryGiB, other.memoryGiB), diskGiB: min(diskGiB, other.diskGiB))
    }

    static func + (lhs: HostUse, rhs: HostUse) -> HostUse {
        HostUse(cpuCores: lhs.cpuCores + rhs.cpuCores, memoryGiB: lhs.memoryGiB + rhs.memoryGiB, diskGiB: lhs.diskGiB + rhs.diskGiB)
    }

    static func - (lhs: HostUse, rhs: HostUse) -> HostUse {
        HostUse(cpuCores: lhs.cpuCores - rhs.cpuCores, memoryGiB: lhs.memoryGiB - rhs.memoryGiB, diskGiB: lhs.diskGiB - rhs.diskGiB)
    }

    static func += (lhs: inout HostUse, rhs: HostUse) { lhs = lhs + rhs }
    static func -= (lhs: inout HostUse, rhs: HostUse) { lhs = lhs - rhs }
}

/// GPUs and host figures of one node: what it offers at most in a pass, what is free, or what
/// a pending preemption holds there.
struct NodeFigures: Hashable, Sendable {
    var gpus: Int
    var host: HostUse

    static let zero = NodeFigures(gpus: 0, host: .zero)
}

/// Free host figures of every node, by the node's index in ``CoordinatorState/sortedNodeIDs``,
/// in the form ``OSGMarket/ClearingEngine/startClearing(freeGPUs:freeHost:pools:tenants:)`` takes.
typealias EngineHostFigures = (cpuCores: [Int], memoryGiB: [Int], diskGiB: [Int])

extension NodeFigures {
    /// Whether every figure (GPUs, cores, memory, disk) is at least that of `need`.
    func covers(_ need: NodeFigures) -> Bool { gpus >= need.gpus && host.covers(need.host) }

    static func + (lhs: NodeFigures, rhs: NodeFigures) -> NodeFigures {
        NodeFigures(gpus: lhs.gpus + rhs.gpus, host: lhs.host + rhs.host)
    }
}

/// Free GPUs, cores, memory and disk of every registered node, by the node's index in
/// ``CoordinatorState/sortedNodeIDs`` (what a clearing's later steps read after its placements).
struct FreeNodeFigures {
    var gpus: [Int]
    var host: [HostUse]

    subscript(index: Int) -> NodeFigures {
        get { NodeFigures(gpus: gpus[index], host: host[index]) }
        set {
            gpus[index] = newValue.gpus
            host[index] = newValue.host
        }
    }
}
