import OSGDomain

/// Every registered node by its index in ``CoordinatorState/sortedNodeIDs``, as one clearing's
/// later steps (preemption, the head's reservation) read them: the figures they test first in
/// flat arrays, so that a scan over the fleet rules most nodes out without copying a node or
/// hashing its id; the whole node beside, read only for the nodes that pass.
///
/// Changed in place as nodes go on or off line, register or are withdrawn
/// (``FleetCache/setOnline(_:_:)``, ``FleetCache/insert(_:at:)``, ``FleetCache/remove(at:)``):
/// then a model or operator code may be one a fresh view would number otherwise, or have no
/// node left; codes are only ever compared within one view, so no result changes.
struct FleetView: Sendable {
    fileprivate(set) var nodes: FleetNodes
    /// Whether each node is online.
    fileprivate(set) var online: [Bool]
    fileprivate(set) var gpuCount: [Int]
    fileprivate(set) var size: [HostUse]
    fileprivate(set) var askMicroCredits: [Int64]
    fileprivate(set) var vramGiB: [Int]
    /// Each node's GPU model, as an index into ``models``.
    fileprivate(set) var modelOfNode: [Int32]
    fileprivate(set) var models: [GPUModel]
    /// Each node's grid zone, as an index into ``zones`` (sorted, each zone holding a node).
    fileprivate(set) var zoneOfNode: [Int32]
    let zones: [String]
    /// Each node's operator, as a code of ``operatorCodes``.
    fileprivate(set) var operatorOfNode: [Int32]
    fileprivate(set) var operatorCodes: [String: Int32]
    /// Each node's region, as a code of ``regionCodes``.
    fileprivate(set) var regionOfNode: [Int32]
    fileprivate(set) var regionCodes: [String: Int32]

    init(nodes: [ComputeNode], online: [Bool]) {
        precondition(nodes.count == online.count, "one liveness per node")
        self.nodes = FleetNodes(nodes)
        self.online = online
        gpuCount = nodes.map(\.gpuCount)
        size = nodes.map { HostUse(sizeOf: $0) }
        askMicroCredits = nodes.map(\.askPerGPUHour.rawValue)
        vramGiB = nodes.map(\.vramGiB)
        var modelCodes: [GPUModel: Int32] = [:]
        var models: [GPUModel] = []
        modelOfNode = nodes.map { node in
            if let code = modelCodes[node.gpuModel] { return code }
            models.append(node.gpuModel)
            modelCodes[node.gpuModel] = Int32(models.count - 1)
            return Int32(models.count - 1)
        }
        self.models = models
        zones = Set(nodes.map(\.gridZone)).sorted()
        let zoneCodes = Dictionary(uniqueKeysWithValues: zones.enumerated().map { ($1, Int32($0)) })
        zoneOfNode = nodes.map { zoneCodes[$0.gridZone]! }
        (operatorOfNode, operatorCodes) = Self.codes(of: nodes.map(\.operatorID))
        (regionOfNode, regionCodes) = Self.codes(of: nodes.map(\.region))
    }

    /// Each value's code, numbered in order of first appearance, and the codes by value.
    private static func codes(of values: [String]) -> (byPosition: [Int32], byValue: [String: Int32]) {
        var codes: [String: Int32] = [:]
        let byPosition = values.map { code(of: $0, in: &codes) }
        return (byPosition, codes)
    }

    /// `value`'s code in `codes`, the next one when it has none yet.
    private static func code(of value: String, in codes: inout [String: Int32]) -> Int32 {
        if let code = codes[value] { return code }
        let code = Int32(codes.count)
        codes[value] = code
        return code
    }

    var count: Int { nodes.count }

