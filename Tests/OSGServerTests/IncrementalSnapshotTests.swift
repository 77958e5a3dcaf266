import Foundation
import Logging
import OSGCore
import OSGDomain
@testable import OSGServer
import OSGStore
import Testing

@Suite("Periodic snapshots are incremental and segmented; recovery checks and hands on their base")
struct IncrementalSnapshotTests {
    @Test("periodic snapshots share unchanged segments; a start recovers from the newest and keeps it as the next base",
          arguments: ServerStoreKind.available)
    func sharedSegmentsAndBase(kind: ServerStoreKind) async throws {
        let harness = try await Harness.make(kind) { $0.snapshotInterval = 4 }
        let writer = harness.coordinator.writer
        for index in 0..<13 {
            _ = try await writer.submit(.deposit(tenantID: "t\(index % 3)", amount: MicroCredits(1_000_000)), actor: harness.coordinator.governanceID)
            await harness.coordinator.waitForSnapshot()
        }
        // Crash: only periodic snapshots, at 4, 8 and 12.
        let store = try await reopenStore(harness)
        #expect(try await store.snapshotSequences() == [12, 8, 4])
        let manifests = try await [12, 8].asyncMap { sequence in
            try SnapshotManifest(parsing: try #require(try await store.snapshot(covering: sequence)))
        }
        #expect(manifests.allSatisfy { $0.digest == nil }, "periodic snapshots do not compute the digest")
        let changed = manifests[0].segments.filter { !manifests[1].segments.contains($0) }.map(\.name)
        #expect(changed.count < manifests[0].segments.count / 2, "most segments did not change between the two; changed: \(changed)")
        #expect(changed.contains("ledger"))

        let (processor, report) = try await SnapshotRecovery(store: store, logger: Logger(label: "test")).recover(
            genesis: harness.coordinator.configuration.genesis)
        #expect(report.snapshotSequence == 12)
        #expect(report.entriesReplayed == 1)
        let base = try #require(report.snapshotBase)
        #expect(base.manifest == manifests[0])
        #expect(base.state.nextSequence == 12)
        #expect(processor.state.digest == (await writer.read { $0.digest }))
        // Built on that base, the next snapshot re-encodes only what the replayed entry changed.
        let next = try StateSegmenter(base: base).encode(processor.state)
        #expect(next.newSegments.count < next.manifest.segments.count / 2)
        #expect(next.manifest == (try StateSegmenter(base: base).encode(processor.state, reuse: false)).manifest)
        await store.close()
        await harness.coordinator.shutdownStoreForTests(dropSchema: true)
    }

    @Test("a snapshot whose segment is damaged in the store is skipped; recovery falls back to the older one")
    func damagedSegmentFallsBack() async throws {
        let harness = try await Harness.make(.sqlite) { $0.snapshotInterval = 5 }
        let writer = harness.coordinator.writer
        for index in 0..<11 {
            _ = try await writer.submit(.deposit(tenantID: "t\(index % 2)", amount: MicroCredits(2_000_000)), actor: harness.coordinator.governanceID)
            await harness.coordinator.waitForSnapshot()
        }
        let store = try await reopenStore(harness)
        #expect(try await store.snapshotSequences() == [10, 5])
        let newest = try SnapshotManifest(parsing: try #require(try await store.snapshot(covering: 10)))
        let older = try SnapshotManifest(parsing: try #require(try await store.snapshot(covering: 5)))
        // A segment only the newest uses, rewritten in place with other bytes (disk damage).
        let victim = try #require(newest.segments.first { !older.segments.map(\.hash).contains($0.hash) })
        guard case .sqlite(let sqlite) = store else { Issue.record("expected SQLite"); return }
        try sqlite.damageSnapshotSegmentForTests(victim.hash)
        let (processor, report) = try await SnapshotRecovery(store: store, logger: Logger(label: "test")).recover(
            genesis: harness.coordinator.configuration.genesis)
        #expect(report.snapshotSequence == 5)
        #expect(report.skipped.count == 1)
        #expect(report.skipped.first?.contains("damaged") == true)
        #expect(processor.state.digest == (await writer.read { $0.digest }))
        await store.close()
        await harness.coordinator.shutdownStoreForTests(dropSchema: true)
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
