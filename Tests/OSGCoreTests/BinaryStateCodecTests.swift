import OSGCore
import OSGDomain
import Testing

/// The binary `Codable` codec of format-2 snapshots: round trips, deterministic bytes, and
/// strict, never-trapping decoding of damaged bytes.
@Suite("Binary state codec")
struct BinaryStateCodecTests {
    enum Kind: String, Codable, Hashable { case small, large }

    struct Inner: Codable, Hashable {
        var name: String
        var kind: Kind
        var ratio: Double
        var tiny: Int8
        var wide: UInt32
    }

    struct Sample: Codable, Hashable {
        var signed: Int64
        var unsigned: UInt64
        var count: Int
        var flag: Bool
        var text: String
        var missing: String?
        var present: Int?
        var numbers: [UInt64]
        var byName: [String: Inner]
        /// `Int` keys go through a keyed container (sorted); an `Int64`-keyed dictionary would not
        /// (the standard library encodes it as a hash-ordered list, as for `JSONEncoder`).
        var byHour: [Int: [String]]
        var nested: [[Int]]
        var empty: [String: Int]
    }

    static func sample(order reversed: Bool = false) -> Sample {
        var byName: [String: Inner] = [:]
        var names = (0..<40).map { "node-\($0)-é" }
        if reversed { names.reverse() }
        for name in names {
            byName[name] = Inner(name: name, kind: name.count % 2 == 0 ? .small : .large, ratio: Double(name.count) / 3, tiny: -8, wide: 70_000)
        }
        var byHour: [Int: [String]] = [:]
        for hour in (reversed ? Array((-5...30).reversed()) : Array(-5...30)) { byHour[hour * 3_600] = ["h\(hour)"] }
        return Sample(
            signed: .min, unsigned: .max, count: -1, flag: true, text: "", missing: nil, present: 0,
            numbers: [0, 1, 127, 128, 300, .max], byName: byName, byHour: byHour, nested: [[], [1, -1], [.max, .min]], empty: [:])
    }

    @Test("values round-trip and the same value gives the same bytes whatever its dictionaries' history")
    func roundTripDeterministic() throws {
        let value = Self.sample()
        let bytes = try BinaryStateEncoder.encode(value)
        #expect(try BinaryStateDecoder.decode(Sample.self, from: bytes) == value)
        // Another insertion order (other hash-table layout) encodes to the same bytes.
        let other = Self.sample(order: true)
        #expect(other == value)
        #expect(try BinaryStateEncoder.encode(other) == bytes)
        #expect(try BinaryStateEncoder.encode(try BinaryStateDecoder.decode(Sample.self, from: bytes)) == bytes)
    }

