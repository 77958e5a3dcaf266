import OSGDomain

/// CSV text for the simulator's loaders: numbered lines, and each line's fields.
enum CSVLine {
    /// The fields of one line (``CSVRecord``), or a `bad_row` error naming `file` and `line`.
    static func fields(_ text: Substring, file: String, line: Int) throws(SimDataError) -> [Substring] {
        guard let fields = CSVRecord.fields(text) else {
            throw SimDataError(.badRow, file: file, line: line, "has an unterminated quoted field")
        }
        return fields.map { Substring($0) }
    }

    /// The lines of a text, without line ends (LF or CRLF), numbered from 1.
    static func lines(_ text: String) -> [(number: Int, text: Substring)] {
        var result: [(Int, Substring)] = []
        var number = 0
        for line in TextLines.split(text) {
            number += 1
            result.append((number, line))
        }
        return result
    }
}
