/// The lines of a text file, split on bytes.
///
/// In Swift `"\r\n"` is one `Character`, so `text.split(separator: "\n")` does not split a
/// CRLF file at all: every reader of line-based data (CSV, JSON Lines) splits here instead.
public enum TextLines {
    /// The lines of `text` without their ends (LF or CRLF), in order; the empty line after a
    /// final line end is not one of them (a text that ends without one keeps its last line).
    ///
    /// ```swift
    /// TextLines.split("a,b\r\n1,2\r\n")  // ["a,b", "1,2"]
    /// ```
    public static func split(_ text: String) -> [Substring] {
        var lines = text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { bytes -> Substring in
            Substring(bytes.last == UInt8(ascii: "\r") ? bytes.dropLast() : bytes)
        }
        if lines.last?.isEmpty == true { lines.removeLast() }
        return lines
    }
}