    @Test("every truncation and every single-byte change of an encoded value is refused or decodes, never traps")
    func malformedValues() throws {
        let value = Self.sample()
        let bytes = try BinaryStateEncoder.encode(value)
        for length in 0..<bytes.count {
            #expect(throws: DecodingError.self, "truncated to \(length) bytes") {
                _ = try BinaryStateDecoder.decode(Sample.self, from: bytes.prefix(length))
            }
        }
        #expect(throws: DecodingError.self) { _ = try BinaryStateDecoder.decode(Sample.self, from: bytes + [0]) }
        var random = SplitMix64(seed: 11)
        for _ in 0..<2_000 {
            var damaged = bytes
            let index = Int.random(in: 0..<damaged.count, using: &random)
            damaged[index] ^= UInt8.random(in: 1...255, using: &random)
            // A changed value may still decode (another number, another key; like JSONDecoder,
            // keys no field asks for are ignored and `Int` dictionary keys are parsed, so "+5"
            // reads as 5): it then re-encodes to bytes that decode to the same value.
            if let decoded = try? BinaryStateDecoder.decode(Sample.self, from: damaged) {
                #expect(try BinaryStateDecoder.decode(Sample.self, from: BinaryStateEncoder.encode(decoded)) == decoded, "byte \(index) changed")
            }
        }
    }

    @Test("non-minimal numbers, unsorted keys, bad UTF-8 and oversized lengths are refused")
    func strictness() throws {
        struct One: Codable, Equatable { var a: UInt64 }
        struct Two: Codable, Equatable { var a: UInt64; var b: UInt64 }
        // Key table ["a"], then {0: 1}.
        #expect(try BinaryStateEncoder.encode(One(a: 1)) == [1, 1, 0x61, 7, 4, 1, 0, 3, 1])
        #expect(try BinaryStateDecoder.decode(One.self, from: [1, 1, 0x61, 7, 4, 1, 0, 3, 1]) == One(a: 1))
        // 1 as a two-byte varint.
        #expect(throws: DecodingError.self) { _ = try BinaryStateDecoder.decode(One.self, from: [1, 1, 0x61, 7, 5, 1, 0, 3, 0x81, 0]) }
        // A key index outside the table.
        #expect(throws: DecodingError.self) { _ = try BinaryStateDecoder.decode(One.self, from: [1, 1, 0x61, 7, 4, 1, 1, 3, 1]) }
        // Keys out of order, in a container and in the table.
        #expect(try BinaryStateEncoder.encode(Two(a: 1, b: 2)) == [2, 1, 0x61, 1, 0x62, 7, 7, 2, 0, 3, 1, 1, 3, 2])
        #expect(throws: DecodingError.self) { _ = try BinaryStateDecoder.decode(Two.self, from: [2, 1, 0x61, 1, 0x62, 7, 7, 2, 1, 3, 2, 0, 3, 1]) }
        #expect(throws: DecodingError.self) { _ = try BinaryStateDecoder.decode(Two.self, from: [2, 1, 0x62, 1, 0x61, 7, 7, 2, 0, 3, 1, 1, 3, 2]) }
        // A string that is not UTF-8.
        #expect(throws: DecodingError.self) { _ = try BinaryStateDecoder.decode(String.self, from: [0, 5, 2, 0xc3, 0x28]) }
        // A list announcing more elements or bytes than remain.
        #expect(throws: DecodingError.self) { _ = try BinaryStateDecoder.decode([UInt64].self, from: [0, 8, 2, 9, 3, 1]) }
        #expect(throws: DecodingError.self) { _ = try BinaryStateDecoder.decode([UInt64].self, from: [0, 8, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 3, 1]) }
        // A signed value where an unsigned one is expected, and one too large for its type.
        #expect(throws: DecodingError.self) { _ = try BinaryStateDecoder.decode(UInt64.self, from: [0, 4, 2]) }
        #expect(throws: DecodingError.self) { _ = try BinaryStateDecoder.decode(UInt8.self, from: [0, 3, 0x80, 2]) }
        #expect(try BinaryStateDecoder.decode(UInt8.self, from: [0, 3, 0x7f]) == 127)
    }

    final class Chain: Codable {
        var next: Chain?
        init(next: Chain?) { self.next = next }
    }

    @Test("nesting deeper than the limit is refused, not a stack overflow")
    func depthLimit() throws {
        var chain: Chain? = nil
        for _ in 0..<(BinaryStateDecoder.maximumDepth + 10) { chain = Chain(next: chain) }
        let bytes = try BinaryStateEncoder.encode(chain!)
        #expect(throws: DecodingError.self) { _ = try BinaryStateDecoder.decode(Chain.self, from: bytes) }
        var shallow: Chain? = nil
        for _ in 0..<20 { shallow = Chain(next: shallow) }
        #expect(try BinaryStateEncoder.encode(BinaryStateDecoder.decode(Chain.self, from: BinaryStateEncoder.encode(shallow!))) == BinaryStateEncoder.encode(shallow!))
    }

    @Test("a small snapshot's body truncated at every byte is refused with a coded error; random changes never trap")
    func damagedSnapshotBodies() throws {
        var workload = CommandLogWorkload(seed: 5, operators: 1, nodesPerOperator: 3, tenants: 2)
        let entries = workload.entries(count: 60)
        var state = CoordinatorState(genesis: CommandLogWorkload.genesis)
        for entry in entries { _ = state.apply(entry) }
        let bytes = try StateSnapshot.encode(state)
        let header = Array(bytes[..<90])
        let body = Array(bytes[90...])
        #expect(body.count > 500)
        /// Whether the damaged body is refused. One that is accepted (a changed field outside the
        /// digest, such as the next account id, or an ignored key) has passed every check.
        func refused(_ damaged: [UInt8]) -> Bool {
            do {
                _ = try StateSnapshot.decode(StateSnapshot.rewrapForTests(header: header, body: damaged), genesis: CommandLogWorkload.genesis)
                return false
            } catch {
                return true
            }
        }
        #expect(!refused(body))
        for length in 0..<body.count {
            #expect(refused(Array(body.prefix(length))), "body truncated to \(length) bytes")
        }
        var random = SplitMix64(seed: 3)
        for _ in 0..<1_000 {
            var damaged = body
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                damaged[Int.random(in: 0..<damaged.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
            }
            _ = refused(damaged)
        }
    }
}
