/// Which warm sandboxes (``SandboxWarmSlot``) the sandbox executor keeps, and which it has: pure
/// bookkeeping, no I/O.
///
/// The executor keeps, per shape, as many ready slots as the shape's target less the slots being
/// built and the leases of that shape it started and has not cleaned up: a GPU that runs a lease
/// needs no sandbox ready until the lease is gone, so a burst of leases is not followed at once by
/// as many new sandboxes built beside the jobs.
struct SandboxWarmPool: Sendable {
    /// How many slots of each shape to keep (ready, being built or in use).
    private(set) var targets: [WarmLeaseShape: Int] = [:]
    private var ready: [WarmLeaseShape: [SandboxWarmSlot]] = [:]
    private var building: [WarmLeaseShape: Int] = [:]
    private var leaseShapes: [String: WarmLeaseShape] = [:]
    private var leasesOfShape: [WarmLeaseShape: Int] = [:]
    /// Whether an earlier run's leftover slots were removed (done once, before the first build).
    var leftoversRemoved = false
    /// How many leases started in a warm slot so far.
    var warmStarts = 0

    /// Keeps one slot per listed shape (two for a shape listed twice); returns the ready slots
    /// no longer wanted, for the caller to let go.
    mutating func setTargets(_ shapes: [WarmLeaseShape]) -> [SandboxWarmSlot] {
        targets = Dictionary(shapes.map { ($0, 1) }, uniquingKeysWith: +)
        var unwanted: [SandboxWarmSlot] = []
        for (shape, slots) in ready {
            let excess = max(0, slots.count - max(0, (targets[shape] ?? 0) - (leasesOfShape[shape] ?? 0)))
            guard excess > 0 else { continue }
            unwanted += slots.suffix(excess)
            ready[shape] = Array(slots.dropLast(excess))
        }
        return unwanted
    }

    /// The slots a shape lacks: its target less those ready, being built and in use.
    func shortfall(of shape: WarmLeaseShape) -> Int {
        (targets[shape] ?? 0) - (ready[shape]?.count ?? 0) - (building[shape] ?? 0) - (leasesOfShape[shape] ?? 0)
    }

    /// The next shape to build a slot for (the lowest lacking one), now counted as being built.
    mutating func nextToBuild() -> WarmLeaseShape? {
        guard let shape = targets.keys.filter({ shortfall(of: $0) > 0 }).min() else { return nil }
        building[shape, default: 0] += 1
        return shape
    }

    /// A slot built for its shape: kept (`true`), or not wanted any more (`false`: let it go).
    mutating func built(_ slot: SandboxWarmSlot) -> Bool {
        finishBuilding(slot.shape)
        guard shortfall(of: slot.shape) > 0 else { return false }
        ready[slot.shape, default: []].append(slot)
        return true
    }

    /// A build of `shape` that failed.
    mutating func finishBuilding(_ shape: WarmLeaseShape) {
        precondition((building[shape] ?? 0) > 0, "a build was counted")
        building[shape]! -= 1
        if building[shape] == 0 { building[shape] = nil }
    }

    /// A ready slot of `shape`, no longer in the pool (the oldest first).
    mutating func take(_ shape: WarmLeaseShape) -> SandboxWarmSlot? {
        guard var slots = ready[shape], !slots.isEmpty else { return nil }
        let slot = slots.removeFirst()
        ready[shape] = slots.isEmpty ? nil : slots
        return slot
    }

    /// A lease of `shape` started (in a warm slot or not): its GPU needs no slot until it is cleaned up.
    mutating func leaseStarted(_ leaseID: String, shape: WarmLeaseShape) {
        guard leaseShapes[leaseID] == nil else { return }
        leaseShapes[leaseID] = shape
        leasesOfShape[shape, default: 0] += 1
    }

    /// A lease was cleaned up; `true` if it had a shape (a slot may now be lacking).
    mutating func leaseCleanedUp(_ leaseID: String) -> Bool {
        guard let shape = leaseShapes.removeValue(forKey: leaseID) else { return false }
        leasesOfShape[shape]! -= 1
        if leasesOfShape[shape] == 0 { leasesOfShape[shape] = nil }
        return true
    }

    /// How many slots are ready (of `shape`, or of every shape).
    func readyCount(of shape: WarmLeaseShape? = nil) -> Int {
        shape.map { ready[$0]?.count ?? 0 } ?? ready.values.reduce(0) { $0 + $1.count }
    }

    /// Every ready slot, now out of the pool.
    mutating func removeAllReady() -> [SandboxWarmSlot] {
        defer { ready = [:] }
        return ready.values.flatMap { $0 }
    }
}