    /// Inserts `node` (online) at `index`; `false` (nothing changed) when its zone is not one
    /// of ``zones`` (a new zone renumbers them: build a new view).
    fileprivate mutating func insert(_ node: ComputeNode, at index: Int) -> Bool {
        guard let zone = zones.firstIndex(of: node.gridZone) else { return false }
        let model = models.firstIndex(of: node.gpuModel).map(Int32.init) ?? {
            models.append(node.gpuModel)
            return Int32(models.count - 1)
        }()
        let operatorCode = Self.code(of: node.operatorID, in: &operatorCodes)
        let regionCode = Self.code(of: node.region, in: &regionCodes)
        nodes.insert(node, at: index)
        online.insert(true, at: index)
        gpuCount.insert(node.gpuCount, at: index)
        size.insert(HostUse(sizeOf: node), at: index)
        askMicroCredits.insert(node.askPerGPUHour.rawValue, at: index)
        vramGiB.insert(node.vramGiB, at: index)
        modelOfNode.insert(model, at: index)
        zoneOfNode.insert(Int32(zone), at: index)
        operatorOfNode.insert(operatorCode, at: index)
        regionOfNode.insert(regionCode, at: index)
        return true
    }

    /// Removes the node at `index`; `false` (nothing changed) when it is the last node of its
    /// zone (the zones would change: build a new view).
    fileprivate mutating func remove(at index: Int) -> Bool {
        let zone = zoneOfNode[index]
        guard zoneOfNode.indices.contains(where: { $0 != index && zoneOfNode[$0] == zone }) else { return false }
        nodes.remove(at: index)
        online.remove(at: index)
        gpuCount.remove(at: index)
        size.remove(at: index)
        askMicroCredits.remove(at: index)
        vramGiB.remove(at: index)
        modelOfNode.remove(at: index)
        zoneOfNode.remove(at: index)
        operatorOfNode.remove(at: index)
        regionOfNode.remove(at: index)
        return true
    }
}

/// The whole record of each node of a ``FleetView``, by index, each behind a reference: a
/// registration or withdrawal then moves one pointer per later node, not the whole record
/// (at 250,000 nodes that move had been most of a withdrawal's cost).
struct FleetNodes: RandomAccessCollection, Equatable, Sendable {
    private final class Box: Sendable {
        let node: ComputeNode
        init(_ node: ComputeNode) { self.node = node }
    }
    private var boxes: [Box]

    init(_ nodes: [ComputeNode]) { boxes = nodes.map(Box.init) }

    var startIndex: Int { 0 }
    var endIndex: Int { boxes.count }

    subscript(position: Int) -> ComputeNode {
        _read { yield boxes[position].node }
    }

    mutating func insert(_ node: ComputeNode, at index: Int) { boxes.insert(Box(node), at: index) }

    mutating func remove(at index: Int) { boxes.remove(at: index) }

    static func == (lhs: FleetNodes, rhs: FleetNodes) -> Bool { lhs.elementsEqual(rhs) }
}

/// The registered nodes as a clearing reads them, kept across clearings (derived state): the
/// ``FleetView`` of every node by its index in ``CoordinatorState/sortedNodeIDs`` (a node's
/// index found by binary search, ``index(of:)``), and each node's grid zone as a small code. With it a clearing's input
/// starts from the nodes' sizes and subtracts what the (fewer) busy nodes hold, instead of
/// reading every node's record and holdings by its id. A node that registers or is withdrawn,
/// or goes on or off line, is changed in place (``insert(_:at:)``, ``remove(at:)``,
/// ``setOnline(_:_:)``), each in time independent of the fleet's size but for moving the
/// later nodes' entries; the state drops it when a node changes its ask.
struct FleetCache: Sendable {
    private(set) var view: FleetView
    /// What the online nodes of each GPU model offer at most (rules out orders no node could
    /// hold); `nil` after a change, until ``currentModelBounds()`` reads them again.
    private var modelBounds: CoordinatorState.ModelBounds?
    /// GPUs that running leases hold on each node, by index (``CoordinatorState/allocatedGPUs``).
    private(set) var heldGPUs: [Int]
    /// Cores, memory and disk that running leases hold on each node, by index
    /// (``RunningLeaseTotals/hostByNode``).
    private(set) var heldHost: [HostUse]

    init(for state: CoordinatorState) {
        var computeNodes: [ComputeNode] = []
        var online: [Bool] = []
        computeNodes.reserveCapacity(state.sortedNodeIDs.count)
        online.reserveCapacity(state.sortedNodeIDs.count)
        for nodeID in state.sortedNodeIDs {
            let record = state.nodes[nodeID]!
            computeNodes.append(record.node)
            online.append(record.online)
        }
        view = FleetView(nodes: computeNodes, online: online)
        heldGPUs = Array(repeating: 0, count: computeNodes.count)
        heldHost = Array(repeating: .zero, count: computeNodes.count)
        for (nodeID, gpus) in state.allocatedGPUs { if let index = state.nodeIndex(of: nodeID) { heldGPUs[index] = gpus } }
        for (nodeID, held) in state.runningTotals.hostByNode { if let index = state.nodeIndex(of: nodeID) { heldHost[index] = held } }
    }

