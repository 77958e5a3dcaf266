import OSGDomain
import OSGMarket

/// One market engine over every registered node, kept across clearings so that a clearing
/// does not build the node table and the free-capacity index again (docs/MARKET.md, "In the
/// coordinator").
///
/// Derived state only, and never the source of a result: each pass starts the engine with
/// the free GPUs, cores, memory and disk of that moment
/// (``ClearingEngine/startClearing(freeGPUs:freeHost:pools:tenants:)``), which gives exactly
/// what a new engine built from the nodes with free GPUs (offering those cores, memory and
/// disk) gives; debug builds check every pass against such a new engine. A node that
/// registers joins it in place (``insert(_:sortedIndex:)``); the state drops it when a node
/// changes its ask, or registers with what the engine cannot take in place (a new GPU model or
/// region, a withdrawn node's id), and builds it again at the next clearing that needs it — so
/// a state without it (a restored snapshot) simply builds it on first use. A withdrawn node
/// stays in the engine as a tombstone that never offers anything (``forget(sortedIndex:)``),
/// like an offline node.
struct KeptMarketEngine: Sendable {
    /// The engine, built with every node at its full size (GPUs, cores, memory, disk); the
    /// nodes' carbon figures are set before each pass.
    var engine: ClearingEngine
    /// Engine position of each node, by the node's index in ``CoordinatorState/sortedNodeIDs``
    /// (withdrawn nodes' positions are no longer listed).
    private(set) var positions: [Int]

    /// An engine over every node of `state`, without carbon figures.
    init(for state: CoordinatorState) {
        let nodes = state.sortedNodeIDs.map { Self.fullSize(state.nodes[$0]!.node, carbon: nil) }
        engine = ClearingEngine(nodes: nodes, pools: [], tenants: nil)
        let engine = engine
        // The engine sorts ids by their bytes, the state by `<`: for the usual ASCII ids the
        // same order, so each position is checked and searched only where they differ.
        positions = state.sortedNodeIDs.enumerated().map { index, nodeID in
            engine.nodeID(at: index) == nodeID ? index : engine.nodePosition(of: nodeID)!
        }
    }

    /// `node` as the engine holds it: at its full size, with carbon figure `carbon`.
    private static func fullSize(_ node: ComputeNode, carbon: Int64?) -> MarketNode {
        MarketNode(
            id: node.id, operatorID: node.operatorID, gpuModel: node.gpuModel, freeGPUs: node.gpuCount,
            vramGiB: node.vramGiB, cpuCores: node.cpuCores, memoryGiB: node.memoryGiB, diskGiB: node.diskGiB,
            region: node.region, jurisdiction: node.jurisdiction, zone: node.gridZone,
            askPerGPUHour: node.askPerGPUHour, carbonMicroGCO2PerKWh: carbon)
    }

    /// The node now at `sortedIndex` in ``CoordinatorState/sortedNodeIDs`` registered: it joins
    /// the engine in place (``ClearingEngine/insert(_:)``), with the carbon figure its zone's
    /// nodes have now, which the next pass most likely keeps. False when the engine cannot take
    /// it in place (the state then drops the engine and builds it again when needed).
    mutating func insert(_ node: ComputeNode, sortedIndex: Int) -> Bool {
        let carbon = hasCarbonFigures ? engine.carbonFigure(ofZone: node.gridZone) : -1
        guard let position = engine.insert(Self.fullSize(node, carbon: carbon < 0 ? nil : carbon)) else { return false }
        positions.withUnsafeMutableBufferPointer { positions in
            for index in positions.indices { positions[index] &+= positions[index] >= position ? 1 : 0 }
        }
        positions.insert(position, at: sortedIndex)
        return true
    }

    /// Whether the engine holds carbon figures now (set by ``setCarbonFigures(_:)``).
    private var hasCarbonFigures = false

    /// The node at `sortedIndex` in ``CoordinatorState/sortedNodeIDs`` was withdrawn (and is
    /// about to leave that list): its engine position stays, offering nothing from now on.
    mutating func forget(sortedIndex: Int) {
        positions.remove(at: sortedIndex)
    }

