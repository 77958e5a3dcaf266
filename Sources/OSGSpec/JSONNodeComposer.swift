import OSGDomain

/// Composes JSON text into the tree that Yams composes from the same text (the same structure,
/// scalar strings, quoting and marks), without the YAML scanner.
///
/// JSON specs are the common case on the coordinator's submit path, where libyaml's scanner,
/// parser and event objects cost more than reading the spec itself. This reader takes only a
/// strict subset on which the two compositions provably agree — a well-formed JSON document in
/// printable ASCII, whitespace of spaces and line breaks, no duplicate keys, no `\u0000` or
/// surrogate escapes — and answers `nil` for anything else, so that the caller hands the text to
/// Yams, whose errors and locations stay the only ones a client ever sees. A test composes
/// many documents both ways and compares the trees.
enum JSONNodeComposer {
    /// The tree of `text`, or `nil` when the text is outside the subset (the caller reads it
    /// with Yams).
    static func compose(_ text: String) -> SpecNode? {
        var text = text
        return text.withUTF8 { bytes in
            var scanner = Scanner(bytes: bytes)
            scanner.skipWhitespace()
            guard let root = scanner.value(depth: 0) else { return nil }
            scanner.skipWhitespace()
            return scanner.atEnd ? root : nil
        }
    }

    /// Nesting deeper than this is left to Yams (bounds this reader's recursion).
    static let maximumDepth = 64

    private struct Scanner {
        let bytes: UnsafeBufferPointer<UInt8>
        var offset = 0
        /// From 1, as Yams' marks; with only ASCII outside escapes, columns are bytes.
        var line = 1
        var lineStart = 0

        init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        var atEnd: Bool { offset == bytes.count }
        var mark: SpecMark { SpecMark(line: line, column: offset - lineStart + 1) }

        mutating func skipWhitespace() {
            while offset < bytes.count {
                switch bytes[offset] {
                case UInt8(ascii: " "):
                    offset += 1
                case UInt8(ascii: "\n"):
                    offset += 1
                    newLine()
                case UInt8(ascii: "\r"):
                    offset += 1
                    if offset < bytes.count, bytes[offset] == UInt8(ascii: "\n") { offset += 1 }
                    newLine()
                default:
                    return
                }
            }
        }

        private mutating func newLine() {
            line += 1
            lineStart = offset
        }

        mutating func value(depth: Int) -> SpecNode? {
            guard offset < bytes.count, depth < JSONNodeComposer.maximumDepth else { return nil }
            switch bytes[offset] {
            case UInt8(ascii: "{"): return mapping(depth: depth)
            case UInt8(ascii: "["): return sequence(depth: depth)
            case UInt8(ascii: "\""):
                let mark = self.mark
                return string().map { .scalar(SpecNode.Scalar(string: $0, isPlain: false, mark: mark)) }
            default:
                let mark = self.mark
                return literal().map { .scalar(SpecNode.Scalar(string: $0, isPlain: true, mark: mark)) }
            }
        }

        private mutating func mapping(depth: Int) -> SpecNode? {
            let mark = self.mark
            offset += 1
            var pairs: [(SpecNode, SpecNode)] = []
            var keys: Set<String> = []
            skipWhitespace()
            if consume(UInt8(ascii: "}")) { return .mapping(SpecNode.Mapping(pairs: pairs, mark: mark)) }
            while true {
                guard offset < bytes.count, bytes[offset] == UInt8(ascii: "\"") else { return nil }
                let keyMark = self.mark
                // A repeated key is Yams' to report (with its own message).
                let keyStart = offset
                guard let key = string(), keys.insert(key).inserted else { return nil }
                skipWhitespace()
                guard offset < bytes.count, bytes[offset] == UInt8(ascii: ":") else { return nil }
                // libyaml takes a key for one only when its ':' follows on the same line within
                // 1,024 characters; past that the tree differs, so Yams reads it.
                guard line == keyMark.line, offset - keyStart < 1_000 else { return nil }
                offset += 1
                skipWhitespace()
                guard let value = value(depth: depth + 1) else { return nil }
                pairs.append((.scalar(SpecNode.Scalar(string: key, isPlain: false, mark: keyMark)), value))
                guard let closed = endOfItem(closer: UInt8(ascii: "}")) else { return nil }
                if closed { return .mapping(SpecNode.Mapping(pairs: pairs, mark: mark)) }
            }
        }

        private mutating func sequence(depth: Int) -> SpecNode? {
            let mark = self.mark
            offset += 1
            var items: [SpecNode] = []
            skipWhitespace()
            if consume(UInt8(ascii: "]")) { return .sequence(SpecNode.Sequence(items: items, mark: mark)) }
            while true {
                guard let item = value(depth: depth + 1) else { return nil }
                items.append(item)
                guard let closed = endOfItem(closer: UInt8(ascii: "]")) else { return nil }
                if closed { return .sequence(SpecNode.Sequence(items: items, mark: mark)) }
            }
        }

