import Foundation

/// Rows of text in aligned columns, for the tables verbs print for people (`osg jobs`,
/// `osg nodes`, `osg market`, …); `--json` prints the answer for machines instead.
///
/// ```swift
/// var table = TextTable(header: ["NODE", "GPUS"])
/// table.rows.append(["n1", "H100×8"])
/// table.print()   // NODE  GPUS\nn1    H100×8  (the header bold, status words coloured, on a terminal)
/// ```
struct TextTable {
    /// The column titles; every row has as many cells.
    var header: [String]
    var rows: [[String]] = []

    /// The header and the rows, each column as wide as its widest cell, two spaces apart;
    /// no trailing spaces. With `styled`, the header is bold and status words
    /// (``TerminalStyle/colour(ofStatus:)``) are coloured; widths count the text only.
    func text(styled: Bool = false) -> String {
        let all = [header] + rows
        for row in all { precondition(row.count == header.count, "a row of \(row.count) cells in a table of \(header.count) columns") }
        // Characters, not bytes: `×` and `…` take one column.
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.enumerated().map { index, row in
            var line = row.indices.map { column in
                let cell = row[column]
                let padding = column == row.count - 1 ? "" : String(repeating: " ", count: widths[column] - cell.count)
                guard styled else { return cell + padding }
                if index == 0 { return TerminalStyle.apply(.bold, to: cell) + padding }
                return (TerminalStyle.colour(ofStatus: cell).map { TerminalStyle.apply($0, to: cell) } ?? cell) + padding
            }.joined(separator: "  ")
            while line.hasSuffix(" ") { line.removeLast() }  // empty last cells
            return line
        }.joined(separator: "\n")
    }

    /// Prints the table on standard output, styled when that is a terminal
    /// (``TerminalStyle/isEnabled``); a table without rows prints `empty` instead.
    func print(empty: String) {
        Swift.print(rows.isEmpty ? empty : text(styled: TerminalStyle.isEnabled))
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

    /// A cell for a part-per-million figure: `12.5 %`.
    static func percent(_ ppm: Any?) -> String {
        guard let ppm = ppm as? Int else { return "-" }
        return String(format: "%.1f %%", Double(ppm) / 10_000)
    }
}

/// ANSI styles for people at a terminal: only when standard output is one, `NO_COLOR` is not
/// set (no-color.org) and `TERM` is not `dumb`; pipes, files and `--json` get plain text.
enum TerminalStyle {
    enum Style: String {
        case bold = "1", red = "31", green = "32", yellow = "33", cyan = "36"
    }

    static var isEnabled: Bool {
        let environment = ProcessInfo.processInfo.environment
        return isatty(STDOUT_FILENO) == 1 && environment["NO_COLOR"] == nil && environment["TERM"] != "dumb"
    }

    static func apply(_ style: Style, to text: String) -> String {
        "\u{1B}[\(style.rawValue)m\(text)\u{1B}[0m"
    }

    /// Green for what went well (`completed`, `online`), red for what did not (`failed`,
    /// `offline`), yellow for waiting (`pending`), cyan for `running`; other words stay plain.
    static func colour(ofStatus word: String) -> Style? {
        switch word {
        case "completed", "online", "ok": .green
        case "failed", "offline", "cancelled", "lost": .red
        case "pending", "waiting": .yellow
        case "running": .cyan
        default: nil
        }
    }
}
