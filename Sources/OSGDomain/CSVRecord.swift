/// The fields of one CSV record written on one physical line (RFC 4180 quoting): commas
/// separate fields, a field that starts with a double quote runs to the closing quote and may
/// hold commas, and `""` inside quotes is one quote.
///
/// Shared by every CSV reader of the project (grid carbon series, traces, price and machine
/// tables), so they all accept and refuse the same text.
public enum CSVRecord {
    /// The fields of `line`, or `nil` when a quoted field is not closed.
    public static func fields(_ line: Substring) -> [String]? {
        if !line.contains("\"") { return line.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        var fields: [String] = []
        var current = ""
        var inQuotes = false
        var index = line.startIndex
        while index < line.endIndex {
            let character = line[index]
            if inQuotes {
                if character == "\"" {
                    let next = line.index(after: index)
                    if next < line.endIndex, line[next] == "\"" {
                        current.append("\"")
                        index = next
                    } else {
                        inQuotes = false
                    }
                } else {
                    current.append(character)
                }
            } else if character == "," {
                fields.append(current)
                current = ""
            } else if character == "\"" && current.isEmpty {
                inQuotes = true
            } else {
                current.append(character)
            }
            index = line.index(after: index)
        }
        guard !inQuotes else { return nil }
        fields.append(current)
        return fields
    }
}
