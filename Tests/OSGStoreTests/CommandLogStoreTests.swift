import Foundation
import GRDB
import OSGCore
import OSGDomain
import OSGLedger
import OSGStore
import Testing

let genesis = Genesis(governanceID: "gov", heartbeatTimeoutSeconds: 60)
let start = Timestamp(rfc3339: "2026-11-23T00:00:00Z")!

func databasePath() -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("osg-store-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory.appendingPathComponent("log.sqlite").path
}

func sampleNode(_ id: String, operator op: String) -> ComputeNode {
    ComputeNode(
        id: id, operatorID: op, gpuModel: GPUModel.named("A100")!, gpuCount: 4, vramGiB: 80, cpuCores: 32,
        memoryGiB: 256, diskGiB: 500, region: "eu", jurisdiction: "DE", gridZone: "DE", askPerGPUHour: MicroCredits(1_200_000))
}

func sampleSpec(_ name: String) -> JobSpec {
    JobSpec(
        name: name, image: "ghcr.io/org/app:1", resources: ResourceRequest(gpu: GPURequest(selector: .any, countPerNode: 1)),
        durationSeconds: 3600, maxPricePerGPUHour: MicroCredits(2_000_000))
}

/// A deterministic mixed workload of `batches` batches.
func workload(batches: Int, seed: UInt64) -> [[(command: Command, actor: String)]] {
    var random = SplitMix64(seed: seed)
    var result: [[(command: Command, actor: String)]] = []
    for batch in 0..<batches {
        var items: [(command: Command, actor: String)] = []
        for item in 0..<Int.random(in: 1...20, using: &random) {
            let op = "op\(Int.random(in: 0..<3, using: &random))"
            switch Int.random(in: 0..<4, using: &random) {
            case 0: items.append((.registerNode(sampleNode("n\(batch)-\(item)", operator: op)), op))
            case 1: items.append((.heartbeat(nodeIDs: ["n\(Int.random(in: 0..<max(1, batch), using: &random))-0"]), op))
            case 2: items.append((.submitJob(spec: sampleSpec("j\(batch)-\(item)"), pool: nil), "t\(item % 4)"))
            default: items.append((.cancelJob(orderID: "job-\(Int.random(in: 0..<(batch * 5 + 1), using: &random))"), "t\(item % 4)"))
            }
        }
        result.append(items)
    }
    return result
}

/// Where the store under test keeps its data.
enum StoreKind: String, CaseIterable, Sendable {
    case sqlite, memory, postgres

    /// The PostgreSQL test server, when one is configured (scripts/start-test-postgres.sh).
    static let postgresURL = ProcessInfo.processInfo.environment["OSG_TEST_POSTGRES_URL"]

    /// Embedded kinds: always available.
    static let embedded: [StoreKind] = [.sqlite, .memory]

    /// A fresh, empty store and journal of this kind (each PostgreSQL store gets its own schema).
    func make() async throws -> StoreUnderTest {
        switch self {
        case .sqlite:
            let path = databasePath()
            return StoreUnderTest(log: try SQLiteCommandLogStore(path: path), journal: try SQLiteLedgerJournal(path: path), path: path)
        case .memory:
            return StoreUnderTest(log: InMemoryCommandLogStore(), journal: InMemoryLedgerJournal())
        case .postgres:
            let url = try #require(Self.postgresURL)
            let database = try await PostgresDatabase.connect(url: url, schema: "osg_test_\(UInt64.random(in: 0..<UInt64.max))")
            return StoreUnderTest(log: PostgresCommandLogStore(database: database), journal: PostgresLedgerJournal(database: database), postgres: database)
        }
    }

