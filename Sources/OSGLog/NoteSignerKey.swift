import Crypto

/// An Ed25519 private key that signs C2SP signed notes, in Go's text form
/// `PRIVATE+KEY+<name>+<key ID as 8 hex digits>+<base64(0x01 ‖ 32-byte seed)>`.
///
/// Keep this string secret; share ``verifierKey`` instead.
///
/// ```swift
/// let signer = try NoteSignerKey(name: "osg.example/log", seed: seedBytes)
/// let note = try SignedNote.sign(text: checkpoint.text, with: signer)
/// ```
public struct NoteSignerKey: Sendable {
    /// The key name, usually the log's origin.
    public let name: String
    /// The 4-byte key ID.
    public let keyID: UInt32
    /// The 32-byte Ed25519 seed (RFC 8032 private key).
    private let seed: [UInt8]
    private let privateKey: Curve25519.Signing.PrivateKey

    /// Creates a signer from a name and a 32-byte Ed25519 seed.
    ///
    /// - Throws: ``LogFormatError`` when the name is invalid or the seed is not 32 bytes.
    public init(name: String, seed: [UInt8]) throws(LogFormatError) {
        guard NoteKeyName.isValid(name) else {
            throw LogFormatError(.badKeyName, field: "key name", "\"\(name)\" must be non-empty with no spaces and no '+'")
        }
        guard seed.count == 32, let privateKey = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed) else {
            throw LogFormatError(.badKey, field: "seed", "an Ed25519 seed has 32 bytes, got \(seed.count)")
        }
        self.name = name
        self.seed = seed
        self.privateKey = privateKey
        self.keyID = NoteKeyName.keyID(
            name: name, signatureType: NoteKeyName.ed25519SignatureType,
            publicKey: Array(privateKey.publicKey.rawRepresentation))
    }

    /// Parses a `PRIVATE+KEY+name+hash+base64` signer key string.
    ///
    /// - Throws: ``LogFormatError`` when the string is malformed or its key ID does not match.
    public init(parsing text: String) throws(LogFormatError) {
        let parts = text.split(separator: "+", maxSplits: 4, omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0] == "PRIVATE", parts[1] == "KEY" else {
            throw LogFormatError(.badKey, field: "signer key", "expected PRIVATE+KEY+<name>+<8 hex digits>+<base64 seed>")
        }
        guard let keyID = NoteKeyName.parseHex(parts[3]) else {
            throw LogFormatError(.badKey, field: "signer key", "key ID \"\(parts[3])\" must be exactly 8 hex digits")
        }
        guard let key = Base64.decode(parts[4]) else {
            throw LogFormatError(.badBase64, field: "signer key", "the seed is not standard padded base64")
        }
        guard key.first == NoteKeyName.ed25519SignatureType else {
            throw LogFormatError(.unsupportedKeyAlgorithm, field: "signer key", "the seed must start with algorithm byte 0x01 (Ed25519)")
        }
        guard key.count == 33 else {
            throw LogFormatError(.badKey, field: "signer key", "an Ed25519 seed is 0x01 plus 32 bytes, got \(key.count) bytes")
        }
        try self.init(name: String(parts[2]), seed: Array(key.dropFirst()))
        guard self.keyID == keyID else {
            throw LogFormatError(.keyHashMismatch, field: "signer key",
                                 "key ID \(NoteKeyName.hex(keyID)) does not match the name and key (expected \(NoteKeyName.hex(self.keyID)))")
        }
    }

    /// Generates a new signer with a fresh random seed (the one non-deterministic call here).
    public static func generate(name: String) throws(LogFormatError) -> NoteSignerKey {
        try NoteSignerKey(name: name, seed: Array(Curve25519.Signing.PrivateKey().rawRepresentation))
    }

    /// The `PRIVATE+KEY+…` string form. Secret.
    public var privateKeyString: String {
        "PRIVATE+KEY+\(name)+\(NoteKeyName.hex(keyID))+\(Base64.encode([NoteKeyName.ed25519SignatureType] + seed))"
    }

    /// The matching public verifier key.
    public var verifierKey: NoteVerifierKey {
        // The name and the 32-byte key were both checked in init.
        try! NoteVerifierKey(name: name, publicKey: Array(privateKey.publicKey.rawRepresentation))
    }

    /// Signs `message`: a 64-byte Ed25519 signature (deterministic per RFC 8032 on BoringSSL).
    public func sign(_ message: [UInt8]) -> [UInt8] {
        // Signing with a valid key only fails on allocation failure.
        Array(try! privateKey.signature(for: message))
    }
}
