import Crypto
import Foundation
import OSGCore
import OSGDomain
import Testing

/// Segmented (format 3) snapshots: they decode to the state they were taken of, an incremental
/// snapshot is exactly the snapshot encoded afresh (reuse never changes a byte), a snapshot
/// plus the log after it equals a full replay, and damage is refused, never trapped on.
@Suite("Segmented state snapshots")
struct SegmentedSnapshotTests {
    /// Every segment body of `outputs` by hash, as a store would hold them.
    static func store(_ outputs: [StateSegmenter.Output]) -> [[UInt8]: [UInt8]] {
        var segments: [[UInt8]: [UInt8]] = [:]
        for output in outputs { for segment in output.newSegments { segments[segment.hash] = segment.body } }
        return segments
    }

    @Test("a segmented snapshot decodes to the same state; one built on it after more entries is byte for byte the fresh one", arguments: 0..<4)
    func incrementalEqualsFresh(seed: Int) throws {
        for (genesis, entries) in try StateSnapshotTests.logs(seed: seed) {
            let cuts = [entries.count / 3, entries.count / 3 + 7, entries.count * 2 / 3, entries.count]
            var segmenter = StateSegmenter()
            var outputs: [StateSegmenter.Output] = []
            var state = CoordinatorState(genesis: genesis)
            var applied = 0
            for cut in cuts {
                for entry in entries[applied..<cut] { _ = state.apply(entry) }
                applied = cut
                let output = try segmenter.encode(state)
                let fresh = try segmenter.encode(state, reuse: false)
                #expect(output.manifest == fresh.manifest, "reusing segments gives exactly the snapshot encoded afresh")
                outputs.append(output)
                let restored = try StateSnapshot.decode(manifest: output.manifest, segments: Self.store(outputs), genesis: genesis)
                #expect(restored.digest == state.digest)
                #expect(restored.snapshot == state.snapshot)
                segmenter.base = StateSegmenter.Base(state: state, manifest: output.manifest)
            }
            // Later snapshots wrote only part of the state.
            #expect(outputs.dropFirst().allSatisfy { $0.newSegments.count < $0.manifest.segments.count })
        }
    }

    @Test("built on a decoded snapshot (as after a restart), a snapshot is still the fresh one, and snapshot + tail = full replay")
    func baseFromDecodedState() throws {
        var workload = CommandLogWorkload(seed: 9, operators: 6, nodesPerOperator: 20, tenants: 30)
        let head = workload.entries(count: 3_000)
        let tail = workload.entries(count: 400)
        var state = CoordinatorState(genesis: CommandLogWorkload.genesis)
        for entry in head { _ = state.apply(entry) }
        let first = try StateSegmenter().encode(state, withDigest: true)
        #expect(first.manifest.digest == state.digest)
        var restored = try StateSnapshot.decode(manifest: first.manifest, segments: Self.store([first]), genesis: state.genesis)
        let segmenter = StateSegmenter(base: StateSegmenter.Base(state: restored, manifest: first.manifest))
        for entry in tail { _ = restored.apply(entry) }
        let next = try segmenter.encode(restored)
        #expect(next.manifest == (try segmenter.encode(workload.state, reuse: false)).manifest)
        #expect(next.reusedSegments > 0)
        let recovered = try StateSnapshot.decode(manifest: next.manifest, segments: Self.store([first, next]), genesis: state.genesis)
        #expect(recovered.digest == workload.state.digest, "snapshot + tail = full replay")
    }

