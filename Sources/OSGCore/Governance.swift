import Crypto
import OSGDomain

/// Governance by quorum (docs/TRANSPARENCY_LOG.md, "Governance by quorum"): the keys that
/// govern a log and how many of them must approve a governance command.
///
/// Published in the genesis (``Genesis/governance``) and changed only by a quorum command
/// (``Command/rotateGovernance(_:)``). Under these rules the coordinator's own key keeps only
/// the mechanical commands (tick, clear); pools, grants, deposits from an on-ramp, pool
/// funding, withdrawal settlements, governance's lease ends and carbon data need `quorum` of
/// `keys` to sign (``GovernedCommand``). Carbon series may also come from a `carbonFeeds`
/// participant on its own signature: a data feed trusted by name, in public.
public struct GovernanceRules: Hashable, Sendable, Codable {
    /// The most governance keys (and carbon feeds) a log may name.
    public static let maximumKeys = 64

    /// The governance keys' participant ids (hex Ed25519 public keys), sorted and distinct.
    public var keys: [String]
    /// How many distinct keys must approve a governance command: 1 ... `keys.count`.
    public var quorum: Int
    /// Participants whose own signed carbon series are accepted (the coordinator's id here
    /// lets its carbon feed run), sorted and distinct; may be empty.
    public var carbonFeeds: [String]

    /// Rules of `keys` (sorted here) with `quorum` and `carbonFeeds`; check ``problems``.
    public init(keys: [String], quorum: Int, carbonFeeds: [String] = []) {
        self.keys = keys.sorted()
        self.quorum = quorum
        self.carbonFeeds = carbonFeeds.sorted()
    }

    enum CodingKeys: String, CodingKey {
        case keys, quorum, carbonFeeds
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        keys = try container.decode([String].self, forKey: .keys)
        quorum = try container.decode(Int.self, forKey: .quorum)
        carbonFeeds = try container.decodeIfPresent([String].self, forKey: .carbonFeeds) ?? []
        if let problem = problems.first {
            throw DecodingError.dataCorruptedError(forKey: .keys, in: container, debugDescription: "governance: \(problem)")
        }
    }

    /// Empty carbon feeds are left out.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(keys, forKey: .keys)
        try container.encode(quorum, forKey: .quorum)
        if !carbonFeeds.isEmpty { try container.encode(carbonFeeds, forKey: .carbonFeeds) }
    }

    /// What is wrong with these rules (empty: nothing): 1 to ``maximumKeys`` keys, each a
    /// valid Ed25519 public key in lower-case hex, sorted and distinct; a quorum from 1 to
    /// the number of keys; carbon feeds likewise.
    public var problems: [String] {
        var problems: [String] = []
        if keys.isEmpty || keys.count > Self.maximumKeys {
            problems.append("governance names 1 to \(Self.maximumKeys) keys, got \(keys.count)")
        }
        if let bad = keys.first(where: { !Self.isKey($0) }) {
            problems.append("governance key '\(bad.prefix(80))' is not an Ed25519 public key in 64 lower-case hex digits")
        }
        if zip(keys, keys.dropFirst()).contains(where: { $0 >= $1 }) {
            problems.append("governance keys must be distinct (and sorted)")
        }
        if !(1...max(1, keys.count)).contains(quorum) {
            problems.append("the quorum is 1 to the number of keys (\(keys.count)), got \(quorum)")
        }
        if carbonFeeds.count > Self.maximumKeys {
            problems.append("at most \(Self.maximumKeys) carbon feeds, got \(carbonFeeds.count)")
        }
        if let bad = carbonFeeds.first(where: { !Self.isKey($0) }) {
            problems.append("carbon feed '\(bad.prefix(80))' is not an Ed25519 public key in 64 lower-case hex digits")
        }
        if zip(carbonFeeds, carbonFeeds.dropFirst()).contains(where: { $0 >= $1 }) {
            problems.append("carbon feeds must be distinct (and sorted)")
        }
        return problems
    }

    /// Whether `id` is a participant id: an Ed25519 public key in lower-case hex.
    static func isKey(_ id: String) -> Bool {
        id.utf8.count == 64 && Hex.encode(Hex.decode(id) ?? []) == id && Identity(hex: id) != nil
    }
}

/// One governance key's approval of a ``GovernedCommand``: its key and its Ed25519 signature
/// over the command's ``GovernanceStatement``.
public struct GovernanceApproval: Hashable, Sendable, Codable {
    /// The raw 32-byte public key.
    public var key: [UInt8]
    /// The 64-byte signature.
    public var signature: [UInt8]

    public init(key: [UInt8], signature: [UInt8]) {
        precondition(key.count == CommandProof.keyByteCount && signature.count == CommandProof.signatureByteCount,
                     "an approval holds a 32-byte key and a 64-byte signature")
        self.key = key
        self.signature = signature
    }

    /// The approving key's participant id (hex).
    public var keyID: String { Hex.encode(key) }

    enum CodingKeys: String, CodingKey {
        case key, signature
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        guard let key = Hex.decode(try container.decode(String.self, forKey: .key)), key.count == CommandProof.keyByteCount else {
            throw DecodingError.dataCorruptedError(forKey: .key, in: container, debugDescription: "an approval's key is 64 hex digits")
        }
        guard let signature = Hex.decode(try container.decode(String.self, forKey: .signature)), signature.count == CommandProof.signatureByteCount else {
            throw DecodingError.dataCorruptedError(forKey: .signature, in: container, debugDescription: "an approval's signature is 128 hex digits")
        }
        self.init(key: key, signature: signature)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Hex.encode(key), forKey: .key)
        try container.encode(Hex.encode(signature), forKey: .signature)
    }
}

