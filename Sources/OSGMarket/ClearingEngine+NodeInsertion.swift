import OSGDomain

/// A node joining a kept engine in place, so that a fleet with new operators every minute
/// does not rebuild the engine (sorting every id again) at each registration.
///
/// Positions stay in id order and ranks in (ask, id) order: the new node takes its place in
/// both, and every position and rank after it moves up by one, in the node table, the
/// free-capacity indexes and the diagnosis records alike. The node joins with no free GPUs:
/// like an engine built over every node at full size and then started, the next
/// ``startClearing(freeGPUs:freeHost:pools:tenants:)`` gives it what it offers.
extension ClearingEngine {
    /// Adds `node` at its place in id order and returns that position, or `nil` when the
    /// engine cannot take it in place: its id is already there (a withdrawn node's tombstone),
    /// or it brings a GPU model or region the engine has no code for (codes follow names'
    /// byte order, so a new one would renumber every slot). The caller then builds a new engine.
    ///
    /// Afterwards the engine must start a pass (``startClearing(freeGPUs:freeHost:pools:tenants:)``)
    /// before it clears: until then the node offers nothing and the fair-share capacity has
    /// not seen it. `node.freeGPUs` is the most it will ever offer (the bound the search uses
    /// to skip slots), as for a node the engine was built with.
    public mutating func insert(_ node: MarketNode) -> Int? {
        guard let (position, rank) = table.insert(node) else { return nil }
        freeGPUs.insert(0, at: position)
        host.insert(table, at: position)
        snapshotHost.insert(table, at: position)
        index.insert(node: position, rank: rank, table: table, mostFreeGPUs: node.freeGPUs)
        snapshotIndex.insert(node: position, rank: rank, table: table, mostFreeGPUs: node.freeGPUs)
        if !diagnosisOffsets.isEmpty, diagnosisRecords != nil {
            insertDiagnosisRecord(position)
        } else {
            diagnosisRecords = nil
            diagnosisOffsets = []
        }
        staticVerdicts.removeAll(keepingCapacity: true)
        awaitingPassStart = true
        return position
    }

    /// Adds the record of the new node at `position` (no free GPUs, so no count changes) to its
    /// slot's records, and moves the offsets of the slot's later nodes up by one.
    private mutating func insertDiagnosisRecord(_ position: Int) {
        let slot = index.slot(model: table.model[position], region: table.region[position])
        let members = snapshotIndex.slotNodes[slot]
        let offset = members.firstIndex(of: Int32(position))!
        diagnosisOffsets.insert(Int32(offset), at: position)
        for later in (offset + 1)..<members.count { diagnosisOffsets[Int(members[later])] = Int32(later) }
        diagnosisRecords![slot].insert(DiagnosisRecord(
            jurisdiction: table.jurisdiction[position], freeGPUs: 0, vramGiB: table.vramGiB[position],
            cpuCores: snapshotHost.cpuCores[position], memoryGiB: snapshotHost.memoryGiB[position],
            diskGiB: snapshotHost.diskGiB[position], operatorCode: table.operatorCode[position],
            carbonMicro: table.carbonMicro[position], askMicroCredits: table.askMicroCredits[position]), at: offset)
        assert(diagnosisRecords! == packDiagnosisRecords(), "the records after an insertion are those packed afresh")
    }

    /// The current carbon figure of the first node in grid zone `zone` that has one (-1: none):
    /// a node joining now most likely has the same, so that the next
    /// ``setCarbonFigures(_:)`` finds nothing changed.
    public func carbonFigure(ofZone zone: String) -> Int64 {
        guard let code = table.zoneCodes[zone] else { return -1 }
        for node in 0..<table.count where table.zoneCode[node] == code && table.carbonMicro[node] >= 0 { return table.carbonMicro[node] }
        return -1
    }
}