    /// The index of node `nodeID` in ``CoordinatorState/sortedNodeIDs`` (binary search over the
    /// view's ids, in the same order), or `nil` for a node not registered. A search rather than
    /// a dictionary, which a registration or withdrawal would have to renumber from its index on.
    func index(of nodeID: String) -> Int? {
        var low = 0
        var high = view.count
        while low < high {
            let mid = (low + high) / 2
            if view.nodes[mid].id < nodeID { low = mid + 1 } else { high = mid }
        }
        return low < view.count && view.nodes[low].id == nodeID ? low : nil
    }

    /// What the online nodes of each GPU model offer at most, computed again after a change.
    mutating func currentModelBounds() -> CoordinatorState.ModelBounds {
        if let modelBounds { return modelBounds }
        let bounds = CoordinatorState.ModelBounds(view)
        modelBounds = bounds
        return bounds
    }
}

extension FleetCache {
    /// Records that node `nodeID` went on or off line: its liveness as a cache built afresh
    /// would have it (the model bounds are read again when next needed).
    mutating func setOnline(_ nodeID: String, _ online: Bool) {
        guard let index = index(of: nodeID) else {
            assertionFailure("node \(nodeID) is in the kept fleet")
            return
        }
        guard view.online[index] != online else { return }
        view.online[index] = online
        modelBounds = nil
    }

    /// Records that `node` registered and sits at `index` of the sorted node ids; `false`
    /// when the cache cannot follow (a new zone): drop it.
    mutating func insert(_ node: ComputeNode, at index: Int) -> Bool {
        guard view.insert(node, at: index) else { return false }
        modelBounds = nil
        heldGPUs.insert(0, at: index)
        heldHost.insert(.zero, at: index)
        return true
    }

    /// Records that the node at `index` of the sorted node ids was withdrawn; `false` when
    /// the cache cannot follow (its zone's last node): drop it.
    mutating func remove(at index: Int) -> Bool {
        guard view.remove(at: index) else { return false }
        modelBounds = nil
        heldGPUs.remove(at: index)
        heldHost.remove(at: index)
        return true
    }

    /// Records that a lease started (`starts`) or ended holding `allocations`, with `host`
    /// (cores, memory and disk) on each of its nodes.
    mutating func leaseHolds(_ allocations: [NodeAllocation], host: HostUse, starts: Bool) {
        for allocation in allocations {
            guard let index = index(of: allocation.nodeID) else { continue }
            if starts {
                heldGPUs[index] += allocation.gpus
                heldHost[index] += host
            } else {
                heldGPUs[index] -= allocation.gpus
                heldHost[index] -= host
            }
            assert(heldGPUs[index] >= 0 && heldHost[index].isNonNegative, "a lease frees only what it held")
        }
    }

    /// Whether the cache still shows `state`'s nodes (debug check).
    func isCurrent(for state: CoordinatorState) -> Bool {
        let fresh = FleetCache(for: state)
        guard fresh.view.nodes == view.nodes, fresh.view.online == view.online,
              fresh.view.gpuCount == view.gpuCount, fresh.view.size == view.size, fresh.view.askMicroCredits == view.askMicroCredits,
              fresh.view.vramGiB == view.vramGiB, fresh.view.zones == view.zones,
              fresh.heldGPUs == heldGPUs, fresh.heldHost == heldHost else { return false }
        // Codes may be numbered otherwise than afresh; what they stand for may not differ.
        return (0..<view.count).allSatisfy { index in
            view.models[Int(view.modelOfNode[index])] == fresh.view.models[Int(fresh.view.modelOfNode[index])]
                && view.zoneOfNode[index] == fresh.view.zoneOfNode[index]
                && view.operatorCodes[view.nodes[index].operatorID] == view.operatorOfNode[index]
                && view.regionCodes[view.nodes[index].region] == view.regionOfNode[index]
        }
    }
}

