import Foundation
import OSGCore
import OSGLog
import OSGStore
import Testing
@testable import OSGTransparency

@Suite("The transparency-log writer: files, checkpoints, recovery")
struct TransparencyLogWriterTests {
    @Test("the directory holds C2SP tiles, bundles, a verifiable checkpoint, genesis, key and state")
    func layout() async throws {
        let directory = try await publishedLog(count: 300)
        let note = try SignedNote(parsing: Array(try Data(contentsOf: URL(fileURLWithPath: directory + "/checkpoint"))))
        let key = try NoteVerifierKey(parsing: String(decoding: try Data(contentsOf: URL(fileURLWithPath: directory + "/verifier-key")), as: UTF8.self).trimmingCharacters(in: .newlines))
        #expect(note.verify(with: key).isVerified)
        #expect(key.name == testOrigin)
        let checkpoint = try Checkpoint(parsing: note.text)
        #expect(checkpoint.size == 300)
        for path in ["tile/0/000", "tile/0/001.p/44", "tile/1/000.p/1", "tile/entries/000", "tile/entries/001.p/44", "genesis.json", "state/300.json"] {
            #expect(FileManager.default.fileExists(atPath: directory + "/" + path), "\(path)")
        }
        // The tiles alone give the signed root, and the entries are the store's leaves.
        let tiles = TileDirectory(path: directory)
        #expect(try TiledTree(treeSize: 300) { try tiles.readTile($0) }.rootHash() == checkpoint.rootHash)
        let (store, _) = try workloadStore(count: 300)
        let entries = try store.entries(from: 0, limit: 300)
        #expect(try tiles.readEntries(TileCoordinate(level: 0, index: 0)) == entries[0..<256].map(\.leafBytes))
    }

    @Test("appends publish a checkpoint per the policy; states are pruned to the retained count")
    func policy() async throws {
        let directory = try temporaryDirectory()
        var workload = CommandLogWorkload(seed: 4, operators: 2, nodesPerOperator: 2, tenants: 4)
        let store = InMemoryCommandLogStore()
        try store.initialize(genesis: CommandLogWorkload.genesis)
        let writer = try await TransparencyLogWriter.open(
            directory: directory, signer: signer(), origin: testOrigin, store: store, state: workload.state,
            policy: .init(minimumEntries: 100, retainedStates: 2))
        #expect(await writer.publishedTreeSize == 0)
        for _ in 0..<10 {
            let batch = workload.entries(count: 40)
            try store.append(batch)
            try await writer.append(batch, state: workload.state)
        }
        // Checkpoints at 120, 240, 360 (each once 100 entries had accumulated).
        #expect(await writer.publishedTreeSize == 360)
        #expect(await writer.checkpoint.size == 400)
        let states = try FileManager.default.contentsOfDirectory(atPath: directory + "/state").sorted()
        #expect(states == ["240.json", "360.json"])
    }

    @Test("partial bundles and tiles of checkpoints older than the retained ones are removed; the log still audits")
    func partialsPruned() async throws {
        let directory = try temporaryDirectory()
        var workload = CommandLogWorkload(seed: 4, operators: 2, nodesPerOperator: 2, tenants: 4)
        let store = InMemoryCommandLogStore()
        try store.initialize(genesis: CommandLogWorkload.genesis)
        let writer = try await TransparencyLogWriter.open(
            directory: directory, signer: signer(), origin: testOrigin, store: store, state: workload.state,
            policy: .init(minimumEntries: 1, retainedStates: 3))
        // 60 checkpoints of 7 entries: the first tile fills at 256, the second is partial.
        for _ in 0..<60 {
            let batch = workload.entries(count: 7)
            try store.append(batch)
            try await writer.append(batch, state: workload.state)
        }
        let files = FileManager.default
        // Nothing of the full first tile's partials is left; the unfinished one keeps 3 widths.
        let firstTilePartials = (try? files.contentsOfDirectory(atPath: directory + "/tile/entries/000.p")) ?? []
        #expect(firstTilePartials.isEmpty, "\(firstTilePartials)")
        let widths = try files.contentsOfDirectory(atPath: directory + "/tile/entries/001.p").sorted()
        #expect(widths.count == 3, "\(widths)")
        #expect(widths.contains(String(420 - 256)), "the current checkpoint's partial bundle is kept")
        let report = await audit(directory, stateDir: try temporaryDirectory())
        #expect(report.verdict == .verified, "\(report.reason)")
    }

