import OSGDomain
import Testing

@Suite("Timestamps and durations parse exactly")
struct TimeAndDurationTests {
    @Test("RFC 3339 times parse to epoch seconds", arguments: [
        ("1970-01-01T00:00:00Z", Int64(0)),
        ("2026-12-01T00:00:00Z", 1_796_083_200),
        ("2026-12-01T01:00:00+01:00", 1_796_083_200),
        ("2024-02-29T23:59:59Z", 1_709_251_199),
        ("2026-12-01T00:00:00.75Z", 1_796_083_200),
        ("1969-12-31T23:59:59Z", -1),
    ])
    func parses(text: String, seconds: Int64) throws {
        let time = try #require(Timestamp(rfc3339: text))
        #expect(time.secondsSinceEpoch == seconds)
    }

    @Test("invalid RFC 3339 text is refused", arguments: [
        "2026-12-01", "2026-13-01T00:00:00Z", "2025-02-29T00:00:00Z", "2026-12-01T24:00:00Z",
        "2026-12-01T00:00:00", "2026-12-01T00:00:00+1", "yesterday", "2026-12-01T00:00:00Zjunk",
    ])
    func refuses(text: String) {
        #expect(Timestamp(rfc3339: text) == nil)
    }

    @Test("formatting round-trips over a wide range of seeded times")
    func roundTrips() throws {
        var random = SplitMix64(seed: 7)
        for _ in 0..<2_000 {
            let seconds = Int64.random(in: -2_000_000_000...8_000_000_000, using: &random)
            let time = Timestamp(secondsSinceEpoch: seconds)
            #expect(Timestamp(rfc3339: time.description) == time)
        }
    }

    @Test("durations with units parse", arguments: [
        ("6h", Int64(21_600)), ("90m", 5_400), ("1h30m", 5_400), ("2d", 172_800), ("45s", 45), (" 8h ", 28_800),
    ])
    func durations(text: String, seconds: Int64) throws {
        #expect(try DurationText.seconds(text) == seconds)
        #expect(try DurationText.seconds(DurationText.format(seconds: seconds)) == seconds)
    }

    @Test("durations without a known unit are refused with the reason")
    func badDurations() {
        #expect(throws: DurationText.ParseError.missingUnit("3600")) { try DurationText.seconds("3600") }
        #expect(throws: DurationText.ParseError.unknownUnit("6hours", unit: "hours")) { try DurationText.seconds("6hours") }
        #expect(throws: DurationText.ParseError.empty) { try DurationText.seconds("") }
        #expect(throws: DurationText.ParseError.notADuration("-6h")) { try DurationText.seconds("-6h") }
        #expect(throws: DurationText.ParseError.tooLong("99999999999999999999d")) { try DurationText.seconds("99999999999999999999d") }
    }
}

@Suite("GPU models and classes")
struct GPUModelTests {
    @Test("a class accepts its model and better ones only")
    func classes() throws {
        let a100Plus = try #require(GPUSelector(text: "A100+"))
        #expect(a100Plus.accepts(try #require(GPUModel.named("H100"))))
        #expect(a100Plus.accepts(try #require(GPUModel.named("a100"))))
        #expect(!a100Plus.accepts(try #require(GPUModel.named("V100"))))
        #expect(GPUSelector(text: "any")?.accepts(try #require(GPUModel.named("T4"))) == true)
        #expect(GPUSelector(text: "rtx-4090") == .exactly(try #require(GPUModel.named("RTX4090"))))
        #expect(GPUSelector(text: "H110") == nil)
    }

    @Test("the catalog has unique names")
    func uniqueNames() {
        #expect(Set(GPUModel.catalog.map(\.name)).count == GPUModel.catalog.count)
    }
}
