import OSGCore
import OSGDomain

extension Driver {
    /// A driver whose genesis gives preempted leases `notice` seconds of notice.
    init(notice: Int64) {
        let genesis = Genesis(governanceID: governance, heartbeatTimeoutSeconds: 60, preemptionNoticeSeconds: notice)
        log = CommandLog(genesis: genesis)
        state = CoordinatorState(genesis: genesis)
        time = t0
    }
}

/// A node with a chosen ask and grid zone.
func pricedNode(_ id: String, operator op: String, gpus: Int = 8, ask: Int64, zone: String = "NO", region: String = "eu") -> ComputeNode {
    var made = node(id, operator: op, gpus: gpus, region: region)
    made.askPerGPUHour = MicroCredits(ask)
    made.gridZone = zone
    return made
}

/// A spec with explicit durations, price and class.
func timedSpec(_ name: String, gpus: Int, duration: Int64 = 3600, maxDuration: Int64? = nil, maxPrice: Int64 = 2_000_000,
               jobClass: JobClass = .standard, nodes: Int = 1, carbon: CarbonPolicy = CarbonPolicy(), deadline: Timestamp? = nil) -> JobSpec {
    JobSpec(
        name: name, image: "ghcr.io/org/app:1", resources: ResourceRequest(gpu: GPURequest(selector: .any, countPerNode: gpus)),
        nodeCount: nodes, durationSeconds: duration, maxDurationSeconds: maxDuration, maxPricePerGPUHour: MicroCredits(maxPrice),
        deadline: deadline, carbon: carbon, jobClass: jobClass)
}

func notices(_ events: [Event]) -> [(orderID: String, victims: [String], deadline: Timestamp)] {
    events.compactMap { if case .preemptionNoticed(let order, let victims, let deadline) = $0 { (order, victims, deadline) } else { nil } }
}

func headReservations(_ events: [Event]) -> [(orderID: String, start: Timestamp, nodeIDs: [String])] {
    events.compactMap { if case .headReserved(let order, let start, let nodes) = $0 { (order, start, nodes) } else { nil } }
}

/// The id of the job a `submitJob` produced.
func queuedID(_ events: [Event]) -> String? {
    for event in events { if case .jobQueued(let orderID, _) = event { return orderID } }
    return nil
}
