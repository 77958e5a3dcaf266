import Testing
@testable import OSGMarket

@Suite("Byte order of ids")
struct UTF8ByteOrderTests {
    /// Strings that differ in length, share prefixes, hold non-ASCII and decomposed scalars
    /// (byte order and String's own `<` disagree on some of them), and exceed the small-string size.
    static let samples: [String] = [
        "", "a", "b", "ab", "abc", "abd", "job-10", "job-9", "job-100", "Job-1", "z", "é", "e\u{301}",
        "ü", "u\u{308}", "日本", "日", "\u{10FFFF}", "\u{7F}", "\u{80}", "order-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "order-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", "order-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", String(repeating: "x", count: 15),
        String(repeating: "x", count: 16), String(repeating: "x", count: 17),
    ]

    @Test("agrees with comparing the UTF-8 views on every pair")
    func agreesWithUTF8Views() {
        for a in Self.samples {
            for b in Self.samples {
                #expect(UTF8ByteOrder.precedes(a, b) == a.utf8.lexicographicallyPrecedes(b.utf8), "\(a) vs \(b)")
            }
        }
    }

    @Test("sorts like the UTF-8 views, including substrings' copies")
    func sortsLikeUTF8Views() {
        let words = Self.samples + Self.samples.map { String($0.dropFirst()) }
        #expect(words.sorted(by: UTF8ByteOrder.precedes) == words.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
    }
}