    /// Gives the engine each node's carbon figure (by index in ``CoordinatorState/sortedNodeIDs``;
    /// -1: none) for the next pass, or none (`nil`: no recorded series).
    mutating func setCarbonFigures(_ carbonByNode: [Int64]?) {
        guard let carbonByNode else {
            if hasCarbonFigures { engine.setCarbonFigures(Array(repeating: -1, count: engine.nodeCount)) }
            hasCarbonFigures = false
            return
        }
        engine.setCarbonFigures(engineOrder(carbonByNode, filler: -1))
        hasCarbonFigures = true
    }

    /// `values` (by index in ``CoordinatorState/sortedNodeIDs``) in engine order; a withdrawn
    /// node's position gets `filler`.
    func engineOrder<Value: BinaryInteger>(_ values: [Value], filler: Value = .zero) -> [Value] {
        precondition(values.count == positions.count, "one value per registered node")
        var ordered = Array(repeating: filler, count: engine.nodeCount)
        ordered.withUnsafeMutableBufferPointer { ordered in
            for (index, position) in positions.enumerated() { ordered[position] = values[index] }
        }
        return ordered
    }

    /// `host` (by index in ``CoordinatorState/sortedNodeIDs``) in engine order, as the engine
    /// takes it (a withdrawn node's position offers nothing).
    func engineOrder(_ host: [HostUse]) -> EngineHostFigures {
        precondition(host.count == positions.count, "one host figure per registered node")
        var cpuCores = Array(repeating: 0, count: engine.nodeCount)
        var memoryGiB = Array(repeating: 0, count: engine.nodeCount)
        var diskGiB = Array(repeating: 0, count: engine.nodeCount)
        cpuCores.withUnsafeMutableBufferPointer { cpuCores in
            memoryGiB.withUnsafeMutableBufferPointer { memoryGiB in
                diskGiB.withUnsafeMutableBufferPointer { diskGiB in
                    for (index, position) in positions.enumerated() {
                        cpuCores[position] = host[index].cpuCores
                        memoryGiB[position] = host[index].memoryGiB
                        diskGiB[position] = host[index].diskGiB
                    }
                }
            }
        }
        return (cpuCores, memoryGiB, diskGiB)
    }
}

extension CoordinatorState {
    /// Drops the market's derived caches (the kept engine, the fleet, the queue's market
    /// orders, the running leases' node position hints), as a state restored from a snapshot
    /// starts: the next clearing builds them again, and results do not change.
    mutating func dropMarketCaches() {
        keptMarketEngine = nil
        fleetCache = nil
        queuedMarketOrders = []
        runningTotals.dropNodeIndexHints()
    }

    /// Whether the state holds a kept market engine now.
    var hasKeptMarketEngine: Bool { keptMarketEngine != nil }

    /// Runs one engine pass of a clearing over `free` and `host` (free GPUs, and cores, memory
    /// and disk, by index in ``sortedNodeIDs``) on the kept engine.
    mutating func clearingPass(_ run: inout ClearingRun, _ orders: [MarketOrder], input: ClearingInput,
                               free: [Int], host: [HostUse], recordServiceOrder: Bool = false) -> ClearingResult {
        // Taken out of the state while it runs, so that the engine is not copied.
        var kept = keptMarketEngine ?? KeptMarketEngine(for: self)
        keptMarketEngine = nil
        kept.setCarbonFigures(input.carbonByNode)
        let before = run
        let result = run.clear(orders, kept: &kept.engine, free: kept.engineOrder(free), host: kept.engineOrder(host),
                               recordServiceOrder: recordServiceOrder)
        keptMarketEngine = kept
        assert(freshPassAgrees(before, orders, free: free, host: host, result: result, serviceOrder: run.serviceOrder,
                               recordServiceOrder: recordServiceOrder),
               "the kept market engine gives what a new engine gives")
        return result
    }

    /// Whether a new engine built from the market nodes of `free` and `host` gives `result`
    /// (debug check of the kept engine).
    private func freshPassAgrees(_ run: ClearingRun, _ orders: [MarketOrder], free: [Int], host: [HostUse], result: ClearingResult,
                                 serviceOrder: [Int32], recordServiceOrder: Bool) -> Bool {
        var fresh = run
        let expected = fresh.clear(orders, nodes: marketNodes(free: free, host: host, at: lastTime ?? Timestamp(secondsSinceEpoch: 0)),
                                   recordServiceOrder: recordServiceOrder)
        return expected == result && fresh.serviceOrder == serviceOrder
    }
}
