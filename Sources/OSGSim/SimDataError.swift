/// A problem with an input file of the simulator, located by file and line.
public struct SimDataError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of problem.
    public enum Code: String, Hashable, Sendable {
        /// The file cannot be read or is not text.
        case unreadable = "unreadable"
        /// The header lacks a column the loader needs.
        case missingColumn = "missing_column"
        /// A row has the wrong number of fields or a value that does not parse.
        case badRow = "bad_row"
        /// The file holds no usable row.
        case empty = "empty"
        /// The inputs do not fit together (e.g. carbon data does not cover the run).
        case inconsistent = "inconsistent"
    }

    /// The kind of problem.
    public var code: Code
    /// The file (as given).
    public var file: String
    /// 1-based line, when the problem is in one line.
    public var line: Int?
    /// What is wrong and how to fix it.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, file: String, line: Int? = nil, _ message: String) {
        self.code = code
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String {
        let place = line.map { "\(file):\($0)" } ?? file
        return "\(place): \(code.rawValue): \(message)"
    }
}
