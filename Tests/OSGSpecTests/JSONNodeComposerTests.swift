import OSGDomain
@testable import OSGSpec
import Testing
import Yams

/// The JSON shortcut must compose exactly the tree Yams composes (structure, scalar strings and
/// styles, every mark), or decline and leave the text to Yams.
@Suite("JSON specs composed without libyaml agree with Yams")
struct JSONNodeComposerTests {
    /// A tree in words: what `SpecTreeWalker` reads of it (kinds, strings, quoting, marks).
    static func describe(_ node: SpecNode) -> String {
        func at(_ mark: SpecMark?) -> String { mark.map { "@\($0.line):\($0.column)" } ?? "@-" }
        switch node {
        case .scalar(let scalar):
            return "S\(at(scalar.mark))\(scalar.isPlain ? "plain" : "quoted")\(scalar.string.debugDescription)"
        case .mapping(let mapping):
            return "M\(at(mapping.mark)){" + mapping.map { "\(describe($0.0)): \(describe($0.1))" }.joined(separator: ", ") + "}"
        case .sequence(let sequence):
            return "Q\(at(sequence.mark))[" + sequence.map(describe).joined(separator: ", ") + "]"
        case .alias(let mark):
            return "A\(at(mark))"
        }
    }

    /// Yams' tree, or `nil` when Yams refuses the text.
    static func yams(_ text: String) -> String? {
        (try? Yams.compose(yaml: text, .default, .default, .utf8)).flatMap { $0 }.map { describe(SpecNode($0)) }
    }

    /// Checks the contract on one text: where the shortcut composes, Yams composes the same.
    static func expectAgreement(_ text: String, seed: UInt64, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let composed = JSONNodeComposer.compose(text) else { return }
        #expect(describe(composed) == yams(text), "seed \(seed): \(text.debugDescription)", sourceLocation: sourceLocation)
    }

    @Test("random JSON documents in many layouts: the shortcut composes them, as Yams does", arguments: 0..<400)
    func randomDocuments(seed: UInt64) throws {
        var generator = JSONDocumentGenerator(seed: seed)
        let text = generator.document()
        let composed = try #require(JSONNodeComposer.compose(text), "seed \(seed): the shortcut declined \(text.debugDescription)")
        #expect(Self.describe(composed) == Self.yams(text), "seed \(seed): \(text.debugDescription)")
    }

    @Test("damaged documents: the shortcut declines or agrees, never differs", arguments: 0..<400)
    func damagedDocuments(seed: UInt64) {
        var generator = JSONDocumentGenerator(seed: seed &+ 1_000_000)
        var bytes = Array(generator.document().utf8)
        let inserts: [String] = [":", ",", "#", "\t", "\u{85}", "\u{2028}", "-", "'", "\"", "{", "}", "[", "]", "\n", "\\", "é", "\r", "?", "&a ", "!!str ", "*a", "0", "e"]
        for _ in 0..<1 + Int(generator.random.next(below: 3)) {
            let position = Int(generator.random.next(below: UInt64(bytes.count + 1)))
            switch generator.random.next(below: 3) {
            case 0 where position < bytes.count: bytes.remove(at: position)
            case 1 where position < bytes.count: bytes.insert(contentsOf: bytes[position...].prefix(6), at: position)
            default: bytes.insert(contentsOf: Array(inserts[Int(generator.random.next(below: UInt64(inserts.count)))].utf8), at: position)
            }
        }
        Self.expectAgreement(String(decoding: bytes, as: UTF8.self), seed: seed)
    }

    @Test("texts outside the subset are left to Yams", arguments: [
        #"{"a": 1, "a": 2}"#,                           // a repeated key: Yams reports it
        #"{"a": "\ud83d\ude00"}"#,                       // surrogate escapes: libyaml refuses them
        "{\"a\":\t1}",                                   // a tab between tokens
        #"{"a": "caf\#u{E9}"}"#,                          // non-ASCII text
        "{\"a\"\n: 1}",                                  // a key's ':' on the next line
        #"{"a": "\u0000"}"#,                             // NUL
        #"{"a": 1} {"b": 2}"#,                           // two values
        #"{"a": 01}"#, #"{"a": 1.}"#, #"{"a": tru}"#, #"{"a": "x\q"}"#,   // not JSON
        "{\"" + String(repeating: "k", count: 1_100) + "\": 1}",         // a key past 1,024 characters
    ])
    func declined(text: String) {
        #expect(JSONNodeComposer.compose(text) == nil)
    }