extension CoordinatorState {
    /// The kept ``FleetCache``, or one built now (a state that has none yet).
    var fleet: FleetCache {
        guard let fleetCache else { return FleetCache(for: self) }
        assert(fleetCache.isCurrent(for: self), "the kept fleet follows every registration, withdrawal and liveness change, and is dropped when a node changes its ask")
        return fleetCache
    }

    /// The online nodes' model bounds, from the kept fleet where there is one (computed again
    /// there after a change, once).
    mutating func currentModelBounds() -> ModelBounds {
        guard fleetCache != nil else { return ModelBounds(fleet.view) }
        return fleetCache!.currentModelBounds()
    }

    /// Builds the ``FleetCache`` if the state holds none.
    mutating func keepFleetCache() {
        if fleetCache == nil { fleetCache = FleetCache(for: self) }
    }
}

/// Whether each node of a ``FleetView`` meets every per-node need of one spec with an ask of at
/// most a ceiling (free GPUs aside): ``CoordinatorState/nodeAdmits(_:node:ceiling:at:)`` judged
/// once per GPU model, zone and operator, then per node on codes and integers.
struct FleetAdmission {
    private let fleet: FleetView
    private let ceiling: Int64
    private let gpusPerNode: Int
    private let minVRAMGiB: Int
    private let needHost: HostUse
    private let modelAccepted: [Bool]
    /// The model codes the spec accepts, ascending.
    let acceptedModels: [Int32]
    /// Per zone: whether the spec's carbon cap admits it now (all true without a cap).
    private let zoneAccepted: [Bool]
    private let excludedOperators: Set<Int32>
    /// Per region code: whether the spec allows it (all true when it names no region).
    private let regionAccepted: [Bool]
    /// The jurisdictions the spec allows; `nil` when it names none.
    private let jurisdictions: Set<String>?

    init(_ spec: JobSpec, ceiling: Int64, fleet: FleetView, carbonMicro: (String) -> Int64?) {
        self.fleet = fleet
        self.ceiling = ceiling
        gpusPerNode = spec.resources.gpu.countPerNode
        minVRAMGiB = spec.resources.gpu.minVRAMGiB ?? 0
        needHost = HostUse(perNodeOf: spec)
        let modelAccepted = fleet.models.map(spec.resources.gpu.selector.accepts)
        self.modelAccepted = modelAccepted
        acceptedModels = modelAccepted.indices.filter { modelAccepted[$0] }.map(Int32.init)
        if let cap = spec.carbon.maxGCO2PerKWh {
            zoneAccepted = fleet.zones.map { zone in carbonMicro(zone).map { $0 <= Int64(cap) * 1_000_000 } ?? false }
        } else {
            zoneAccepted = Array(repeating: true, count: fleet.zones.count)
        }
        excludedOperators = Set(spec.placement.excludedOperators.compactMap { fleet.operatorCodes[$0] })
        let regions = spec.placement.regions
        var regionAccepted = Array(repeating: regions.isEmpty, count: fleet.regionCodes.count)
        for region in regions { if let code = fleet.regionCodes[region] { regionAccepted[Int(code)] = true } }
        self.regionAccepted = regionAccepted
        jurisdictions = spec.placement.jurisdictions.isEmpty ? nil : Set(spec.placement.jurisdictions)
    }

    /// Whether node `index` is online and admits the spec (``CoordinatorState/nodeAdmits(_:node:ceiling:at:)``):
    /// codes and integers, and the node's jurisdiction only when the spec names some.
    func admits(_ index: Int) -> Bool {
        guard fleet.online[index], modelAccepted[Int(fleet.modelOfNode[index])], fleet.gpuCount[index] >= gpusPerNode,
              fleet.vramGiB[index] >= minVRAMGiB, fleet.size[index].covers(needHost),
              fleet.askMicroCredits[index] <= ceiling, zoneAccepted[Int(fleet.zoneOfNode[index])],
              regionAccepted[Int(fleet.regionOfNode[index])],
              excludedOperators.isEmpty || !excludedOperators.contains(fleet.operatorOfNode[index])
        else { return false }
        if let jurisdictions, !jurisdictions.contains(fleet.nodes[index].jurisdiction) { return false }
        return true
    }
}
