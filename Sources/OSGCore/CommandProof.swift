import Crypto
import OSGDomain

/// A participant's proof that it asked for a logged command: its Ed25519 signature over the
/// command's statement (``CommandStatement``), with the timestamp and nonce it signed.
///
/// The coordinator keeps the proof in the log entry (format 2 of the leaf encoding,
/// docs/TRANSPARENCY_LOG.md "Command proofs"), so an auditor checks that every participant's
/// command was signed by that participant, for this log, once: the coordinator cannot log a
/// command nobody asked for, nor one request twice.
public struct CommandProof: Hashable, Sendable {
    /// Bytes of a raw Ed25519 public key.
    public static let keyByteCount = 32
    /// Bytes of an Ed25519 signature.
    public static let signatureByteCount = 64

    /// Who signed: the raw 32-byte public key.
    public var signer: [UInt8]
    /// When the participant signed, in Unix seconds.
    public var signedAt: Int64
    /// The nonce the participant signed with (never reused within the signature window).
    public var nonce: String
    /// The 64-byte Ed25519 signature over the statement.
    public var signature: [UInt8]

    public init(signer: [UInt8], signedAt: Int64, nonce: String, signature: [UInt8]) {
        precondition(signer.count == Self.keyByteCount && signature.count == Self.signatureByteCount,
                     "a proof holds a 32-byte key and a 64-byte signature")
        self.signer = signer
        self.signedAt = signedAt
        self.nonce = nonce
        self.signature = signature
    }

    /// The signer's participant id: the hex of its key.
    public var signerID: String { Hex.encode(signer) }

    /// Whether the signature is the signer's over `statement`; `false` for a key that is not an
    /// Ed25519 point.
    public func verifies(_ statement: [UInt8]) -> Bool {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: signer) else { return false }
        return key.isValidSignature(signature, for: statement)
    }
}

/// The exact bytes a participant signs to have a command logged:
///
/// ```text
/// "OSG-COMMAND-V1\n" ‖ origin ‖ "\n" ‖ hex SHA-256 of the genesis ‖ "\n" ‖ signedAt (decimal) ‖ "\n" ‖ nonce ‖ "\n" ‖ command bytes
/// ```
///
/// where the command bytes are `str actor ‖ u8 tag ‖ fields` of the leaf encoding: the entry's
/// bytes after its sequence and time (and after its proof, in format 2). Binding the origin and
/// genesis makes a proof valid in one log only; the actor is inside the command bytes, so a
/// proof cannot be moved to another participant's command.
public struct CommandStatement: Hashable, Sendable {
    /// The version tag that starts every statement.
    public static let scheme = "OSG-COMMAND-V1"

    /// The log's origin (the first line of its checkpoints).
    public var origin: String
    /// SHA-256 of the genesis's canonical bytes.
    public var genesisDigest: [UInt8]

    public init(origin: String, genesisDigest: [UInt8]) {
        precondition(genesisDigest.count == 32, "the genesis digest is a SHA-256")
        self.origin = origin
        self.genesisDigest = genesisDigest
    }

    /// The statement of the log whose genesis is `genesis`.
    public init(origin: String, genesis: Genesis) {
        self.init(origin: origin, genesisDigest: genesis.digest)
    }

    /// The statement's bytes before the command bytes, for a proof signed at `signedAt` with `nonce`.
    public func prefix(signedAt: Int64, nonce: String) -> [UInt8] {
        Array("\(Self.scheme)\n\(origin)\n\(Hex.encode(genesisDigest))\n\(signedAt)\n\(nonce)\n".utf8)
    }

    /// `str actor ‖ u8 tag ‖ fields`: the part of the statement that is the command (the
    /// entry's leaf bytes after its header and proof).
    public static func commandBytes(actor: String, command: Command) -> [UInt8] {
        LeafCodec.commandBytes(actor: actor, command: command)
    }

    /// The bytes signed to have `actor`'s `command` logged.
    public func bytes(actor: String, command: Command, signedAt: Int64, nonce: String) -> [UInt8] {
        prefix(signedAt: signedAt, nonce: nonce) + LeafCodec.commandBytes(actor: actor, command: command)
    }

    /// The bytes the proof of `entry` must sign; `nil` for an entry without a proof. Taken from
    /// the leaf bytes themselves (`leaf` when the caller has them), without re-encoding.
    public func bytes(of entry: LogEntry, leaf: [UInt8]? = nil) -> [UInt8]? {
        guard entry.proof != nil else { return nil }
        let leaf = leaf ?? entry.leafBytes
        return LeafCodec.provenHeader(of: leaf).map { bytes(ofLeaf: leaf, proof: $0.proof, commandOffset: $0.commandOffset) }
    }

    /// The bytes `proof` signs in a format-2 `leaf` whose command bytes start at `commandOffset`.
    func bytes(ofLeaf leaf: [UInt8], proof: CommandProof, commandOffset: Int) -> [UInt8] {
        prefix(signedAt: proof.signedAt, nonce: proof.nonce) + leaf[commandOffset...]
    }

    /// Signs `actor`'s `command` with `key` (the participant's side).
    public func prove(actor: String, command: Command, signedAt: Int64, nonce: String,
                      with key: Curve25519.Signing.PrivateKey) throws -> CommandProof {
        let signature = try key.signature(for: bytes(actor: actor, command: command, signedAt: signedAt, nonce: nonce))
        return CommandProof(signer: Array(key.publicKey.rawRepresentation), signedAt: signedAt, nonce: nonce, signature: Array(signature))
    }
}

/// The JSON form (the command log's JSON Lines export): key and signature in hex.
extension CommandProof: Codable {
    enum CodingKeys: String, CodingKey {
        case signer, signedAt, nonce, signature
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        guard let signer = Hex.decode(try container.decode(String.self, forKey: .signer)), signer.count == Self.keyByteCount else {
            throw DecodingError.dataCorruptedError(forKey: .signer, in: container, debugDescription: "a proof's signer is 64 hex digits")
        }
        guard let signature = Hex.decode(try container.decode(String.self, forKey: .signature)), signature.count == Self.signatureByteCount else {
            throw DecodingError.dataCorruptedError(forKey: .signature, in: container, debugDescription: "a proof's signature is 128 hex digits")
        }
        self.init(signer: signer, signedAt: try container.decode(Int64.self, forKey: .signedAt),
                  nonce: try container.decode(String.self, forKey: .nonce), signature: signature)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Hex.encode(signer), forKey: .signer)
        try container.encode(signedAt, forKey: .signedAt)
        try container.encode(nonce, forKey: .nonce)
        try container.encode(Hex.encode(signature), forKey: .signature)
    }
}
