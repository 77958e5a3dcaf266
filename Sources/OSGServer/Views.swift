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
        /// The stake its registration declared.
        var stake: String
        /// The collateral locked for it now (the stake less slashes; absent on a log that predates money rules).
        var collateral: String?
        /// Its faults that cost leases, and what they slashed (absent on a log that predates money rules).
        var faults: Int?
        var slashed: String?
        /// Virtual GPUs (`osg agent --simulate`, for demos and tests), not real hardware.
        var simulated: Bool
        var online: Bool
        var registered: String
        var lastHeartbeat: String
        var allocatedGpus: Int
        var lockedGpus: Int
        /// The latest benchmark result, if the operator reported one.
        var benchmark: Benchmark?
        /// Its model's data sheet against its benchmark and its leases' usage reports.
        var claimedVsObserved: ClaimedVsObserved
    }

    static func node(_ record: CoordinatorState.NodeRecord, in state: CoordinatorState) -> Node {
        let node = record.node
        return Node(
            id: node.id, operator: node.operatorID, gpuModel: node.gpuModel.name, gpus: node.gpuCount, vramGib: node.vramGiB,
            cpu: node.cpuCores, memoryGib: node.memoryGiB, diskGib: node.diskGiB, region: node.region,
            jurisdiction: node.jurisdiction, zone: node.gridZone, powerSource: node.powerSource.rawValue,
            askPrice: node.askPerGPUHour.description, stake: node.stake.description,
            collateral: state.money.map { _ in state.lockedCollateral(of: node.id).description },
            faults: state.money?.collateral[node.id]?.faults, slashed: state.money?.collateral[node.id].map { MicroCredits(Int64(clamping: $0.slashedMicroCredits)).description },
            simulated: node.isSimulated, online: record.online,
            registered: record.registered.description, lastHeartbeat: record.lastHeartbeat.description,
            allocatedGpus: state.allocatedGPUs[node.id] ?? 0,
            lockedGpus: state.lockups.values.filter { $0.nodeID == node.id }.reduce(0) { $0 + $1.gpus },
            benchmark: benchmark(record.benchmark), claimedVsObserved: claimedVsObserved(record.claimComparison))
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
        /// The job's exit status, when the agent reported one (a signal N as 128 + N).
        var exitCode: Int?
        /// What came back for each of the spec's outputs (`null` where nothing did), in the
        /// spec's order, when the agent returned outputs (`osg results` downloads them).
        var outputs: [OutputBlob?]?
        /// When a preemption notice targets this lease: the job should save its work and stop
        /// before `deadline`, when the lease ends as `preempted` (the agent sends SIGTERM at the
        /// notice and SIGKILL at the deadline).
        var preemption: Preemption?
        /// The job's spec, for the operator that runs it.
        var image: String?
        var command: [String]?
        /// The job's environment variables (`env:`), sorted by name, for the operator that runs
        /// it (a list: the response encoder rewrites mapping keys into snake case).
        var env: [EnvironmentVariable]?
        var maxDurationSeconds: Int64?
        var spec: LeaseSpec?
        /// The last usage report (streamed settlement), if any.
        var usage: Usage?
    }

    struct Preemption: Encodable, Sendable {
        /// The job that displaces this one.
        var forJob: String
        var noticed: String
        var deadline: String
    }

    /// The job's spec as the operator that runs it sees it (`withSpec`).
    struct LeaseSpec: Encodable, Sendable {
        var name: String
        var cpu: Int
        var memoryGib: Int
        var diskGib: Int
        var gpusPerNode: Int
        var nodes: Int
        var durationSeconds: Int64
        var network: Bool
        /// The files the agent fetches and checks before the job starts.
        var inputs: [JobInput]?
        /// What the agent returns after the job ends.
        var outputs: [JobOutput]?
        /// The blob of the job's private contents (image, command, env, data paths, secrets),
        /// which the agent fetches and checks against this commitment.
        var contents: String?
    }

    static func lease(_ lease: OSGDomain.Lease, in state: CoordinatorState, withSpec: Bool,
                      preemptionsByLease: [String: PreemptionNotice]? = nil) -> Lease {
        let spec = withSpec ? state.orders[lease.orderID]?.spec : nil
        let notice = lease.end == nil
            ? (preemptionsByLease.map { $0[lease.id] } ?? state.preemptions.values.first { $0.victimLeaseIDs.contains(lease.id) })
            : nil
        return Lease(
            id: lease.id, job: lease.orderID, nodes: lease.allocations.map { Allocation(node: $0.nodeID, gpus: $0.gpus) },
            price: lease.pricePerGPUHour.description, start: lease.start.description, end: lease.end?.at.description,
            endReason: lease.end?.reason.rawValue, exitCode: lease.end?.exitCode, outputs: lease.end?.outputs,
            preemption: notice.map { Preemption(forJob: $0.orderID, noticed: $0.noticed.description, deadline: $0.deadline.description) },
            image: spec?.image, command: spec?.command,
            env: spec?.env,
            maxDurationSeconds: spec?.maxDurationSeconds,
            spec: spec.map { LeaseSpec(name: $0.name, cpu: $0.resources.cpuCores, memoryGib: $0.resources.memoryGiB,
                                       diskGib: $0.resources.diskGiB, gpusPerNode: $0.resources.gpu.countPerNode,
                                       nodes: $0.nodeCount, durationSeconds: $0.durationSeconds, network: $0.allowsNetwork,
                                       inputs: $0.inputs, outputs: $0.outputs, contents: $0.contents) },
            usage: usage(lease.usage))
    }

    /// The running leases under a preemption notice, each with its notice: built once for a
    /// list of leases.
    static func preemptionsByLease(in state: CoordinatorState) -> [String: PreemptionNotice] {
        var result: [String: PreemptionNotice] = [:]
        for notice in state.preemptions.values {
            for leaseID in notice.victimLeaseIDs { result[leaseID] = notice }
        }
        return result
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
        /// Runs after a failed one the spec allows, and the runs that failed so far.
        var retries: Int
        var failedRuns: Int
        /// A pending job's estimated start (``StartEstimate``) and what it rests on:
        /// `reservation` or `queue_p50`; absent when nothing supports an estimate.
        var estimatedStart: String?
        var estimatedStartBasis: String?
        /// The files the job reads (fetched and checked by the agent).
        var inputs: [JobInput]?
        /// What the job returns; each lease's `outputs` has what came back (`osg results`).
        var outputs: [JobOutput]?
        /// The commitment to the job's private contents (in the log).
        var contentsCommitment: String?
        /// The private contents themselves: in the owner's view of one job only.
        var contents: Contents?
        var leases: [Lease]
    }

    /// A job's private contents as its owner sees them.
    struct Contents: Encodable, Sendable {
        var commitment: String
        var image: String?
        var command: [String]?
        var env: [EnvironmentVariable]?
        var inputs: [JobInput]?
        var outputs: [JobOutput]?
        var secrets: [String]?
    }

    /// When a pending job may start: the head of the queue's reserved start when the job is the
    /// head (the clearing holds GPUs for it from then); otherwise its submission plus the
    /// published median queue time of its resource class, not before now (a job behind the head
    /// is also not expected before the head's reservation, though backfill may start it
    /// sooner). `nil` without a reservation or a published median.
    /// `position` and `headPosition` are the job's and the head's places in the queue (from 1).
    static func startEstimate(of order: Order, in state: CoordinatorState, medians: [String: Int64], position: Int?, headPosition: Int?)
        -> (time: Timestamp, basis: String)? {
        guard order.status == .pending else { return nil }
        if let head = state.headReservation, head.orderID == order.id { return (head.start, "reservation") }
        guard let median = medians[order.spec.resources.gpu.selector.description] else { return nil }
        let now = state.lastTime ?? order.submitted
        var estimate = max(now, order.submitted.adding(seconds: median))
        if let head = state.headReservation, let headPosition, let position, position > headPosition {
            estimate = max(estimate, head.start)
        }
        return (estimate, "queue_p50")
    }

    /// Each resource class's published median queue time, seconds (computed once per request).
    static func queueMedians(in state: CoordinatorState) -> [String: Int64] {
        state.statistics.byResourceClass.compactMapValues(\.queueP50Seconds)
    }

    /// The view of `order`. For many orders of one state, pass `queuePositions`,
    /// `leasesByOrder` (``leasesByOrder(of:in:)``) and `preemptionsByLease`
    /// (``preemptionsByLease(in:)``), built once, instead of passes per order.
    static func job(_ order: Order, in state: CoordinatorState, queuePositions: [String: Int]? = nil,
                    leasesByOrder: [String: [OSGDomain.Lease]]? = nil, preemptionsByLease: [String: PreemptionNotice]? = nil,
                    queueMedians: [String: Int64]? = nil) -> Job {
        let leases = (leasesByOrder.map { $0[order.id] ?? [] } ?? state.leases.values.filter { $0.orderID == order.id })
            .sorted { ($0.start, $0.id) < ($1.start, $1.id) }
        let position = order.status == .pending
            ? (queuePositions?[order.id] ?? state.queue.firstIndex(of: order.id).map { $0 + 1 }) : nil
        let headPosition = state.headReservation.flatMap { head in
            queuePositions?[head.orderID] ?? state.queue.firstIndex(of: head.orderID).map { $0 + 1 }
        }
        let estimate = order.status == .pending
            ? startEstimate(of: order, in: state, medians: queueMedians ?? Self.queueMedians(in: state), position: position,
                            headPosition: headPosition) : nil
        return Job(
            id: order.id, tenant: order.tenantID, name: order.spec.name, status: order.status.rawValue,
            submitted: order.submitted.description, pool: order.pool, jobClass: order.spec.jobClass.rawValue,
            gpuModel: order.spec.resources.gpu.selector.description, gpusPerNode: order.spec.resources.gpu.countPerNode,
            nodes: order.spec.nodeCount, maxPrice: order.spec.maxPricePerGPUHour.description,
            maxCost: order.spec.maxCost.description, waitingReason: state.waitingReasons[order.id],
            queuePosition: position, retries: order.spec.retryLimit, failedRuns: order.failedRuns ?? 0,
            estimatedStart: estimate?.time.description, estimatedStartBasis: estimate?.basis,
            inputs: order.spec.inputs, outputs: order.spec.outputs, contentsCommitment: order.spec.contents,
            leases: leases.map { lease($0, in: state, withSpec: false, preemptionsByLease: preemptionsByLease) })
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
        case .collateralReturned: "collateral_returned"
        case .nodeSlashed: "node_slashed"
        case .creditsTransferred: "credits_transferred"
        case .withdrawalRequested: "withdrawal_requested"
        case .withdrawalSettled: "withdrawal_settled"
        case .sharesIssued: "shares_issued"
        case .sharesTransferred: "shares_transferred"
        case .governanceApproved: "governance_approved"
        case .governanceRotated: "governance_rotated"
        }
    }
}
