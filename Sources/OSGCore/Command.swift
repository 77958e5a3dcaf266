import OSGDomain

/// Something a participant asks the coordinator to do. Commands are the log's entries:
/// replaying them through ``CoordinatorState/apply(_:)`` rebuilds every state, bit for bit.
///
/// The actor who issued a command is recorded beside it in ``LogEntry``, with the actor's
/// signature over it (``CommandProof``), checked at the edge (the HTTP API) before the command
/// is logged and again by every audit.
public enum Command: Hashable, Sendable, Codable {
    /// An operator offers a node. The node's `operatorID` must be the actor.
    case registerNode(ComputeNode)
    /// An operator changes the asking price of one of its nodes.
    case updateNodeAsk(nodeID: String, askPerGPUHour: MicroCredits)
    /// An operator takes a node off the market.
    case withdrawNode(nodeID: String)
    /// An operator reports that its nodes are alive (one signed batch for many nodes).
    case heartbeat(nodeIDs: [String])
    /// A tenant submits a job; `pool` names the set-aside pool for `set-aside` jobs.
    case submitJob(spec: JobSpec, pool: String?)
    /// A tenant cancels one of its jobs.
    case cancelJob(orderID: String)
    /// Governance publishes or changes a set-aside pool: its name, share, price and optional
    /// ceiling (the pool's `funding` is never part of the command: it is the ledger balance
    /// ``fundPool(name:amount:)`` fills).
    case definePool(SetAsidePool)
    /// Governance grants a tenant access to a set-aside pool.
    case grantSetAside(SetAsideGrant)
    /// Time passes: nodes silent for longer than the heartbeat timeout go offline (their
    /// leases end as `node_lost` and the jobs are requeued), and leases past their job's
    /// `max_duration` end.
    case tick
    /// The coordinator runs one market clearing over the online nodes' free GPUs and the
    /// pending queue; placed jobs start leases. Only governance (the coordinator's key) may.
    case clear
    /// A lease ends: the tenant cancels, an operator of its nodes reports completion, the
    /// job's failure, a fault of the node or its withdrawal (with the job's exit status when
    /// there is one, and what came back for each of the spec's outputs), or governance
    /// decides (preemption, node lost, max duration).
    case endLease(leaseID: String, reason: LeaseEndReason, exitCode: Int? = nil, outputs: [OutputBlob?]? = nil)
    /// An operator records an exclusive deal: `gpus` GPUs of its node reserved for `holderID`
    /// until `until`, off the open market and listed publicly.
    case lockUp(nodeID: String, gpus: Int, holderID: String, until: Timestamp)
    /// Credits arrive for a tenant: from an on-ramp (governance only), or on a devnet whose
    /// genesis has a faucet (``FaucetRules``) the tenant's own drip, within the faucet's limits.
    case deposit(tenantID: String, amount: MicroCredits)
    /// Governance records a grid zone's hourly carbon intensity (the forecast clearings use):
    /// `milligramsPerKWh[i]` is the intensity of hour `firstHour + i` (hours since the epoch,
    /// UTC), in mgCO2-eq/kWh. A window overwrites the hours it covers and may extend the zone's
    /// series at either end; it may not leave a gap.
    case recordCarbonSeries(zone: String, firstHour: Int64, milligramsPerKWh: [Int64])
    /// An operator records what a benchmark run measured on one of its nodes; a newer report
    /// replaces the older one (see `CoordinatorState+Benchmarks`).
    case reportBenchmark(nodeID: String, result: NodeBenchmark)
    /// An operator of a running lease reports its usage up to `through`: the lease's escrow is
    /// settled up to then, and `counters` are recorded as the lease's last report (see
    /// `CoordinatorState+Usage`).
    case reportUsage(leaseID: String, through: Timestamp, counters: UsageCounters)
    /// Governance moves `amount` credits from the external account into the funding account of
    /// set-aside pool `name`, which pays the difference between the asks of the nodes its jobs
    /// use and the pool's price (see `CoordinatorState+PoolFunding`).
    case fundPool(name: String, amount: MicroCredits)
    /// A participant sends `amount` of its available credits to participant `to` (see
    /// `CoordinatorState+Transfers`).
    case transferCredits(to: String, amount: MicroCredits)
    /// A participant asks to take `amount` credits out of the market: they are held until
    /// governance posts the payout or voids it; `reference` is a public payout reference.
    case requestWithdrawal(amount: MicroCredits, reference: String)
    /// Governance records a pending withdrawal as paid out (`paid`), or voids it (the credits
    /// come back).
    case settleWithdrawal(withdrawalID: String, paid: Bool)
    /// The operator of a node issues its shares, a fixed count, all first held by itself (see
    /// `CoordinatorState+Shares`).
    case issueShares(nodeID: String, shares: Int64)
    /// A holder of a node's shares transfers `shares` of them to participant `to`.
    case transferShares(nodeID: String, to: String, shares: Int64)
    /// A governance command approved by a quorum of the genesis's governance keys
    /// (``GovernedCommand``), submitted by any participant: the command inside runs with
    /// governance's authority (docs/TRANSPARENCY_LOG.md, "Governance by quorum").
    indirect case governed(GovernedCommand)
    /// Governance replaces its keys, quorum and carbon feeds; only inside ``governed(_:)``,
    /// approved by a quorum of the keys in force.
    case rotateGovernance(GovernanceRules)
}

/// One accepted command with its position, time and actor: the unit of the log.
public struct LogEntry: Hashable, Sendable, Codable {
    /// Position in the log, starting at 0; entries are applied in this order.
    public var sequence: UInt64
    /// The logical time at which the command is applied.
    public var time: Timestamp
    /// Who issued it: a participant id (hex public key).
    public var actor: String
    /// What was asked.
    public var command: Command
    /// The participant's signature that asked for it (``CommandProof``); `nil` for a command of
    /// the coordinator itself (tick, clear, its carbon feed) and in entries written before proofs.
    public var proof: CommandProof?

    public init(sequence: UInt64, time: Timestamp, actor: String, command: Command, proof: CommandProof? = nil) {
        self.sequence = sequence
        self.time = time
        self.actor = actor
        self.command = command
        self.proof = proof
    }
}
