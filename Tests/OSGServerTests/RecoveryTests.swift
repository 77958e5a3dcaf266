import Foundation
import HummingbirdTesting
import OSGCore
import OSGDomain
import OSGServer
import OSGStore
import Testing

/// A second handle on a harness's store, as a restarted process would open it.
func reopenStore(_ harness: Harness) async throws -> CoordinatorStore {
    switch harness.kind {
    case .sqlite:
        return try await CoordinatorStore.open(dataDirectory: harness.dataDirectory, databaseURL: nil)
    case .postgres:
        let database = try await PostgresDatabase.connect(url: try #require(ServerStoreKind.postgresURL), schema: try #require(harness.schema))
        return .postgres(PostgresCommandLogStore(database: database), database)
    }
}

/// The state a replay of the whole stored log gives.
func fullReplay(_ harness: Harness) async throws -> CoordinatorState {
    let store = try await reopenStore(harness)
    let state = try await CommandProcessor(store: store, genesis: harness.coordinator.configuration.genesis).state
    await store.close()
    return state
}

@Suite("A start recovers from the newest good snapshot and the log tail, and checks the clean-stop digest")
struct RecoveryTests {
    @Test("a clean stop snapshots and records the digest; a shorter log or another digest stops the next start", arguments: ServerStoreKind.available)
    func digestCheck(kind: ServerStoreKind) async throws {
        let harness = try await Harness.make(kind)
        let user = Participant()
        let clock = harness.clock
        try await harness.test { client in
            let deposit = try await client.signed(user, .post, "/v1/faucet", json: #"{"amount":"50"}"#, at: clock.now)
            #expect(deposit.status == 200)
            let submit = try await client.signed(user, .post, "/v1/jobs", json: Samples.spec(), at: clock.now)
            #expect(submit.status == 201)
        }
        // The test framework stops the application gracefully when the closure returns.
        let store = try await reopenStore(harness)
        let record = try #require(try await store.cleanStop())
        #expect(record.sequence == 2)
        #expect(record.digest == (await harness.coordinator.writer.read { $0.digest }))
        #expect(try await store.snapshotSequences() == [2], "a clean stop leaves a snapshot of the final state")

        // The same log and the recorded digest: the start loads the snapshot and replays nothing.
        let reopened = try await Harness.make(kind, dataDirectory: harness.dataDirectory, schema: harness.schema, governance: harness.governance, clock: clock)
        #expect(await reopened.coordinator.writer.logLength == 2)
        #expect(reopened.coordinator.recovery.snapshotSequence == 2)
        #expect(reopened.coordinator.recovery.entriesReplayed == 0)

        // A record claiming more entries than the log holds: acknowledged commands are missing.
        try await store.recordCleanStop(CleanStopRecord(sequence: 3, digest: record.digest))
        await #expect(throws: StoreError.self) {
            _ = try await Harness.make(kind, dataDirectory: harness.dataDirectory, schema: harness.schema, governance: harness.governance, clock: clock)
        }
        // Another digest at the same length: the recovered state is not the recorded one.
        try await store.recordCleanStop(CleanStopRecord(sequence: 2, digest: String(repeating: "0", count: 64)))
        await #expect(throws: StoreError.self) {
            _ = try await Harness.make(kind, dataDirectory: harness.dataDirectory, schema: harness.schema, governance: harness.governance, clock: clock)
        }
        await store.close()
        await reopened.coordinator.shutdownStoreForTests(dropSchema: true)
    }

    @Test("after a crash, a start loads the newest periodic snapshot, replays the tail and equals a full replay", arguments: ServerStoreKind.available)
    func crashAfterSnapshot(kind: ServerStoreKind) async throws {
        let harness = try await Harness.make(kind) { $0.snapshotInterval = 4 }
        let writer = harness.coordinator.writer
        for index in 0..<11 {
            _ = try await writer.submit(.deposit(tenantID: "t\(index % 3)", amount: MicroCredits(1_000_000)), actor: harness.coordinator.governanceID)
            await harness.coordinator.waitForSnapshot()
        }
        // Crash: no clean stop, no record; the next start finds only periodic snapshots.
        let sequences = try await reopenStore(harness).snapshotSequences()
        #expect(sequences == [8, 4])
        let restarted = try await Harness.make(kind, dataDirectory: harness.dataDirectory, schema: harness.schema, governance: harness.governance, clock: harness.clock)
        #expect(restarted.coordinator.recovery.snapshotSequence == 8)
        #expect(restarted.coordinator.recovery.entriesReplayed == 3)
        #expect(restarted.coordinator.recovery.skippedSnapshots.isEmpty)
        let recovered = await restarted.coordinator.currentState()
        #expect(recovered.digest == (try await fullReplay(harness)).digest)
        #expect(recovered.digest == (await writer.read { $0.digest }))
        await restarted.coordinator.shutdownStoreForTests(dropSchema: true)
    }

    @Test("a damaged newest snapshot is skipped with a warning; recovery falls back to an older one, then to the whole log", arguments: ServerStoreKind.available)
    func damagedSnapshotFallsBack(kind: ServerStoreKind) async throws {
        let harness = try await Harness.make(kind) { $0.snapshotInterval = 5 }
        let writer = harness.coordinator.writer
        for index in 0..<7 {
            _ = try await writer.submit(.deposit(tenantID: "t\(index % 2)", amount: MicroCredits(2_000_000)), actor: harness.coordinator.governanceID)
            await harness.coordinator.waitForSnapshot()
        }
        let store = try await reopenStore(harness)
        let good = try #require(try await store.snapshot(covering: 5))
        // A newer snapshot that is damaged: one byte of the body flipped.
        var damaged = try StateSnapshot.encode(await writer.read { $0 })
        damaged[damaged.count - 10] ^= 0x20
        try await store.writeSnapshot(damaged, covering: 7, keep: 3)
        let restarted = try await Harness.make(kind, dataDirectory: harness.dataDirectory, schema: harness.schema, governance: harness.governance, clock: harness.clock)
        #expect(restarted.coordinator.recovery.snapshotSequence == 5)
        #expect(restarted.coordinator.recovery.entriesReplayed == 2)
        #expect(restarted.coordinator.recovery.skippedSnapshots.count == 1)
        #expect(restarted.coordinator.recovery.skippedSnapshots.first?.contains("checksum") == true)
        let expected = await writer.read { $0.digest }
        #expect(await restarted.coordinator.currentState().digest == expected)
        #expect(!good.isEmpty)

        // Only an unusable snapshot left (keeping one drops the others): a replay of the whole log.
        let tick = try await writer.submit(.tick, actor: harness.coordinator.governanceID)
        #expect(tick.entry.sequence == 7)
        try await store.writeSnapshot(Array("not a snapshot".utf8), covering: 8, keep: 1)
        let fullRestart = try await Harness.make(kind, dataDirectory: harness.dataDirectory, schema: harness.schema, governance: harness.governance, clock: harness.clock)
        #expect(fullRestart.coordinator.recovery.snapshotSequence == nil)
        #expect(fullRestart.coordinator.recovery.entriesReplayed == 8)
        #expect(await fullRestart.coordinator.currentState().digest == (await writer.read { $0.digest }))
        await store.close()
        await fullRestart.coordinator.shutdownStoreForTests(dropSchema: true)
    }

    @Test("a second coordinator on the same PostgreSQL database is refused while the first runs",
          .enabled(if: ServerStoreKind.postgresURL != nil, "OSG_TEST_POSTGRES_URL is not set"))
    func singleWriter() async throws {
        let url = try #require(ServerStoreKind.postgresURL)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("osg-lock-\(UInt64.random(in: 0..<UInt64.max))").path
        let first = try await CoordinatorStore.open(dataDirectory: directory, databaseURL: url)
        let refusal = await #expect(throws: StoreError.self) { _ = try await CoordinatorStore.open(dataDirectory: directory, databaseURL: url) }
        #expect(refusal?.message.contains("another coordinator is already writing") == true)
        await first.close()
        let second = try await CoordinatorStore.open(dataDirectory: directory, databaseURL: url)
        await second.close()
    }
}