/// A governance command with the approvals of a quorum of governance keys: what
/// ``Command/governed(_:)`` carries. Any participant may submit it (its own proof is the
/// entry's, as for every command); the command inside then runs with governance's authority.
public struct GovernedCommand: Hashable, Sendable, Codable {
    /// The governance counter this approval is for: the number of governance commands the log
    /// accepted before it. Signed, so an approved command is accepted once, in one place.
    public var counter: UInt64
    /// The command governance approved (one of ``isGovernable(_:)``).
    public var command: Command
    /// The approvals, by distinct keys.
    public var approvals: [GovernanceApproval]

    public init(counter: UInt64, command: Command, approvals: [GovernanceApproval]) {
        self.counter = counter
        self.command = command
        self.approvals = approvals
    }

    /// The commands a quorum may approve: governance's own (pools, grants, deposits, pool
    /// funding, withdrawal settlements, lease ends, carbon series) and a rotation of its keys.
    public static func isGovernable(_ command: Command) -> Bool {
        switch command {
        case .definePool, .grantSetAside, .deposit, .fundPool, .settleWithdrawal, .endLease, .recordCarbonSeries, .rotateGovernance: true
        default: false
        }
    }
}

/// The exact bytes each governance key signs to approve a command:
///
/// ```text
/// "OSG-GOVERNANCE-V1\n" ‖ hex SHA-256 of the genesis ‖ "\n" ‖ counter (decimal) ‖ "\n" ‖ u8 tag ‖ fields
/// ```
///
/// where `u8 tag ‖ fields` is the approved command in the leaf encoding (no actor: governance
/// acts as itself). The genesis digest makes an approval valid in one log; the counter, once.
public struct GovernanceStatement: Hashable, Sendable {
    /// The version tag that starts every statement.
    public static let scheme = "OSG-GOVERNANCE-V1"

    /// SHA-256 of the genesis's canonical bytes.
    public var genesisDigest: [UInt8]

    public init(genesisDigest: [UInt8]) {
        precondition(genesisDigest.count == 32, "the genesis digest is a SHA-256")
        self.genesisDigest = genesisDigest
    }

    /// The statement of the log whose genesis is `genesis`.
    public init(genesis: Genesis) {
        self.init(genesisDigest: genesis.digest)
    }

    /// The bytes a governance key signs to approve `command` at `counter`.
    public func bytes(counter: UInt64, command: Command) -> [UInt8] {
        Array("\(Self.scheme)\n\(Hex.encode(genesisDigest))\n\(counter)\n".utf8) + LeafCodec.commandBytes(command)
    }

    /// `key`'s approval of `command` at `counter` (a governance member's side).
    public func approve(counter: UInt64, command: Command, with key: Curve25519.Signing.PrivateKey) throws -> GovernanceApproval {
        let signature = try key.signature(for: bytes(counter: counter, command: command))
        return GovernanceApproval(key: Array(key.publicKey.rawRepresentation), signature: Array(signature))
    }

    /// Why `governed` does not carry a quorum of valid approvals under `rules`, or `nil`: each
    /// approval must be by a distinct governance key and verify over this statement.
    public func quorumProblem(of governed: GovernedCommand, under rules: GovernanceRules) -> String? {
        let message = bytes(counter: governed.counter, command: governed.command)
        let members = Set(rules.keys)
        var approvers = Set<String>()
        var problems: [String] = []
        for approval in governed.approvals {
            let id = approval.keyID
            guard members.contains(id) else { problems.append("\(id.prefix(16))… is not a governance key"); continue }
            guard approvers.insert(id).inserted else { problems.append("\(id.prefix(16))… approved twice"); continue }
            guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: approval.key),
                  key.isValidSignature(approval.signature, for: message) else {
                approvers.remove(id)
                problems.append("the signature of \(id.prefix(16))… does not verify over the command at counter \(governed.counter)")
                continue
            }
        }
        guard approvers.count < rules.quorum else { return nil }
        let detail = problems.isEmpty ? "" : ": " + problems.prefix(4).joined(separator: "; ")
        return "\(approvers.count) valid approval\(approvers.count == 1 ? "" : "s") of the \(rules.quorum) of \(rules.keys.count) governance keys required\(detail)"
    }
}

/// Governance as the state holds it: the current rules and the counter the next governance
/// command must carry. `nil` in a state whose genesis has no ``GovernanceRules`` (the
/// coordinator's key governs alone).
public struct GovernanceBook: Hashable, Sendable, Codable {
    /// The keys, quorum and carbon feeds in force.
    public var rules: GovernanceRules
    /// Governance commands accepted so far: the counter the next one is approved for.
    public var counter: UInt64

    public init(rules: GovernanceRules, counter: UInt64 = 0) {
        self.rules = rules
        self.counter = counter
    }
}

extension Command {
    /// `u8 tag ‖ fields` in the leaf encoding (no actor): the bytes governance keys approve
    /// and `POST /v1/governance` carries in hex.
    public var encodedBytes: [UInt8] { LeafCodec.commandBytes(self) }

    /// The command whose `u8 tag ‖ fields` are exactly `encodedBytes`.
    ///
    /// - Throws: ``LeafDecodingError`` naming the field that does not decode.
    public init(encodedBytes: [UInt8]) throws(LeafDecodingError) {
        self = try LeafCodec.command(fromBytes: encodedBytes)
    }
}
