import Foundation
import HummingbirdTesting
import OSGCore
import OSGDomain
import OSGServer
import Testing

@Suite("Set-aside pool funding over HTTP: a governance route, and the funding left in the public view")
struct PoolFundingAPITests {
    @Test("governance defines a pool with a ceiling and funds it; others cannot; /v1/set-asides shows ceiling and funding")
    func fundAndShow() async throws {
        let harness = try await Harness.make()
        let governance = Participant(key: harness.governance)
        let stranger = Participant()
        let clock = harness.clock
        try await harness.test { client in
            let low = try await client.signed(governance, .post, "/v1/pools", json: #"{"name":"civic","share_ppm":100000,"price":"1","ceiling":"0.5"}"#, at: clock.now)
            #expect(low.status == 422 && (low.json["error"] as? [String: Any])?["code"] as? String == "ceiling_below_price", "\(low.json)")
            let defined = try await client.signed(governance, .post, "/v1/pools", json: #"{"name":"students","share_ppm":250000,"price":"0.50","ceiling":"3"}"#, at: clock.now)
            #expect(defined.status == 201, "\(defined.json)")

            let refused = try await client.signed(stranger, .post, "/v1/pools/students/funding", json: #"{"amount":"10"}"#, at: clock.now)
            #expect(refused.status == 403, "\(refused.json)")
            let unknown = try await client.signed(governance, .post, "/v1/pools/nobody/funding", json: #"{"amount":"10"}"#, at: clock.now)
            #expect(unknown.status == 404, "\(unknown.json)")
            let zero = try await client.signed(governance, .post, "/v1/pools/students/funding", json: #"{"amount":"0"}"#, at: clock.now)
            #expect(zero.status == 400, "\(zero.json)")
            let extra = try await client.signed(governance, .post, "/v1/pools/students/funding", json: #"{"amount":"1","pool":"x"}"#, at: clock.now)
            #expect(extra.status == 400, "unknown fields are refused: \(extra.json)")

            let funded = try await client.signed(governance, .post, "/v1/pools/students/funding", json: #"{"amount":"250.5"}"#, at: clock.now)
            #expect(funded.status == 200, "\(funded.json)")
            #expect(funded.json["pool"] as? String == "students" && funded.json["funded"] as? String == "250.5")
            #expect(funded.json["funding"] as? String == "250.5")
            clock.advance(by: 2)
            let view = try await client.get("/v1/set-asides")
            let pool = (view.json["pools"] as? [[String: Any]])?.first { $0["name"] as? String == "students" }
            #expect(pool?["price"] as? String == "0.5" && pool?["ceiling"] as? String == "3" && pool?["funding"] as? String == "250.5", "\(view.json)")
        }
        let state = await harness.coordinator.currentState()
        #expect(state.poolFunding(of: "students") == MicroCredits(250_500_000))
        #expect(state.pools["students"]?.ceilingPerGPUHour == MicroCredits(3_000_000))
    }
}
