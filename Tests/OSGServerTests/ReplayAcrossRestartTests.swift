import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import OSGAuth
import OSGServer
import Testing

@Suite("Replays fail: across restarts (the store keeps the nonce window) and across coordinators (origin and genesis are signed)")
struct ReplayAcrossRestartTests {
    static func errorCode(_ json: [String: Any]) -> String? { (json["error"] as? [String: Any])?["code"] as? String }

    static func send(_ client: any TestClientProtocol, _ headers: HTTPFields, _ body: [UInt8]) async throws -> (Int, String?) {
        try await client.execute(uri: "/v1/faucet", method: .post, headers: headers, body: ByteBuffer(bytes: body)) { response in
            (Int(response.status.code), Self.errorCode(TestClient.object(response.body)))
        }
    }

    @Test("a faucet request accepted before a restart is refused after it as a replay", arguments: ServerStoreKind.available)
    func replayAfterRestart(_ kind: ServerStoreKind) async throws {
        let clock = ManualClock()
        let harness = try await Harness.make(kind, clock: clock)
        let user = Participant()
        let body = Array(#"{"amount":"5"}"#.utf8)
        let headers = try user.headers("POST", "/v1/faucet", body: body, time: clock.now, for: harness.coordinator.audience)
        let first = try await harness.test { client in try await Self.send(client, headers, body) }
        #expect(first.0 == 200)
        await harness.coordinator.shutdownStoreForTests(dropSchema: false)

        clock.advance(by: 30)  // still inside the 120 s window
        let reopened = try await Harness.make(kind, dataDirectory: harness.dataDirectory, schema: harness.schema,
                                              governance: harness.governance, clock: clock)
        try await reopened.test { client in
            let replay = try await Self.send(client, headers, body)
            #expect(replay.0 == 401)
            #expect(replay.1 == "nonce_reused")
            // The balance holds the one deposit.
            let account = try await client.signed(user, .get, "/v1/account", at: clock.now)
            #expect(account.json["available"] as? String == "5")
        }
        await reopened.coordinator.shutdownStoreForTests(dropSchema: true)
    }

    @Test("the store forgets nonces once they leave the window, and a request that old is refused as stale anyway")
    func storeForgetsOldNonces() async throws {
        let clock = ManualClock()
        let harness = try await Harness.make(.sqlite, clock: clock)
        let user = Participant()
        try await harness.test { client in
            let first = try await client.signed(user, .post, "/v1/faucet", json: #"{"amount":"1"}"#, at: clock.now)
            clock.advance(by: 500)
            let second = try await client.signed(user, .post, "/v1/faucet", json: #"{"amount":"1"}"#, at: clock.now)
            #expect(first.status == 200 && second.status == 200)
        }
        let store = try await CoordinatorStore.open(dataDirectory: harness.dataDirectory, databaseURL: nil)
        let kept = try await store.acceptedNonces(since: .min)
        #expect(kept.count == 1, "the first nonce left the window at the second append")
        #expect(kept.first?.timestamp == clock.now.secondsSinceEpoch)
    }

    @Test("a request signed for one coordinator is refused by another, and /v1/info names what to sign")
    func otherCoordinatorRefuses() async throws {
        let clock = ManualClock()
        let first = try await Harness.make(.sqlite, clock: clock)
        let second = try await Harness.make(.sqlite, clock: clock)
        #expect(first.coordinator.audience != second.coordinator.audience)
        let user = Participant()
        let body = Array(#"{"amount":"5"}"#.utf8)
        let headers = try user.headers("POST", "/v1/faucet", body: body, time: clock.now, for: first.coordinator.audience)
        try await second.test { client in
            let answer = try await Self.send(client, headers, body)
            #expect(answer.0 == 401)
            // A write is authenticated by its command's signature, which binds the origin and genesis too.
            #expect(answer.1 == "bad_command_signature")
            let info = try await client.get("/v1/info")
            #expect(info.status == 200)
            #expect(info.json["signature_scheme"] as? String == "OSG-REQUEST-V2")
            #expect(info.json["origin"] as? String == second.coordinator.audience.origin)
            #expect(info.json["genesis"] as? String == second.coordinator.audience.genesisHex)
        }
        let accepted = try await first.test { client in try await Self.send(client, headers, body) }
        #expect(accepted.0 == 200, "the coordinator it was signed for accepts it")
    }
}
