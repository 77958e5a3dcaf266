/// The text rule of ids that participants choose (node ids, grid zones, lockup holders, the ids
/// of a market snapshot): 1 to 128 printable ASCII characters without spaces (0x21–0x7E).
///
/// ASCII so that every comparison of ids agrees — Swift's `String` ordering (Unicode canonical
/// equivalence), the byte order of the leaf codec and the stores, and any other language's —
/// and so that no id looks like another (no look-alike letters, no invisible characters).
/// Ids the coordinator makes itself (`job-7`, `lease-7-0`) follow the rule by construction;
/// pool names and regions have a narrower one (``JobSpec/isValidRegion(_:)``).
public enum IdentifierText {
    /// The longest id, in bytes (= characters).
    public static let maxBytes = 128

    /// Whether `byte` is a printable ASCII character other than space (0x21–0x7E).
    public static func isVisibleASCII(_ byte: UInt8) -> Bool {
        byte > 0x20 && byte < 0x7F
    }

    /// Why `text` is not a valid id for `field`, or `nil`.
    public static func problem(_ text: String, field: String) -> String? {
        let bytes = text.utf8
        if bytes.isEmpty || bytes.count > maxBytes { return "\(field) must be 1-\(maxBytes) characters, got \(bytes.count) bytes" }
        if let byte = bytes.first(where: { !isVisibleASCII($0) }) {
            return "\(field) must be printable ASCII without spaces (0x21-0x7E); it holds byte 0x\(String(byte, radix: 16, uppercase: true))"
        }
        return nil
    }
}
