import Crypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import OSGAuth
import OSGCore
import OSGDomain
import OSGRequestBodies
import OSGServer
import Testing

@Suite("Writes carry a signature over the command they ask for, which the log keeps")
struct SignedCommandTests {
    /// Sends `method path` with `json`, signed by `participant`; `edit` changes the headers first.
    static func send(_ client: some TestClientProtocol, _ participant: Participant, _ method: HTTPRequest.Method, _ path: String,
                     json: String = "", at time: Timestamp, signingCommand: Bool = true,
                     edit: (inout HTTPFields) -> Void = { _ in }) async throws -> (status: Int, code: String?) {
        let body = Array(json.utf8)
        var headers = try participant.headers(method.rawValue, path, body: body, time: time, for: try await client.audience(),
                                              signingCommand: signingCommand)
        edit(&headers)
        return try await client.execute(uri: path, method: method, headers: headers, body: body.isEmpty ? nil : ByteBuffer(bytes: body)) { response in
            let object = (try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))) as? [String: Any]
            return (Int(response.status.code), (object?["error"] as? [String: Any])?["code"] as? String)
        }
    }

    /// Runs `body` with a fresh coordinator, a participant and the clock; returns the harness.
    static func withCoordinator(_ body: @escaping @Sendable (any TestClientProtocol, Participant, ManualClock) async throws -> Void) async throws -> Harness {
        let harness = try await Harness.make()
        let participant = Participant(), clock = harness.clock
        try await harness.test { (client: any TestClientProtocol) async throws -> Void in try await body(client, participant, clock) }
        return harness
    }

    static let commandSignature = HTTPField.Name(SignedRequest.Header.commandSignature)!
    static let contentsSalt = HTTPField.Name(SignedRequest.Header.contentsSalt)!

    @Test("each write's entry holds a proof that verifies over it; the coordinator's ticks hold none")
    func entriesCarryProofs() async throws {
        let harness = try await Harness.make()
        let provider = Participant(), tenant = Participant()
        let clock = harness.clock
        try await harness.test { (client: any TestClientProtocol) async throws -> Void in
            #expect(try await client.signed(provider, .post, "/v1/nodes", json: Samples.node("n1"), at: clock.now).status == 201)
            #expect(try await client.signed(provider, .post, "/v1/heartbeats", json: #"{"nodes":["n1"]}"#, at: clock.now).status == 200)
            #expect(try await client.signed(tenant, .post, "/v1/faucet", json: #"{"amount":"100"}"#, at: clock.now).status == 200)
            #expect(try await client.signed(tenant, .post, "/v1/jobs", json: Samples.spec(), at: clock.now).status == 201)
            #expect(try await client.signed(tenant, .post, "/v1/jobs?pool=none", json: Samples.spec(), at: clock.now).status != 401)
            await harness.coordinator.governanceRound()
        }
        let entries = try await harness.store.entries(from: 0, limit: 100)
        let configuration = harness.coordinator.configuration
        let statement = CommandStatement(origin: configuration.logOrigin, genesis: configuration.genesis)
        var check = CommandProofCheck(genesis: configuration.genesis, origin: configuration.logOrigin)
        for entry in entries {
            let signatureProblem = check.signatureProblem(of: entry)
            let orderProblem = check.orderProblem(of: entry)
            #expect(signatureProblem == nil && orderProblem == nil)
            if CommandProofCheck.isMechanical(entry.command) {
                #expect(entry.proof == nil)
            } else {
                guard let proof = entry.proof else {
                    Issue.record("entry \(entry.sequence) carries no proof")
                    continue
                }
                #expect(proof.signerID == entry.actor)
                #expect(statement.bytes(of: entry).map(proof.verifies) == true)
            }
        }
        #expect(entries.contains { if case .deposit(let tenantID, _) = $0.command { tenantID == tenant.id && $0.actor == tenant.id } else { false } },
                "a faucet drip is the tenant's own deposit")
    }

    @Test("a write without the command's signature is refused, 401 missing_command_signature, and nothing is logged")
    func missingSignature() async throws {
        let harness = try await Self.withCoordinator { client, provider, clock in
            let answer = try await Self.send(client, provider, .post, "/v1/nodes", json: Samples.node("n1"), at: clock.now, signingCommand: false)
            #expect(answer.status == 401 && answer.code == "missing_command_signature", "\(answer)")
        }
        #expect(await harness.coordinator.currentState().nextSequence == 0)
    }

    @Test("a signature over another command (or malformed) is refused, and nothing is logged")
    func wrongSignature() async throws {
        let harness = try await Self.withCoordinator { client, provider, clock in
            // The signature of the registration of n2, sent with the body of n1.
            let other = try CommandSigner(audience: try await client.audience(), key: provider.key).headers(
                method: "POST", path: "/v1/nodes", body: Array(Samples.node("n2").utf8), timestamp: clock.now.secondsSinceEpoch, nonce: "nonce-for-n2-0123456")
            var answer = try await Self.send(client, provider, .post, "/v1/nodes", json: Samples.node("n1"), at: clock.now) { headers in
                headers[Self.commandSignature] = other.first { $0.name == SignedRequest.Header.commandSignature }?.value
            }
            #expect(answer.status == 401 && answer.code == "bad_command_signature", "\(answer)")
            answer = try await Self.send(client, provider, .post, "/v1/nodes", json: Samples.node("n1"), at: clock.now) { headers in
                headers[Self.commandSignature] = "00"
            }
            #expect(answer.status == 401 && answer.code == "malformed_auth_header", "\(answer)")
        }
        #expect(await harness.coordinator.currentState().nextSequence == 0)
    }

    @Test("a write is authenticated by its command's signature alone (one verification); a read still by its request signature")
    func oneVerificationPerWrite() async throws {
        _ = try await Self.withCoordinator { client, provider, clock in
            let garbled = String(repeating: "0", count: 128)
            let signatureHeader = HTTPField.Name(SignedRequest.Header.signature)!
            let write = try await Self.send(client, provider, .post, "/v1/nodes", json: Samples.node("n1"), at: clock.now) { headers in
                headers[signatureHeader] = garbled
            }
            #expect(write.status == 201, "the command signature authenticates the write: \(write)")
            let read = try await Self.send(client, provider, .get, "/v1/leases", at: clock.now) { headers in
                headers[signatureHeader] = garbled
                headers[Self.commandSignature] = garbled
            }
            #expect(read.status == 401 && read.code == "bad_signature", "\(read)")
            // The nonce of a write is spent once its command's signature holds: the same request again is a replay.
            let nonce = Participant.freshNonce()
            let body = Array(#"{"nodes":["n1"]}"#.utf8)
            let headers = try provider.headers("POST", "/v1/heartbeats", body: body, time: clock.now, nonce: nonce, for: try await client.audience())
            for expected in [200, 401] {
                let status = try await client.execute(uri: "/v1/heartbeats", method: .post, headers: headers, body: ByteBuffer(bytes: body)) { Int($0.status.code) }
                #expect(status == expected)
            }
        }
    }

    @Test("a job's contents salt is the client's: another salt breaks the signature; a malformed one is a 400")
    func contentsSalt() async throws {
        _ = try await Self.withCoordinator { client, tenant, clock in
            #expect(try await client.signed(tenant, .post, "/v1/faucet", json: #"{"amount":"100"}"#, at: clock.now).status == 200)
            var answer = try await Self.send(client, tenant, .post, "/v1/jobs", json: Samples.spec(), at: clock.now) { headers in
                headers[Self.contentsSalt] = String(repeating: "ab", count: 32)
            }
            #expect(answer.status == 401 && answer.code == "bad_command_signature", "\(answer)")
            answer = try await Self.send(client, tenant, .post, "/v1/jobs", json: Samples.spec(), at: clock.now) { headers in
                headers[Self.contentsSalt] = "xyz"
            }
            #expect(answer.status == 400 && answer.code == "malformed_contents_salt", "\(answer)")
            answer = try await Self.send(client, tenant, .post, "/v1/jobs", json: Samples.spec(), at: clock.now)
            #expect(answer.status == 201, "\(answer)")
        }
    }

    @Test("a log that predates proofs keeps its genesis: writes without the header are logged, proofs sent are kept")
    func legacyLogAcceptsUnsignedCommands() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("osg-legacy-\(UInt64.random(in: 0..<UInt64.max))").path
        let governance = Curve25519.Signing.PrivateKey()
        // The first start writes the genesis an earlier version wrote: no proofs, no faucet rule.
        let old = try await Harness.make(dataDirectory: directory, governance: governance) {
            $0.signedCommands = false
            $0.devnetFaucet = false
        }
        #expect(old.coordinator.configuration.genesis.signedCommands == nil)
        await old.coordinator.shutdownStoreForTests(dropSchema: false)
        let harness = try await Harness.make(dataDirectory: directory, governance: governance)
        #expect(harness.coordinator.configuration.genesis.signedCommands == nil, "the log keeps its genesis")
        let provider = Participant()
        let clock = harness.clock
        try await harness.test { (client: any TestClientProtocol) async throws -> Void in
            let unsigned = try await Self.send(client, provider, .post, "/v1/nodes", json: Samples.node("n1"), at: clock.now, signingCommand: false)
            #expect(unsigned.status == 201, "\(unsigned)")
            let signed = try await Self.send(client, provider, .post, "/v1/nodes", json: Samples.node("n2"), at: clock.now)
            #expect(signed.status == 201, "\(signed)")
        }
        let entries = try await harness.store.entries(from: 0, limit: 10)
        #expect(entries.map { $0.proof != nil } == [false, true])
    }
}
