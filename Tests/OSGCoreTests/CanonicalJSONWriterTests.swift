import Foundation
import OSGCore
import OSGDomain
import Testing

/// The fast canonical JSON writer behind the state digest must give `JSONEncoder`'s bytes
/// exactly (the digest is published and pinned by tests), or decline.
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

    @Test("escapes, Unicode, awkward key orders and integers come out as JSONEncoder writes them")
    func trickyValues() throws {
        let strings = ["", "a/b", "quote \" back \\ slash", "tab\tline\nret\r", "\u{0}\u{1}\u{1f}\u{7f}", "é漢字😇", "\u{2028}\u{2029}", "node-9", "node-10"]
        var keyed: [String: Int] = [:]
        for (index, key) in (strings + ["B", "a", "_x", "Z", "ab", "a_b", "aB", "10", "9", "node-10a", "Node-9", "NODE-9"]).enumerated() { keyed[key] = index }
        let value = Tricky(
            plain: "gpu-node-0001", escaped: strings, keyed: keyed, numbers: [.min, -1, 0, 1, .max], unsigned: [0, .max],
            flag: false, absent: nil, present: 7, nested: [[:], ["x": [], "y": [0, 255]]])
        #expect(CanonicalJSONWriter.bytes(of: value) == CanonicalEncoding.bytes(of: value))
    }

    @Test("floating point and Foundation types are left to JSONEncoder")
    func declines() {
        struct Floating: Codable { var ratio: Double }
        struct Dated: Codable { var data: Data }
        #expect(CanonicalJSONWriter.bytes(of: Floating(ratio: 0.1)) == nil)
        #expect(CanonicalJSONWriter.bytes(of: Dated(data: Data([1, 2, 3]))) == nil)
    }

    @Test("every test log's canonical state gives JSONEncoder's bytes", arguments: 0..<6)
    func stateSnapshots(seed: Int) throws {
        for (genesis, entries) in try StateSnapshotTests.logs(seed: seed) {
            let (state, _) = StateSnapshotTests.replay(genesis, entries)
            let expected = CanonicalEncoding.bytes(of: state.snapshot)
            #expect(CanonicalJSONWriter.bytes(of: state.snapshot) == expected)
            #expect(state.digest == CanonicalEncoding.sha256Hex(expected))
        }
    }
}