extension NodeTable {
    /// Adds `node` at its place in id order and in (ask, id) order, and moves every later
    /// position and rank up by one; `nil` (nothing changed) when the id is already there or the
    /// node's model or region has no code.
    mutating func insert(_ node: MarketNode) -> (position: Int, rank: Int)? {
        guard let modelCode = modelCodes[node.gpuModel.name], let regionCode = regionCodes[node.region] else { return nil }
        var position = 0
        var end = count
        while position < end {
            let mid = (position + end) / 2
            if UTF8ByteOrder.precedes(ids[mid], node.id) { position = mid + 1 } else { end = mid }
        }
        guard position == count || ids[position] != node.id else { return nil }
        let ask = node.askPerGPUHour.rawValue
        // The first rank whose node asks more, or asks as much with a later id (a node at or
        // after `position` now).
        var low = 0
        var high = count
        while low < high {
            let mid = (low + high) / 2
            let other = Int(byRank[mid])
            if askMicroCredits[other] < ask || (askMicroCredits[other] == ask && other < position) { low = mid + 1 } else { high = mid }
        }
        let rank = low
        Self.shift(&self.rank, atOrAbove: Int32(rank))
        Self.shift(&byRank, atOrAbove: Int32(position))
        byRank.insert(Int32(position), at: rank)
        self.rank.insert(Int32(rank), at: position)
        ids.insert(node.id, at: position)
        model.insert(modelCode, at: position)
        region.insert(regionCode, at: position)
        jurisdiction.insert(Self.intern(node.jurisdiction, in: &jurisdictionCodes), at: position)
        operatorCode.insert(Self.intern(node.operatorID, in: &operatorCodes), at: position)
        vramGiB.insert(node.vramGiB, at: position)
        cpuCores.insert(node.cpuCores, at: position)
        memoryGiB.insert(node.memoryGiB, at: position)
        diskGiB.insert(node.diskGiB ?? -1, at: position)
        askMicroCredits.insert(ask, at: position)
        carbonMicro.insert(node.carbonMicroGCO2PerKWh ?? -1, at: position)
        snapshotFreeGPUs.insert(0, at: position)
        let zone = Self.intern(node.zone, in: &zoneCodes)
        zoneCode.insert(zone, at: position)
        if Int(zone) == zoneNames.count {
            zoneNames.append(node.zone)
            zoneRegions.append([])
        }
        if !zoneRegions[Int(zone)].contains(regionCode) {
            zoneRegions[Int(zone)].insert(regionCode, at: zoneRegions[Int(zone)].firstIndex { $0 > regionCode } ?? zoneRegions[Int(zone)].count)
        }
        for code in nodesByModel.indices { Self.shift(&nodesByModel[code], atOrAbove: Int32(position)) }
        nodesByModel[Int(modelCode)].insertSorted(Int32(position))
        return (position, rank)
    }

    /// Adds one to every value of `values` at or above `threshold` (without a branch per value,
    /// so the loop vectorises: it runs over every node at each registration).
    static func shift(_ values: inout [Int32], atOrAbove threshold: Int32) {
        values.withUnsafeMutableBufferPointer { values in
            for index in values.indices { values[index] &+= values[index] >= threshold ? 1 : 0 }
        }
    }
}

extension FreeCapacityIndex.SlotBounds {
    /// Grows the bounds to cover the node at `node` of `table` with `freeGPUs` free.
    mutating func cover(_ node: Int, of table: NodeTable, freeGPUs: Int) {
        maxFreeGPUs = max(maxFreeGPUs, freeGPUs)
        maxDiskGiB = table.diskGiB[node] < 0 ? Int.max : max(maxDiskGiB, table.diskGiB[node])
        minAskMicroCredits = min(minAskMicroCredits, table.askMicroCredits[node])
        maxVRAMGiB = max(maxVRAMGiB, table.vramGiB[node])
        maxCPUCores = max(maxCPUCores, table.cpuCores[node])
        maxMemoryGiB = max(maxMemoryGiB, table.memoryGiB[node])
        if table.carbonMicro[node] >= 0 { minCarbonMicro = min(minCarbonMicro, table.carbonMicro[node]) }
        if !jurisdictions.contains(table.jurisdiction[node]) { jurisdictions.append(table.jurisdiction[node]) }
    }
}

extension HostCapacity {
    /// Takes in the node now at `position` of `table`, offering its whole size.
    mutating func insert(_ table: NodeTable, at position: Int) {
        cpuCores.insert(table.cpuCores[position], at: position)
        memoryGiB.insert(table.memoryGiB[position], at: position)
        diskGiB.insert(table.diskGiB[position], at: position)
    }
}