    @Test("a large dictionary is cut into buckets; a few new entries rewrite a few buckets")
    func bucketsLimitTheRewrite() throws {
        var workload = CommandLogWorkload(seed: 3, operators: 10, nodesPerOperator: 50, tenants: 20)
        _ = workload.entries(count: 2_000)
        let before = workload.state
        let first = try StateSegmenter().encode(before)
        let nodeBuckets = first.manifest.segments.filter { $0.name.hasPrefix("nodes#") }
        #expect(nodeBuckets.count >= 4, "500 nodes are in buckets of about 64")
        _ = workload.entries(count: 5)
        let segmenter = StateSegmenter(base: StateSegmenter.Base(state: before, manifest: first.manifest))
        let next = try segmenter.encode(workload.state)
        #expect(next.newBytes < first.newBytes / 2)
        #expect(next.manifest == (try segmenter.encode(workload.state, reuse: false)).manifest)
    }

    @Test("damaged or missing segments and damaged manifests are refused with a code")
    func damageIsRefused() throws {
        let (genesis, entries) = try StateSnapshotTests.logs(seed: 2)[1]
        let (state, _) = StateSnapshotTests.replay(genesis, entries)
        let output = try StateSegmenter().encode(state, withDigest: true)
        let segments = Self.store([output])
        let bytes = output.manifest.bytes()
        #expect(SnapshotManifest.isManifest(bytes))
        #expect(try SnapshotManifest(parsing: bytes) == output.manifest)

        // One byte of the manifest changed: its checksum no longer matches.
        for offset in [9, 12, 30, bytes.count / 2, bytes.count - 1] {
            var damaged = bytes
            damaged[offset] ^= 0x20
            #expect(throws: SnapshotError.self) { try SnapshotManifest(parsing: damaged) }
        }
        // Truncated at every length: refused, never a trap.
        for length in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 200)) {
            #expect(throws: SnapshotError.self) { try SnapshotManifest(parsing: Array(bytes.prefix(length))) }
        }
        // A segment's body changed.
        let victim = try #require(output.manifest.segments.max { $0.length < $1.length })
        var damaged = segments
        damaged[victim.hash]![damaged[victim.hash]!.count / 2] ^= 1
        let checksum = #expect(throws: SnapshotError.self) { try StateSnapshot.decode(manifest: output.manifest, segments: damaged, genesis: genesis) }
        #expect(checksum?.code == .checksumMismatch)
        // A segment missing.
        var missing = segments
        missing[victim.hash] = nil
        #expect(throws: SnapshotError.self) { try StateSnapshot.decode(manifest: output.manifest, segments: missing, genesis: genesis) }
        // A well-formed segment of another state under the right checksum: the digest check catches it.
        var wrongManifest = output.manifest
        let sequenceSegment = try #require(wrongManifest.segments.firstIndex { $0.name == "transferCounter" })
        let body = Array(try BinaryStateEncoder.encode(state.transferCounter + 1))
        wrongManifest.segments[sequenceSegment] = SnapshotManifest.Segment(
            name: "transferCounter", hash: Array(SHA256.hash(data: body)), length: UInt64(body.count))
        var withWrong = segments
        withWrong[wrongManifest.segments[sequenceSegment].hash] = body
        let wrong = #expect(throws: SnapshotError.self) { try StateSnapshot.decode(manifest: wrongManifest, segments: withWrong, genesis: genesis) }
        #expect(wrong?.code == .digestMismatch || wrong?.code == .inconsistent)
        // Another genesis.
        let foreign = #expect(throws: SnapshotError.self) {
            try StateSnapshot.decode(manifest: output.manifest, segments: segments, genesis: Genesis(governanceID: "someone-else"))
        }
        #expect(foreign?.code == .genesisMismatch)
    }

    @Test("bucket counts hold steady within a factor of four, then move to a power of two")
    func bucketCounts() {
        #expect(StateSegmenter.bucketCount(entries: 64 * 100, previous: nil) == 128)
        #expect(StateSegmenter.bucketCount(entries: 64 * 300, previous: 128) == 128)
        #expect(StateSegmenter.bucketCount(entries: 64 * 600, previous: 128) == 1024)
        #expect(StateSegmenter.bucketCount(entries: 64 * 20, previous: 128) == 32)
        #expect(StateSegmenter.bucketCount(entries: 10, previous: nil) == 1)
    }
}
