/// The figures of one regime (docs/SIMULATOR.md, "Metrics").
public struct RegimeMetrics: Hashable, Sendable {
    /// `concentrated`, `open`, `open-no-carbon`.
    public var name: String
    public var classes: [ClassMetrics]
    /// GPU-seconds leased within the horizon / online GPU-seconds of the horizon.
    public var utilisation: Double
    /// Credits paid per GPU-hour leased.
    public var meanPricePerGPUHour: Double
    /// gCO2-eq per GPU-hour leased (TDP × hourly grid intensity of the node's zone).
    public var gramsCO2PerGPUHour: Double
    /// Mean queue wait (first start − submission) over every accepted job, seconds.
    public var meanWaitSeconds: Double = 0
    /// Jain's index over users of served / demanded GPU-hours.
    public var jainFairness: Double
    public var gpuHoursServed: Double
    /// Leases cut by the region outage.
    public var outageInterrupted: Int
    /// Jobs interrupted by the outage or queued in the dead region while it was down.
    public var outageDelayed: Int
    /// Of those, jobs that never finished (withdrawn or still unfinished at the end).
    public var outageLost: Int
    /// GPU-hours of work thrown away by the outage.
    public var outageGPUHoursLost: Double
    /// Leases cut by node failures and operators leaving.
    public var interruptedByNodeLoss: Int
    /// Flexible jobs the carbon step deferred to a cleaner hour.
    public var deferredForCarbon: Int
    /// Ledger transfers recorded, micro-credits settled and fees.
    public var ledgerTransfers: Int
    public var settledMicroCredits: UInt64
    public var feesMicroCredits: UInt64
    /// Records in the transparency log and its root hash (hex).
    public var logSize: UInt64
    public var logRootHex: String
    /// Simulation events processed.
    public var events: Int
    /// Gangs (jobs on several nodes) submitted and started.
    public var gangJobs = 0
    public var gangJobsStarted = 0
    /// Open regimes: placements refused because a node's remaining cores or memory did not fit.
    public var resourceRefusals = 0

    /// The class figures of `userClass`.
    public func figures(_ userClass: UserClass) -> ClassMetrics { classes[userClass.rawValue] }
}
