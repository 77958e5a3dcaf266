import OSGDomain

/// Governance by quorum inside the state machine (docs/TRANSPARENCY_LOG.md, "Governance by
/// quorum"): a ``GovernedCommand`` runs its approved command with governance's authority once a
/// quorum of the keys in force approved it for the current counter; the counter then moves on,
/// so the same approvals never count twice. The check runs on every replay, so an auditor
/// re-verifies every governance decision from the log alone.
extension CoordinatorState {
    /// The actor an approved command runs as. Not a key, so no participant's signed request
    /// can claim it; an entry whose own actor it is gets refused.
    public static let governanceAuthority = "governance"

    /// The refusal of an entry whose own actor is ``governanceAuthority`` (under governance
    /// keys that name is only ever lent to an approved command), or `nil`.
    func authorityRejection(actor: String) -> Rejection? {
        guard governance != nil, actor == Self.governanceAuthority else { return nil }
        return Rejection(.notGovernance, "'\(Self.governanceAuthority)' acts only inside a governed command approved by a quorum")
    }

    /// Whether `actor` holds governance's authority: an approved command under
    /// ``GovernanceRules``, the coordinator's key where the genesis has none.
    func isGovernance(_ actor: String) -> Bool {
        governance == nil ? actor == genesis.governanceID : actor == Self.governanceAuthority
    }

    /// The statement governance keys sign in this log.
    public var governanceStatement: GovernanceStatement { GovernanceStatement(genesis: genesis) }

    /// Why `governed` cannot run now, or `nil`: the log has governance keys, the command is a
    /// governance command, it was approved for the current counter, and by a quorum.
    func governedRejection(_ governed: GovernedCommand) -> Rejection? {
        guard let book = governance else {
            return Rejection(.notEnabled, "this log's genesis names no governance keys: its coordinator key governs alone and takes no governed commands")
        }
        guard GovernedCommand.isGovernable(governed.command) else {
            return Rejection(.notGovernable, "\(governed.command.name) is not a governance command; a quorum approves pools, grants, deposits, pool funding, withdrawal settlements, lease ends, carbon series and key rotations")
        }
        guard governed.counter == book.counter else {
            return Rejection(.staleGovernanceCounter, "the approvals are for governance counter \(governed.counter); the log is at \(book.counter) (approve the command again for \(book.counter))")
        }
        if let problem = governanceStatement.quorumProblem(of: governed, under: book.rules) {
            return Rejection(.governanceQuorumShort, problem)
        }
        return nil
    }

    mutating func governed(_ governed: GovernedCommand, actor: String, at time: Timestamp, sequence: UInt64) -> [Event] {
        if let rejection = governedRejection(governed) { return [.rejected(rejection)] }
        // The approvals are spent whatever the command's own checks decide.
        governance!.counter += 1
        return [.governanceApproved(counter: governed.counter, command: governed.command.name)]
            + perform(governed.command, actor: Self.governanceAuthority, at: time, sequence: sequence)
    }

    /// Why `rules` cannot replace governance's now, or `nil`.
    func rotationRejection(_ rules: GovernanceRules, actor: String) -> Rejection? {
        guard governance != nil, isGovernance(actor) else {
            return Rejection(.notGovernance, "only a quorum of the governance keys rotates them (a governed rotateGovernance)")
        }
        if let problem = rules.problems.first { return Rejection(.invalidGovernance, problem) }
        return nil
    }

    mutating func rotateGovernance(_ rules: GovernanceRules, actor: String) -> [Event] {
        if let rejection = rotationRejection(rules, actor: actor) { return [.rejected(rejection)] }
        governance!.rules = rules
        return [.governanceRotated(keys: rules.keys.count, quorum: rules.quorum)]
    }

    /// Whether `actor` may record carbon series: governance, or under governance rules one of
    /// their carbon feeds.
    func mayRecordCarbon(_ actor: String) -> Bool {
        isGovernance(actor) || governance?.rules.carbonFeeds.contains(actor) == true
    }
}

extension CoordinatorState {
    /// `not_governance` with `message`; under governance keys it also says how governance acts
    /// here (a signer that governed alone before learns what to do instead).
    func notGovernance(_ message: String) -> Rejection {
        guard let book = governance else { return Rejection(.notGovernance, message) }
        return Rejection(.notGovernance, message + "; this log is governed by \(book.rules.quorum) of \(book.rules.keys.count) governance keys: "
                         + "send the request's command approved by them to POST /v1/governance (osg governance propose)")
    }
}
