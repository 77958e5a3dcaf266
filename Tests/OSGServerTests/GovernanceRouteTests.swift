import Crypto
import Foundation
import HummingbirdTesting
import OSGCore
import OSGDomain
import OSGServer
import Testing

/// `GET|POST /v1/governance` (docs/API.md, "Governance by quorum").
@Suite("Governance by quorum over the API")
struct GovernanceRouteTests {
    static let members = (1...3).map { try! Curve25519.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: UInt8($0 + 40), count: 32)) }
    static let rules = GovernanceRules(keys: members.map { Identity(publicKey: $0.publicKey).id }, quorum: 2)
    static let pool = Command.definePool(SetAsidePool(name: "students", sharePPM: 100_000, pricePerGPUHour: MicroCredits(500_000)))

    /// `POST /v1/governance`'s body for `command` approved by `members` at `counter`.
    static func body(_ command: Command, counter: UInt64, by members: [Int], in state: CoordinatorState) throws -> String {
        let approvals = try members.map { try state.governanceStatement.approve(counter: counter, command: command, with: Self.members[$0]) }
        let list = approvals.map { #"{"key":"\#($0.keyID)","signature":"\#(Hex.encode($0.signature))"}"# }.joined(separator: ",")
        return #"{"counter":\#(counter),"command":"\#(Hex.encode(command.encodedBytes))","approvals":[\#(list)]}"#
    }

    @Test("a quorum's command is logged once; one short, a replay, bad bytes and the coordinator's own key are refused")
    func quorumOverHTTP() async throws {
        let harness = try await Harness.make { $0.governanceRules = Self.rules }
        let submitter = Participant()
        let coordinatorKey = Participant(key: harness.governance)
        let clock = harness.clock
        let state = await harness.coordinator.currentState()
        try await harness.test { (client: any TestClientProtocol) async throws -> Void in
            let view = try await client.get("/v1/governance").json
            #expect(view["mode"] as? String == "quorum" && view["quorum"] as? Int == 2 && view["counter"] as? Int == 0, "\(view)")
            #expect(view["keys"] as? [String] == Self.rules.keys)
            #expect(view["genesis_sha256"] as? String == Hex.encode(state.governanceStatement.genesisDigest))

            let direct = try await client.signed(coordinatorKey, .post, "/v1/pools", json: #"{"name":"students","share_ppm":100000,"price":"0.50"}"#, at: clock.now)
            #expect(direct.status == 403 && (direct.json["error"] as? [String: Any])?["code"] as? String == "not_governance", "\(direct)")

            let short = try await client.signed(submitter, .post, "/v1/governance", json: try Self.body(Self.pool, counter: 0, by: [1], in: state), at: clock.now)
            #expect(short.status == 403 && (short.json["error"] as? [String: Any])?["code"] as? String == "governance_quorum_short", "\(short)")

            let body = try Self.body(Self.pool, counter: 0, by: [0, 2], in: state)
            let accepted = try await client.signed(submitter, .post, "/v1/governance", json: body, at: clock.now)
            #expect(accepted.status == 201, "\(accepted)")
            #expect(accepted.json["events"] as? [String] == ["governance_approved", "pool_defined"], "\(accepted.json)")
            #expect(try await client.get("/v1/governance").json["counter"] as? Int == 1)

            let replay = try await client.signed(submitter, .post, "/v1/governance", json: body, at: clock.now)
            #expect(replay.status == 409 && (replay.json["error"] as? [String: Any])?["code"] as? String == "stale_governance_counter", "\(replay)")

            let garbage = try await client.signed(submitter, .post, "/v1/governance", json: #"{"counter":1,"command":"17ff","approvals":[]}"#, at: clock.now)
            #expect(garbage.status == 422 && (garbage.json["error"] as? [String: Any])?["code"] as? String == "invalid_command", "\(garbage)")
            let job = Hex.encode(Command.cancelJob(orderID: "j").encodedBytes)
            let ungovernable = try await client.signed(submitter, .post, "/v1/governance", json: #"{"counter":1,"command":"\#(job)","approvals":[]}"#, at: clock.now)
            #expect(ungovernable.status == 422 && (ungovernable.json["error"] as? [String: Any])?["code"] as? String == "not_governable", "\(ungovernable)")
        }
        let after = await harness.coordinator.currentState()
        #expect(after.pools["students"] != nil && after.governance?.counter == 1)
        // Refusals at the door are not logged: the one accepted command is the log's only entry.
        #expect(after.nextSequence == 1, "entries logged: \(after.nextSequence)")
    }

    @Test("a coordinator without governance keys says so and takes no governed command")
    func singleKey() async throws {
        let harness = try await Harness.make()
        let state = await harness.coordinator.currentState()
        let clock = harness.clock
        try await harness.test { (client: any TestClientProtocol) async throws -> Void in
            let view = try await client.get("/v1/governance").json
            #expect(view["mode"] as? String == "coordinator_key" && view["counter"] == nil, "\(view)")
            let body = #"{"counter":0,"command":"\#(Hex.encode(Self.pool.encodedBytes))","approvals":[{"key":"\#(Hex.encode(Self.members[0].publicKey.rawRepresentation))","signature":"\#(String(repeating: "00", count: 64))"}]}"#
            let refused = try await client.signed(Participant(), .post, "/v1/governance", json: body, at: clock.now)
            #expect(refused.status == 409 && (refused.json["error"] as? [String: Any])?["code"] as? String == "not_enabled", "\(refused)")
        }
        #expect(state.governance == nil)
    }
}
