import OSGDomain
import Testing

@Suite("CSV records: one line, RFC 4180 quoting")
struct CSVRecordTests {
    @Test("plain, empty, quoted and escaped fields", arguments: [
        ("a,b,c", ["a", "b", "c"]),
        ("a,,c,", ["a", "", "c", ""]),
        ("\"x,y\",z", ["x,y", "z"]),
        ("\"say \"\"hi\"\"\",2", ["say \"hi\"", "2"]),
        ("", [""]),
        ("ab\"c,d", ["ab\"c", "d"]),
    ])
    func fields(line: String, expected: [String]) {
        #expect(CSVRecord.fields(Substring(line)) == expected)
    }

    @Test("an unclosed quote is refused")
    func unclosed() {
        #expect(CSVRecord.fields("a,\"b,c") == nil)
        #expect(CSVRecord.fields("\"") == nil)
    }
}
