import Foundation
import OSGCore
import OSGDomain
import Testing

/// Canonical JSON (docs/TRANSPARENCY_LOG.md, "Canonical JSON"): RFC 8785 rules for the values
/// the state holds, written by our own code so the state digest does not depend on a JSON library.
@Suite("Canonical JSON writer")
struct CanonicalJSONWriterTests {
    struct Tricky: Codable {
        var plain: String
        var escaped: [String]
        var keyed: [String: Int]
        var numbers: [Int64]
        var unsigned: [UInt64]
        var flag: Bool
        var absent: String?
        var present: Int?
        var nested: [[String: [UInt8]]]
    }

    @Test("known answer: escapes, Unicode, keys in UTF-16 order, exact integers, absent optionals left out")
    func knownAnswer() throws {
        let strings = ["", "a/b", "quote \" back \\ slash", "tab\tline\nret\r", "\u{0}\u{1}\u{1f}\u{7f}", "\u{8}\u{c}", "é漢字😇", "\u{2028}\u{2029}"]
        // UTF-16 order puts 😀 (D83D DE00) before ﬁ (FB01); code-point or UTF-8 order would not.
        let keys = ["ﬁ", "😀", "a", "B", "é", "10", "9"]
        let value = Tricky(
            plain: "gpu-node-0001", escaped: strings, keyed: Dictionary(uniqueKeysWithValues: keys.enumerated().map { ($1, $0) }),
            numbers: [.min, -1, 0, 1, .max], unsigned: [0, .max], flag: false, absent: nil, present: 7, nested: [[:], ["y": [0, 255], "x": []]])
        let expected = #"{"escaped":["","a/b","quote \" back \\ slash","tab\tline\nret\r","\u0000\u0001\u001f\#u{7f}","\b\f","é漢字😇","\#u{2028}\#u{2029}"],"#
            + #""flag":false,"keyed":{"10":5,"9":6,"B":3,"a":2,"é":4,"😀":1,"ﬁ":0},"nested":[{},{"x":[],"y":[0,255]}],"#
            + #""numbers":[-9223372036854775808,-1,0,1,9223372036854775807],"plain":"gpu-node-0001","present":7,"unsigned":[0,18446744073709551615]}"#
        let written = try #require(CanonicalJSONWriter.bytes(of: value))
        #expect(String(decoding: written, as: UTF8.self) == expected)
        // And it is JSON that says the same as JSONEncoder's.
        let ours = try JSONSerialization.jsonObject(with: Data(written)) as? NSDictionary
        let theirs = try JSONSerialization.jsonObject(with: JSONEncoder().encode(value)) as? NSDictionary
        #expect(ours == theirs)
    }

    @Test("floating point and Foundation types have no canonical form")
    func declines() {
        struct Floating: Codable { var ratio: Double }
        struct Dated: Codable { var data: Data }
        #expect(CanonicalJSONWriter.bytes(of: Floating(ratio: 0.1)) == nil)
        #expect(CanonicalJSONWriter.bytes(of: Dated(data: Data([1, 2, 3]))) == nil)
    }

    @Test("every test log's canonical state is JSON equal to JSONEncoder's, and its SHA-256 is the state digest", arguments: 0..<6)
    func stateSnapshots(seed: Int) throws {
        for (genesis, entries) in try StateSnapshotTests.logs(seed: seed) {
            let (state, _) = StateSnapshotTests.replay(genesis, entries)
            let bytes = try #require(CanonicalJSONWriter.bytes(of: state.snapshot), "seed \(seed)")
            let ours = try JSONSerialization.jsonObject(with: Data(bytes)) as? NSDictionary
            let theirs = try JSONSerialization.jsonObject(with: JSONEncoder().encode(state.snapshot)) as? NSDictionary
            #expect(ours == theirs, "seed \(seed)")
            #expect(state.digest == CanonicalEncoding.sha256Hex(bytes))
        }
    }
}
