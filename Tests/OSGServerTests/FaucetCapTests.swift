import Crypto
import Foundation
import HummingbirdTesting
import OSGDomain
import OSGServer
import Testing

@Suite("The devnet faucet's balance cap holds under concurrent requests")
struct FaucetCapTests {
    @Test("many concurrent faucet calls for one key never push its balance over the cap")
    func concurrentCalls() async throws {
        let harness = try await Harness.make { $0.faucetBalanceCap = MicroCredits(10 * MicroCredits.perCredit) }
        let tenant = Participant()
        let clock = harness.clock
        try await harness.test { client in
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<40 {
                    group.addTask { try await client.signed(tenant, .post, "/v1/faucet", json: #"{"amount":"1"}"#, at: clock.now).status }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 200 }.count == 10, "\(statuses)")
            #expect(statuses.filter { $0 == 422 }.count == 30, "the rest are refused with faucet_cap")
            let r = try await client.signed(tenant, .get, "/v1/account", at: clock.now)
            #expect(r.json["available"] as? String == "10", "\(r.json)")
        }
        let balance = await harness.coordinator.currentState().availableFunds(of: tenant.id)
        #expect(balance == MicroCredits(10 * MicroCredits.perCredit))
    }

    @Test("without --devnet-faucet the faucet does not exist: 404 faucet_disabled, nothing logged, no credits")
    func offByDefault() async throws {
        #expect(ServerConfiguration(governanceKey: .init()).devnetFaucet == false, "a coordinator starts without a faucet")
        let harness = try await Harness.make { $0.devnetFaucet = false }
        let tenant = Participant()
        let clock = harness.clock
        try await harness.test { client in
            let r = try await client.signed(tenant, .post, "/v1/faucet", json: #"{"amount":"1"}"#, at: clock.now)
            #expect(r.status == 404)
            #expect((r.json["error"] as? [String: Any])?["code"] as? String == "faucet_disabled")
        }
        let state = await harness.coordinator.currentState()
        #expect(state.availableFunds(of: tenant.id) == .zero)
    }
}
