import OSGDomain
import Testing

@Suite("Money is exact integer micro-credits")
struct MicroCreditsTests {
    @Test("decimal text parses exactly", arguments: [
        ("2.10", Int64(2_100_000)), ("3", 3_000_000), ("0.000001", 1), ("0", 0), (".5", 500_000), ("12.", 12_000_000),
    ])
    func parses(text: String, expected: Int64) throws {
        #expect(try MicroCredits(decimal: text).rawValue == expected)
    }

    @Test("bad decimal text is refused with the reason", arguments: [
        "", ".", "1.2.3", "-1", "1e3", "abc", "1.0000001", "99999999999999999999",
    ])
    func refuses(text: String) {
        #expect(throws: MicroCredits.ParseError.self) { try MicroCredits(decimal: text) }
    }

    @Test("prints as shortest decimal credits")
    func prints() {
        #expect(MicroCredits(2_100_000).description == "2.1")
        #expect(MicroCredits(1).description == "0.000001")
        #expect(MicroCredits(-5_000_000).description == "-5")
    }
}
