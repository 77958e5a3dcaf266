import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import OSGServer
import Testing

@Suite("Writes cost something before they are kept: funds at submission, per-key caps, refusals at the door log nothing")
struct WriteAdmissionTests {
    static func errorCode(_ json: [String: Any]) -> String? { (json["error"] as? [String: Any])?["code"] as? String }

    static func logLength(_ client: any TestClientProtocol) async throws -> Int {
        try #require(try await client.get("/ready").json["log_entries"] as? Int)
    }

    @Test("a job its tenant cannot pay for is refused with 402 and nothing is logged; funds already promised to waiting jobs count")
    func fundsAtSubmission() async throws {
        let harness = try await Harness.make()
        let clock = harness.clock
        let tenant = Participant()
        try await harness.test { client in
            let before = try await Self.logLength(client)
            let broke = try await client.signed(tenant, .post, "/v1/jobs", json: Samples.spec(), at: clock.now)
            #expect(broke.status == 402)
            #expect(Self.errorCode(broke.json) == "insufficient_funds")
            #expect(try await Self.logLength(client) == before, "a refused submission is not logged")

            // 2 GPUs × 2 h × 2.10 = 8.40 credits each: 10 credits pay for one waiting job, not two.
            #expect(try await client.signed(tenant, .post, "/v1/faucet", json: #"{"amount":"10"}"#, at: clock.now).status == 200)
            #expect(try await client.signed(tenant, .post, "/v1/jobs", json: Samples.spec(), at: clock.now).status == 201)
            let second = try await client.signed(tenant, .post, "/v1/jobs", json: Samples.spec(), at: clock.now)
            #expect(second.status == 402)
            let message = (second.json["error"] as? [String: Any])?["message"] as? String ?? ""
            #expect(message.contains("8.4"), "the refusal names what the job can cost: \(message)")
            #expect(message.contains("1 waiting job"), "and what the waiting jobs may need: \(message)")
        }
    }

