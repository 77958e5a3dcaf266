import Crypto
import Foundation
import Logging
import OSGAuditTool
import OSGLog
import OSGServer
import OSGTransparency
import Testing
@testable import OSGCommands

/// A coordinator with a witness (`osg serve --witness`, `osg witness`) over loopback: its
/// checkpoints are served cosigned and `osg audit --witness --quorum` accepts them; a second
/// coordinator with the same log key but another history — the split view — gets no
/// cosignature from that witness, and an auditor requiring it refuses that view.
@Suite("Witnesses: cosigned checkpoints and a split view detected")
struct WitnessFlowTests {
    static let logger = AgentBenchCommand.quietLogger("osg.test.witness")

    /// Runs a witness for `logKey` on a free loopback port while `body` runs.
    static func withWitness<T>(logKey: NoteVerifierKey, key: CosignerSigningKey, _ body: (Int) async throws -> T) async throws -> T {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("osg-witness-flow-\(UInt64.random(in: 0...UInt64.max))")
        defer { try? FileManager.default.removeItem(at: state) }
        let witness = try Witness(key: key, logs: [logKey], stateDirectory: state)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let application = WitnessServer.application(witness: witness, host: "127.0.0.1", port: 0, logger: logger, onServerRunning: { port in
            continuation.yield(port)
            continuation.finish()
        })
        let server = Task { try await application.runService(gracefulShutdownSignals: []) }
        defer { server.cancel() }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        return try await body(port)
    }

    /// A coordinator publishing its log (a checkpoint after every batch) with `witnesses`.
    static func coordinator(governance: Curve25519.Signing.PrivateKey, witnesses: [CheckpointCosigner.Endpoint]) async throws -> (LocalCoordinator, String) {
        var configuration = ServerConfiguration(governanceKey: governance)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("osg-witness-coordinator-\(UInt64.random(in: 0...UInt64.max))").path
        configuration.dataDirectory = directory
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.devnetFaucet = true
        configuration.clearIntervalSeconds = 0
        configuration.origin = "osg.test/witnessed"
        configuration.witnesses = witnesses
        return (try await LocalCoordinator.start(configuration, checkpointInterval: .zero, logger: logger), directory)
    }

