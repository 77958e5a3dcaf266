/// The nonce of a signed request, which a command proof keeps: 16–64 characters of
/// `A-Z a-z 0-9 - _`, never reused by its key within the signature window.
public enum RequestNonce {
    /// How many bytes a nonce has.
    public static let byteCounts = 16...64

    /// Whether `nonce` has the form the API accepts.
    public static func isValid(_ nonce: String) -> Bool {
        byteCounts.contains(nonce.utf8.count) && nonce.utf8.allSatisfy { byte in
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
        }
    }
}
