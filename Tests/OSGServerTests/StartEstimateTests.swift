import Foundation
import Hummingbird
import HummingbirdTesting
import OSGServer
import Testing

@Suite("A pending job's estimated start: the head's reservation, else its class's published median queue time")
struct StartEstimateTests {
    @Test("no estimate without data; the median of the class once jobs started; the reservation for the head of the queue")
    func estimates() async throws {
        let harness = try await Harness.make()
        let clock = harness.clock
        let tenant = Participant()
        let provider = Participant()
        try await harness.test { client in
            #expect(try await client.signed(provider, .post, "/v1/nodes", json: Samples.node("n1", gpus: 8), at: clock.now).status == 201)
            #expect(try await client.signed(tenant, .post, "/v1/faucet", json: #"{"amount":"1000"}"#, at: clock.now).status == 200)
            let first = try await client.signed(tenant, .post, "/v1/jobs", json: Samples.spec(name: "first", gpus: 8), at: clock.now)
            let firstID = try #require(first.json["job"] as? String)
            let pending = try await client.signed(tenant, .get, "/v1/jobs/\(firstID)", at: clock.now).json
            #expect(pending["estimated_start"] == nil, "no started job, no reservation: nothing to estimate from: \(pending)")

            clock.advance(by: 30)
            await harness.coordinator.governanceRound()
            let running = try await client.signed(tenant, .get, "/v1/jobs/\(firstID)", at: clock.now).json
            #expect(running["status"] as? String == "running" && running["estimated_start"] == nil, "only pending jobs get one")

            // The class H100 has a median queue time of 30 s now.
            let second = try await client.signed(tenant, .post, "/v1/jobs", json: Samples.spec(name: "second", gpus: 8), at: clock.now)
            let secondID = try #require(second.json["job"] as? String)
            let submitted = try #require(try await client.signed(tenant, .get, "/v1/jobs/\(secondID)", at: clock.now).json["submitted"] as? String)
            let byMedian = try await client.signed(tenant, .get, "/v1/jobs/\(secondID)", at: clock.now).json
            #expect(byMedian["estimated_start_basis"] as? String == "queue_p50", "\(byMedian)")
            let expected = try #require(ISO8601DateFormatter().date(from: submitted)).addingTimeInterval(30)
            #expect(byMedian["estimated_start"] as? String == ISO8601DateFormatter().string(from: expected))

            // A clearing that cannot start it reserves the node for it when the first job's lease ends.
            clock.advance(by: 5)
            await harness.coordinator.governanceRound()
            let head = try await client.signed(tenant, .get, "/v1/jobs/\(secondID)", at: clock.now).json
            #expect(head["status"] as? String == "pending")
            #expect(head["estimated_start_basis"] as? String == "reservation", "\(head)")
            let listed = try #require(try await client.signed(tenant, .get, "/v1/jobs", at: clock.now).json["jobs"] as? [[String: Any]])
            #expect(listed.first { $0["id"] as? String == secondID }?["estimated_start"] as? String == head["estimated_start"] as? String,
                    "the list shows the same estimate")
        }
    }
}
