/// Shell words of one simple command line, as POSIX `sh` splits them, without expansion.
enum ShellWords {
    /// The words of the one simple command in `text`, with quotes removed, or `nil` when the
    /// text is more than one simple command: an unquoted `;|&<>(){}`, any `$` or backquote
    /// outside single quotes (an expansion), an unterminated quote, a backslash at the end of a
    /// line (a continuation) or of the text, or a second command on a later line. Quoted text
    /// may span lines; an unquoted `#` at the start of a word starts a comment up to the end of
    /// its line.
    static func split(_ text: Substring) -> [String]? {
        var words: [String] = []
        var word = ""
        var inWord = false
        var commandEnded = false
        var iterator = text.unicodeScalars.makeIterator()
        func finishWord() {
            if inWord { words.append(word); word = ""; inWord = false }
        }
        while let scalar = iterator.next() {
            if commandEnded && !["\n", "\r", " ", "\t", "#"].contains(scalar) { return nil }
            switch scalar {
            case " ", "\t", "\r":
                finishWord()
            case "\n":
                finishWord()
                if !words.isEmpty { commandEnded = true }
            case "#" where !inWord:
                while let inner = iterator.next(), inner != "\n" {}
                if !words.isEmpty { commandEnded = true }
            case "'":
                inWord = true
                var closed = false
                while let inner = iterator.next() {
                    if inner == "'" { closed = true; break }
                    word.unicodeScalars.append(inner)
                }
                if !closed { return nil }
            case "\"":
                inWord = true
                var closed = false
                while let inner = iterator.next() {
                    if inner == "\"" { closed = true; break }
                    if inner == "$" || inner == "`" { return nil }
                    if inner == "\\" {
                        guard let escaped = iterator.next() else { return nil }
                        if !["\"", "\\", "$", "`"].contains(escaped) { word += "\\" }
                        word.unicodeScalars.append(escaped)
                    } else {
                        word.unicodeScalars.append(inner)
                    }
                }
                if !closed { return nil }
            case "\\":
                guard let escaped = iterator.next(), escaped != "\n", escaped != "\r" else { return nil }
                inWord = true
                word.unicodeScalars.append(escaped)
            case ";", "|", "&", "<", ">", "(", ")", "{", "}", "$", "`":
                return nil
            default:
                inWord = true
                word.unicodeScalars.append(scalar)
            }
        }
        finishWord()
        return words
    }

    /// `word` quoted for `sh` only when it needs it (single quotes; a quote inside as `'\''`).
    static func quoted(_ word: String) -> String {
        let plain = !word.isEmpty && word.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || "-_./:=,+@%".unicodeScalars.contains($0)
        }
        if plain && !word.hasPrefix("#") { return word }
        return "'" + word.replacing("'", with: "'\\''") + "'"
    }

    /// `words` as one command line.
    static func line(_ words: [String]) -> String {
        words.map(quoted).joined(separator: " ")
    }
}
