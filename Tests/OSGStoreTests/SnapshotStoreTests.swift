import Foundation
import OSGCore
import OSGDomain
import OSGStore
import Testing

/// The snapshot contract, run against every kind of store.
enum SnapshotContract {
    static func snapshots(of subject: StoreUnderTest) throws -> any SnapshotStore {
        try #require(subject.log as? any SnapshotStore)
    }

    static func ticks(_ range: Range<Int>) -> [LogEntry] {
        range.map { LogEntry(sequence: UInt64($0), time: start, actor: "gov", command: .tick) }
    }

    static func writeReadKeep(_ kind: StoreKind) async throws {
        let subject = try await kind.make()
        defer { Task { await subject.cleanUp() } }
        try await subject.log.initialize(genesis: genesis)
        let store = try snapshots(of: subject)
        #expect(try await store.snapshotSequences().isEmpty)
        #expect(try await store.snapshot(covering: 0) == nil)
        try await subject.log.append(ticks(0..<10))

        // Bigger than one part, with every byte value.
        let big = (0..<(SnapshotParts.partSize * 2 + 17)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try await store.writeSnapshot(big, covering: 4, keep: 2)
        #expect(try await store.snapshot(covering: 4) == big)
        try await store.writeSnapshot([1, 2, 3], covering: 6, keep: 2)
        try await store.writeSnapshot([9], covering: 6, keep: 2)  // already stored: unchanged
        #expect(try await store.snapshot(covering: 6) == [1, 2, 3])
        try await store.writeSnapshot([], covering: 10, keep: 2)
        #expect(try await store.snapshotSequences() == [10, 6], "only the newest two are kept")
        #expect(try await store.snapshot(covering: 4) == nil)
        #expect(try await store.snapshot(covering: 10) == [])

        // Never ahead of the durable log.
        await #expect(throws: StoreError.self) { try await store.writeSnapshot([7], covering: 11, keep: 2) }
        #expect(try await store.snapshotSequences() == [10, 6])

        #expect(try await store.cleanStop() == nil)
        try await store.recordCleanStop(CleanStopRecord(sequence: 10, digest: "abc"))
        try await store.recordCleanStop(CleanStopRecord(sequence: 10, digest: "def"))
        #expect(try await store.cleanStop() == CleanStopRecord(sequence: 10, digest: "def"))
    }

    static func survivesReopen(_ kind: StoreKind) async throws {
        let subject = try await kind.make()
        try await subject.log.initialize(genesis: genesis)
        try await subject.log.append(ticks(0..<3))
        try await snapshots(of: subject).writeSnapshot([5, 6], covering: 3, keep: 3)
        try await snapshots(of: subject).recordCleanStop(CleanStopRecord(sequence: 3, digest: "d"))
        let reopened = try await kind.reopen(subject)
        defer { Task { await reopened.cleanUp() } }
        #expect(try await snapshots(of: reopened).snapshotSequences() == [3])
        #expect(try await snapshots(of: reopened).snapshot(covering: 3) == [5, 6])
        #expect(try await snapshots(of: reopened).cleanStop() == CleanStopRecord(sequence: 3, digest: "d"))
    }
}

@Suite("Snapshot stores")
struct SnapshotStoreTests {
    @Test("snapshots write whole, read back, keep the newest and are never ahead of the log", arguments: StoreKind.embedded)
    func writeReadKeep(kind: StoreKind) async throws { try await SnapshotContract.writeReadKeep(kind) }

    @Test("snapshots and the clean-stop record survive reopening the SQLite store")
    func survivesReopen() async throws { try await SnapshotContract.survivesReopen(.sqlite) }

    @Test("a crash between snapshot parts leaves the older snapshots; the next write clears the debris")
    func crashBetweenParts() async throws {
        let path = databasePath()
        let store = try SQLiteCommandLogStore(path: path)
        try store.initialize(genesis: genesis)
        try store.append(SnapshotContract.ticks(0..<8))
        try store.writeSnapshot([1], covering: 2, keep: 3)
        #expect(try store.beginSnapshot(covering: 8))
        try store.writeSnapshotPart([4, 4][...], index: 0, covering: 8)
        // Crash: the commit never runs. A new process sees only the complete snapshot.
        let reopened = try SQLiteCommandLogStore(path: path)
        #expect(try reopened.snapshotSequences() == [2])
        #expect(try reopened.snapshot(covering: 8) == nil)
        try reopened.writeSnapshot([8, 8, 8], covering: 8, keep: 3)
        #expect(try reopened.snapshot(covering: 8) == [8, 8, 8], "the stale part was dropped, not joined")
        #expect(try reopened.snapshotSequences() == [8, 2])
    }
}

@Suite(
    "PostgreSQL snapshot store and single writer",
    .enabled(if: StoreKind.postgresURL != nil, "OSG_TEST_POSTGRES_URL is not set (scripts/start-test-postgres.sh starts a local server)")
)
struct PostgresSnapshotStoreTests {
    @Test("snapshots write whole, read back, keep the newest and are never ahead of the log")
    func writeReadKeep() async throws { try await SnapshotContract.writeReadKeep(.postgres) }

    @Test("snapshots and the clean-stop record survive reconnecting")
    func survivesReopen() async throws { try await SnapshotContract.survivesReopen(.postgres) }

    @Test("a second writer on the same log is refused until the first lets go")
    func singleWriter() async throws {
        let url = try #require(StoreKind.postgresURL)
        let schema = "osg_test_lock_\(UInt64.random(in: 0..<UInt64.max))"
        let first = try await PostgresDatabase.connect(url: url, schema: schema)
        try await first.acquireWriterLock(url: url)
        let second = try await PostgresDatabase.connect(url: url, schema: schema)
        let refusal = await #expect(throws: StoreError.self) { try await second.acquireWriterLock(url: url) }
        #expect(refusal?.message.contains("another coordinator") == true)
        // Another log (schema) on the same server has its own lock.
        let other = try await PostgresDatabase.connect(url: url, schema: schema + "_b")
        try await other.acquireWriterLock(url: url)
        try? await other.dropSchema()
        await other.shutdown()
        // Once the first stops, the second may write.
        await first.shutdown()
        try await second.acquireWriterLock(url: url)
        try? await second.dropSchema()
        await second.shutdown()
    }
}
