/// One signature line of a C2SP signed note: `— <key name> <base64(key ID ‖ signature)>`.
public struct NoteSignature: Hashable, Sendable {
    /// The name of the key that made the signature.
    public let keyName: String
    /// The 4-byte key ID (big-endian at the start of the base64 blob).
    public let keyID: UInt32
    /// The signature bytes after the key ID (64 for Ed25519).
    public let signature: [UInt8]

    /// Creates a signature line value.
    public init(keyName: String, keyID: UInt32, signature: [UInt8]) {
        self.keyName = keyName
        self.keyID = keyID
        self.signature = signature
    }

    /// Parses one signature line without its trailing newline.
    ///
    /// - Throws: ``LogFormatError`` when the line does not start with an em dash and a space,
    ///   the key name is invalid, or the blob is not base64 of at least 5 bytes.
    public init(parsingLine line: Substring, lineNumber: Int) throws(LogFormatError) {
        let field = "signature line \(lineNumber)"
        guard line.hasPrefix(Self.prefix) else {
            throw LogFormatError(.noteBadSignatureLine, field: field,
                                 "a signature line starts with an em dash (U+2014) and a space, got \"\(line.prefix(16))\"")
        }
        let rest = line.dropFirst(Self.prefix.count)
        guard let space = rest.firstIndex(of: " ") else {
            throw LogFormatError(.noteBadSignatureLine, field: field, "expected \"— <key name> <base64>\"")
        }
        let name = rest[..<space]
        let blob = rest[rest.index(after: space)...]
        guard NoteKeyName.isValid(name) else {
            throw LogFormatError(.badKeyName, field: field, "key name \"\(name)\" must be non-empty with no spaces and no '+'")
        }
        guard let bytes = Base64.decode(blob) else {
            throw LogFormatError(.badBase64, field: field, "the signature is not standard padded base64")
        }
        guard bytes.count >= 5 else {
            throw LogFormatError(.noteBadSignatureLine, field: field,
                                 "a signature is a 4-byte key ID and at least one byte, got \(bytes.count) bytes")
        }
        self.keyName = String(name)
        self.keyID = UInt32(bytes[0]) << 24 | UInt32(bytes[1]) << 16 | UInt32(bytes[2]) << 8 | UInt32(bytes[3])
        self.signature = Array(bytes.dropFirst(4))
    }

    /// The line as it appears in a note, without the trailing newline.
    public var line: String {
        let id: [UInt8] = [UInt8(keyID >> 24), UInt8(keyID >> 16 & 0xFF), UInt8(keyID >> 8 & 0xFF), UInt8(keyID & 0xFF)]
        return "\(Self.prefix)\(keyName) \(Base64.encode(id + signature))"
    }

    /// Em dash (U+2014) and a space.
    static let prefix = "\u{2014} "
}
