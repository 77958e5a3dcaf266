import OSGDomain

/// Refusals known before a command is logged.
///
/// A command the state would refuse costs the coordinator a log entry kept forever (its whole
/// body, published) while changing nothing. ``rejection(of:actor:at:)`` answers, without
/// applying anything, the refusal `apply` would give the command against the current state,
/// by the very checks `apply` runs first (each command's `…Rejection` function), so the
/// coordinator refuses such a request at the door and logs nothing. A command that passes
/// can still be refused when applied (another command logged in between changed the state);
/// that refusal is logged as before.
extension CoordinatorState {
    /// The rejection `apply` would give `command` from `actor` at `time`, or `nil` when the
    /// checks it runs first pass (a governance command is checked only for its signer: the
    /// rest of its checks run when applied; a `tick` has none).
    public func rejection(of command: Command, actor: String, at time: Timestamp) -> Rejection? {
        authorityRejection(actor: actor) ?? commandRejection(of: command, actor: actor, at: time)
    }

    /// ``rejection(of:actor:at:)`` without the check of the actor's name (a governed command's
    /// approved command runs as governance).
    private func commandRejection(of command: Command, actor: String, at time: Timestamp) -> Rejection? {
        switch command {
        case .registerNode(let node): registrationRejection(node, actor: actor)
        case .updateNodeAsk(let nodeID, let ask): askUpdateRejection(nodeID, ask: ask, actor: actor)
        case .withdrawNode(let nodeID): ownedNode(nodeID, actor: actor).rejection
        case .heartbeat(let nodeIDs): heartbeatRejection(nodeIDs, actor: actor)
        case .submitJob(let spec, let pool): submissionRejection(spec, pool: pool, actor: actor, at: time)
        case .cancelJob(let orderID): cancellationRejection(orderID, actor: actor)
        case .endLease(let leaseID, let reason, let exitCode, let outputs): leaseEndRejection(leaseID, reason: reason, exitCode: exitCode, outputs: outputs, actor: actor)
        case .lockUp(let nodeID, let gpus, let holderID, let until):
            lockupRejection(nodeID: nodeID, gpus: gpus, holderID: holderID, until: until, actor: actor, at: time)
        case .reportBenchmark(let nodeID, let result): benchmarkRejection(nodeID: nodeID, result: result, actor: actor)
        case .reportUsage(let leaseID, let through, let counters):
            usageRejection(leaseID: leaseID, through: through, counters: counters, actor: actor, at: time)
        // Governance's commands from anyone else: the same refusal `apply` gives first.
        case .definePool: governanceOnly(actor, "only governance defines set-aside pools")
        case .grantSetAside: governanceOnly(actor, "only governance issues set-aside grants")
        case .clear: actor == genesis.governanceID ? nil : Rejection(.notGovernance, "only the coordinator runs market clearings")
        case .deposit(let tenantID, let amount): depositRejection(to: tenantID, amount: amount, actor: actor)
        case .recordCarbonSeries: mayRecordCarbon(actor) ? nil : notGovernance("only governance (or a carbon feed its rules name) records carbon series")
        case .fundPool: governanceOnly(actor, "only governance funds set-aside pools")
        case .transferCredits(let recipient, let amount): creditTransferRejection(to: recipient, amount: amount, actor: actor)
        case .requestWithdrawal(let amount, let reference): withdrawalRequestRejection(amount: amount, reference: reference, actor: actor)
        case .settleWithdrawal(let withdrawalID, _): withdrawalSettlementRejection(withdrawalID, actor: actor)
        case .issueShares(let nodeID, let shares): shareIssueRejection(nodeID: nodeID, shares: shares, actor: actor)
        case .transferShares(let nodeID, let recipient, let shares):
            shareTransferRejection(nodeID: nodeID, to: recipient, shares: shares, actor: actor)
        case .governed(let governed):
            governedRejection(governed) ?? commandRejection(of: governed.command, actor: Self.governanceAuthority, at: time)
        case .rotateGovernance(let rules): rotationRejection(rules, actor: actor)
        case .tick: nil
        }
    }
}

extension Result where Failure == Rejection {
    /// The rejection, when this is one.
    var rejection: Rejection? {
        if case .failure(let rejection) = self { rejection } else { nil }
    }
}

extension CoordinatorState {
    /// `notGovernance` unless `actor` holds governance's authority.
    fileprivate func governanceOnly(_ actor: String, _ message: String) -> Rejection? {
        isGovernance(actor) ? nil : notGovernance(message)
    }
}
