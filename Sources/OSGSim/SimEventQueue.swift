import HeapModule

/// One scheduled event: a time, a tie-breaking sequence number (push order), a kind and two
/// small arguments. Events at the same time run in push order, so a run is deterministic.
struct SimEvent: Comparable {
    enum Kind: UInt8 {
        case arrival, patience, clear, leaseEnd, nodeDown, nodeUp, outageStart, outageEnd
        /// The open regimes' coordinator ticks, an operator's heartbeat round and its hourly
        /// usage report of a running lease.
        case tick, heartbeat, usage
    }

    var time: Int64
    var sequence: UInt64
    var kind: Kind
    var a: Int32
    var b: Int32

    static func < (lhs: SimEvent, rhs: SimEvent) -> Bool {
        lhs.time != rhs.time ? lhs.time < rhs.time : lhs.sequence < rhs.sequence
    }

    static func == (lhs: SimEvent, rhs: SimEvent) -> Bool { lhs.time == rhs.time && lhs.sequence == rhs.sequence }
}

/// A min-heap of events (swift-collections `Heap`) with a push counter.
struct SimEventQueue {
    private var heap = Heap<SimEvent>()
    private var nextSequence: UInt64 = 0
    /// Events popped so far.
    private(set) var processed = 0

    mutating func push(_ kind: SimEvent.Kind, at time: Int64, _ a: Int32 = 0, _ b: Int32 = 0) {
        heap.insert(SimEvent(time: time, sequence: nextSequence, kind: kind, a: a, b: b))
        nextSequence += 1
    }

    mutating func pop() -> SimEvent? {
        guard let event = heap.popMin() else { return nil }
        processed += 1
        return event
    }

    var isEmpty: Bool { heap.isEmpty }
}

extension SimEventQueue {
    /// Schedules the fleet's churn: each later node's join (`nodeUp`, reason 4) and each
    /// leaving node's departure (`nodeDown`, reason 2). Returns whether each node is there at
    /// the start (false: it joins later, and is down for reason 4 until then).
    mutating func scheduleChurn(of fleet: Fleet) -> [Bool] {
        var present: [Bool] = []
        present.reserveCapacity(fleet.nodes.count)
        for (index, node) in fleet.nodes.enumerated() {
            if node.joinSeconds > 0 { push(.nodeUp, at: node.joinSeconds, Int32(index), 4) }
            if node.leaveSeconds != .max { push(.nodeDown, at: node.leaveSeconds, Int32(index), 2) }
            present.append(node.joinSeconds == 0)
        }
        return present
    }

    /// Schedules what every regime sees of `scenario`: node failures and repairs, the region
    /// outage, and every job's arrival (in that order, so ties pop the same way in each regime).
    mutating func scheduleFailuresOutageAndArrivals(of scenario: SimScenario) {
        for failure in scenario.fleet.failures {
            push(.nodeDown, at: failure.atSeconds, failure.node, 1)
            push(.nodeUp, at: failure.atSeconds + failure.repairSeconds, failure.node, 1)
        }
        if let outage = scenario.outage {
            push(.outageStart, at: outage.atSeconds)
            push(.outageEnd, at: outage.atSeconds + outage.durationSeconds)
        }
        for (index, job) in scenario.workload.jobs.enumerated() { push(.arrival, at: job.submitSeconds, Int32(index)) }
    }
}
