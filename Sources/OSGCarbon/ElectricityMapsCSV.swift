import OSGDomain

/// Reads one Electricity Maps hourly export (`<ZONE>_<YEAR>_hourly.csv`) into a ``CarbonSeries``.
///
/// Pure: text in, series out (``CarbonAtlas`` reads the files). Strict:
/// - the header must name the columns `Datetime (UTC)`, `Zone Id` and
///   `Carbon Intensity gCO₂eq/kWh (direct)` (found by name, in any position; note the
///   non-ASCII `₂`); other columns are ignored; a UTF-8 byte-order mark and CRLF line ends are
///   accepted;
/// - every row has as many fields as the header; times are `YYYY-MM-DD HH:MM:SS` in UTC on a
///   whole hour and strictly increasing; every row's zone equals the first row's, and the
///   file name's zone when the name has the `<ZONE>_<YEAR>_hourly.csv` form;
/// - intensities are non-negative decimals with at most three decimals, so that they convert
///   exactly to integer milligrams per kWh (`133.64` → `133_640`), below 1,000,000 g/kWh.
///
/// **Gap rule.** Missing hours between two rows are filled with the value of the hour before
/// the gap when at most ``maxFilledGapHours`` (3) hours are missing in a row; a longer gap is
/// refused (``CarbonDataError/Code/gapTooLong``), because a forecast invented over more than a
/// few hours would steer jobs on made-up data.
public enum ElectricityMapsCSV {
    /// The time column's header.
    public static let timeColumn = "Datetime (UTC)"
    /// The zone column's header.
    public static let zoneColumn = "Zone Id"
    /// The intensity column's header (operational, "direct" emissions).
    public static let intensityColumn = "Carbon Intensity gCO\u{2082}eq/kWh (direct)"
    /// The longest run of missing hours that is filled by the previous hour's value.
    public static let maxFilledGapHours: Int64 = 3

    /// Parses one file's text.
    ///
    /// - Parameters:
    ///   - text: the CSV text.
    ///   - file: the file name, for error messages and the zone check (path or last component).
    /// - Returns: the zone's series, gaps of up to three hours filled.
    /// - Throws: ``CarbonDataError`` naming the file, line and column of the first problem.
    public static func parse(_ text: String, file: String) throws(CarbonDataError) -> CarbonSeries {
        var lines = TextLines.split(text)
        while let last = lines.last, last.isEmpty { lines.removeLast() }
        guard var headerLine = lines.first else {
            throw CarbonDataError(.badHeader, file: file, line: 1, "the file is empty; expected a header naming \(timeColumn), \(zoneColumn) and \(intensityColumn)")
        }
        if headerLine.first == "\u{FEFF}" { headerLine = headerLine.dropFirst() }
        let header = try fields(of: headerLine, file: file, line: 1)
        func position(of name: String) throws(CarbonDataError) -> Int {
            guard let index = header.firstIndex(of: name) else {
                throw CarbonDataError(.badHeader, file: file, line: 1, column: name, "the header has no column '\(name)'; found \(header.map { "'\($0)'" }.joined(separator: ", "))")
            }
            return index
        }
        let timeIndex = try position(of: timeColumn)
        let zoneIndex = try position(of: zoneColumn)
        let valueIndex = try position(of: intensityColumn)
        guard lines.count > 1 else { throw CarbonDataError(.noData, file: file, "the file has a header but no data rows") }

        let expectedZone = zoneFromFileName(file)
        var zone: String? = nil
        var firstHour: Int64 = 0
        var values: [Int64] = []
        values.reserveCapacity(lines.count - 1)
        for lineIndex in 1..<lines.count {
            let lineNumber = lineIndex + 1
            let row = try fields(of: lines[lineIndex], file: file, line: lineNumber)
            guard row.count == header.count else {
                throw CarbonDataError(.badRow, file: file, line: lineNumber, "has \(row.count) fields, the header has \(header.count)")
            }
            let timeText = row[timeIndex]
            guard let hour = hour(of: timeText) else {
                throw CarbonDataError(.badTime, file: file, line: lineNumber, column: timeColumn, "'\(timeText)' is not a UTC time on a whole hour such as 2022-01-01 13:00:00")
            }
            let rowZone = row[zoneIndex]
            if let zone {
                guard rowZone == zone else {
                    throw CarbonDataError(.zoneMismatch, file: file, line: lineNumber, column: zoneColumn, "zone '\(rowZone)' differs from '\(zone)' of the first row; one file holds one zone")
                }
            } else {
                if rowZone.isEmpty {
                    throw CarbonDataError(.zoneMismatch, file: file, line: lineNumber, column: zoneColumn, "the zone id is empty")
                }
                if let expectedZone, expectedZone != rowZone {
                    throw CarbonDataError(.zoneMismatch, file: file, line: lineNumber, column: zoneColumn, "zone '\(rowZone)' differs from '\(expectedZone)' in the file name")
                }
                zone = rowZone
                firstHour = hour
            }
            let valueText = row[valueIndex]
            guard let value = milligrams(valueText) else {
                throw CarbonDataError(.badNumber, file: file, line: lineNumber, column: intensityColumn, "'\(valueText)' is not a non-negative decimal number with at most 3 decimals (gCO2-eq/kWh)")
            }
            if !values.isEmpty {
                let previousHour = firstHour + Int64(values.count) - 1
                guard hour > previousHour else {
                    throw CarbonDataError(.notIncreasing, file: file, line: lineNumber, column: timeColumn, "'\(timeText)' is not later than the row before; rows must be in time order, one per hour")
                }
                let missing = hour - previousHour - 1
                guard missing <= maxFilledGapHours else {
                    throw CarbonDataError(.gapTooLong, file: file, line: lineNumber, column: timeColumn, "\(missing) hours are missing before '\(timeText)'; at most \(maxFilledGapHours) missing hours are filled with the previous value")
                }
                if missing > 0, let previous = values.last {
                    values.append(contentsOf: repeatElement(previous, count: Int(missing)))
                }
            }
            values.append(value)
        }
        return CarbonSeries(zone: zone ?? "", firstHour: firstHour, milligramsPerKWh: values)
    }

