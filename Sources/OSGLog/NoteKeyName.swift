import Crypto

/// Rules and helpers shared by signed-note keys: valid key names and the 4-byte key ID.
public enum NoteKeyName {
    /// The signature type byte of Ed25519 in C2SP signed-note.
    public static let ed25519SignatureType: UInt8 = 0x01

    /// Whether `name` may be a key name: non-empty, no Unicode white space, no `+`.
    public static func isValid(_ name: some StringProtocol) -> Bool {
        !name.isEmpty && !name.unicodeScalars.contains { $0 == "+" || $0.properties.isWhitespace }
    }

    /// The C2SP key ID: the first four bytes, big-endian, of
    /// `SHA-256(name ‖ 0x0A ‖ signature type ‖ public key)`.
    public static func keyID(name: String, signatureType: UInt8, publicKey: [UInt8]) -> UInt32 {
        var hasher = SHA256()
        hasher.update(data: Array(name.utf8) + [0x0A, signatureType] + publicKey)
        let digest = Array(hasher.finalize())
        return UInt32(digest[0]) << 24 | UInt32(digest[1]) << 16 | UInt32(digest[2]) << 8 | UInt32(digest[3])
    }

    /// The key ID as 8 lower-case hex digits, as it appears in key strings.
    static func hex(_ keyID: UInt32) -> String {
        let digits = String(keyID, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }

    /// Parses exactly 8 hex digits.
    static func parseHex(_ text: Substring) -> UInt32? {
        guard text.utf8.count == 8, text.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x66) })
        else { return nil }
        return UInt32(text, radix: 16)
    }
}