    @Test("entries that do not continue the log are refused")
    func notContiguous() async throws {
        let directory = try temporaryDirectory()
        var workload = CommandLogWorkload(seed: 4, operators: 2, nodesPerOperator: 2, tenants: 4)
        let store = InMemoryCommandLogStore()
        try store.initialize(genesis: CommandLogWorkload.genesis)
        let writer = try await TransparencyLogWriter.open(directory: directory, signer: signer(), origin: testOrigin, store: store)
        _ = workload.entries(count: 5)
        let skipped = workload.entries(count: 5)
        await #expect(throws: TransparencyLogError.self) { try await writer.append(skipped, state: workload.state) }
    }

    @Test("reopening catches up from the store when the files are behind, and rewrites stale files past the checkpoint")
    func recovery() async throws {
        let directory = try temporaryDirectory()
        var workload = CommandLogWorkload(seed: 5, operators: 3, nodesPerOperator: 2, tenants: 6)
        let store = InMemoryCommandLogStore()
        try store.initialize(genesis: CommandLogWorkload.genesis)
        try store.append(workload.entries(count: 200))
        _ = try await TransparencyLogWriter.open(directory: directory, signer: signer(), origin: testOrigin, store: store, state: workload.state)
        // A crash after the store's append but before the files: the store is ahead, and a
        // stale partial tile of a later size lies around.
        try store.append(workload.entries(count: 150))
        try FileManager.default.createDirectory(atPath: directory + "/tile/0/001.p", withIntermediateDirectories: true)
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: directory + "/tile/0/001.p/94"))
        let reopened = try await TransparencyLogWriter.open(directory: directory, signer: signer(), origin: testOrigin, store: store)
        #expect(await reopened.publishedTreeSize == 350)
        let report = await audit(directory, stateDir: try temporaryDirectory())
        #expect(report.verdict == .verified, "\(report.reason)")
    }

    @Test("a directory of another log is refused: other genesis, other key, or a store behind it")
    func foreignDirectory() async throws {
        let directory = try await publishedLog(seed: 1, count: 100)
        let (other, _) = try workloadStore(seed: 2, count: 100)
        await #expect { try await TransparencyLogWriter.open(directory: directory, signer: signer(), origin: testOrigin, store: other) }
            throws: { ($0 as? TransparencyLogError)?.code == .foreignDirectory }
        let (same, _) = try workloadStore(seed: 1, count: 100)
        await #expect { try await TransparencyLogWriter.open(directory: directory, signer: signer(seedByte: 8), origin: testOrigin, store: same) }
            throws: { ($0 as? TransparencyLogError)?.code == .foreignDirectory }
        let (shorter, _) = try workloadStore(seed: 1, count: 60)
        await #expect { try await TransparencyLogWriter.open(directory: directory, signer: signer(), origin: testOrigin, store: shorter) }
            throws: { ($0 as? TransparencyLogError)?.code == .aheadOfStore }
        await #expect { try await TransparencyLogWriter.open(directory: try temporaryDirectory(), signer: signer(origin: "other.example/log"), origin: testOrigin, store: same) }
            throws: { ($0 as? TransparencyLogError)?.code == .badKey }
    }

    @Test("the durable SQLite path and the writer agree with the in-memory path")
    func sqliteStore() async throws {
        let directory = try temporaryDirectory()
        let sqlite = try SQLiteCommandLogStore(path: directory + "/osg.sqlite")
        var workload = CommandLogWorkload(seed: 6, operators: 3, nodesPerOperator: 2, tenants: 6)
        try sqlite.initialize(genesis: CommandLogWorkload.genesis)
        try sqlite.append(workload.entries(count: 500))
        let writer = try await TransparencyLogWriter.open(directory: directory + "/log", signer: signer(), origin: testOrigin, store: sqlite)
        let (memory, _) = try {
            var again = CommandLogWorkload(seed: 6, operators: 3, nodesPerOperator: 2, tenants: 6)
            let store = InMemoryCommandLogStore()
            try store.initialize(genesis: CommandLogWorkload.genesis)
            try store.append(again.entries(count: 500))
            return (store, again)
        }()
        let inMemory = try await TransparencyLogWriter.open(directory: directory + "/log2", signer: signer(), origin: testOrigin, store: memory)
        #expect(await writer.checkpoint == inMemory.checkpoint)
    }
}
