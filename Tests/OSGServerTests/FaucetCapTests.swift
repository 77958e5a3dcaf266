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

@Suite("An existing log keeps its genesis: its faucet rule, the rules of the version that made it")
struct GenesisAdoptionTests {
    @Test("the faucet is the log's, whatever --devnet-faucet says now; older genesis kept; another genesis untouched")
    func adoption() {
        var configuration = ServerConfiguration(governanceKey: .init())
        configuration.devnetFaucet = true
        let stored = configuration.genesis
        var turnedOff = configuration
        turnedOff.devnetFaucet = false
        #expect(turnedOff.adopting(storedGenesis: stored).genesis == stored)
        var otherCap = configuration
        otherCap.faucetBalanceCap = MicroCredits(5)
        #expect(otherCap.adopting(storedGenesis: stored).genesis == stored)
        var noFaucet = configuration
        noFaucet.devnetFaucet = false
        #expect(configuration.adopting(storedGenesis: noFaucet.genesis).genesis.faucet == nil, "a log without a faucet keeps none")
        var legacy = configuration
        legacy.signedCommands = false
        legacy.devnetFaucet = false
        legacy.moneyRules = nil
        #expect(configuration.adopting(storedGenesis: legacy.genesis).genesis == legacy.genesis, "a log from before money rules and proofs")
        var different = configuration
        different.heartbeatTimeoutSeconds = 7
        #expect(configuration.adopting(storedGenesis: different.genesis).genesis == configuration.genesis, "another log's genesis is not adopted")
        #expect(configuration.adopting(storedGenesis: nil).genesis == configuration.genesis)
    }
}
