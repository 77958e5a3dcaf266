import OSGDomain

/// Every registered node by its index in ``CoordinatorState/sortedNodeIDs``, as one clearing's
/// later steps (preemption, the head's reservation) read them: the figures they test first in
/// flat arrays, so that a scan over the fleet rules most nodes out without copying a node or
/// hashing its id; the whole node beside, read only for the nodes that pass.
struct FleetView {
    let nodes: [ComputeNode]
    let online: [Bool]
    let gpuCount: [Int]
    let size: [HostUse]
    let askMicroCredits: [Int64]

    init(nodes: [ComputeNode], online: [Bool]) {
        precondition(nodes.count == online.count, "one liveness per node")
        self.nodes = nodes
        self.online = online
        gpuCount = nodes.map(\.gpuCount)
        size = nodes.map { HostUse(sizeOf: $0) }
        askMicroCredits = nodes.map(\.askPerGPUHour.rawValue)
    }

    var count: Int { nodes.count }

    /// Whether node `index` is online, and its size and ask could hold `gpus` GPUs and `host`
    /// per node at an ask of at most `ceiling` (the figures only: ``CoordinatorState/nodeAdmits(_:node:ceiling:at:)``
    /// judges the rest).
    func mayHold(_ index: Int, gpus: Int, host: HostUse, ceiling: Int64) -> Bool {
        online[index] && gpuCount[index] >= gpus && size[index].covers(host) && askMicroCredits[index] <= ceiling
    }
}

/// The registered nodes as a clearing reads them, kept across clearings (derived state): the
/// ``FleetView`` of every node by its index in ``CoordinatorState/sortedNodeIDs``, the index
/// of each node id, and each node's grid zone as a small code. With it a clearing's input
/// starts from the nodes' sizes and subtracts what the (fewer) busy nodes hold, instead of
/// reading every node's record and holdings by its id. The state drops it when a node
/// registers, is withdrawn, changes its ask or goes on or off line.
struct FleetCache: Sendable {
    let view: FleetView
    let indexOfNode: [String: Int]
    /// Each node's grid zone, as an index into ``zones``.
    let zoneOfNode: [Int32]
    /// The grid zones of the nodes, sorted.
    let zones: [String]

    init(for state: CoordinatorState) {
        var computeNodes: [ComputeNode] = []
        var online: [Bool] = []
        var indexOfNode: [String: Int] = [:]
        computeNodes.reserveCapacity(state.sortedNodeIDs.count)
        online.reserveCapacity(state.sortedNodeIDs.count)
        indexOfNode.reserveCapacity(state.sortedNodeIDs.count)
        for (index, nodeID) in state.sortedNodeIDs.enumerated() {
            let record = state.nodes[nodeID]!
            computeNodes.append(record.node)
            online.append(record.online)
            indexOfNode[nodeID] = index
        }
        view = FleetView(nodes: computeNodes, online: online)
        self.indexOfNode = indexOfNode
        zones = Set(computeNodes.map(\.gridZone)).sorted()
        let zoneCodes = Dictionary(uniqueKeysWithValues: zones.enumerated().map { ($1, Int32($0)) })
        zoneOfNode = computeNodes.map { zoneCodes[$0.gridZone]! }
    }
}

extension FleetCache {
    /// Whether the cache still shows `state`'s nodes (debug check).
    func isCurrent(for state: CoordinatorState) -> Bool {
        let fresh = FleetCache(for: state)
        return fresh.view.nodes == view.nodes && fresh.view.online == view.online
    }
}

extension CoordinatorState {
    /// The kept ``FleetCache``, or one built now (a state that has none yet).
    var fleet: FleetCache {
        guard let fleetCache else { return FleetCache(for: self) }
        assert(fleetCache.isCurrent(for: self), "the kept fleet is dropped whenever a node registers, leaves, changes its ask or goes on or off line")
        return fleetCache
    }

    /// Builds the ``FleetCache`` if the state holds none.
    mutating func keepFleetCache() {
        if fleetCache == nil { fleetCache = FleetCache(for: self) }
    }
}