    /// The same store reopened, as after a crash of the process that wrote it.
    func reopen(_ store: StoreUnderTest) async throws -> StoreUnderTest {
        switch self {
        case .sqlite:
            let path = try #require(store.path)
            return StoreUnderTest(log: try SQLiteCommandLogStore(path: path), journal: try SQLiteLedgerJournal(path: path), path: path)
        case .memory:
            return store
        case .postgres:
            let old = try #require(store.postgres)
            await old.shutdown()
            let database = try await PostgresDatabase.connect(url: try #require(Self.postgresURL), schema: old.schemaName)
            return StoreUnderTest(log: PostgresCommandLogStore(database: database), journal: PostgresLedgerJournal(database: database), postgres: database)
        }
    }
}

/// A store and a ledger journal sharing one database.
struct StoreUnderTest: Sendable {
    var log: any CommandLogStore
    var journal: any LedgerJournal
    var path: String? = nil
    var postgres: PostgresDatabase? = nil

    /// Drops a PostgreSQL test schema and closes the connections.
    func cleanUp() async {
        if let postgres {
            try? await postgres.dropSchema()
            await postgres.shutdown()
        }
    }
}

/// The store contract, run against every kind.
enum StoreContract {
    static func appendAndRead(_ kind: StoreKind) async throws {
        let subject = try await kind.make()
        defer { Task { await subject.cleanUp() } }
        let store = subject.log
        #expect(try await store.genesis() == nil)
        try await store.initialize(genesis: genesis)
        try await store.initialize(genesis: genesis)  // idempotent
        #expect(try await store.genesis() == genesis)
        let entries = (0..<5).map { LogEntry(sequence: UInt64($0), time: start, actor: "gov", command: .tick) }
        try await store.append(entries)
        #expect(try await store.count() == 5)
        #expect(try await store.entries(from: 2, limit: 2) == Array(entries[2..<4]))
        #expect(try await store.allEntries(pageSize: 2) == entries)

        let gap = [LogEntry(sequence: 7, time: start, actor: "gov", command: .tick)]
        await #expect(throws: StoreError.self) { try await store.append(gap) }
        let overlap = [LogEntry(sequence: 4, time: start, actor: "gov", command: .tick)]
        await #expect(throws: StoreError.self) { try await store.append(overlap) }
        #expect(try await store.count() == 5, "refused batches leave nothing behind")
        await #expect(throws: StoreError.self) { try await store.initialize(genesis: Genesis(governanceID: "someone-else")) }
    }

    static func atomicBatch(_ kind: StoreKind) async throws {
        let subject = try await kind.make()
        defer { Task { await subject.cleanUp() } }
        try await subject.log.initialize(genesis: genesis)
        var batch = (0..<4).map { LogEntry(sequence: UInt64($0), time: start, actor: "gov", command: .tick) }
        batch[2].sequence = 9
        await #expect(throws: StoreError.self) { try await subject.log.append(batch) }
        #expect(try await subject.log.count() == 0)
    }

    /// Submits a seeded workload; returns the digest and the number of acknowledged commands.
    static func submitWorkload(to store: some CommandLogStore) async throws -> (digest: String, acknowledged: Int) {
        var acknowledged = 0
        var processor = try await CommandProcessor(store: store, genesis: genesis)
        for (index, batch) in workload(batches: 40, seed: 11).enumerated() {
            _ = try await processor.submit(batch, at: start.adding(seconds: Int64(index)))
            acknowledged += batch.count
        }
        return (processor.state.digest, acknowledged)
    }

    /// The state recovered from `store` by replay.
    static func recoveredState(from store: some CommandLogStore) async throws -> CoordinatorState {
        try await CommandProcessor(store: store, genesis: genesis).state
    }

    static func recovery(_ kind: StoreKind) async throws {
        let subject = try await kind.make()
        let before = try await submitWorkload(to: subject.log)
        let reopened = try await kind.reopen(subject)
        defer { Task { await reopened.cleanUp() } }
        let recovered = try await recoveredState(from: reopened.log)
        #expect(recovered.nextSequence == UInt64(before.acknowledged))
        #expect(recovered.digest == before.digest)
    }

