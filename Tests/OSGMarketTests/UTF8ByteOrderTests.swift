import Testing
import OSGDomain
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

    @Test("prefix keys order every pair as the bytes do, or tie", arguments: [0, 1, 2, 3])
    func prefixKeys(seed: UInt64) {
        var random = SplitMix64(seed: seed &* 104_729 &+ 17)
        // Random ids around the 8- and 16-byte key boundaries, with zero bytes and shared prefixes.
        let alphabet: [String] = ["\u{0}", "0", "1", "9", "-", "a", "j", "é", "日"]
        var words = Self.samples + ["job-12345678901", "job-12345678902", "job-1234567890", "a\u{0}", "a\u{0}\u{0}"]
        for _ in 0..<300 {
            let length = Int(random.next() % 20)
            words.append((0..<length).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] }.joined())
        }
        for a in words {
            for b in words {
                let (left, right) = (UTF8ByteOrder.PrefixKey(a), UTF8ByteOrder.PrefixKey(b))
                if left != right {
                    #expect((left < right) == a.utf8.lexicographicallyPrecedes(b.utf8), "seed \(seed): \(a.debugDescription) vs \(b.debugDescription)")
                }
            }
        }
        var sorted = words
        UTF8ByteOrder.sort(&sorted) { $0 }
        #expect(sorted == words.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }, "seed \(seed)")
    }
}
