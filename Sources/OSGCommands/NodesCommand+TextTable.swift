/// Rows of text in aligned columns, for the tables operator verbs print for people
/// (`osg nodes`, `osg lockup list`).
///
/// ```swift
/// var table = TextTable(header: ["NODE", "GPUS"])
/// table.rows.append(["n1", "H100×8"])
/// print(table.text)   // NODE  GPUS\nn1    H100×8
/// ```
struct TextTable {
    /// The column titles; every row has as many cells.
    var header: [String]
    var rows: [[String]] = []

    /// The header and the rows, each column as wide as its widest cell, two spaces apart;
    /// no trailing spaces.
    var text: String {
        let all = [header] + rows
        for row in all { precondition(row.count == header.count, "a row of \(row.count) cells in a table of \(header.count) columns") }
        // Characters, not bytes: `×` and `…` take one column.
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.indices.map { column in
                column == row.count - 1 ? row[column] : row[column] + String(repeating: " ", count: widths[column] - row[column].count)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    /// A cell for a value of a JSON answer: its text, `?` when absent.
    static func cell(_ value: Any?) -> String {
        value.map { "\($0)" } ?? "?"
    }

    /// A cell for a long id such as a 64-hex public key: its first 16 characters and `…`
    /// (the JSON form has it whole).
    static func abbreviated(_ id: String) -> String {
        id.count > 20 ? id.prefix(16) + "…" : id
    }
}
