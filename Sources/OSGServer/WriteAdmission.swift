import HTTPTypes
import OSGCore
import OSGDomain
import OSGRequestBodies

/// What one key may make the coordinator keep: writes cost something before they are kept.
/// Checked at the door, inside the single writer, against the state and the key's own commands
/// not applied yet (``CommandWriter/submit(_:actor:nonce:admit:)``), so concurrent requests
/// cannot all pass against the same old state. A refused write is not logged.
public struct WriteLimits: Sendable, Hashable {
    /// Jobs one tenant may have waiting in the queue.
    public var maxQueuedJobsPerTenant = 1_000
    /// Nodes one operator may have registered.
    public var maxNodesPerOperator = 10_000
    /// Lockups one operator may have recorded on its nodes.
    public var maxLockupsPerOperator = 1_000
    /// Long polls one key may have open at once.
    public var maxOpenPollsPerKey = 4

    public init() {}
}

/// The admission checks of writes that make the coordinator keep something.
enum WriteAdmission {
    /// A job is admitted when its tenant has fewer than the cap waiting and can pay for it:
    /// its available funds cover the most this job can cost (max price × GPUs × max duration;
    /// a set-aside job at its pool's price) on top of the most its waiting jobs can cost.
    static func job(_ spec: JobSpec, pool: String?, tenant: String, limits: WriteLimits,
                    state: CoordinatorState, unapplied: [Command]) throws(APIError) {
        var queued = state.queuedJobs(of: tenant)
        for case .submitJob(let other, let otherPool) in unapplied {
            queued.jobs += 1
            if otherPool == nil {
                queued.maxCost = queued.maxCost.addingSaturated(ParticipantHoldings.maxCost(of: other, at: other.maxPricePerGPUHour))
            }
        }
        guard queued.jobs < limits.maxQueuedJobsPerTenant else {
            throw APIError(.tooManyRequests, "too_many_queued_jobs",
                           "this key has \(queued.jobs) jobs waiting, the most one tenant may have (\(limits.maxQueuedJobsPerTenant)); cancel some or wait for them to start",
                           headers: [.retryAfter: "60"])
        }
        let cost = state.maxCostToTenant(of: spec, pool: pool)
        let available = UInt128(max(0, state.availableFunds(of: tenant).rawValue))
        guard queued.maxCost.addingSaturated(cost) <= available else {
            let committed = queued.maxCost > 0
                ? ", of which \(MicroCredits.description(of: queued.maxCost)) may be needed by its \(queued.jobs) waiting job(s)" : ""
            throw APIError(HTTPResponse.Status(code: 402, reasonPhrase: "Payment Required"), "insufficient_funds",
                           "this job can cost up to \(MicroCredits.description(of: cost)) credits (max_price × GPUs × max_duration); the key has \(MicroCredits.description(of: available)) available\(committed); deposit more, or lower max_price or max_duration")
        }
    }

    /// A job with a carbon cap is admitted only when some zone's recorded carbon series has an
    /// hour at or under the cap from now on (up to the job's deadline, if it has one); otherwise
    /// it would wait with `carbon_cap` for as long as nothing changes, so the tenant is told now.
    static func carbonCap(of spec: JobSpec, state: CoordinatorState, nowHour: Int64) throws(APIError) {
        guard let cap = spec.carbon.maxGCO2PerKWh else { return }
        guard !state.carbonSeries.isEmpty else {
            throw APIError(.unprocessableContent, "carbon_cap_unmeetable",
                           "the job asks for at most \(cap) gCO2/kWh, but this coordinator has no grid carbon data recorded, so no placement can meet a cap; drop carbon.max_gco2_per_kwh, or ask the operator to load carbon data (osg serve --carbon)",
                           field: "carbon.max_gco2_per_kwh")
        }
        let lastHour = spec.deadline.map { $0.secondsSinceEpoch / 3_600 }
        guard let lowest = state.lowestRecordedCarbon(fromHour: nowHour, throughHour: lastHour) else {
            throw APIError(.unprocessableContent, "carbon_cap_unmeetable",
                           "the job asks for at most \(cap) gCO2/kWh, but no zone has carbon data recorded from now\(lastHour == nil ? "" : " to the job's deadline"); drop carbon.max_gco2_per_kwh or try again later",
                           field: "carbon.max_gco2_per_kwh")
        }
        guard lowest.milligramsPerKWh <= Int64(cap) * 1_000 else {
            throw APIError(.unprocessableContent, "carbon_cap_unmeetable",
                           "the job asks for at most \(cap) gCO2/kWh, but the cleanest hour recorded\(lastHour == nil ? "" : " before its deadline") is \(lowest.milligramsPerKWh / 1_000) gCO2/kWh (zone \(lowest.zone)); raise carbon.max_gco2_per_kwh to at least that, or drop it",
                           field: "carbon.max_gco2_per_kwh")
        }
    }

    /// A node is admitted while its operator has fewer than the cap registered.
    static func node(operatorID: String, limits: WriteLimits, state: CoordinatorState, unapplied: [Command]) throws(APIError) {
        var count = state.nodeCount(of: operatorID)
        for case .registerNode in unapplied { count += 1 }
        guard count < limits.maxNodesPerOperator else {
            throw APIError(.unprocessableContent, "too_many_nodes",
                           "this operator has \(count) nodes registered, the most one key may have (\(limits.maxNodesPerOperator)); withdraw one first, or register more under another operator key")
        }
    }

    /// A lockup is admitted while its operator has fewer than the cap recorded.
    static func lockup(operatorID: String, limits: WriteLimits, state: CoordinatorState, unapplied: [Command]) throws(APIError) {
        var count = state.lockups.values.count { state.nodes[$0.nodeID]?.node.operatorID == operatorID }
        for case .lockUp in unapplied { count += 1 }
        guard count < limits.maxLockupsPerOperator else {
            throw APIError(.unprocessableContent, "too_many_lockups",
                           "this operator has \(count) lockups recorded, the most one key may have (\(limits.maxLockupsPerOperator)); wait for one to lapse")
        }
    }
}
