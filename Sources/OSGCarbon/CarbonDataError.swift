/// Why carbon data could not be read: a stable code and the place (file, line, column).
///
/// The message names the value found and what was expected, e.g.
/// `ES_2022_hourly.csv:14: column 'Carbon Intensity gCO₂eq/kWh (direct)': 'abc' is not a decimal number`.
public struct CarbonDataError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Stable, machine-readable error codes.
    public enum Code: String, Hashable, Sendable {
        /// The file is empty or its header lacks a required column.
        case badHeader = "bad_header"
        /// A row has a different number of fields than the header, or an unterminated quote.
        case badRow = "bad_row"
        /// A timestamp is not `YYYY-MM-DD HH:MM:SS` on a whole hour.
        case badTime = "bad_time"
        /// An intensity is not a non-negative decimal with at most three decimals.
        case badNumber = "bad_number"
        /// A row's `Zone Id` differs from the first row's (or from the file name's zone).
        case zoneMismatch = "zone_mismatch"
        /// A timestamp is not later than the one before it.
        case notIncreasing = "not_increasing"
        /// More than ``ElectricityMapsCSV/maxFilledGapHours`` hours are missing in a row.
        case gapTooLong = "gap_too_long"
        /// The file has a header but no data rows.
        case noData = "no_data"
        /// Two series of one zone overlap or leave a gap between them.
        case notContiguous = "not_contiguous"
        /// The file or directory could not be read.
        case unreadable = "unreadable"
    }

    /// The stable code.
    public var code: Code
    /// The file name (as given to the reader).
    public var file: String
    /// 1-based line number, when the problem is on one line.
    public var line: Int?
    /// The column's header name, when the problem is in one field.
    public var column: String?
    /// What is wrong and what was expected.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, file: String, line: Int? = nil, column: String? = nil, _ message: String) {
        self.code = code
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    /// `file:line: column 'name': message (code)`.
    public var description: String {
        var text = file
        if let line { text += ":\(line)" }
        text += ": "
        if let column { text += "column '\(column)': " }
        return text + message + " (\(code.rawValue))"
    }
}
