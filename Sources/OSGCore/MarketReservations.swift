import OSGDomain

/// A decided preemption: preemptible leases chosen to make room for one job, and the GPUs
/// that job will get once they have ended (held for it, so nothing else takes them).
public struct PreemptionNotice: Hashable, Sendable, Codable {
    /// The job that caused the preemption (a set-aside job reclaiming its pool's floor, or a
    /// standard job that fits only by displacing preemptible work).
    public var orderID: String
    /// The leases that end as `preempted`, sorted by id.
    public var victimLeaseIDs: [String]
    /// Where the job will run: its per-node GPUs on each chosen node, sorted by node id.
    public var allocations: [NodeAllocation]
    /// When the notice was given.
    public var noticed: Timestamp
    /// When the victims' leases end (at the first tick or clearing at or after it); once all
    /// have ended the job starts at the next clearing.
    public var deadline: Timestamp
}

/// The head of the queue's reservation: the nodes it will start on and the earliest time
/// they are expected to be free, from the running leases' `duration`s.
public struct HeadReservation: Hashable, Sendable, Codable {
    /// The highest-priority pending job that could neither start nor preempt.
    public var orderID: String
    /// Its reserved start.
    public var start: Timestamp
    /// The GPUs reserved for it on each node, sorted by node id.
    public var allocations: [NodeAllocation]
}

/// One grid zone's recorded hourly carbon intensity (mgCO2-eq/kWh from `firstHour`, in hours
/// since the epoch): the state form of ``Command/recordCarbonSeries(zone:firstHour:milligramsPerKWh:)``.
public struct CarbonWindow: Hashable, Sendable, Codable {
    public var zone: String
    public var firstHour: Int64
    public var milligramsPerKWh: [Int64]

    /// The hour after the last one.
    public var endHour: Int64 { firstHour + Int64(milligramsPerKWh.count) }
}
