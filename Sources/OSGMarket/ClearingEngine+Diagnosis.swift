extension ClearingEngine {
    /// The binding constraint for an order that could not be placed.
    ///
    /// If the order would not fit even the snapshot's capacity, the static cascade names the
    /// first filter no node passes. Otherwise a budget ran out (``UnplacedReason/poolExhausted``;
    /// ``UnplacedReason/setAsideFloor`` when free GPUs that fit remain) or the GPUs were taken
    /// by orders ahead (``UnplacedReason/noCapacity``).
    mutating func diagnose(_ need: OrderRequirement, pool: String?, withinBudget: Bool) -> UnplacedReason {
        guard search(need, in: snapshotIndex, host: snapshotHost) != nil else { return staticReason(need, pool: pool) }
        if withinBudget { return .noCapacity }
        if pool != nil { return .poolExhausted }
        // The floor binds only when free GPUs that fit exist but the open budget is spent.
        return search(need, in: index, host: host) != nil ? .setAsideFloor : .noCapacity
    }

    /// The first filter of ``UnplacedReason/cascade`` after which no node of the snapshot
    /// remains; for a gang whose nodes all pass, ``UnplacedReason/gangNoRegionWithEnoughNodes``.
    ///
    /// For a single-node order (which the search on the snapshot could not place) the verdict
    /// does not depend on its price: a node that passes every filter before the price fails
    /// the price. So it is kept per requirement without the price (``OrderRequirement/withoutPrice``)
    /// for the rest of the pass, and orders of the same shape are judged once.
    mutating func staticReason(_ need: OrderRequirement, pool: String?) -> UnplacedReason {
        let cascade = UnplacedReason.cascade
        let furthest: Int
        if need.nodeCount == 1 {
            let priceless = need.withoutPrice
            if let known = staticVerdicts[priceless] {
                furthest = known
            } else {
                // Without the price a node may pass every filter: that verdict is the price.
                furthest = min(furthestFilter(priceless), cascade.count - 1)
                staticVerdicts[priceless] = furthest
            }
            assert(furthest == furthestFilter(need), "a single-node verdict does not depend on the price")
        } else {
            furthest = furthestFilter(need)
        }
        if furthest < cascade.count {
            let reason = cascade[furthest]
            return reason == .maxPriceBelowAsks && pool != nil ? .poolCeilingBelowAsks : reason
        }
        // Nodes pass every filter one by one, yet the (exact) search found no region with
        // enough of them.
        precondition(need.nodeCount > 1, "an order that fits the snapshot was not found by the search")
        return .gangNoRegionWithEnoughNodes
    }

    /// How many filters of the cascade the best node of the snapshot passes in a row, read
    /// from the packed records (``diagnosisRecords``): at most `cascade.count - 1` for a
    /// single-node order the search could not place; `cascade.count` when some node passes
    /// them all (a gang).
    mutating func furthestFilter(_ need: OrderRequirement) -> Int {
        let cascade = UnplacedReason.cascade
        if diagnosisRecords == nil { diagnosisRecords = packDiagnosisRecords() }
        // Stop as soon as the verdict cannot change: a single-node order with a node passing
        // every filter but one is settled; a gang needs one node passing them all.
        let ceiling = need.nodeCount > 1 ? cascade.count : cascade.count - 1
        var furthest = 0
        scan: for model in need.models where emptyNodesAbsent ? presentNodesByModel[Int(model)] > 0 : !table.nodesByModel[Int(model)].isEmpty {
            furthest = max(furthest, 1)
            // Nodes outside the allowed regions stop at the region filter (1): only the
            // allowed regions' slots can get further.
            for region in need.regions {
                let slot = snapshotIndex.slot(model: model, region: region)
                if emptyNodesAbsent ? presentNodesBySlot[slot] == 0 : snapshotIndex.slotNodes[slot].isEmpty { continue }
                furthest = max(furthest, 2)
                // Skip slots whose bounds prove no node gets past `furthest`.
                if snapshotIndex.slotBounds[slot].failedFilter(need) <= furthest { continue }
                // No record of the slot gets further than its bound: skip it, or stop at the first that reaches it.
                let bound = min(ceiling, diagnosisRecords![slot].bound(need, skippingEmpty: emptyNodesAbsent))
                if bound <= furthest { continue }
                let passed = diagnosisRecords![slot].furthestFilter(need, skippingEmpty: emptyNodesAbsent, atLeast: furthest, ceiling: bound)
                furthest = max(furthest, passed)
                if furthest >= ceiling { break scan }
            }
        }
        return furthest
    }

    /// One packed record list per (model, region) slot, of the snapshot's figures.
    func packDiagnosisRecords() -> [DiagnosisRecords] {
        snapshotIndex.slotNodes.map { members in
            DiagnosisRecords(members.map { member in
                let node = Int(member)
                return DiagnosisRecord(
                    jurisdiction: table.jurisdiction[node], freeGPUs: Int32(table.snapshotFreeGPUs[node]),
                    vramGiB: table.vramGiB[node], cpuCores: snapshotHost.cpuCores[node], memoryGiB: snapshotHost.memoryGiB[node],
                    diskGiB: snapshotHost.diskGiB[node], operatorCode: table.operatorCode[node],
                    carbonMicro: table.carbonMicro[node], askMicroCredits: table.askMicroCredits[node])
            })
        }
    }
}

