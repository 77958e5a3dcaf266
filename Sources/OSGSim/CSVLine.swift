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
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            result.append((number, line))
        }
        if let last = result.last, last.1.isEmpty { result.removeLast() }
        return result
    }
}
