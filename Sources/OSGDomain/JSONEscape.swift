/// JSON's (RFC 8259) one-character string escapes.
public enum JSONEscape {
    /// The character `\` followed by `byte` stands for: `"`, `\`, `/`, backspace, form feed,
    /// line feed, carriage return or tab; `nil` for `u` (four hex digits follow) and for any
    /// byte JSON does not allow there.
    @inlinable
    public static func character(after byte: UInt8) -> Unicode.Scalar? {
        switch byte {
        case UInt8(ascii: "\""): "\""
        case UInt8(ascii: "\\"): "\\"
        case UInt8(ascii: "/"): "/"
        case UInt8(ascii: "b"): "\u{08}"
        case UInt8(ascii: "f"): "\u{0C}"
        case UInt8(ascii: "n"): "\n"
        case UInt8(ascii: "r"): "\r"
        case UInt8(ascii: "t"): "\t"
        default: nil
        }
    }
}
