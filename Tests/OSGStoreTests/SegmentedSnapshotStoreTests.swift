import Foundation
import OSGCore
import OSGDomain
import OSGStore
import Testing

/// The segmented-snapshot contract, run against every kind of store.
enum SegmentedSnapshotContract {
    static func segment(_ text: String) -> SnapshotSegment { SnapshotSegment(body: Array(text.utf8)) }

    static func manifest(_ sequence: UInt64, _ segments: [(String, SnapshotSegment)]) -> SnapshotManifest {
        SnapshotManifest(sequence: sequence, digest: nil, segments: segments.map {
            SnapshotManifest.Segment(name: $0.0, hash: $0.1.hash, length: UInt64($0.1.body.count))
        }.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) })
    }

    static func write(_ store: any SnapshotStore, _ sequence: UInt64, _ segments: [(String, SnapshotSegment)], new: [SnapshotSegment], keep: Int = 2) async throws {
        let manifest = manifest(sequence, segments)
        try await store.writeSegmentedSnapshot(
            manifest: manifest.bytes(), segmentHashes: manifest.segments.map(\.hash), newSegments: new, covering: sequence, keep: keep)
    }

    static func shareKeepAndCollect(_ kind: StoreKind) async throws {
        let subject = try await kind.make()
        defer { Task { await subject.cleanUp() } }
        try await subject.log.initialize(genesis: genesis)
        let store = try SnapshotContract.snapshots(of: subject)
        try await subject.log.append(SnapshotContract.ticks(0..<10))
        let (a, b, c, d) = (segment("a"), segment("b"), segment("c"), segment("d"))

        try await write(store, 4, [("x", a), ("y", b)], new: [a, b])
        // The next snapshot reuses `a` without writing it again.
        try await write(store, 6, [("x", a), ("y", c)], new: [c])
        #expect(try await store.snapshotSequences() == [6, 4])
        let stored = try await store.snapshotSegments([a.hash, b.hash, c.hash, d.hash])
        #expect(stored == [a.hash: a.body, b.hash: b.body, c.hash: c.body])
        let bytes = try #require(try await store.snapshot(covering: 6))
        #expect(try SnapshotManifest(parsing: bytes) == manifest(6, [("x", a), ("y", c)]))

        // Keeping two: snapshot 4 goes, and `b`, which only it used, with it; `a` stays.
        try await write(store, 8, [("x", a), ("y", d)], new: [d])
        #expect(try await store.snapshotSequences() == [8, 6])
        #expect(Set(try await store.snapshotSegments([a.hash, b.hash, c.hash, d.hash]).keys) == [a.hash, c.hash, d.hash])

        // A manifest naming a segment that is not stored is refused, and changes nothing.
        let ghost = segment("ghost")
        await #expect(throws: StoreError.self) { try await write(store, 9, [("x", a), ("y", ghost)], new: []) }
        #expect(try await store.snapshotSequences() == [8, 6])
        // Never ahead of the log.
        await #expect(throws: StoreError.self) { try await write(store, 11, [("x", a)], new: []) }
        // A sequence already stored is left as it is.
        try await write(store, 8, [("x", b)], new: [b])
        #expect(try SnapshotManifest(parsing: try #require(try await store.snapshot(covering: 8))) == manifest(8, [("x", a), ("y", d)]))

        // Whole (format 2) snapshots and segmented ones share the retention.
        try await store.writeSnapshot([1, 2, 3], covering: 10, keep: 1)
        #expect(try await store.snapshotSequences() == [10])
        #expect(try await store.snapshotSegments([a.hash, c.hash, d.hash]).isEmpty)
    }
}

@Suite("Segmented snapshot stores")
struct SegmentedSnapshotStoreTests {
    @Test("segments are shared between snapshots, kept while used, collected after, and a manifest needs all of them",
          arguments: StoreKind.embedded)
    func shareKeepAndCollect(kind: StoreKind) async throws { try await SegmentedSnapshotContract.shareKeepAndCollect(kind) }

    @Test("PostgreSQL: segments are shared, kept while used and collected after",
          .enabled(if: StoreKind.postgresURL != nil, "OSG_TEST_POSTGRES_URL is not set"))
    func postgres() async throws { try await SegmentedSnapshotContract.shareKeepAndCollect(.postgres) }

    @Test("a crash after the segments but before the manifest leaves the older snapshots; the next write clears the debris")
    func crashBeforeCommit() throws {
        let path = databasePath()
        let store = try SQLiteCommandLogStore(path: path)
        try store.initialize(genesis: genesis)
        try store.append(SnapshotContract.ticks(0..<8))
        let a = SegmentedSnapshotContract.segment("a"), b = SegmentedSnapshotContract.segment("b")
        let first = SegmentedSnapshotContract.manifest(2, [("x", a)])
        try store.writeSegmentedSnapshot(manifest: first.bytes(), segmentHashes: [a.hash], newSegments: [a], covering: 2, keep: 3)
        #expect(try store.beginSnapshot(covering: 8))
        try store.writeSnapshotSegments([b])
        // Killed here: the commit never runs. A new process sees only the complete snapshot.
        let reopened = try SQLiteCommandLogStore(path: path)
        #expect(try reopened.snapshotSequences() == [2])
        #expect(try reopened.snapshot(covering: 8) == nil)
        #expect(try reopened.beginSnapshot(covering: 8))
        #expect(try reopened.snapshotSegments([a.hash, b.hash]).keys.sorted { $0.lexicographicallyPrecedes($1) } == [a.hash],
                "the unused segment of the interrupted snapshot is gone")
    }
}