    @Test("escapes, numbers and line ends read as Yams reads them", arguments: [
        #"{"s": "a\"b\\c\/d\be\ff\ng\rh\ti\u00e9\u4e2dj"}"#,
        #"{"n": [-0, 0, 12, -3.25, 1e9, 2E-3, 4.5e+6], "b": [true, false, null], "e": {}, "q": []}"#,
        "{\r\n  \"a\": [\r\n    1,\r    2\n  ],\n\"b\":\"c\"}",
        "  \n {\"a\":{\"b\":[{\"c\":\"d\"}]}}\n\n",
        #"["top", "level", 1]"#, #""just a string""#, "42",
    ])
    func edges(text: String) throws {
        let composed = try #require(JSONNodeComposer.compose(text))
        #expect(Self.describe(composed) == Self.yams(text))
    }

    @Test("the reader gives the same spec or the same problems, located alike, both ways", arguments: [
        #"{"name": "j", "image": "i", "command": ["sh", "-c", "echo \"hi\""], "resources": {"gpu": {"model": "H100", "count": 2}}, "duration": "1h", "max_price": 2.5}"#,
        #"{"name": "j", "image": "i", "resources": {"gpu": {"count": true}}, "duration": "1h", "max_price": 1}"#,
        "{\n  \"name\": \"j\",\n  \"resources\": {\"gpu\": {\"model\": \"H10\", \"count\": 1}},\n  \"duration\": \"90x\",\n  \"max_price\": \"1\",\n  \"colour\": 3\n}",
        #"{"name": "j", "resources": {"gpu": {"count": 1}}, "duration": "2h", "max_duration": "1h", "max_price": 1, "env": {"A": "1", "B": null}}"#,
    ])
    func readerAgrees(text: String) throws {
        let now = Timestamp(rfc3339: "2026-11-23T00:00:00Z")!
        #expect(JSONNodeComposer.compose(text) != nil)
        let shortcut = JobSpecReader.read(text, now: now)
        let viaYams = JobSpecReader.read(try #require(try Yams.compose(yaml: text)), now: now)
        #expect(shortcut.spec == viaYams.spec)
        #expect(shortcut.problems.map { "\($0.field) \($0.code) \($0.line ?? 0):\($0.column ?? 0) \($0.message)" }
            == viaYams.problems.map { "\($0.field) \($0.code) \($0.line ?? 0):\($0.column ?? 0) \($0.message)" })
    }
}

/// Random JSON documents within the shortcut's subset, in random layouts (compact, spaced,
/// pretty with LF, CR LF or CR line ends), with every escape and number form.
struct JSONDocumentGenerator {
    var random: SplitMix64

    init(seed: UInt64) { random = SplitMix64(seed: seed) }

    private mutating func pick<T>(_ options: [T]) -> T { options[Int(random.next(below: UInt64(options.count)))] }

    private mutating func space() -> String {
        pick(["", "", " ", "  ", "\n", "\r\n", "\r", "\n    ", " \n  "])
    }

    private mutating func string() -> String {
        let pieces = ["a", "Z", "0", " ", "name", "-", "_", ":", "#", "{", "}", "[", "]", ",", "'", "&", "*", "!", "%", "@", "`", "|", ">", "?",
                      "\\\"", "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t", "\\u00e9", "\\u4E2D", "\\u0041", "\\u001f", "\\u2028", "\\u0085",
                      "true", "null", "1", "- ", ": ", " #"]
        let count = Int(random.next(below: 6))
        return "\"" + (0..<count).map { _ in pick(pieces) }.joined() + "\""
    }

    /// A key distinct from the mapping's others (a repeated key is Yams' to report).
    private mutating func key(index: Int) -> String {
        "\"" + pick(["k", "name", "a b", "x-y", "_", "#", ":", "é"]).replacingOccurrences(of: "é", with: "\\u00e9") + "\(index)\""
    }

    private mutating func number() -> String {
        pick(["0", "-0", "7", "-12", "1234567890123", "3.5", "-0.25", "1e3", "2E+7", "6.02e-23", "9223372036854775807", "99999999999999999999"])
    }

    private mutating func value(depth: Int) -> String {
        switch random.next(below: depth >= 4 ? 3 : 5) {
        case 0: return string()
        case 1: return number()
        case 2: return pick(["true", "false", "null"])
        case 3:
            let keys = (0..<Int(random.next(below: 4))).map { key(index: $0) }
            let entries = keys.map { key in key + space().replacingOccurrences(of: "\n", with: "").replacingOccurrences(of: "\r", with: "")
                + ":" + space() + value(depth: depth + 1) }
            return "{" + space() + entries.joined(separator: space() + "," + space()) + space() + "}"
        default:
            let items = (0..<Int(random.next(below: 4))).map { _ in value(depth: depth + 1) }
            return "[" + space() + items.joined(separator: space() + "," + space()) + space() + "]"
        }
    }

    /// A document whose root is a mapping, as a spec's is.
    mutating func document() -> String {
        let keys = (0..<1 + Int(random.next(below: 5))).map { key(index: $0) }
        let entries = keys.map { "\($0):" + space() + value(depth: 1) }
        return space() + "{" + space() + entries.joined(separator: "," + space()) + space() + "}" + space()
    }
}
