import OSGDomain

/// What applying a command changed, or why it changed nothing.
///
/// Business verdicts (not your node, unknown job, invalid spec) are events, not errors: a
/// refused command is still logged, so anyone replaying the log sees the same refusals.
public enum Event: Hashable, Sendable, Codable {
    case nodeRegistered(nodeID: String)
    case nodeAskUpdated(nodeID: String, askPerGPUHour: MicroCredits)
    case nodeWithdrawn(nodeID: String)
    case nodesHeartbeat(count: Int)
    case nodeWentOffline(nodeID: String, lastSeen: Timestamp)
    case nodeCameBack(nodeID: String)
    case jobQueued(orderID: String, tenantID: String)
    case jobCancelled(orderID: String)
    case poolDefined(name: String)
    case grantIssued(pool: String, tenantID: String)
    case leaseStarted(Lease)
    case leaseEnded(leaseID: String, orderID: String, reason: LeaseEndReason, requeued: Bool, paid: MicroCredits)
    case fundsDeposited(tenantID: String, amount: MicroCredits)
    case lockupRecorded(Lockup)
    case lockupEnded(lockupID: String)
    case clearingCompleted(placed: Int, waiting: Int)
    /// A clearing chose preemptible leases to make room for `orderID`; they end as
    /// `preempted` at the first tick or clearing at or after `deadline`.
    case preemptionNoticed(orderID: String, victimLeaseIDs: [String], deadline: Timestamp)
    /// A pending preemption was dropped (the job left the queue, or its nodes or funds did).
    case preemptionWithdrawn(orderID: String, reason: String)
    /// The head of the queue could not start now: its nodes are reserved from `start`, and
    /// backfill may not delay it.
    case headReserved(orderID: String, start: Timestamp, nodeIDs: [String])
    case carbonSeriesRecorded(zone: String, firstHour: Int64, hours: Int)
    case rejected(Rejection)
    /// A node's benchmark result was recorded (replacing any older one).
    case benchmarkRecorded(nodeID: String)
    /// A usage report settled a running lease up to `through`; `paid` is what this report moved
    /// from the escrow to the operators (the lease's end later pays only the remainder).
    case usageSettled(leaseID: String, through: Timestamp, paid: MicroCredits)
    /// `amount` credits arrived in set-aside pool `name`'s funding account.
    case poolFunded(name: String, amount: MicroCredits)
    /// A withdrawn node's collateral returned to its operator after the cooling-off period.
    case collateralReturned(nodeID: String, operatorID: String, amount: MicroCredits)
    /// A node fault that cost leases slashed `slashed` of the node's collateral (the `fault`-th
    /// within the fault window); `compensation` of it went to the leases' payers, the rest to
    /// the treasury.
    case nodeSlashed(nodeID: String, fault: Int, slashed: MicroCredits, compensation: MicroCredits)
    case creditsTransferred(from: String, to: String, amount: MicroCredits)
    case withdrawalRequested(withdrawalID: String, holder: String, amount: MicroCredits)
    case withdrawalSettled(withdrawalID: String, paid: Bool)
    case sharesIssued(nodeID: String, shares: Int64)
    case sharesTransferred(nodeID: String, from: String, to: String, shares: Int64)
    /// A quorum of governance keys approved `command` (its name) at governance counter
    /// `counter`; the command's own events follow.
    case governanceApproved(counter: UInt64, command: String)
    /// Governance now has `keys` keys, `quorum` of which approve its commands.
    case governanceRotated(keys: Int, quorum: Int)
}

/// Why a command was refused: a stable code and a message naming what to fix.
public typealias Rejection = CodedError<RejectionCode>

/// Stable rejection codes.
public enum RejectionCode: String, Hashable, Sendable, Codable, CaseIterable {
    case invalidSpec = "invalid_spec"
    case invalidNode = "invalid_node"
    case duplicateNode = "duplicate_node"
    case unknownNode = "unknown_node"
    case unknownOrder = "unknown_order"
    case unknownPool = "unknown_pool"
    case notOwner = "not_owner"
    case notGovernance = "not_governance"
    case orderAlreadyFinal = "order_already_final"
    case noEligibleGrant = "no_eligible_grant"
    case invalidPool = "invalid_pool"
    case unknownLease = "unknown_lease"
    case leaseAlreadyEnded = "lease_already_ended"
    case notAllowedToEnd = "not_allowed_to_end"
    case invalidAmount = "invalid_amount"
    case invalidLockup = "invalid_lockup"
    case invalidCarbonSeries = "invalid_carbon_series"
    case invalidBenchmark = "invalid_benchmark"
    case invalidUsage = "invalid_usage"
    /// A pool's ceiling (the most it pays a node per GPU-hour) is below its own price.
    case ceilingBelowPrice = "ceiling_below_price"
    /// A lease end's exit code does not fit its reason (0 is `completed`, anything else
    /// `job_failed`; no other reason carries one) or is outside -1...255.
    case invalidExitCode = "invalid_exit_code"
    /// A lease end's outputs do not match the spec's (their count, a digest, a size over its
    /// cap), or come with a reason that returns none (only `completed` and `job_failed` do).
    case invalidOutputs = "invalid_outputs"
    /// The account cannot cover what the command moves or locks.
    case insufficientFunds = "insufficient_funds"
    /// A credit or share transfer names no participant (not a hex Ed25519 public key).
    case unknownAccount = "unknown_account"
    /// A credit or share transfer to its own sender.
    case sameAccount = "same_account"
    /// A withdrawal's payout reference is too long or not printable ASCII.
    case invalidReference = "invalid_reference"
    case unknownWithdrawal = "unknown_withdrawal"
    case withdrawalAlreadySettled = "withdrawal_already_settled"
    /// The log's genesis predates the rules the command needs (``MoneyRules``).
    case notEnabled = "not_enabled"
    /// A node's shares were issued already (the count is fixed).
    case sharesAlreadyIssued = "shares_already_issued"
    /// A share transfer of more shares than the sender holds.
    case insufficientShares = "insufficient_shares"
    /// A devnet faucet deposit that would take its requester beyond the faucet's balance cap.
    case faucetCap = "faucet_cap"
    /// A governed command whose approvals fall short of the quorum (unknown keys, a key twice,
    /// signatures that do not verify).
    case governanceQuorumShort = "governance_quorum_short"
    /// A governed command approved for another governance counter than the log's (replayed,
    /// or overtaken by another governance command).
    case staleGovernanceCounter = "stale_governance_counter"
    /// A governed command whose approved command is not one governance issues.
    case notGovernable = "not_governable"
    /// A rotation to invalid governance rules (keys, quorum, carbon feeds).
    case invalidGovernance = "invalid_governance"
}
