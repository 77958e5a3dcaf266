import Foundation
import OSGCore
import OSGDomain
import Testing

/// Snapshots of the coordinator state: round trips, snapshot + log tail = full replay, and
/// refusal (never a crash) of damaged bytes.
@Suite("State snapshots")
struct StateSnapshotTests {
    /// The random logs of `ReplayPropertyTests` and the realistic workload of `osg log bench`.
    static func logs(seed: Int) throws -> [(genesis: Genesis, entries: [LogEntry])] {
        var generator = CommandSequenceGenerator(seed: UInt64(seed))
        let random = try generator.log(length: 400)
        var workload = CommandLogWorkload(seed: UInt64(seed), operators: 4, nodesPerOperator: 5, tenants: 8)
        return [(random.genesis, random.entries), (CommandLogWorkload.genesis, workload.entries(count: 1_500))]
    }

    static func replay(_ genesis: Genesis, _ entries: some Sequence<LogEntry>, from start: CoordinatorState? = nil) -> (CoordinatorState, [[Event]]) {
        var state = start ?? CoordinatorState(genesis: genesis)
        let events = entries.map { state.apply($0) }
        return (state, events)
    }

    @Test("derived caches are left out of the body; every other stored property is in it")
    func derivedCachesLeftOut() throws {
        let (genesis, entries) = try Self.logs(seed: 1)[1]
        let (state, _) = Self.replay(genesis, entries)
        // The JSON body (version 1) shows the same `Codable` form the binary body (version 2) holds.
        let bytes = try StateSnapshot.encode(state, formatVersion: 1)
        let body = try #require(try JSONSerialization.jsonObject(with: Data(bytes[Self.headerSize...])) as? [String: Any])
        #expect((body["runningTotals"] as? [String: Any])?.isEmpty == true)
        #expect((body["sortedNodeIDs"] as? [String: Any])?.isEmpty == true)
        // Every stored property is in the body, but for optionals that are nil.
        let stored = Mirror(reflecting: state).children.compactMap { child -> String? in
            guard let label = child.label else { return nil }
            let value = Mirror(reflecting: child.value)
            if value.displayStyle == .optional, value.children.isEmpty { return nil }
            return label.hasPrefix("_") ? String(label.dropFirst()) : label
        }
        #expect(Set(body.keys) == Set(stored))
        #expect((body["nodes"] as? [String: Any])?.count == state.nodes.count)
    }

    @Test("a snapshot decodes to a state with the same digest and encodes to the same bytes (both format versions)", arguments: 0..<6)
    func roundTrip(seed: Int) throws {
        for (genesis, entries) in try Self.logs(seed: seed) {
            let (state, _) = Self.replay(genesis, entries)
            for version in StateSnapshot.readableFormatVersions {
                let bytes = try StateSnapshot.encode(state, formatVersion: version)
                let header = try StateSnapshot.header(of: bytes)
                #expect(header.formatVersion == version)
                let restored = try StateSnapshot.decode(bytes, genesis: genesis)
                #expect(restored.digest == state.digest)
                #expect(restored.snapshot == state.snapshot)
                #expect(try StateSnapshot.encode(restored, formatVersion: version) == bytes)
            }
            let bytes = try StateSnapshot.encode(state)
            let header = try StateSnapshot.header(of: bytes)
            #expect(header.formatVersion == 2)
            #expect(header.sequence == state.nextSequence)
            #expect(header.digest == state.digest)
            let restored = try StateSnapshot.decode(bytes, genesis: genesis)
            #expect(restored.digest == state.digest)
            #expect(restored.snapshot == state.snapshot)
            // Deterministic: the restored state (other dictionary histories) gives the same bytes.
            #expect(try StateSnapshot.encode(restored) == bytes)
        }
    }

    @Test("a snapshot taken mid-log plus the log tail equals the full replay, digest and events", arguments: 0..<6)
    func snapshotPlusTail(seed: Int) throws {
        for (genesis, entries) in try Self.logs(seed: seed) {
            let (full, fullEvents) = Self.replay(genesis, entries)
            for cut in [1, entries.count / 3, entries.count / 2 + seed * 7, entries.count - 1] {
                let (prefix, prefixEvents) = Self.replay(genesis, entries[..<cut])
                // Version 1 (JSON) at one cut: older stores' snapshots resume the same way.
                let version: UInt16 = cut == entries.count / 3 ? 1 : StateSnapshot.formatVersion
                let restored = try StateSnapshot.decode(try StateSnapshot.encode(prefix, formatVersion: version), genesis: genesis)
                let (resumed, tailEvents) = Self.replay(genesis, entries[cut...], from: restored)
                #expect(resumed.digest == full.digest, "cut at \(cut) of \(entries.count)")
                #expect(prefixEvents + tailEvents == fullEvents, "cut at \(cut) of \(entries.count)")
            }
        }
    }

