import Crypto

/// C2SP tlog-cosignature v1 with Ed25519 (signature type 0x04): a witness's statement that, as
/// of its timestamp, the checkpoint is the largest consistent tree head it has seen of that log.
///
/// The signed message is `cosignature/v1\n` `time <seconds>\n` and then the checkpoint's whole
/// note text (with its final newline); the signature line is
/// `— <name> base64(key ID ‖ u64 timestamp, big-endian ‖ 64-byte signature)`, with the key ID
/// `SHA-256(name ‖ "\n" ‖ 0x04 ‖ public key)[:4]`.
public enum Cosignature {
    /// The signature type byte of an Ed25519 cosignature v1.
    public static let signatureType: UInt8 = 0x04

    /// The bytes a cosigner signs over a note's `text` at `time` (POSIX seconds).
    public static func message(text: String, time: UInt64) -> [UInt8] {
        Array("cosignature/v1\ntime \(time)\n".utf8) + Array(text.utf8)
    }
}

/// A cosigner's public key: a name and an Ed25519 key, in the verifier-key text form
/// `<name>+<key ID as 8 hex digits>+<base64(0x04 ‖ 32-byte key)>`.
public struct CosignerKey: Hashable, Sendable, CustomStringConvertible {
    public let name: String
    public let keyID: UInt32
    public let publicKey: [UInt8]

    /// A cosigner key from its name and raw Ed25519 public key.
    public init(name: String, publicKey: [UInt8]) throws(LogFormatError) {
        guard NoteKeyName.isValid(name) else {
            throw LogFormatError(.badKeyName, field: "key name", "\"\(name)\" must be non-empty with no spaces and no '+'")
        }
        guard publicKey.count == 32 else {
            throw LogFormatError(.badKey, field: "public key", "an Ed25519 public key has 32 bytes, got \(publicKey.count)")
        }
        self.name = name
        self.publicKey = publicKey
        self.keyID = NoteKeyName.keyID(name: name, signatureType: Cosignature.signatureType, publicKey: publicKey)
    }

    /// Parses `<name>+<hex key ID>+<base64(0x04 ‖ key)>`.
    public init(parsing text: String) throws(LogFormatError) {
        // The base64 key may itself hold '+': split at the first two only.
        let parts = text.split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            throw LogFormatError(.badKey, field: "cosigner key", "a cosigner key is <name>+<key ID>+<base64 key>, got \(parts.count) part(s)")
        }
        guard let keyID = NoteKeyName.parseHex(parts[1]) else {
            throw LogFormatError(.badKey, field: "cosigner key", "key ID \"\(parts[1])\" must be exactly 8 hex digits")
        }
        guard let key = Base64.decode(parts[2]), key.count == 33, key[0] == Cosignature.signatureType else {
            throw LogFormatError(.unsupportedKeyAlgorithm, field: "cosigner key", "the key must be base64 of 0x04 (Ed25519 cosignature v1) and 32 bytes")
        }
        try self.init(name: String(parts[0]), publicKey: Array(key.dropFirst()))
        guard self.keyID == keyID else {
            throw LogFormatError(.keyHashMismatch, field: "cosigner key", "key ID \(NoteKeyName.hex(keyID)) does not match the name and key (expected \(NoteKeyName.hex(self.keyID)))")
        }
    }

    public var description: String {
        "\(name)+\(NoteKeyName.hex(keyID))+\(Base64.encode([Cosignature.signatureType] + publicKey))"
    }

    /// The time of `signature` when it is this key's valid cosignature of a note with `text`;
    /// `nil` otherwise (another key's line, a bad signature, a malformed one).
    public func verifiedTime(of signature: NoteSignature, text: String) -> UInt64? {
        guard signature.keyName == name, signature.keyID == keyID, signature.signature.count == 72,
              let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey)
        else { return nil }
        let time = signature.signature.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard time <= UInt64(Int64.max),
              key.isValidSignature(Array(signature.signature.dropFirst(8)), for: Cosignature.message(text: text, time: time))
        else { return nil }
        return time
    }

    /// Which of `witnesses` cosigned `note` validly within `maxAge` seconds before `now` (POSIX
    /// seconds; any age when `nil`), and, when they are fewer than `quorum`, the sentence that
    /// says so: what `osg audit --witness` and the client verbs' `--witness` require.
    public static func quorum(of note: SignedNote, among witnesses: [CosignerKey], quorum: Int, maxAge: UInt64?, now: UInt64)
        -> (cosigners: [CosignerKey], shortfall: String?) {
        let notBefore = maxAge.map { now >= $0 ? now - $0 : 0 }
        let cosigners = validCosigners(of: note, among: witnesses, notBefore: notBefore)
        guard cosigners.count < quorum else { return (cosigners, nil) }
        let age = maxAge.map { " no older than \($0) s" } ?? ""
        return (cosigners, "the checkpoint carries valid cosignatures\(age) of \(cosigners.count) of the \(witnesses.count) witnesses given (\(cosigners.map(\.name).joined(separator: ", "))), fewer than the quorum of \(quorum)")
    }

    /// Which of `keys` cosigned `note` validly (each key counted once), at `notBefore` (POSIX
    /// seconds) or later when given: an older cosignature says nothing of the log now.
    public static func validCosigners(of note: SignedNote, among keys: [CosignerKey], notBefore: UInt64? = nil) -> [CosignerKey] {
        keys.filter { key in
            note.signatures.contains { signature in
                guard let time = key.verifiedTime(of: signature, text: note.text) else { return false }
                return time >= (notBefore ?? 0)
            }
        }
    }
}

/// A cosigner's private key: its name and Ed25519 key; signs cosignatures.
public struct CosignerSigningKey: Sendable {
    public let verifierKey: CosignerKey
    private let privateKey: Curve25519.Signing.PrivateKey

    public init(name: String, privateKey: Curve25519.Signing.PrivateKey) throws(LogFormatError) {
        self.privateKey = privateKey
        self.verifierKey = try CosignerKey(name: name, publicKey: Array(privateKey.publicKey.rawRepresentation))
    }

    /// The cosignature line of a note with `text` at `time` (POSIX seconds).
    public func cosign(text: String, time: UInt64) throws -> NoteSignature {
        precondition(time <= UInt64(Int64.max), "a cosignature's time fits in 63 bits")
        let signature = try privateKey.signature(for: Cosignature.message(text: text, time: time))
        let timestamp = (0..<8).map { UInt8(truncatingIfNeeded: time >> (56 - 8 * $0)) }
        return NoteSignature(keyName: verifierKey.name, keyID: verifierKey.keyID, signature: timestamp + Array(signature))
    }
}
