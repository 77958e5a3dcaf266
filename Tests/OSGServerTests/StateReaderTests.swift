import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import OSGServer
import Testing

@Suite("Reads come from copies of the state taken off the writer; a key always reads its own writes")
struct StateReaderTests {
    @Test("with copies reused for a minute, a tenant still sees its own job and balance at once, and public views catch up within the copy's age")
    func readYourWrites() async throws {
        let harness = try await Harness.make { configuration in
            configuration.readCopyMilliseconds = 60_000
            configuration.publicCacheMilliseconds = 0
        }
        let clock = harness.clock
        let tenant = Participant()
        let provider = Participant()
        try await harness.test { client in
            // A first read takes a copy of the empty state.
            #expect(try await client.get("/v1/nodes").json["nodes"] as? [Any] != nil)
            #expect(try await client.signed(tenant, .post, "/v1/faucet", json: #"{"amount":"100"}"#, at: clock.now).status == 200)
            let account = try await client.signed(tenant, .get, "/v1/account", at: clock.now)
            #expect(account.json["available"] as? String == "100", "the tenant reads its own deposit")
            let submitted = try await client.signed(tenant, .post, "/v1/jobs", json: Samples.spec(), at: clock.now)
            let job = try #require(submitted.json["job"] as? String)
            let own = try await client.signed(tenant, .get, "/v1/jobs/\(job)", at: clock.now)
            #expect(own.status == 200, "the tenant reads its own job at once")
            let list = try await client.signed(tenant, .get, "/v1/jobs", at: clock.now)
            #expect((list.json["jobs"] as? [[String: Any]])?.count == 1)
            // The operator registers a node and reads its own leases (a fresh copy).
            #expect(try await client.signed(provider, .post, "/v1/nodes", json: Samples.node("n1"), at: clock.now).status == 201)
            #expect(try await client.signed(provider, .get, "/v1/leases", at: clock.now).status == 200)
        }
    }
}
