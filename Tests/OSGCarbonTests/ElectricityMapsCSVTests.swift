import OSGCarbon
import OSGDomain
import Testing

@Suite("ElectricityMapsCSV: strict reading with located errors")
struct ElectricityMapsCSVTests {
    @Test("the fixture files parse to exact milligram values (LF and CRLF files)")
    func fixtureValues() throws {
        let atlas = try CarbonAtlas(directory: try fixtureDirectory())
        #expect(atlas.zones == ["ES", "NO", "US-CAL-CISO"])
        let es = try #require(atlas["ES"])
        #expect(es.hourCount == 336)
        #expect(es.start == time("2022-01-01T00:00:00Z"))
        #expect(Array(es.milligramsPerKWh.prefix(2)) == [133_640, 139_100])
        #expect(es.milligramsPerKWh.last == 215_930)
        let no = try #require(atlas["NO"])
        #expect(no.milligramsPerKWh.first == 33_110)
        let cal = try #require(atlas["US-CAL-CISO"])
        #expect(Array(cal.milligramsPerKWh.prefix(2)) == [209_260, 225_020])
        #expect(cal.intensity(at: time("2022-01-01T01:30:00Z")) == 225_020)
    }

    @Test("decimal text converts exactly to milligrams; anything else is refused",
          arguments: [("133.64", Int64(133_640)), ("139.1", 139_100), ("0", 0), ("7.125", 7_125), ("1000", 1_000_000), ("999999.999", 999_999_999)])
    func decimals(text: String, milligrams: Int64) {
        #expect(ElectricityMapsCSV.milligrams(text) == milligrams)
    }

    @Test("malformed numbers are refused", arguments: ["", "-1", "1.", ".5", "1.2345", "1e3", " 1", "NaN", "1,5", "1000000"])
    func badDecimals(text: String) {
        #expect(ElectricityMapsCSV.milligrams(text) == nil)
    }

    func parseError(_ lines: [String], file: String = "XX_2026_hourly.csv") -> CarbonDataError? {
        do {
            _ = try ElectricityMapsCSV.parse(lines.joined(separator: "\n"), file: file)
            return nil
        } catch {
            return error
        }
    }

    @Test("a header without the intensity column names the file, line 1 and the missing column")
    func badHeader() throws {
        let error = try #require(parseError(["Datetime (UTC),Zone Id,Carbon Intensity gCO2eq/kWh (direct)", "2026-12-01 00:00:00,XX,1"]))
        #expect(error.code == .badHeader)
        #expect(error.file == "XX_2026_hourly.csv")
        #expect(error.line == 1)
        #expect(error.column == ElectricityMapsCSV.intensityColumn)
        #expect(parseError([])?.code == .badHeader)
        #expect(parseError([csvHeader])?.code == .noData)
    }

    @Test("a bad number names its line and column")
    func badNumber() throws {
        let error = try #require(parseError([csvHeader, csvRow("2026-12-01 00:00:00", "12.5"), csvRow("2026-12-01 01:00:00", "abc")]))
        #expect(error.code == .badNumber)
        #expect(error.line == 3)
        #expect(error.column == "Carbon Intensity gCO₂eq/kWh (direct)")
        #expect(error.description.hasPrefix("XX_2026_hourly.csv:3: column 'Carbon Intensity gCO₂eq/kWh (direct)': 'abc'"))
    }

    @Test("bad times, wrong field counts, zone changes and disorder are located")
    func otherErrors() {
        let bad = parseError([csvHeader, csvRow("2026-12-01 00:30:00", "1")])
        #expect(bad?.code == .badTime && bad?.line == 2 && bad?.column == "Datetime (UTC)")
        #expect(parseError([csvHeader, "2026-12-01 00:00:00,XX,1"])?.code == .badRow)
        let zone = parseError([csvHeader, csvRow("2026-12-01 00:00:00", "1"), csvRow("2026-12-01 01:00:00", zone: "YY", "1")])
        #expect(zone?.code == .zoneMismatch && zone?.line == 3)
        #expect(parseError([csvHeader, csvRow("2026-12-01 00:00:00", zone: "YY", "1")])?.code == .zoneMismatch)
        let order = parseError([csvHeader, csvRow("2026-12-01 01:00:00", "1"), csvRow("2026-12-01 01:00:00", "1")])
        #expect(order?.code == .notIncreasing && order?.line == 3)
    }

    @Test("gaps of up to 3 hours are filled with the previous hour; a 4-hour gap is refused at its line")
    func gaps() throws {
        let filled = try ElectricityMapsCSV.parse([
            csvHeader, csvRow("2026-12-01 00:00:00", "10"), csvRow("2026-12-01 04:00:00", "20"), "",
        ].joined(separator: "\r\n"), file: "x.csv")
        #expect(filled.milligramsPerKWh == [10_000, 10_000, 10_000, 10_000, 20_000])
        let error = try #require(parseError([csvHeader, csvRow("2026-12-01 00:00:00", "10"), csvRow("2026-12-01 05:00:00", "20")]))
        #expect(error.code == .gapTooLong)
        #expect(error.line == 3)
        #expect(error.column == "Datetime (UTC)")
    }

    @Test("columns are found by name, quotes and a byte-order mark are accepted")
    func columnsByName() throws {
        let text = "\u{FEFF}Carbon Intensity gCO₂eq/kWh (direct),Note,Zone Id,Datetime (UTC)\n"
            + "55.5,\"a, b\",XX,2026-12-01 00:00:00\n56,\"say \"\"hi\"\"\",XX,2026-12-01 01:00:00\n"
        let series = try ElectricityMapsCSV.parse(text, file: "notes.csv")
        #expect(series.zone == "XX")
        #expect(series.milligramsPerKWh == [55_500, 56_000])
        #expect(series.start == time("2026-12-01T00:00:00Z"))
    }
}
