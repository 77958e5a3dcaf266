import Crypto
import OSGDomain

/// The fixed parameters a coordinator's log starts from; part of the log's header, so a
/// replay uses the very same rules.
public struct Genesis: Hashable, Sendable, Codable {
    /// The coordinator's key: it runs ticks and clearings, and where the genesis has no
    /// ``governance`` rules it also governs alone (pools, grants, deposits, carbon data).
    public var governanceID: String
    /// A node that has not sent a heartbeat for this long goes offline.
    public var heartbeatTimeoutSeconds: Int64
    /// The notice a preempted lease gets: it ends as `preempted` at the first tick or clearing
    /// at or after notice + this many seconds (0: in the clearing that decides it).
    public var preemptionNoticeSeconds: Int64
    /// The rules of collateral, fees and slashing (``MoneyRules``); `nil` in a log written
    /// before they existed, whose stakes stay declared, with no fee and no slashing.
    public var money: MoneyRules?
    /// The rule that participants' commands carry their signatures (``SignedCommandRules``);
    /// `nil` in a log written before command proofs, whose audit checks the proofs it finds
    /// but requires none.
    public var signedCommands: SignedCommandRules?
    /// A devnet's faucet (``FaucetRules``): a participant may deposit credits to itself, within
    /// its limits. `nil` (every real network): deposits are governance's alone.
    public var faucet: FaucetRules?
    /// Governance by quorum (``GovernanceRules``): the keys that govern and how many must
    /// approve. `nil` (logs written before it, and networks that keep one key): the
    /// `governanceID` key governs alone.
    public var governance: GovernanceRules?

    /// SHA-256 of the genesis's canonical bytes: what command proofs and governance approvals
    /// bind, so they hold in this log only.
    public var digest: [UInt8] { Array(SHA256.hash(data: CanonicalEncoding.bytes(of: self))) }

    /// The default preemption notice: two minutes.
    public static let defaultPreemptionNoticeSeconds: Int64 = 120

    public init(governanceID: String, heartbeatTimeoutSeconds: Int64 = 90,
                preemptionNoticeSeconds: Int64 = Genesis.defaultPreemptionNoticeSeconds, money: MoneyRules? = nil,
                signedCommands: SignedCommandRules? = nil, faucet: FaucetRules? = nil, governance: GovernanceRules? = nil) {
        precondition(heartbeatTimeoutSeconds > 0, "heartbeat timeout must be positive")
        precondition(preemptionNoticeSeconds >= 0, "the preemption notice is never negative")
        self.governanceID = governanceID
        self.heartbeatTimeoutSeconds = heartbeatTimeoutSeconds
        self.preemptionNoticeSeconds = preemptionNoticeSeconds
        self.money = money
        self.signedCommands = signedCommands
        self.faucet = faucet
        self.governance = governance
    }

    enum CodingKeys: String, CodingKey {
        case governanceID, heartbeatTimeoutSeconds, preemptionNoticeSeconds, money, signedCommands, faucet, governance
    }

    /// Logs written before the notice existed have no such field: they get the default.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        governanceID = try container.decode(String.self, forKey: .governanceID)
        heartbeatTimeoutSeconds = try container.decode(Int64.self, forKey: .heartbeatTimeoutSeconds)
        preemptionNoticeSeconds = try container.decodeIfPresent(Int64.self, forKey: .preemptionNoticeSeconds)
            ?? Self.defaultPreemptionNoticeSeconds
        money = try container.decodeIfPresent(MoneyRules.self, forKey: .money)
        signedCommands = try container.decodeIfPresent(SignedCommandRules.self, forKey: .signedCommands)
        faucet = try container.decodeIfPresent(FaucetRules.self, forKey: .faucet)
        governance = try container.decodeIfPresent(GovernanceRules.self, forKey: .governance)
        if let signedCommands, signedCommands.windowSeconds <= 0 {
            throw DecodingError.dataCorruptedError(forKey: .signedCommands, in: container, debugDescription: "genesis: the signature window must be positive")
        }
        if let faucet, faucet.maxPerRequest.rawValue <= 0 || faucet.balanceCap.rawValue < 0 {
            throw DecodingError.dataCorruptedError(forKey: .faucet, in: container, debugDescription: "genesis: a faucet gives a positive amount per request, up to a balance cap of at least 0")
        }
        if let problems = money?.problems, !problems.isEmpty {
            throw DecodingError.dataCorruptedError(forKey: .money, in: container, debugDescription: "genesis money rules: " + problems.joined(separator: "; "))
        }
        guard heartbeatTimeoutSeconds > 0, preemptionNoticeSeconds >= 0 else {
            throw DecodingError.dataCorruptedError(
                forKey: .preemptionNoticeSeconds, in: container,
                debugDescription: "genesis needs a positive heartbeat timeout and a preemption notice of at least 0 seconds")
        }
    }

    /// The default notice and absent money rules are left out, so headers written before they
    /// existed keep their bytes.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(governanceID, forKey: .governanceID)
        try container.encode(heartbeatTimeoutSeconds, forKey: .heartbeatTimeoutSeconds)
        if preemptionNoticeSeconds != Self.defaultPreemptionNoticeSeconds {
            try container.encode(preemptionNoticeSeconds, forKey: .preemptionNoticeSeconds)
        }
        try container.encodeIfPresent(money, forKey: .money)
        try container.encodeIfPresent(signedCommands, forKey: .signedCommands)
        try container.encodeIfPresent(faucet, forKey: .faucet)
        try container.encodeIfPresent(governance, forKey: .governance)
    }
}

/// Participants' commands are signed (docs/TRANSPARENCY_LOG.md, "Command proofs"): every entry
/// carries its author's ``CommandProof`` except the coordinator's own mechanical commands (tick,
/// clear, and the carbon series of its feed), each proof signed within `windowSeconds` of its
/// entry's time, and no signer's nonce used twice within that window.
public struct SignedCommandRules: Hashable, Sendable, Codable {
    /// How far a proof's timestamp may be from its entry's time, in seconds (the API's
    /// signature window).
    public var windowSeconds: Int64

    public init(windowSeconds: Int64) {
        precondition(windowSeconds > 0, "the signature window is positive")
        self.windowSeconds = windowSeconds
    }
}

/// A devnet's faucet: a participant deposits credits to itself, at most `maxPerRequest` at a
/// time and only while its available balance stays at or below `balanceCap`. A rule of the
/// log, so an audit sees every credit the faucet made and checks its limits.
public struct FaucetRules: Hashable, Sendable, Codable {
    /// The largest deposit of one request.
    public var maxPerRequest: MicroCredits
    /// The available balance a deposit may not take a participant beyond.
    public var balanceCap: MicroCredits

    public init(maxPerRequest: MicroCredits, balanceCap: MicroCredits) {
        precondition(maxPerRequest.rawValue > 0 && balanceCap.rawValue >= 0, "a faucet gives something, up to a cap of at least 0")
        self.maxPerRequest = maxPerRequest
        self.balanceCap = balanceCap
    }
}