    @Test("damaged, truncated or foreign bytes are refused with a coded error, never a crash")
    func damagedBytes() throws {
        for version in StateSnapshot.readableFormatVersions {
            try damagedBytes(version: version)
        }
    }

    func damagedBytes(version formatVersion: UInt16) throws {
        let (genesis, entries) = try Self.logs(seed: 3)[0]
        let (state, _) = Self.replay(genesis, entries)
        let bytes = try StateSnapshot.encode(state, formatVersion: formatVersion)
        func code(_ damaged: [UInt8], genesis: Genesis = genesis) -> SnapshotErrorCode? {
            do {
                _ = try StateSnapshot.decode(damaged, genesis: genesis)
                return nil
            } catch {
                return error.code
            }
        }
        #expect(code([]) == .malformed)
        #expect(code(Array(bytes.prefix(89))) == .malformed)
        #expect(code(Array(bytes.dropLast())) == .malformed)
        var magic = bytes
        magic[0] = UInt8(ascii: "X")
        #expect(code(magic) == .malformed)
        var version = bytes
        version[9] = 9
        #expect(code(version) == .unsupportedVersion)
        var body = bytes
        body[bytes.count / 2] ^= 0x40
        #expect(code(body) == .checksumMismatch)
        var digest = bytes
        digest[20] ^= 0x01
        #expect(code(digest) == .digestMismatch)
        var sequence = bytes
        sequence[17] ^= 0x01
        #expect(code(sequence) == .malformed)
        #expect(code(bytes, genesis: Genesis(governanceID: "someone-else", heartbeatTimeoutSeconds: 5)) == .genesisMismatch)
        // Every prefix length class and random single-byte damage: an error each time.
        var random = SplitMix64(seed: 7)
        for _ in 0..<200 {
            var damaged = bytes
            let index = Int.random(in: 0..<damaged.count, using: &random)
            damaged[index] ^= UInt8.random(in: 1...255, using: &random)
            #expect(code(damaged) != nil, "byte \(index) changed")
            #expect(code(Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &random)))) != nil)
        }
    }

    @Test("a well-formed body that breaks the state's invariants is refused as inconsistent")
    func inconsistentBody() throws {
        let (genesis, entries) = try Self.logs(seed: 2)[1]
        let (state, _) = Self.replay(genesis, entries)
        let running = try #require(state.runningLeaseOfOrder.first)
        // Re-wrap a body whose escrows no longer match the running leases, with a valid checksum
        // (a JSON body, version 1, is easy to edit; the binary one is edited below).
        let bytes = try StateSnapshot.encode(state, formatVersion: 1)
        let text = String(decoding: bytes[StateSnapshotTests.headerSize...], as: UTF8.self)
        let damaged = text.replacingOccurrences(of: "\"\(running.value)\":[", with: "\"x\(running.value)\":[")
        #expect(damaged != text)
        let rewrapped = StateSnapshot.rewrapForTests(header: Array(bytes[..<StateSnapshotTests.headerSize]), body: Array(damaged.utf8))
        #expect(throws: SnapshotError.self) { _ = try StateSnapshot.decode(rewrapped, genesis: genesis) }

        // The binary body: rename the running lease's escrow key in the key table (same length;
        // refused as unsorted, malformed or inconsistent — a coded error either way).
        let binary = try StateSnapshot.encode(state)
        let body = Array(binary[StateSnapshotTests.headerSize...])
        let key = Array(running.value.utf8)
        let escrowKey = try #require(Self.escrowKeyOffset(in: body, key: key))
        var edited = body
        edited[escrowKey] = UInt8(ascii: "~")
        let rewrappedBinary = StateSnapshot.rewrapForTests(header: Array(binary[..<StateSnapshotTests.headerSize]), body: edited)
        #expect(throws: SnapshotError.self) { _ = try StateSnapshot.decode(rewrappedBinary, genesis: genesis) }
    }

    /// The offset of the last occurrence of `key` length-prefixed (in the key table, where escrows are keyed).
    static func escrowKeyOffset(in body: [UInt8], key: [UInt8]) -> Int? {
        guard key.count < 128 else { return nil }
        var found: Int?
        for start in 1..<(body.count - key.count) where body[start - 1] == UInt8(key.count) {
            if Array(body[start..<start + key.count]) == key { found = start }
        }
        return found
    }

    static let headerSize = 90
}