    /// Applies seeded batches through a durable ledger and a reference; returns the reference.
    static func applyBatches(_ batches: [[LedgerOperation]], to journal: some LedgerJournal) async throws -> DoubleEntryLedger {
        var reference = DoubleEntryLedger()
        var durable = try await DurableLedger(journal: journal)
        for batch in batches {
            #expect(try await durable.apply(batch) == reference.apply(batch))
        }
        return reference
    }

    static func recoveredLedger(from journal: some LedgerJournal) async throws -> DoubleEntryLedger {
        try await DurableLedger(journal: journal).ledger
    }

    static func ledgerRecovery(_ kind: StoreKind) async throws {
        let subject = try await kind.make()
        let batches = ledgerBatches(seed: 21, batches: 60)
        let reference = try await applyBatches(batches, to: subject.journal)
        let reopened = try await kind.reopen(subject)
        defer { Task { await reopened.cleanUp() } }
        #expect(try await recoveredLedger(from: reopened.journal).stateDigest == reference.stateDigest)
        #expect(try await reopened.journal.count() == UInt64(batches.count))
        await #expect(throws: StoreError.self) { try await reopened.journal.append([], sequence: 0) }
    }
}

@Suite("Embedded stores keep the store contract")
struct EmbeddedStoreTests {
    @Test("a batch appends whole, reads back in order, and gaps are refused", arguments: StoreKind.embedded)
    func appendAndRead(kind: StoreKind) async throws { try await StoreContract.appendAndRead(kind) }

    @Test("a batch with a bad entry in the middle is not half-applied", arguments: StoreKind.embedded)
    func atomicBatch(kind: StoreKind) async throws { try await StoreContract.atomicBatch(kind) }

    @Test("reopening recovers the exact coordinator state", arguments: StoreKind.embedded)
    func recovery(kind: StoreKind) async throws { try await StoreContract.recovery(kind) }

    @Test("reopening recovers the exact ledger", arguments: StoreKind.embedded)
    func ledgerRecovery(kind: StoreKind) async throws { try await StoreContract.ledgerRecovery(kind) }
}

@Suite(
    "PostgreSQL keeps the same store contract",
    .enabled(if: StoreKind.postgresURL != nil, "OSG_TEST_POSTGRES_URL is not set (scripts/start-test-postgres.sh starts a local server)")
)
struct PostgresStoreTests {
    @Test("a batch appends whole, reads back in order, and gaps are refused")
    func appendAndRead() async throws { try await StoreContract.appendAndRead(.postgres) }

    @Test("a batch with a bad entry in the middle is not half-applied")
    func atomicBatch() async throws { try await StoreContract.atomicBatch(.postgres) }

    @Test("reconnecting recovers the exact coordinator state")
    func recovery() async throws { try await StoreContract.recovery(.postgres) }

    @Test("reconnecting recovers the exact ledger")
    func ledgerRecovery() async throws { try await StoreContract.ledgerRecovery(.postgres) }
}

@Suite("The write path: durable before applied")
struct CommandProcessorTests {
    @Test("the SQLite and in-memory stores give the same state for the same commands")
    func storesAgree() async throws {
        var sqlite = try await CommandProcessor(store: try SQLiteCommandLogStore(path: databasePath()), genesis: genesis)
        var memory = try await CommandProcessor(store: InMemoryCommandLogStore(), genesis: genesis)
        for (index, batch) in workload(batches: 30, seed: 4).enumerated() {
            let time = start.adding(seconds: Int64(index * 7))
            #expect(try await sqlite.submit(batch, at: time) == memory.submit(batch, at: time))
        }
        #expect(sqlite.state.digest == memory.state.digest)
        #expect(try await sqlite.store.allEntries() == memory.store.allEntries())
    }

