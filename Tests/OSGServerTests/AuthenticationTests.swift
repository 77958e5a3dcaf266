import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import OSGDomain
import OSGServer
import Testing

@Suite("Signed writes: refusals for stale, replayed, forged and oversized requests, and rate limits")
struct AuthenticationTests {
    static func errorCode(_ json: [String: Any]) -> String? { (json["error"] as? [String: Any])?["code"] as? String }

    @Test("a reused nonce, a stale or future timestamp, a forged signature and a body swap are refused with 401")
    func refusals() async throws {
        let harness = try await Harness.make()
        let clock = harness.clock
        let user = Participant()
        try await harness.test { client in
            let body = Array(#"{"amount":"1"}"#.utf8)
            let headers = try user.headers("POST", "/v1/faucet", body: body, time: clock.now, nonce: "nonce-aaaaaaaaaaaaaaaa", for: harness.coordinator.audience)
            let first = try await client.execute(uri: "/v1/faucet", method: .post, headers: headers, body: ByteBuffer(bytes: body)) { $0.status }
            #expect(first == .ok)
            try await client.execute(uri: "/v1/faucet", method: .post, headers: headers, body: ByteBuffer(bytes: body)) { response in
                #expect(response.status == .unauthorized)
                #expect(Self.errorCode(TestClient.object(response.body)) == "nonce_reused")
            }
            for (offset, code) in [(-600, "stale_timestamp"), (600, "future_timestamp")] {
                let h = try user.headers("POST", "/v1/faucet", body: body, time: clock.now.adding(seconds: Int64(offset)), for: harness.coordinator.audience)
                try await client.execute(uri: "/v1/faucet", method: .post, headers: h, body: ByteBuffer(bytes: body)) { response in
                    #expect(response.status == .unauthorized)
                    #expect(Self.errorCode(TestClient.object(response.body)) == code)
                }
            }
            let swapped = Array(#"{"amount":"999"}"#.utf8)
            let h = try user.headers("POST", "/v1/faucet", body: body, time: clock.now, for: harness.coordinator.audience)
            // A write is authenticated by its command's signature: another body asks for another command.
            try await client.execute(uri: "/v1/faucet", method: .post, headers: h, body: ByteBuffer(bytes: swapped)) { response in
                #expect(response.status == .unauthorized)
                #expect(Self.errorCode(TestClient.object(response.body)) == "bad_command_signature")
            }
            var missing = try user.headers("POST", "/v1/faucet", body: body, time: clock.now, for: harness.coordinator.audience)
            missing[HTTPField.Name("OSG-Signature")!] = nil
            try await client.execute(uri: "/v1/faucet", method: .post, headers: missing, body: ByteBuffer(bytes: body)) { response in
                #expect(response.status == .unauthorized)
                #expect(Self.errorCode(TestClient.object(response.body)) == "missing_auth_header")
            }
        }
    }

    @Test("more requests than the per-key rate allows get 429 with Retry-After (forgeries under the key cost it nothing); a body over the limit gets 413")
    func limits() async throws {
        let harness = try await Harness.make { configuration in
            configuration.ratePerSecondPerKey = 0.01  // one token per 100 s: no refill during the test
            configuration.rateBurstPerKey = 3
            configuration.maxBodyBytes = 1_024
        }
        let clock = harness.clock
        let user = Participant()
        try await harness.test { client in
            // Forged requests under the user's key are refused and do not spend its budget.
            let forger = Participant()
            for _ in 0..<5 {
                var forged = try forger.headers("GET", "/v1/account", time: clock.now, for: harness.coordinator.audience)
                forged[HTTPField.Name("OSG-Key")!] = user.id
                try await client.execute(uri: "/v1/account", method: .get, headers: forged) { response in
                    #expect(response.status == .unauthorized)
                }
            }
            var statuses: [Int] = []
            for _ in 0..<5 {
                statuses.append(try await client.signed(user, .get, "/v1/account", at: clock.now).status)
            }
            #expect(statuses.prefix(3).allSatisfy { $0 == 200 })
            #expect(statuses.last == 429)
            let other = Participant()
            #expect(try await client.signed(other, .get, "/v1/account", at: clock.now).status == 200, "limits are per key")
            let big = "{\"lines\":[\"" + String(repeating: "x", count: 4_000) + "\"]}"
            let r = try await client.signed(other, .post, "/v1/leases/lease-1/logs", json: big, at: clock.now)
            #expect(r.status == 413)
            #expect(Self.errorCode(r.json) == "body_too_large")
        }
    }
}

extension TestClient {
    static func object(_ buffer: ByteBuffer) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView))) as? [String: Any] ?? [:]
    }
}
