import Crypto

/// An Ed25519 public key that verifies C2SP signed notes, in the text form
/// `<name>+<key ID as 8 hex digits>+<base64(0x01 ‖ 32-byte public key)>`.
///
/// ```swift
/// let key = try NoteVerifierKey(parsing: "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8")
/// key.name  // "sum.golang.org"
/// key.keyID // 0x033de0ae
/// ```
public struct NoteVerifierKey: Hashable, Sendable, CustomStringConvertible {
    /// The key name, usually the log's origin.
    public let name: String
    /// The 4-byte key ID that signature lines carry.
    public let keyID: UInt32
    /// The raw 32-byte Ed25519 public key.
    public let publicKey: [UInt8]

    /// Parses a verifier key string.
    ///
    /// - Throws: ``LogFormatError`` when the string is not three `+`-separated parts, the name
    ///   is invalid, the base64 is not a 0x01-tagged 32-byte key, or the key ID does not match.
    public init(parsing text: String) throws(LogFormatError) {
        let parts = text.split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            throw LogFormatError(.badKey, field: "verifier key",
                                 "expected <name>+<8 hex digits>+<base64 key>, got \(parts.count) part(s)")
        }
        try self.init(name: parts[0], keyIDText: parts[1], keyText: parts[2], field: "verifier key")
    }

    /// Creates a verifier key from a name and a raw Ed25519 public key; the key ID is computed.
    ///
    /// - Throws: ``LogFormatError`` when the name is invalid or the key is not 32 bytes.
    public init(name: String, publicKey: [UInt8]) throws(LogFormatError) {
        guard NoteKeyName.isValid(name) else {
            throw LogFormatError(.badKeyName, field: "key name",
                                 "\"\(name)\" must be non-empty with no spaces and no '+'")
        }
        guard publicKey.count == 32 else {
            throw LogFormatError(.badKey, field: "public key", "an Ed25519 public key has 32 bytes, got \(publicKey.count)")
        }
        self.name = name
        self.publicKey = publicKey
        self.keyID = NoteKeyName.keyID(name: name, signatureType: NoteKeyName.ed25519SignatureType, publicKey: publicKey)
    }

    init(name: Substring, keyIDText: Substring, keyText: Substring, field: String) throws(LogFormatError) {
        guard NoteKeyName.isValid(name) else {
            throw LogFormatError(.badKeyName, field: field, "key name \"\(name)\" must be non-empty with no spaces and no '+'")
        }
        guard let keyID = NoteKeyName.parseHex(keyIDText) else {
            throw LogFormatError(.badKey, field: field, "key ID \"\(keyIDText)\" must be exactly 8 hex digits")
        }
        guard let key = Base64.decode(keyText) else {
            throw LogFormatError(.badBase64, field: field, "the key \"\(keyText)\" is not standard padded base64")
        }
        guard key.first == NoteKeyName.ed25519SignatureType else {
            throw LogFormatError(.unsupportedKeyAlgorithm, field: field,
                                 "the key must start with algorithm byte 0x01 (Ed25519)")
        }
        guard key.count == 33 else {
            throw LogFormatError(.badKey, field: field, "an Ed25519 key is 0x01 plus 32 bytes, got \(key.count) bytes")
        }
        let publicKey = Array(key.dropFirst())
        let expected = NoteKeyName.keyID(name: String(name), signatureType: key[0], publicKey: publicKey)
        guard expected == keyID else {
            throw LogFormatError(.keyHashMismatch, field: field,
                                 "key ID \(NoteKeyName.hex(keyID)) does not match the name and key (expected \(NoteKeyName.hex(expected)))")
        }
        self.name = String(name)
        self.keyID = keyID
        self.publicKey = publicKey
    }

    /// The key string `<name>+<hex key ID>+<base64(0x01 ‖ key)>`.
    public var description: String {
        "\(name)+\(NoteKeyName.hex(keyID))+\(Base64.encode([NoteKeyName.ed25519SignatureType] + publicKey))"
    }

    /// Whether `signature` is a valid Ed25519 signature of `message` by this key.
    public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        guard signature.count == 64,
              let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey)
        else { return false }
        return key.isValidSignature(signature, for: message)
    }
}
