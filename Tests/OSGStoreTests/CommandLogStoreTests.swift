import Foundation
import GRDB
import OSGCore
import OSGDomain
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

enum StoreKind: String, CaseIterable, Sendable {
    case sqlite, memory

    func make(path: String) throws -> any CommandLogStore {
        switch self {
        case .sqlite: try SQLiteCommandLogStore(path: path)
        case .memory: InMemoryCommandLogStore()
        }
    }
}

@Suite("Command log stores keep the same contract")
struct CommandLogStoreTests {
    @Test("a batch appends whole, reads back in order, and gaps are refused", arguments: StoreKind.allCases)
    func appendAndRead(kind: StoreKind) throws {
        let store = try kind.make(path: databasePath())
        #expect(try store.genesis() == nil)
        try store.initialize(genesis: genesis)
        #expect(try store.genesis() == genesis)
        let entries = (0..<5).map { LogEntry(sequence: UInt64($0), time: start, actor: "gov", command: .tick) }
        try store.append(entries)
        #expect(try store.count() == 5)
        #expect(try store.entries(from: 2, limit: 2) == Array(entries[2..<4]))
        #expect(try store.allEntries(pageSize: 2) == entries)

        let gap = [LogEntry(sequence: 7, time: start, actor: "gov", command: .tick)]
        #expect(throws: StoreError.self) { try store.append(gap) }
        let overlap = [LogEntry(sequence: 4, time: start, actor: "gov", command: .tick)]
        #expect(throws: StoreError.self) { try store.append(overlap) }
        #expect(try store.count() == 5, "refused batches leave nothing behind")

        let other = Genesis(governanceID: "someone-else")
        #expect(throws: StoreError.self) { try store.initialize(genesis: other) }
    }

    @Test("a batch with a bad entry in the middle is not half-applied", arguments: StoreKind.allCases)
    func atomicBatch(kind: StoreKind) throws {
        let store = try kind.make(path: databasePath())
        try store.initialize(genesis: genesis)
        var batch = (0..<4).map { LogEntry(sequence: UInt64($0), time: start, actor: "gov", command: .tick) }
        batch[2].sequence = 9
        #expect(throws: StoreError.self) { try store.append(batch) }
        #expect(try store.count() == 0)
    }
}

@Suite("The write path: durable before applied, recovered by replay")
struct CommandProcessorTests {
    @Test("reopening the SQLite store recovers the exact state")
    func recovery() throws {
        let path = databasePath()
        var digestBeforeCrash = ""
        var acknowledged = 0
        do {
            var processor = try CommandProcessor(store: try SQLiteCommandLogStore(path: path), genesis: genesis)
            for (index, batch) in workload(batches: 60, seed: 11).enumerated() {
                _ = try processor.submit(batch, at: start.adding(seconds: Int64(index)))
                acknowledged += batch.count
            }
            digestBeforeCrash = processor.state.digest
        }  // the processor and its database handle are dropped here, like a crashed process
        let reopened = try CommandProcessor(store: try SQLiteCommandLogStore(path: path), genesis: genesis)
        #expect(reopened.state.nextSequence == UInt64(acknowledged))
        #expect(reopened.state.digest == digestBeforeCrash)
    }

    @Test("the SQLite and in-memory stores give the same state for the same commands")
    func storesAgree() throws {
        var sqlite = try CommandProcessor(store: try SQLiteCommandLogStore(path: databasePath()), genesis: genesis)
        var memory = try CommandProcessor(store: InMemoryCommandLogStore(), genesis: genesis)
        for (index, batch) in workload(batches: 30, seed: 4).enumerated() {
            let time = start.adding(seconds: Int64(index * 7))
            #expect(try sqlite.submit(batch, at: time) == memory.submit(batch, at: time))
        }
        #expect(sqlite.state.digest == memory.state.digest)
        #expect(try sqlite.store.allEntries() == memory.store.allEntries())
    }

    @Test("a clock stepping back does not make time run backwards in the log")
    func monotonicTime() throws {
        var processor = try CommandProcessor(store: InMemoryCommandLogStore(), genesis: genesis)
        _ = try processor.submit([(.tick, "gov")], at: start.adding(seconds: 100))
        _ = try processor.submit([(.tick, "gov")], at: start)
        #expect(processor.state.lastTime == start.adding(seconds: 100))
    }

    @Test("a damaged database is reported, not replayed")
    func corruption() throws {
        let path = databasePath()
        do {
            var processor = try CommandProcessor(store: try SQLiteCommandLogStore(path: path), genesis: genesis)
            _ = try processor.submit(workload(batches: 3, seed: 1).flatMap { $0 }, at: start)
        }
        let raw = try DatabaseQueue(path: path)
        try raw.write { db in try db.execute(sql: "UPDATE log_entry SET body = x'7b7d' WHERE sequence = 1") }
        #expect(throws: StoreError.self) { try CommandProcessor(store: try SQLiteCommandLogStore(path: path), genesis: genesis) }
        try raw.write { db in try db.execute(sql: "DELETE FROM log_entry WHERE sequence = 1") }
        #expect(throws: StoreError.self) { try CommandProcessor(store: try SQLiteCommandLogStore(path: path), genesis: genesis) }
    }
}
