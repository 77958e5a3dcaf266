/// The body of a C2SP tlog-checkpoint: the signed statement "log `origin` had `size` entries
/// with root hash `rootHash`".
///
/// ```text
/// osg.example/log
/// 20852163
/// CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=
/// ```
///
/// Parsing is strict: at least three lines, each ending in a newline; a non-empty origin; a
/// decimal size with no sign and no leading zeros (except `0` itself); the canonical base64 of
/// exactly 32 bytes; any further lines are non-empty extension lines, kept but not interpreted.
public struct Checkpoint: Hashable, Sendable {
    /// The log's identity, e.g. `osg.example/log`; the signing key's name should match it.
    public let origin: String
    /// The number of leaves in the tree.
    public let size: UInt64
    /// The RFC 6962 root hash of the tree at `size` (32 bytes).
    public let rootHash: [UInt8]
    /// Opaque extension lines after the root hash (not recommended, kept verbatim).
    public let extensionLines: [String]

    /// Creates a checkpoint, validating every field.
    ///
    /// - Throws: ``LogFormatError`` when the origin is empty or has a control character, the root
    ///   hash is not 32 bytes, or an extension line is empty or has a control character.
    public init(origin: String, size: UInt64, rootHash: [UInt8], extensionLines: [String] = []) throws(LogFormatError) {
        guard !origin.isEmpty, !Self.hasControlCharacter(origin) else {
            throw LogFormatError(.badCheckpoint, field: "origin", "the origin must be non-empty text on one line")
        }
        guard rootHash.count == RFC6962.hashByteCount else {
            throw LogFormatError(.badCheckpoint, field: "root hash", "the root hash must be 32 bytes, got \(rootHash.count)")
        }
        for (number, line) in extensionLines.enumerated() where line.isEmpty || Self.hasControlCharacter(line) {
            throw LogFormatError(.badCheckpoint, field: "extension line \(number + 1)",
                                 "extension lines must be non-empty text on one line")
        }
        self.origin = origin
        self.size = size
        self.rootHash = rootHash
        self.extensionLines = extensionLines
    }

    /// Parses a checkpoint body (the text of a signed note, including the final newline).
    ///
    /// - Throws: ``LogFormatError`` naming the first line that is wrong.
    public init(parsing text: String) throws(LogFormatError) {
        guard text.hasSuffix("\n") else {
            throw LogFormatError(.badCheckpoint, field: "checkpoint", "the checkpoint text must end in a newline")
        }
        let lines = text.dropLast().split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count >= 3 else {
            throw LogFormatError(.badCheckpoint, field: "checkpoint",
                                 "expected origin, tree size and root hash lines, got \(lines.count) line(s)")
        }
        let sizeText = lines[1]
        guard !sizeText.isEmpty, sizeText.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              sizeText == "0" || !sizeText.hasPrefix("0"),
              let size = UInt64(sizeText)
        else {
            throw LogFormatError(.badCheckpoint, field: "tree size",
                                 "\"\(sizeText)\" is not a decimal number without sign or leading zeros")
        }
        guard let rootHash = Base64.decode(lines[2]), rootHash.count == RFC6962.hashByteCount,
              Base64.encode(rootHash) == lines[2]
        else {
            throw LogFormatError(.badCheckpoint, field: "root hash",
                                 "\"\(lines[2])\" is not the standard base64 of a 32-byte hash")
        }
        try self.init(origin: String(lines[0]), size: size, rootHash: rootHash,
                      extensionLines: lines.dropFirst(3).map(String.init))
    }

    /// The checkpoint body: origin, size, base64 root hash and extension lines, each ending in
    /// a newline. This is the text to sign.
    public var text: String {
        ([origin, String(size), Base64.encode(rootHash)] + extensionLines).map { $0 + "\n" }.joined()
    }

    private static func hasControlCharacter(_ text: String) -> Bool {
        text.utf8.contains { $0 < 0x20 }
    }
}
