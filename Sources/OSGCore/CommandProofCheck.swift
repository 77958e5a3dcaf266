import OSGDomain

/// The audit's rules for command proofs (docs/TRANSPARENCY_LOG.md, "Command proofs"), pure:
///
/// - a proof's signer is the entry's actor, its nonce has the API's form, and its signature
///   verifies over the entry's statement (``signatureProblem(of:leaf:)``, stateless, so an
///   auditor runs it on every core);
/// - where the genesis requires proofs (``SignedCommandRules``): an entry without one is the
///   coordinator's own mechanical command (governance's `tick`, `clear`, or a carbon series of
///   its feed); a proof was signed within the window of its entry's time; and a signer's nonce
///   is not used again while its earlier proof is inside the window (``orderProblem(of:)``,
///   in log order).
public struct CommandProofCheck: Sendable {
    /// Why an entry's proof fails the rules: a stable code, the entry's sequence number and
    /// what is wrong.
    public struct Problem: Error, Hashable, Sendable, CustomStringConvertible {
        public var code: String
        public var sequence: UInt64
        public var message: String
        public var description: String { "entry \(sequence): \(code): \(message)" }

        public init(code: String, sequence: UInt64, message: String) {
            self.code = code
            self.sequence = sequence
            self.message = message
        }
    }

    /// The log's statement (origin and genesis digest).
    public let statement: CommandStatement
    /// The genesis's rules for proofs (`nil`: a log that predates them: proofs are checked
    /// where present, none is required).
    public let rules: SignedCommandRules?
    /// Governance's participant id.
    public let governanceID: String
    /// Per signer and nonce, the timestamp of the last proof that used it, within the window.
    private var recentNonces: [String: Int64] = [:]
    private var entriesSincePrune = 0

    public init(genesis: Genesis, origin: String) {
        statement = CommandStatement(origin: origin, genesis: genesis)
        rules = genesis.signedCommands
        governanceID = genesis.governanceID
    }

    /// The signature rule of `entry` (whose leaf bytes are `leaf`, or its encoding): the
    /// signer is the actor, the nonce well formed, the signature valid. `nil` for an entry
    /// without a proof.
    public func signatureProblem(of entry: LogEntry, leaf: [UInt8]? = nil) -> Problem? {
        guard entry.proof != nil else { return nil }
        return signatureProblem(ofLeaf: leaf ?? entry.leafBytes)
    }

    /// The signature rule read straight from a leaf's bytes, without decoding its
    /// command: what an auditor runs on every core. `nil` for a leaf without a proof (or one
    /// that does not decode, which the replay's full decode reports).
    public func signatureProblem(ofLeaf leaf: [UInt8]) -> Problem? {
        guard let header = LeafCodec.provenHeader(of: leaf) else { return nil }
        let proof = header.proof
        guard proof.signerID == header.actor else {
            return Problem(code: "proof_signer_not_actor", sequence: header.sequence,
                           message: "the proof is signed by \(proof.signerID), not by the entry's actor \(header.actor)")
        }
        guard RequestNonce.isValid(proof.nonce) else {
            return Problem(code: "malformed_proof", sequence: header.sequence,
                           message: "the proof's nonce is not 16-64 characters of A-Z a-z 0-9 - _")
        }
        guard proof.verifies(statement.bytes(ofLeaf: leaf, proof: proof, commandOffset: header.commandOffset)) else {
            return Problem(code: "bad_command_signature", sequence: header.sequence,
                           message: "the proof's signature does not verify over the entry's command (\(CommandStatement.scheme) for \(statement.origin)): the command is not what \(header.actor.prefix(16))… signed")
        }
        return nil
    }

    /// The rules that depend on the log's order: which entries may lack a proof, the window,
    /// and nonces not reused within it. Call once per entry, in log order.
    public mutating func orderProblem(of entry: LogEntry) -> Problem? {
        guard let rules else { return nil }
        guard let proof = entry.proof else {
            guard Self.isMechanical(entry.command), entry.actor == governanceID else {
                return Problem(code: "unsigned_command", sequence: entry.sequence,
                               message: "\(entry.command.name) by \(entry.actor.prefix(16))… carries no proof; only the coordinator's tick, clear and carbon feed may")
            }
            return nil
        }
        let window = rules.windowSeconds
        let time = entry.time.secondsSinceEpoch
        guard abs(time - proof.signedAt) <= window else {
            return Problem(code: "proof_outside_window", sequence: entry.sequence,
                           message: "signed at \(proof.signedAt), logged at \(time): more than the \(window)-second window apart")
        }
        let key = proof.signerID + " " + proof.nonce
        if let earlier = recentNonces[key], time - earlier <= window {
            return Problem(code: "replayed_nonce", sequence: entry.sequence,
                           message: "nonce \(proof.nonce) of \(proof.signerID.prefix(16))… was used by a proof signed at \(earlier), within the \(window)-second window")
        }
        recentNonces[key] = proof.signedAt
        entriesSincePrune += 1
        if entriesSincePrune >= 65_536 {
            // Bounded memory: a nonce whose proof left the window can no longer be a replay.
            recentNonces = recentNonces.filter { time - $0.value <= window }
            entriesSincePrune = 0
        }
        return nil
    }

    /// The commands the coordinator issues itself, without a participant's proof.
    public static func isMechanical(_ command: Command) -> Bool {
        switch command {
        case .tick, .clear, .recordCarbonSeries: true
        default: false
        }
    }
}

extension Command {
    /// The command's name as in the leaf table of docs/TRANSPARENCY_LOG.md (`submitJob`, …).
    public var name: String {
        switch self {
        case .registerNode: "registerNode"
        case .updateNodeAsk: "updateNodeAsk"
        case .withdrawNode: "withdrawNode"
        case .heartbeat: "heartbeat"
        case .submitJob: "submitJob"
        case .cancelJob: "cancelJob"
        case .definePool: "definePool"
        case .grantSetAside: "grantSetAside"
        case .tick: "tick"
        case .clear: "clear"
        case .endLease: "endLease"
        case .lockUp: "lockUp"
        case .deposit: "deposit"
        case .recordCarbonSeries: "recordCarbonSeries"
        case .reportBenchmark: "reportBenchmark"
        case .reportUsage: "reportUsage"
        case .fundPool: "fundPool"
        case .transferCredits: "transferCredits"
        case .requestWithdrawal: "requestWithdrawal"
        case .settleWithdrawal: "settleWithdrawal"
        case .issueShares: "issueShares"
        case .transferShares: "transferShares"
        case .governed: "governed"
        case .rotateGovernance: "rotateGovernance"
        }
    }
}