    /// Makes `writes` writes, then one more every 100 ms (a checkpoint is published after a
    /// batch, once the one before it is written) until a served checkpoint has at least `size`
    /// entries (at most 20 s); returns its note.
    static func publish(_ local: LocalCoordinator, writes: Int, atLeast size: UInt64) async throws -> SignedNote {
        func write() async throws {
            let tenant = CoordinatorClient(baseURL: local.url, key: .init())
            let answer = try await tenant.send(.POST, "/v1/faucet", body: Array(#"{"amount":"5"}"#.utf8))
            #expect(answer.status == 200, "\(answer.errorSummary)")
        }
        for _ in 0..<writes { try await write() }
        let reader = CoordinatorClient(baseURL: local.url, key: nil)
        let deadline = ContinuousClock.now + .seconds(20)
        var seen = "nothing"
        while ContinuousClock.now < deadline {
            let answer = try await reader.send(.GET, "/log/checkpoint")
            seen = "\(answer.status) \(answer.text.replacingOccurrences(of: "\n", with: " | ").prefix(300))"
            if answer.status == 200, let note = try? SignedNote(parsing: answer.body), let checkpoint = try? Checkpoint(parsing: note.text),
               checkpoint.size >= size {
                return note
            }
            try await Task.sleep(for: .milliseconds(100))
            try await write()
        }
        throw BlobTransfer.Failure(description: "no checkpoint of \(size) entries within 20 s; the last answer: \(seen)")
    }

    static func audit(_ local: LocalCoordinator, witnesses: [CosignerKey], quorum: Int, maxAge: UInt64? = nil, later: UInt64 = 0) async -> AuditReport {
        let store = AuditTrustStore(directory: FileManager.default.temporaryDirectory.appendingPathComponent("osg-witness-audit-\(UInt64.random(in: 0...UInt64.max))").path)
        let now = UInt64(Date().timeIntervalSince1970) + later
        return await LogAuditor(source: HTTPLogSource(prefix: local.url + "/log"), trustStore: store, witnesses: witnesses, quorum: quorum,
                                maxCosignatureAge: maxAge, unixSeconds: { now }).audit()
    }

    @Test("checkpoints are served cosigned and audited with a quorum; a forked history of the same log gets no cosignature and fails the quorum")
    func cosignedAndSplitViewDetected() async throws {
        let governance = Curve25519.Signing.PrivateKey()
        let logKey = try NoteSignerKey(name: "osg.test/witnessed", seed: Array(governance.rawRepresentation)).verifierKey
        let witnessKey = try CosignerSigningKey(name: "witness.test/w1", privateKey: .init())
        let absent = try CosignerSigningKey(name: "witness.test/w2", privateKey: .init()).verifierKey
        try await Self.withWitness(logKey: logKey, key: witnessKey) { port in
            let endpoint = try CheckpointCosigner.Endpoint(parsing: "http://127.0.0.1:\(port)=\(witnessKey.verifierKey)")
            // The honest view.
            let (honest, honestDirectory) = try await Self.coordinator(governance: governance, witnesses: [endpoint])
            defer { try? FileManager.default.removeItem(atPath: honestDirectory) }
            var note = try await Self.publish(honest, writes: 3, atLeast: 3)
            // Cosignatures arrive with the next checkpoint once the witness has answered.
            for _ in 0..<20 where CosignerKey.validCosigners(of: note, among: [witnessKey.verifierKey]).isEmpty {
                let size = try Checkpoint(parsing: note.text).size
                note = try await Self.publish(honest, writes: 1, atLeast: size + 1)
            }
            #expect(CosignerKey.validCosigners(of: note, among: [witnessKey.verifierKey]) == [witnessKey.verifierKey], "\(note.formatted)")
            #expect(note.verify(with: logKey).isVerified)
            let verified = await Self.audit(honest, witnesses: [witnessKey.verifierKey], quorum: 1)
            #expect(verified.verdict == .verified, "\(verified.code): \(verified.reason)")
            #expect(verified.cosigners == ["witness.test/w1"])
            // A frozen view: the same cosigned checkpoint, an hour later, against a 10-minute limit.
            let fresh = await Self.audit(honest, witnesses: [witnessKey.verifierKey], quorum: 1, maxAge: 600)
            #expect(fresh.verdict == .verified, "\(fresh.code): \(fresh.reason)")
            let frozen = await Self.audit(honest, witnesses: [witnessKey.verifierKey], quorum: 1, maxAge: 600, later: 3_600)
            #expect(frozen.verdict == .failed && frozen.code == "witness_quorum", "\(frozen.code): \(frozen.reason)")
            let short = await Self.audit(honest, witnesses: [witnessKey.verifierKey, absent], quorum: 2)
            #expect(short.verdict == .failed && short.code == "witness_quorum", "\(short.code): \(short.reason)")
            // A client verb (`--witness KEY --quorum 1`) reads this coordinator's answers.
            var reader = CoordinatorClient(baseURL: honest.url, key: nil)
            reader.witnessQuorum = WitnessQuorum(witnesses: [witnessKey.verifierKey], quorum: 1, maxAge: nil)
            #expect(try await reader.send(.GET, "/v1/stats").status == 200)
            let twoRequired = WitnessQuorum(witnesses: [witnessKey.verifierKey, absent], quorum: 2, maxAge: nil)
            await #expect(throws: WitnessQuorum.Refusal.self) { _ = try await twoRequired.check(CoordinatorClient(baseURL: honest.url, key: nil)) }
            _ = await honest.stop()

            // The split view: the same log key and origin, another history, the same witness.
            let (forked, forkedDirectory) = try await Self.coordinator(governance: governance, witnesses: [endpoint])
            defer { try? FileManager.default.removeItem(atPath: forkedDirectory) }
            let forkedNote = try await Self.publish(forked, writes: 12, atLeast: 12)
            #expect(forkedNote.verify(with: logKey).isVerified, "the fork is signed by the log's own key")
            #expect(CosignerKey.validCosigners(of: forkedNote, among: [witnessKey.verifierKey]).isEmpty, "the witness cosigned a fork: \(forkedNote.formatted)")
            // A client verb requiring the witness refuses the fork's answers before asking.
            var splitReader = CoordinatorClient(baseURL: forked.url, key: nil)
            splitReader.witnessQuorum = WitnessQuorum(witnesses: [witnessKey.verifierKey], quorum: 1, maxAge: nil)
            do {
                _ = try await splitReader.send(.GET, "/v1/stats")
                Issue.record("a client requiring the witness read the forked coordinator's answers")
            } catch {
                #expect("\(error)".contains("witness_quorum"), "\(error)")
            }
            let refused = await Self.audit(forked, witnesses: [witnessKey.verifierKey], quorum: 1)
            #expect(refused.verdict == .failed && refused.code == "witness_quorum", "\(refused.code): \(refused.reason)")
            // Without a witness, the fork passes an audit: what the witness adds.
            let unwitnessed = await Self.audit(forked, witnesses: [], quorum: 0)
            #expect(unwitnessed.verdict == .verified, "\(unwitnessed.code): \(unwitnessed.reason)")
            _ = await forked.stop()
        }
    }
}

@Suite("Client verbs' --witness, --quorum and OSG_WITNESSES")
struct WitnessQuorumOptionTests {
    @Test("keys from flags or the environment; the quorum defaults to all; bad keys and quorums are named")
    func resolve() throws {
        let a = try CosignerSigningKey(name: "witness.test/a", privateKey: .init()).verifierKey
        let b = try CosignerSigningKey(name: "witness.test/b", privateKey: .init()).verifierKey
        #expect(try WitnessQuorum.resolve(witness: [], quorum: nil, maxAge: nil, environment: [:]) == nil)
        let flags = try #require(try WitnessQuorum.resolve(witness: ["\(a)", "\(b)"], quorum: nil, maxAge: nil, environment: [:]))
        #expect(flags.quorum == 2 && flags.witnesses == [a, b])
        let environment = try #require(try WitnessQuorum.resolve(witness: [], quorum: nil, maxAge: 60,
                                                                 environment: ["OSG_WITNESSES": "\(a), \(b)", "OSG_QUORUM": "1"]))
        #expect(environment.quorum == 1 && environment.witnesses == [a, b] && environment.maxAge == 60)
        #expect(throws: WitnessQuorum.Refusal.self) { try WitnessQuorum.resolve(witness: ["\(a)"], quorum: 2, maxAge: nil, environment: [:]) }
        #expect(throws: WitnessQuorum.Refusal.self) { try WitnessQuorum.resolve(witness: ["not-a-key"], quorum: nil, maxAge: nil, environment: [:]) }
        #expect(throws: WitnessQuorum.Refusal.self) { try WitnessQuorum.resolve(witness: [], quorum: 1, maxAge: nil, environment: [:]) }
    }
}
