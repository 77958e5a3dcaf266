import Foundation
import OSGCore
import OSGDomain
import OSGLog
import OSGStore
import Testing
@testable import OSGTransparency

@Suite("osg audit: a published log verifies, and every kind of tampering is named")
struct AuditTests {
    @Test("an honest log verifies, first on trust-on-first-use, then against the recorded checkpoint")
    func honestLogVerifies() async throws {
        let directory = try await publishedLog(count: 700)
        let stateDir = try temporaryDirectory()
        let first = await audit(directory, stateDir: stateDir)
        #expect(first.verdict == .verified, "\(first.reason)")
        #expect(first.keyTrust == "first_use")
        #expect(first.treeSize == 700 && first.entriesReplayed == 700)
        let second = await audit(directory, stateDir: stateDir)
        #expect(second.verdict == .verified, "\(second.reason)")
        #expect(second.keyTrust == "recorded" && second.previousTreeSize == 700)
    }

    @Test("a log that grew is consistent with the checkpoint seen before")
    func grownLogIsConsistent() async throws {
        let directory = try temporaryDirectory()
        var workload = CommandLogWorkload(seed: 3, operators: 4, nodesPerOperator: 3, tenants: 10)
        let store = InMemoryCommandLogStore()
        try store.initialize(genesis: CommandLogWorkload.genesis)
        let firstBatch = workload.entries(count: 300)
        try store.append(firstBatch)
        let writer = try await TransparencyLogWriter.open(directory: directory, signer: signer(), origin: testOrigin, store: store, state: workload.state)
        let stateDir = try temporaryDirectory()
        #expect(await audit(directory, stateDir: stateDir).verdict == .verified)
        for _ in 0..<3 {
            let batch = workload.entries(count: 111)
            try store.append(batch)
            try await writer.append(batch, state: workload.state)
        }
        let report = await audit(directory, stateDir: stateDir)
        #expect(report.verdict == .verified, "\(report.reason)")
        #expect(report.previousTreeSize == 300 && report.treeSize == 633)
    }

    @Test("a tampered entry is named by its index, and the signed tiles convict it")
    func tamperedEntry() async throws {
        let directory = try await publishedLog(count: 300)
        // Entry 260 is the fifth of bundle 001.p/44; change the last byte of its time
        // (leaf bytes 9...16 are the time, after the format byte and the sequence).
        try edit(directory + "/tile/entries/001.p/44") { bytes in
            var offset = 0
            for _ in 0..<4 { offset += 2 + (Int(bytes[offset]) << 8 | Int(bytes[offset + 1])) }
            bytes[offset + 2 + 16] ^= 1
        }
        let report = await audit(directory, stateDir: try temporaryDirectory())
        #expect(report.verdict == .failed)
        #expect(report.code == "tampered_entry")
        #expect(report.reason.contains("entry 260"), "\(report.reason)")
    }

    @Test("a forked history fails against the checkpoint seen before")
    func forkedHistory() async throws {
        let stateDir = try temporaryDirectory()
        let honest = try await publishedLog(seed: 1, count: 400)
        #expect(await audit(honest, stateDir: stateDir).verdict == .verified)
        // Same origin and key, another history (another seed), longer.
        let fork = try await publishedLog(seed: 2, count: 500)
        let report = await audit(fork, stateDir: stateDir)
        #expect(report.verdict == .failed)
        #expect(report.code == "forked_history", "\(report.code): \(report.reason)")
        #expect(report.reason.contains("first 400 entries"))
    }

    @Test("a log that shrank since the checkpoint seen before is a rollback")
    func rollback() async throws {
        let stateDir = try temporaryDirectory()
        #expect(await audit(try await publishedLog(seed: 1, count: 400), stateDir: stateDir).verdict == .verified)
        let report = await audit(try await publishedLog(seed: 1, count: 100), stateDir: stateDir)
        #expect(report.verdict == .failed && report.code == "rollback")
    }

    @Test("a bad checkpoint signature fails; a pinned key of another signer fails too")
    func badSignature() async throws {
        let directory = try await publishedLog(count: 50)
        let pristine = try Data(contentsOf: URL(fileURLWithPath: directory + "/checkpoint"))
        // Flip one bit inside the base64 signature (after the em dash line's space).
        try edit(directory + "/checkpoint") { bytes in
            let index = bytes.count - 10
            bytes[index] = bytes[index] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        }
        let report = await audit(directory, stateDir: try temporaryDirectory())
        #expect(report.verdict == .failed && report.code == "bad_signature", "\(report.code): \(report.reason)")

        try pristine.write(to: URL(fileURLWithPath: directory + "/checkpoint"))
        let stranger = try signer(seedByte: 9).verifierKey.description
        let pinned = await audit(directory, stateDir: try temporaryDirectory(), key: stranger)
        #expect(pinned.verdict == .failed && pinned.code == "no_signature_by_key", "\(pinned.code): \(pinned.reason)")
    }