        /// After a collection's item: `true` at its `closer` (consumed), `false` at a `,`
        /// (consumed, with the whitespace after it), `nil` at anything else.
        private mutating func endOfItem(closer: UInt8) -> Bool? {
            skipWhitespace()
            if consume(closer) { return true }
            guard consume(UInt8(ascii: ",")) else { return nil }
            skipWhitespace()
            return false
        }

        /// Steps over `byte` if it is next.
        private mutating func consume(_ byte: UInt8) -> Bool {
            guard peek(byte) else { return false }
            offset += 1
            return true
        }

        /// A string from its opening quote; `nil` outside the subset.
        private mutating func string() -> String? {
            offset += 1
            let start = offset
            // The common case: no escapes, so the string is the bytes between the quotes.
            while offset < bytes.count {
                let byte = bytes[offset]
                if byte == UInt8(ascii: "\"") {
                    let result = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<offset]), as: UTF8.self)
                    offset += 1
                    return result
                }
                if byte == UInt8(ascii: "\\") { break }
                guard Self.isPrintableASCII(byte) else { return nil }
                offset += 1
            }
            var scalars = String.UnicodeScalarView()
            scalars.append(contentsOf: String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<offset]), as: UTF8.self).unicodeScalars)
            while offset < bytes.count {
                let byte = bytes[offset]
                if byte == UInt8(ascii: "\"") {
                    offset += 1
                    return String(scalars)
                }
                guard Self.isPrintableASCII(byte) else { return nil }
                if byte != UInt8(ascii: "\\") {
                    scalars.append(Unicode.Scalar(byte))
                    offset += 1
                    continue
                }
                guard offset + 1 < bytes.count else { return nil }
                let escape = bytes[offset + 1]
                offset += 2
                if let character = JSONEscape.character(after: escape) {
                    scalars.append(character)
                    continue
                }
                // The one other escape JSON has: \u and four hex digits.
                guard escape == UInt8(ascii: "u"), offset + 4 <= bytes.count else { return nil }
                var value: UInt32 = 0
                for byte in bytes[offset..<offset + 4] {
                    guard let digit = Hex.digitValue(byte) else { return nil }
                    value = value << 4 | UInt32(digit)
                }
                offset += 4
                // NUL and surrogates (JSON's pairs are errors to libyaml) are Yams' to read.
                guard value != 0, let scalar = Unicode.Scalar(value) else { return nil }
                scalars.append(scalar)
            }
            return nil
        }

        /// `true`, `false`, `null` or a number, as written; `nil` for anything else.
        private mutating func literal() -> String? {
            let start = offset
            for word in ["true", "false", "null"] where matches(word) {
                offset += word.utf8.count
                return word
            }
            // JSON's number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
            if peek(UInt8(ascii: "-")) { offset += 1 }
            if peek(UInt8(ascii: "0")) {
                offset += 1
            } else if digits() == 0 {
                return nil
            }
            if peek(UInt8(ascii: ".")) {
                offset += 1
                guard digits() > 0 else { return nil }
            }
            if peek(UInt8(ascii: "e")) || peek(UInt8(ascii: "E")) {
                offset += 1
                if peek(UInt8(ascii: "+")) || peek(UInt8(ascii: "-")) { offset += 1 }
                guard digits() > 0 else { return nil }
            }
            // A number runs into the next token only through a delimiter.
            if offset < bytes.count, !Self.endsLiteral(bytes[offset]) { return nil }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<offset]), as: UTF8.self)
        }

        private func matches(_ word: String) -> Bool {
            let count = word.utf8.count
            guard offset + count <= bytes.count, word.utf8.elementsEqual(bytes[offset..<offset + count]) else { return false }
            return offset + count == bytes.count || Self.endsLiteral(bytes[offset + count])
        }

        private func peek(_ byte: UInt8) -> Bool { offset < bytes.count && bytes[offset] == byte }

        private mutating func digits() -> Int {
            let start = offset
            while offset < bytes.count, bytes[offset] >= UInt8(ascii: "0"), bytes[offset] <= UInt8(ascii: "9") { offset += 1 }
            return offset - start
        }

        private static func endsLiteral(_ byte: UInt8) -> Bool {
            switch byte {
            case UInt8(ascii: ","), UInt8(ascii: "]"), UInt8(ascii: "}"), UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"): true
            default: false
            }
        }

        private static func isPrintableASCII(_ byte: UInt8) -> Bool { byte >= 0x20 && byte < 0x7F }
    }
}
