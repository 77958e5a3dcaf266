import OSGDomain

/// The nodes of a clearing as columns of small integers, sorted by node id, so the hot loop
/// compares integers and never touches strings or existentials.
///
/// Strings (models, regions, jurisdictions, operators) are interned to codes; region codes
/// follow region names in byte order, so "lowest code" is "first region by name".
struct NodeTable: Sendable {
    var ids: [String] = []
    var model: [Int32] = []
    var region: [Int32] = []
    var jurisdiction: [Int32] = []
    var operatorCode: [Int32] = []
    var vramGiB: [Int] = []
    var cpuCores: [Int] = []
    var memoryGiB: [Int] = []
    /// -1 when the snapshot does not state the node's disk.
    var diskGiB: [Int] = []
    var askMicroCredits: [Int64] = []
    /// Millionths of gCO2-eq/kWh; -1 when unknown.
    var carbonMicro: [Int64] = []
    /// Grid zone code (for the carbon step's zone preference).
    var zoneCode: [Int32] = []
    /// GPUs free in the snapshot.
    var snapshotFreeGPUs: [Int] = []
    /// Node → position in (ask, id) order.
    var rank: [Int32] = []
    /// Position in (ask, id) order → node.
    var byRank: [Int32] = []

    /// Code → model, in code order.
    var models: [GPUModel] = []
    var modelCodes: [String: Int32] = [:]
    var regionNames: [String] = []
    var regionCodes: [String: Int32] = [:]
    var jurisdictionCodes: [String: Int32] = [:]
    var operatorCodes: [String: Int32] = [:]
    var zoneCodes: [String: Int32] = [:]
    /// Code → zone name.
    var zoneNames: [String] = []
    /// Model code → nodes with that model, by node id.
    var nodesByModel: [[Int32]] = []
    /// Zone code → region codes holding a node of that zone, ascending (so a zone-restricted
    /// search skips the other regions' slots).
    var zoneRegions: [[Int32]] = []

    var count: Int { ids.count }

    init(_ unsorted: [MarketNode]) {
        // Sort positions, not the (large) node values; already-sorted input stays cheap.
        let nodes = unsorted.indices
            .sorted { unsorted[$0].id.utf8.lexicographicallyPrecedes(unsorted[$1].id.utf8) }
            .map { unsorted[$0] }
        let modelNames = Set(nodes.map(\.gpuModel.name)).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        for name in modelNames {
            modelCodes[name] = Int32(models.count)
            models.append(GPUModel.named(name) ?? nodes.first { $0.gpuModel.name == name }!.gpuModel)
        }
        regionNames = Set(nodes.map(\.region)).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        for (code, name) in regionNames.enumerated() { regionCodes[name] = Int32(code) }
        nodesByModel = Array(repeating: [], count: models.count)
        reserve(nodes.count)
        for (index, node) in nodes.enumerated() {
            ids.append(node.id)
            let modelCode = modelCodes[node.gpuModel.name]!
            model.append(modelCode)
            nodesByModel[Int(modelCode)].append(Int32(index))
            region.append(regionCodes[node.region]!)
            jurisdiction.append(Self.intern(node.jurisdiction, in: &jurisdictionCodes))
            operatorCode.append(Self.intern(node.operatorID, in: &operatorCodes))
            vramGiB.append(node.vramGiB)
            cpuCores.append(node.cpuCores)
            memoryGiB.append(node.memoryGiB)
            diskGiB.append(node.diskGiB ?? -1)
            askMicroCredits.append(node.askPerGPUHour.rawValue)
            carbonMicro.append(node.carbonMicroGCO2PerKWh ?? -1)
            zoneCode.append(Self.intern(node.zone, in: &zoneCodes))
            snapshotFreeGPUs.append(node.freeGPUs)
        }
        zoneNames = zoneCodes.sorted { $0.value < $1.value }.map(\.key)
        var regionSets = Array(repeating: Set<Int32>(), count: zoneNames.count)
        for node in 0..<nodes.count { regionSets[Int(zoneCode[node])].insert(region[node]) }
        zoneRegions = regionSets.map { $0.sorted() }
        // Nodes are already in id order, so a stable sort by ask gives (ask, id) order.
        let order = (0..<nodes.count).sorted {
            let (a, b) = (askMicroCredits[$0], askMicroCredits[$1])
            return a != b ? a < b : $0 < $1
        }
        byRank = order.map { Int32($0) }
        rank = Array(repeating: 0, count: nodes.count)
        for (position, node) in order.enumerated() { rank[node] = Int32(position) }
    }

    private mutating func reserve(_ count: Int) {
        ids.reserveCapacity(count)
        model.reserveCapacity(count)
        region.reserveCapacity(count)
        jurisdiction.reserveCapacity(count)
        operatorCode.reserveCapacity(count)
        vramGiB.reserveCapacity(count)
        cpuCores.reserveCapacity(count)
        memoryGiB.reserveCapacity(count)
        diskGiB.reserveCapacity(count)
        askMicroCredits.reserveCapacity(count)
        carbonMicro.reserveCapacity(count)
        zoneCode.reserveCapacity(count)
        snapshotFreeGPUs.reserveCapacity(count)
    }

    static func intern(_ name: String, in codes: inout [String: Int32]) -> Int32 {
        if let code = codes[name] { return code }
        let code = Int32(codes.count)
        codes[name] = code
        return code
    }
}