    @Test("the synchronous in-memory path logs and applies like submit; a counting store keeps the state, not the entries")
    func inMemorySubmission() async throws {
        var awaited = try await CommandProcessor(store: InMemoryCommandLogStore(), genesis: genesis)
        var synchronous = try CommandProcessor(memory: InMemoryCommandLogStore(), genesis: genesis)
        var counting = try CommandProcessor(memory: InMemoryCommandLogStore(retainingEntries: false), genesis: genesis)
        for (index, batch) in workload(batches: 30, seed: 5).enumerated() {
            let time = start.adding(seconds: Int64(index * 7))
            let events = try await awaited.submit(batch, at: time)
            let logged = try synchronous.submitInMemory(batch, at: time)
            #expect(logged.events == events)
            #expect(try counting.submitInMemory(batch, at: time).events == events)
            // The leaves are the entries' own.
            let entries = try synchronous.store.entries(from: synchronous.state.nextSequence - UInt64(batch.count), limit: batch.count)
            #expect(logged.leaves == entries.map(\.leafBytes))
        }
        #expect(synchronous.state.digest == awaited.state.digest && counting.state.digest == awaited.state.digest)
        #expect(try await synchronous.store.allEntries() == awaited.store.allEntries())
        #expect(try counting.store.count() == awaited.state.nextSequence)
        #expect(throws: StoreError.self) { _ = try counting.store.entries(from: 0, limit: 10) }
        #expect(try counting.store.entries(from: counting.state.nextSequence, limit: 10).isEmpty)
        // A counting store still refuses a batch that does not continue the log.
        let stray = LogEntry(sequence: 0, time: start, actor: "gov", command: .tick)
        #expect(throws: StoreError.self) { try counting.store.append([stray]) }
    }

    @Test("a clock stepping back does not make time run backwards in the log")
    func monotonicTime() async throws {
        var processor = try await CommandProcessor(store: InMemoryCommandLogStore(), genesis: genesis)
        _ = try await processor.submit([(.tick, "gov")], at: start.adding(seconds: 100))
        _ = try await processor.submit([(.tick, "gov")], at: start)
        #expect(processor.state.lastTime == start.adding(seconds: 100))
    }

    @Test("a damaged database is reported, not replayed")
    func corruption() async throws {
        let path = databasePath()
        do {
            var processor = try await CommandProcessor(store: try SQLiteCommandLogStore(path: path), genesis: genesis)
            _ = try await processor.submit(workload(batches: 3, seed: 1).flatMap { $0 }, at: start)
        }
        let raw = try DatabaseQueue(path: path)
        try await raw.write { db in try db.execute(sql: "UPDATE log_entry SET body = x'7b7d' WHERE sequence = 1") }
        await #expect(throws: StoreError.self) { try await CommandProcessor(store: try SQLiteCommandLogStore(path: path), genesis: genesis) }
        try await raw.write { db in try db.execute(sql: "DELETE FROM log_entry WHERE sequence = 1") }
        await #expect(throws: StoreError.self) { try await CommandProcessor(store: try SQLiteCommandLogStore(path: path), genesis: genesis) }
    }
}

@Suite("The command processor refuses a command too large for a log entry")
struct OversizedCommandTests {
    @Test("the batch is refused with entry_too_large and nothing is logged or applied")
    func refusedBeforeLogging() async throws {
        let store = InMemoryCommandLogStore()
        var processor = try await CommandProcessor(store: store, genesis: genesis)
        _ = try await processor.submit([(.deposit(tenantID: "t1", amount: MicroCredits(5)), "gov")], at: start)
        let huge: Command = .deposit(tenantID: String(repeating: "t", count: 70_000), amount: MicroCredits(5))
        do {
            _ = try await processor.submit([(.deposit(tenantID: "t2", amount: MicroCredits(5)), "gov"), (huge, "gov")], at: start)
            Issue.record("an oversized command was accepted")
        } catch {
            #expect(error.code == .entryTooLarge)
            #expect(error.message.contains("command 1 of the batch"), "\(error.message)")
        }
        #expect(try store.count() == 1)
        #expect(processor.state.nextSequence == 1)
    }
}
