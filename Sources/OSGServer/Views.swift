import OSGCore
import OSGDomain

/// The JSON shapes the API answers with (keys are snake_case on the wire). Money is a decimal
/// string of credits (`"2.1"`), times are RFC 3339 strings, shares are parts per million.
enum Views {
    struct Node: Encodable, Sendable {
        var id: String
        var `operator`: String
        var gpuModel: String
        var gpus: Int
        var vramGib: Int
        var cpu: Int
        var memoryGib: Int
        var diskGib: Int
        var region: String
        var jurisdiction: String
        var zone: String
        var powerSource: String
        var askPrice: String
        var stake: String
        var online: Bool
        var registered: String
        var lastHeartbeat: String
        var allocatedGpus: Int
        var lockedGpus: Int
        /// The latest benchmark result, if the operator reported one.
        var benchmark: Benchmark?
    }

    static func node(_ record: CoordinatorState.NodeRecord, in state: CoordinatorState) -> Node {
        let node = record.node
        return Node(
            id: node.id, operator: node.operatorID, gpuModel: node.gpuModel.name, gpus: node.gpuCount, vramGib: node.vramGiB,
            cpu: node.cpuCores, memoryGib: node.memoryGiB, diskGib: node.diskGiB, region: node.region,
            jurisdiction: node.jurisdiction, zone: node.gridZone, powerSource: node.powerSource.rawValue,
            askPrice: node.askPerGPUHour.description, stake: node.stake.description, online: record.online,
            registered: record.registered.description, lastHeartbeat: record.lastHeartbeat.description,
            allocatedGpus: state.allocatedGPUs[node.id] ?? 0,
            lockedGpus: state.lockups.values.filter { $0.nodeID == node.id }.reduce(0) { $0 + $1.gpus },
            benchmark: benchmark(record.benchmark))
    }

    struct Allocation: Encodable, Sendable {
        var node: String
        var gpus: Int
    }

    struct Lease: Encodable, Sendable {
        var id: String
        var job: String
        var nodes: [Allocation]
        var price: String
        var start: String
        var end: String?
        var endReason: String?
        /// The job's spec, for the operator that runs it.
        var image: String?
        var command: [String]?
        var maxDurationSeconds: Int64?
        /// The last usage report (streamed settlement), if any.
        var usage: Usage?
    }

    static func lease(_ lease: OSGDomain.Lease, in state: CoordinatorState, withSpec: Bool) -> Lease {
        let spec = withSpec ? state.orders[lease.orderID]?.spec : nil
        return Lease(
            id: lease.id, job: lease.orderID, nodes: lease.allocations.map { Allocation(node: $0.nodeID, gpus: $0.gpus) },
            price: lease.pricePerGPUHour.description, start: lease.start.description, end: lease.end?.at.description,
            endReason: lease.end?.reason.rawValue, image: spec?.image, command: spec?.command,
            maxDurationSeconds: spec?.maxDurationSeconds, usage: usage(lease.usage))
    }

    struct Job: Encodable, Sendable {
        var id: String
        var tenant: String
        var name: String
        var status: String
        var submitted: String
        var pool: String?
        var jobClass: String
        var gpuModel: String
        var gpusPerNode: Int
        var nodes: Int
        var maxPrice: String
        var maxCost: String
        /// Why the last clearing could not place it (pending jobs).
        var waitingReason: String?
        /// Position in the pending queue, from 1 (pending jobs).
        var queuePosition: Int?
        var leases: [Lease]
    }

    /// The view of `order`. For many orders of one state, pass `queuePositions` and
    /// `leasesByOrder` (``leasesByOrder(of:in:)``), built once, instead of a pass over the
    /// queue and the leases per order.
    static func job(_ order: Order, in state: CoordinatorState, queuePositions: [String: Int]? = nil,
                    leasesByOrder: [String: [OSGDomain.Lease]]? = nil) -> Job {
        let leases = (leasesByOrder.map { $0[order.id] ?? [] } ?? state.leases.values.filter { $0.orderID == order.id })
            .sorted { ($0.start, $0.id) < ($1.start, $1.id) }
        let position = order.status == .pending
            ? (queuePositions?[order.id] ?? state.queue.firstIndex(of: order.id).map { $0 + 1 }) : nil
        return Job(
            id: order.id, tenant: order.tenantID, name: order.spec.name, status: order.status.rawValue,
            submitted: order.submitted.description, pool: order.pool, jobClass: order.spec.jobClass.rawValue,
            gpuModel: order.spec.resources.gpu.selector.description, gpusPerNode: order.spec.resources.gpu.countPerNode,
            nodes: order.spec.nodeCount, maxPrice: order.spec.maxPricePerGPUHour.description,
            maxCost: order.spec.maxCost.description, waitingReason: state.waitingReasons[order.id],
            queuePosition: position, leases: leases.map { lease($0, in: state, withSpec: false) })
    }

    /// The leases of each of `orderIDs`, in one pass over the state's leases.
    static func leasesByOrder(of orderIDs: Set<String>, in state: CoordinatorState) -> [String: [OSGDomain.Lease]] {
        var result: [String: [OSGDomain.Lease]] = [:]
        for lease in state.leases.values where orderIDs.contains(lease.orderID) { result[lease.orderID, default: []].append(lease) }
        return result
    }

    struct Lockup: Encodable, Sendable {
        var id: String
        var holder: String
        var node: String
        var `operator`: String?
        var gpus: Int
        var since: String
        var until: String
    }

    static func lockup(_ lockup: OSGDomain.Lockup, in state: CoordinatorState) -> Lockup {
        Lockup(id: lockup.id, holder: lockup.holderID, node: lockup.nodeID, operator: state.nodes[lockup.nodeID]?.node.operatorID,
               gpus: lockup.gpus, since: lockup.since.description, until: lockup.until.description)
    }

    /// An accepted write: the log position and what happened.
    struct Accepted: Encodable, Sendable {
        var sequence: UInt64
        var time: String
        var events: [String]
    }

    static func accepted(_ outcome: CommandWriter.Outcome) -> Accepted {
        Accepted(sequence: outcome.entry.sequence, time: outcome.entry.time.description, events: outcome.events.map(\.name))
    }
}

extension Event {
    /// A short, stable name of the event for answers.
    var name: String {
        switch self {
        case .nodeRegistered: "node_registered"
        case .nodeAskUpdated: "node_ask_updated"
        case .nodeWithdrawn: "node_withdrawn"
        case .nodesHeartbeat: "nodes_heartbeat"
        case .nodeWentOffline: "node_went_offline"
        case .nodeCameBack: "node_came_back"
        case .jobQueued: "job_queued"
        case .jobCancelled: "job_cancelled"
        case .poolDefined: "pool_defined"
        case .grantIssued: "grant_issued"
        case .leaseStarted: "lease_started"
        case .leaseEnded: "lease_ended"
        case .fundsDeposited: "funds_deposited"
        case .lockupRecorded: "lockup_recorded"
        case .lockupEnded: "lockup_ended"
        case .clearingCompleted: "clearing_completed"
        case .preemptionNoticed: "preemption_noticed"
        case .preemptionWithdrawn: "preemption_withdrawn"
        case .headReserved: "head_reserved"
        case .carbonSeriesRecorded: "carbon_series_recorded"
        case .rejected: "rejected"
        case .benchmarkRecorded: "benchmark_recorded"
        case .usageSettled: "usage_settled"
        case .poolFunded: "pool_funded"
        }
    }
}