    @Test("concurrent writes of one key up to a limit all pass: an applied command is never counted twice against it")
    func concurrentUpToTheLimit() async throws {
        let harness = try await Harness.make()
        let clock = harness.clock
        let tenant = Participant()
        try await harness.test { client in
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<10 {
                    group.addTask { try await client.signed(tenant, .post, "/v1/faucet", json: #"{"amount":"1000"}"#, at: clock.now).status }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.allSatisfy { $0 == 200 }, "ten deposits of 1,000 reach the 10,000 cap exactly: \(statuses)")
            let over = try await client.signed(tenant, .post, "/v1/faucet", json: #"{"amount":"1"}"#, at: clock.now)
            #expect(over.status == 422)
        }
    }

    @Test("per-key caps: queued jobs (429), nodes and lockups (422)")
    func perKeyCaps() async throws {
        let harness = try await Harness.make { configuration in
            configuration.writeLimits.maxQueuedJobsPerTenant = 2
            configuration.writeLimits.maxNodesPerOperator = 1
        }
        let clock = harness.clock
        let tenant = Participant()
        let provider = Participant()
        try await harness.test { client in
            #expect(try await client.signed(tenant, .post, "/v1/faucet", json: #"{"amount":"1000"}"#, at: clock.now).status == 200)
            for _ in 0..<2 {
                #expect(try await client.signed(tenant, .post, "/v1/jobs", json: Samples.spec(), at: clock.now).status == 201)
            }
            let third = try await client.signed(tenant, .post, "/v1/jobs", json: Samples.spec(), at: clock.now)
            #expect(third.status == 429)
            #expect(Self.errorCode(third.json) == "too_many_queued_jobs")

            #expect(try await client.signed(provider, .post, "/v1/nodes", json: Samples.node("n1"), at: clock.now).status == 201)
            let second = try await client.signed(provider, .post, "/v1/nodes", json: Samples.node("n2"), at: clock.now)
            #expect(second.status == 422)
            #expect(Self.errorCode(second.json) == "too_many_nodes")
            // Withdrawing frees the slot.
            #expect(try await client.signed(provider, .delete, "/v1/nodes/n1", at: clock.now).status == 200)
            #expect(try await client.signed(provider, .post, "/v1/nodes", json: Samples.node("n2"), at: clock.now).status == 201)
        }
    }

    @Test("a command the state would refuse (a heartbeat naming 400 unknown nodes) is refused at the door and logs nothing")
    func refusedAtTheDoor() async throws {
        let harness = try await Harness.make()
        let clock = harness.clock
        let provider = Participant()
        let intruder = Participant()
        try await harness.test { client in
            #expect(try await client.signed(provider, .post, "/v1/nodes", json: Samples.node("n1"), at: clock.now).status == 201)
            let before = try await Self.logLength(client)
            let ids = (0..<400).map { "\"ghost-\($0)\"" }.joined(separator: ",")
            let heartbeat = try await client.signed(intruder, .post, "/v1/heartbeats", json: "{\"nodes\":[\(ids)]}", at: clock.now)
            #expect(heartbeat.status == 404)
            let message = (heartbeat.json["error"] as? [String: Any])?["message"] as? String ?? ""
            #expect(message.contains("nothing was recorded"), "\(message)")
            let stolen = try await client.signed(intruder, .post, "/v1/heartbeats", json: #"{"nodes":["n1"]}"#, at: clock.now)
            #expect(stolen.status == 403)
            let cancel = try await client.signed(intruder, .delete, "/v1/jobs/job-999", at: clock.now)
            #expect(cancel.status == 404)
            #expect(try await Self.logLength(client) == before, "no refused command reached the log")
            // The owner's heartbeat is logged as before.
            #expect(try await client.signed(provider, .post, "/v1/heartbeats", json: #"{"nodes":["n1"]}"#, at: clock.now).status == 200)
            #expect(try await Self.logLength(client) == before + 1)
        }
    }

    @Test("one key may hold only its share of long polls")
    func openPollCap() async throws {
        let harness = try await Harness.make { $0.writeLimits.maxOpenPollsPerKey = 1 }
        let clock = harness.clock
        let provider = Participant()
        try await harness.test { client in
            let first = Task { try await client.signed(provider, .get, "/v1/leases?wait=2", at: clock.now).status }
            try await Task.sleep(for: .milliseconds(300))
            let second = try await client.signed(provider, .get, "/v1/leases?wait=2", at: clock.now)
            #expect(second.status == 429)
            #expect(Self.errorCode(second.json) == "too_many_open_polls")
            #expect(try await first.value == 200)
        }
    }

    @Test("one source address gets its budget whatever keys it signs with; a trusted proxy's clients are told apart")
    func perAddressBudget() async throws {
        let harness = try await Harness.make { configuration in
            configuration.ratePerSecondPerAddress = 0.01
            configuration.rateBurstPerAddress = 3
        }
        try await harness.coordinator.application().test(.live) { client in
            var statuses: [Int] = []
            for _ in 0..<4 {
                statuses.append(try await client.execute(uri: "/health", method: .get) { Int($0.status.code) })
            }
            #expect(statuses == [200, 200, 200, 429])
            try await client.execute(uri: "/v1/info", method: .get) { response in
                #expect(response.status == .tooManyRequests)
                #expect(Self.errorCode(TestClient.object(response.body)) == "address_rate_limited")
            }
        }
        let proxied = try await Harness.make { configuration in
            configuration.ratePerSecondPerAddress = 0.01
            configuration.rateBurstPerAddress = 1
            configuration.trustedProxies = ["127.0.0.1", "::1"]
        }
        try await proxied.coordinator.application().test(.live) { client in
            for index in 0..<3 {
                let headers: HTTPFields = [HTTPField.Name("X-Forwarded-For")!: "203.0.113.\(index)"]
                let status = try await client.execute(uri: "/health", method: .get, headers: headers) { Int($0.status.code) }
                #expect(status == 200, "client \(index) behind the proxy has its own budget")
            }
            let again: HTTPFields = [HTTPField.Name("X-Forwarded-For")!: "203.0.113.0"]
            #expect(try await client.execute(uri: "/health", method: .get, headers: again) { Int($0.status.code) } == 429)
        }
    }
}