    /// The zone of a file named `<ZONE>_<YEAR>_hourly.csv` (any directory prefix), else `nil`.
    public static func zoneFromFileName(_ file: String) -> String? {
        let name = file.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? file
        let suffix = "_hourly.csv"
        guard name.hasSuffix(suffix) else { return nil }
        let stem = name.dropLast(suffix.count)
        guard let underscore = stem.lastIndex(of: "_") else { return nil }
        let year = stem[stem.index(after: underscore)...]
        let zone = stem[..<underscore]
        guard year.count == 4, year.allSatisfy({ $0.isASCII && $0.isNumber }), !zone.isEmpty else { return nil }
        return String(zone)
    }

    /// Exact milligrams per kWh of a decimal text in grams (`133.64` → `133_640`); `nil` for
    /// anything but digits with an optional point and one to three decimals, or for a value of
    /// a million grams or more (real grids stay below 2,000 g/kWh; the bound keeps every
    /// weighted sum far inside `Int64`).
    public static func milligrams(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        var index = 0
        var whole: Int64 = 0
        var wholeDigits = 0
        while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
            guard wholeDigits < 6 else { return nil }
            whole = whole * 10 + Int64(bytes[index] - 0x30)
            wholeDigits += 1
            index += 1
        }
        guard wholeDigits > 0 else { return nil }
        var fraction: Int64 = 0
        var fractionDigits = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                guard fractionDigits < 3 else { return nil }
                fraction = fraction * 10 + Int64(bytes[index] - 0x30)
                fractionDigits += 1
                index += 1
            }
            guard fractionDigits > 0 else { return nil }
        }
        guard index == bytes.count else { return nil }
        for _ in fractionDigits..<3 { fraction *= 10 }
        return whole * 1000 + fraction
    }

    /// Hours since the epoch of `YYYY-MM-DD HH:MM:SS` (UTC) on a whole hour, else `nil`.
    static func hour(of text: String) -> Int64? {
        let bytes = Array(text.utf8)
        guard bytes.count == 19, bytes[10] == UInt8(ascii: " "),
              let time = Timestamp(rfc3339: text + "Z"),
              time.secondsSinceEpoch % 3600 == 0
        else { return nil }
        return CarbonSeries.hour(containing: time)
    }

    /// The fields of one line (``CSVRecord``), or a `bad_row` error for an unclosed quote.
    static func fields(of line: Substring, file: String, line lineNumber: Int) throws(CarbonDataError) -> [String] {
        guard let fields = CSVRecord.fields(line) else {
            throw CarbonDataError(.badRow, file: file, line: lineNumber, "has an unterminated quoted field")
        }
        return fields
    }
}