/// A node's snapshot figures as the diagnosis reads them, packed so that a scan reads one
/// cache line per node instead of one per column.
struct DiagnosisRecord: Sendable, Equatable {
    var jurisdiction: Int32
    var freeGPUs: Int32
    var vramGiB: Int
    var cpuCores: Int
    var memoryGiB: Int
    /// -1 when the node does not state its disk.
    var diskGiB: Int
    var operatorCode: Int32
    /// -1 when unknown.
    var carbonMicro: Int64
    var askMicroCredits: Int64
}

/// The records of one (model, region) slot, by node id.
struct DiagnosisRecords: Sendable, Equatable {
    private(set) var records: [DiagnosisRecord]
    /// How many records have free GPUs, by jurisdiction code (codes with none are absent).
    private var withFreeGPUsByJurisdiction: [Int32: Int] = [:]
    /// How many records have free GPUs, by carbon figure (figures with none are absent).
    private var withFreeGPUsByCarbon: [Int64: Int] = [:]

    init(_ records: [DiagnosisRecord]) {
        self.records = records
        for record in records where record.freeGPUs > 0 { count(record, by: 1) }
    }

    /// Adds `change` to the counts of `record`'s jurisdiction and carbon figure.
    private mutating func count(_ record: DiagnosisRecord, by change: Int) {
        /// Adds `change` at `key`, dropping a count that reaches 0 (kept records equal fresh ones).
        func add<Key: Hashable>(_ key: Key, to counts: inout [Key: Int]) {
            let total = counts[key, default: 0] + change
            assert(total >= 0, "a count of records is never negative")
            counts[key] = total == 0 ? nil : total
        }
        add(record.jurisdiction, to: &withFreeGPUsByJurisdiction)
        add(record.carbonMicro, to: &withFreeGPUsByCarbon)
    }

    /// At most how many filters of the cascade a record passes in a row for `need` (as
    /// ``furthestFilter(_:skippingEmpty:atLeast:ceiling:)`` counts them), from the counts alone:
    /// with records without free GPUs skipped, a restricted order stops at the jurisdiction
    /// filter (2) when none of its jurisdictions has one, and a capped order at the carbon
    /// filter (9) when no record within its cap has one; `cascade.count` when the counts cannot tell.
    func bound(_ need: OrderRequirement, skippingEmpty: Bool) -> Int {
        guard skippingEmpty else { return UnplacedReason.cascade.count }
        if need.jurisdictionsRestricted && !need.jurisdictions.contains(where: { (withFreeGPUsByJurisdiction[$0] ?? 0) > 0 }) {
            return 2
        }
        if need.carbonCapMicro >= 0
            && !withFreeGPUsByCarbon.contains(where: { $0.key >= 0 && $0.key <= need.carbonCapMicro && $0.value > 0 }) {
            return 9
        }
        return UnplacedReason.cascade.count
    }

    /// Sets the snapshot figures of the record at `offset` (a node's place in its slot).
    mutating func update(at offset: Int, freeGPUs: Int, cpuCores: Int, memoryGiB: Int, diskGiB: Int) {
        let (had, has) = (records[offset].freeGPUs > 0, freeGPUs > 0)
        if had != has { count(records[offset], by: has ? 1 : -1) }
        records[offset].freeGPUs = Int32(freeGPUs)
        records[offset].cpuCores = cpuCores
        records[offset].memoryGiB = memoryGiB
        records[offset].diskGiB = diskGiB
    }

    /// The most filters of the cascade any record passes in a row (model and region taken as
    /// passed), stopping once `ceiling` is reached; `atLeast` when none passes more.
    func furthestFilter(_ need: OrderRequirement, skippingEmpty: Bool, atLeast floor: Int, ceiling: Int) -> Int {
        var furthest = floor
        for record in records {
            // A node with no free GPUs in this pass is not in its snapshot.
            if skippingEmpty && record.freeGPUs == 0 { continue }
            let passed = need.passedFilters(record)
            if passed > furthest {
                furthest = passed
                if furthest >= ceiling { break }
            }
        }
        return furthest
    }
}

extension DiagnosisRecords {
    /// Inserts a record with no free GPUs at `offset` (the counts do not change).
    mutating func insert(_ record: DiagnosisRecord, at offset: Int) {
        precondition(record.freeGPUs == 0, "a node joins the records with no free GPUs")
        records.insert(record, at: offset)
    }
}
