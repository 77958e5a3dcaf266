import OSGDomain

/// One engine reused for many clearings over a fleet whose nodes change rarely (the
/// coordinator's state machine): build it once over every node, then start each clearing
/// pass with the free GPUs of that moment instead of building a new engine.
///
/// A pass started with ``startClearing(freeGPUs:pools:tenants:)`` gives exactly the result
/// of a new engine built from the nodes that have free GPUs (with those free GPUs, the same
/// pools and tenants): nodes with no free GPUs count as absent — in the search, in the
/// diagnosis of unplaced orders and in the fair-share capacity. The node table (ids, codes,
/// the (ask, id) order) is kept; only the free-capacity index moves, node by node, where a
/// node's free GPUs changed since the last pass.
///
/// Build the engine with every node at its full GPU count (the slot bounds the search uses
/// to skip whole slots are taken then, and stay valid upper bounds for any later pass);
/// rebuild it when a node joins, leaves or changes its ask, shape or carbon figure.
extension ClearingEngine {
    /// Starts a clearing pass: every node's free GPUs (by position in id order, see
    /// ``nodePosition(of:)``; 0 takes a node out of this pass), the cores, memory and disk each
    /// node still offers (`nil`: its size at construction), the pools and the tenants'
    /// standings (`nil`: fair share off), as ``init(nodes:pools:tenants:)`` takes them.
    /// Budgets, zone preferences and the recorded service order start afresh.
    ///
    /// - Precondition: `freeGPUs` has one entry per node, each within 0 ... the node's GPUs
    ///   at construction (at most 64); so do the host figures, each within 0 ... the node's size
    ///   (disk: -1 for a node that does not state it).
    public mutating func startClearing(freeGPUs free: [Int], freeHost: (cpuCores: [Int], memoryGiB: [Int], diskGiB: [Int])? = nil,
                                       pools poolList: [SetAsidePool], tenants: [TenantStanding]?) {
        precondition(free.count == table.count, "one free-GPU figure per node of the engine")
        let previousHost = snapshotHost
        // The packed diagnosis records, where a pass built them, follow the snapshot node by
        // node: their layout is the engine's, only the free figures move.
        var records = diagnosisRecords
        diagnosisRecords = nil
        if records != nil && diagnosisOffsets.isEmpty { diagnosisOffsets = snapshotIndex.offsetsInSlots(nodeCount: table.count) }
        if let freeHost {
            precondition(freeHost.cpuCores.count == table.count && freeHost.memoryGiB.count == table.count
                         && freeHost.diskGiB.count == table.count, "one free host figure per node of the engine")
            snapshotHost.cpuCores = freeHost.cpuCores
            snapshotHost.memoryGiB = freeHost.memoryGiB
            snapshotHost.diskGiB = freeHost.diskGiB
        } else {
            snapshotHost = HostCapacity(table)
        }
        host = snapshotHost
        staticVerdicts.removeAll(keepingCapacity: true)
        emptyNodesAbsent = true
        awaitingPassStart = false
        // Counted in locals and stored once: element writes through the engine's own arrays
        // check their uniqueness at every node.
        var presentByModel = Array(repeating: 0, count: table.models.count)
        var presentBySlot = Array(repeating: 0, count: index.masks.count)
        var totals = FairShareLedger.CapacityTotals()
        var total = 0
        for position in 0..<table.count {
            let after = free[position]
            precondition(after >= 0 && after <= FreeCapacityIndex.levels, "free GPUs of a node are within 0 ... 64")
            let slot = index.slot(model: table.model[position], region: table.region[position])
            assert(after <= index.slotBounds[slot].maxFreeGPUs, "a node never has more free GPUs than when the engine was built")
            let before = freeGPUs[position]
            if before != after {
                freeGPUs[position] = after
                index.move(rank: table.rank[position], slot: slot, from: before, to: after)
            }
            if records != nil && (table.snapshotFreeGPUs[position] != after || previousHost.cpuCores[position] != snapshotHost.cpuCores[position]
                                  || previousHost.memoryGiB[position] != snapshotHost.memoryGiB[position]
                                  || previousHost.diskGiB[position] != snapshotHost.diskGiB[position]) {
                records![slot].update(at: Int(diagnosisOffsets[position]), freeGPUs: after, cpuCores: snapshotHost.cpuCores[position],
                                      memoryGiB: snapshotHost.memoryGiB[position], diskGiB: snapshotHost.diskGiB[position])
            }
            guard after > 0 else { continue }
            total += after
            presentByModel[Int(table.model[position])] += 1
            presentBySlot[slot] += 1
            assert(snapshotHost.cpuCores[position] >= 0 && snapshotHost.cpuCores[position] <= table.cpuCores[position]
                   && snapshotHost.memoryGiB[position] >= 0 && snapshotHost.memoryGiB[position] <= table.memoryGiB[position],
                   "a node's free cores and memory are within 0 ... its size")
            // What the node offers in this pass, as a new engine built from the pass's nodes counts it.
            totals.add(gpus: after, cpuCores: snapshotHost.cpuCores[position], memoryGiB: snapshotHost.memoryGiB[position])
        }
        // Read above (a record moves when its node's figures moved since the last pass).
        table.snapshotFreeGPUs = free
        presentNodesByModel = presentByModel
        presentNodesBySlot = presentBySlot
        snapshotIndex = index
        diagnosisRecords = records
        assert(records.map { $0 == packDiagnosisRecords() } ?? true, "the kept diagnosis records are those packed afresh")
        totalGPUs = total
        (pools, reservedGPUs) = Self.poolStates(poolList, totalGPUs: total)
        standardOpenGPUs = 0
        preferredZones = [:]
        recordsServiceOrder = false
        serviceOrder = []
        resultInputs = ([], [])
        if let tenants {
            if fairShare == nil {
                fairShare = FairShareLedger(nodeTotals: totals, tenants: tenants)
            } else {
                fairShare!.reset(nodeTotals: totals, tenants: tenants)
            }
        } else {
            fairShare = nil
        }
    }

    /// Sets every node's carbon intensity (gCO2-eq per kWh × 10⁶, by position in id order; -1:
    /// none), as if the engine had been built from nodes with those figures. Call it before
    /// ``startClearing(freeGPUs:freeHost:pools:tenants:)``, which starts the pass from them.
    public mutating func setCarbonFigures(_ carbonMicro: [Int64]) {
        precondition(carbonMicro.count == table.count, "one carbon figure per node of the engine")
        guard carbonMicro != table.carbonMicro else { return }
        table.carbonMicro = carbonMicro
        index.refreshCarbonBounds(carbonMicro)
        diagnosisRecords = nil
        staticVerdicts.removeAll(keepingCapacity: true)
    }

    /// The id of the node at `position` (id order).
    public func nodeID(at position: Int) -> String { table.ids[position] }
}