    @Test("a truncated tile is named with its expected length")
    func truncatedTile() async throws {
        let directory = try await publishedLog(count: 300)
        try edit(directory + "/tile/0/000") { bytes in bytes.removeLast(32) }
        let report = await audit(directory, stateDir: try temporaryDirectory())
        #expect(report.verdict == .failed && report.code == "bad_tile")
        #expect(report.reason.contains("tile/0/000 has 8160 bytes") && report.reason.contains("truncated"), "\(report.reason)")
    }

    @Test("an edited published state fails at the first divergent field")
    func stateDivergence() async throws {
        let directory = try await publishedLog(count: 400)
        let path = directory + "/" + LogLayout.state(treeSize: 400)
        var published = try CanonicalEncoding.decode(PublishedState.self, from: Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        let holder = published.balances[3].holder
        published.balances[3].availableMicroCredits += 1
        try Data(CanonicalEncoding.bytes(of: published)).write(to: URL(fileURLWithPath: path))
        let report = await audit(directory, stateDir: try temporaryDirectory())
        #expect(report.verdict == .failed && report.code == "state_divergence")
        #expect(report.reason.contains("balances[\(holder)]"), "\(report.reason)")
    }

    @Test("a missing directory is unreachable (exit 2), a missing tile a failure (exit 1)")
    func missingInputs() async throws {
        let nowhere = await audit("/nonexistent/osg-log", stateDir: try temporaryDirectory())
        #expect(nowhere.verdict == .malformed && nowhere.verdict.exitStatus == 2)
        let directory = try await publishedLog(count: 300)
        try FileManager.default.removeItem(atPath: directory + "/tile/entries/000")
        let report = await audit(directory, stateDir: try temporaryDirectory())
        #expect(report.verdict == .failed && report.code == "missing_file" && report.verdict.exitStatus == 1)
    }
}

@Suite("osg audit: a correctly signed log whose entries do not replay")
struct AuditReplayTests {
    /// Writes a signed log of exactly `leaves` (no store involved), with an empty published state.
    func signedLog(_ leaves: [[UInt8]]) throws -> String {
        let directory = try temporaryDirectory()
        var log = TransparencyLog(origin: testOrigin)
        let files = try log.append(leaves: leaves) + log.partialFiles()
        for file in files {
            let path = directory + "/" + file.path
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(file.bytes).write(to: URL(fileURLWithPath: path))
        }
        try Data(try log.signedCheckpoint(signer: signer()).formatted.utf8).write(to: URL(fileURLWithPath: directory + "/checkpoint"))
        try Data(CanonicalEncoding.bytes(of: CommandLogWorkload.genesis)).write(to: URL(fileURLWithPath: directory + "/genesis.json"))
        return directory
    }

    @Test("an entry whose sequence skips is named as out of order")
    func outOfOrder() async throws {
        let time = Timestamp(secondsSinceEpoch: 1_795_000_000)
        let leaves = [0, 1, 3].map { LogEntry(sequence: $0, time: time, actor: "coordinator", command: .tick).leafBytes }
        let report = await audit(try signedLog(leaves), stateDir: try temporaryDirectory(), key: try signer().verifierKey.description)
        #expect(report.verdict == .failed && report.code == "entry_out_of_order", "\(report.code): \(report.reason)")
        #expect(report.reason.contains("entry 2"))
    }

    @Test("a leaf that is not a log entry is named with its bundle")
    func notAnEntry() async throws {
        let good = LogEntry(sequence: 0, time: Timestamp(secondsSinceEpoch: 1), actor: "a", command: .clear).leafBytes
        let report = await audit(try signedLog([good, Array("not an entry".utf8)]), stateDir: try temporaryDirectory(), key: try signer().verifierKey.description)
        #expect(report.verdict == .failed && report.code == "bad_entry", "\(report.code): \(report.reason)")
        #expect(report.reason.contains("entry 1 (tile/entries/000.p/2)"))
    }
}
