import OSGDomain
import Testing

@Suite("Lines of a text file, split on bytes so CRLF files read like LF ones")
struct TextLinesTests {
    @Test("LF, CRLF, mixed, no final line end, blank lines kept, a lone CR inside a line kept", arguments: [
        ("a,b\n1,2\n", ["a,b", "1,2"]),
        ("a,b\r\n1,2\r\n", ["a,b", "1,2"]),
        ("a,b\r\n1,2\n3,4", ["a,b", "1,2", "3,4"]),
        ("a\r\n\r\nb\r\n", ["a", "", "b"]),
        ("x\ry\r\n", ["x\ry"]),
        ("", []),
        ("\r\n", [""]),
    ])
    func split(text: String, lines: [String]) {
        #expect(TextLines.split(text).map(String.init) == lines)
    }

    @Test("a Character split misses CRLF: the bug the byte split fixes")
    func characterSplitMissesCRLF() {
        #expect("a\r\nb".split(separator: "\n").count == 1)
        #expect(TextLines.split("a\r\nb").count == 2)
    }
}
