import Foundation
import HummingbirdTesting
import OSGCore
import OSGServer
import OSGDomain
import Testing

@Suite("Coordinator API: the life of a job, over every store")
struct APIFlowTests {
    @Test("register, heartbeat, fund, submit, clear, lease, logs, end, cancel; then recover the same state", arguments: ServerStoreKind.available)
    func lifeOfAJob(kind: ServerStoreKind) async throws {
        let harness = try await Harness.make(kind) { $0.publicCacheMilliseconds = 0 }
        let provider = Participant(), other = Participant(), tenant = Participant()
        let clock = harness.clock
        let digest: String = try await harness.test { client in
            var r = try await client.signed(provider, .post, "/v1/nodes", json: Samples.node("n1"), at: clock.now)
            #expect(r.status == 201)
            r = try await client.signed(provider, .post, "/v1/nodes", json: Samples.node("n1"), at: clock.now)
            #expect(r.status == 409, "a node id is registered once")
            #expect((r.json["error"] as? [String: Any])?["code"] as? String == "duplicate_node")
            r = try await client.get("/v1/nodes")
            #expect((r.json["nodes"] as? [[String: Any]])?.first?["operator"] as? String == provider.id)

            r = try await client.signed(other, .post, "/v1/heartbeats", json: #"{"nodes":["n1"]}"#, at: clock.now)
            #expect(r.status == 403, "operators act only on their own nodes")
            r = try await client.signed(provider, .post, "/v1/heartbeats", json: #"{"nodes":["n1"]}"#, at: clock.now)
            #expect(r.status == 200)
            #expect(r.json["nodes"] as? Int == 1)

            r = try await client.signed(tenant, .post, "/v1/faucet", json: #"{"amount":"100"}"#, at: clock.now)
            #expect(r.status == 200)
            #expect(r.json["balance"] as? String == "100")
            r = try await client.signed(tenant, .post, "/v1/jobs", json: Samples.spec(), at: clock.now)
            #expect(r.status == 201)
            let job = try #require(r.json["job"] as? String)
            r = try await client.signed(tenant, .post, "/v1/jobs", json: Samples.yamlSpec, at: clock.now, contentType: "application/yaml")
            #expect(r.status == 201)
            let second = try #require(r.json["job"] as? String)

            r = try await client.signed(tenant, .get, "/v1/jobs/\(job)", at: clock.now)
            #expect(r.json["status"] as? String == "pending")
            #expect(r.json["queue_position"] as? Int == 1)
            r = try await client.signed(other, .get, "/v1/jobs/\(job)", at: clock.now)
            #expect(r.status == 403, "users see only their own jobs")
            r = try await client.signed(other, .delete, "/v1/jobs/\(job)", at: clock.now)
            #expect(r.status == 403, "users cancel only their own jobs")

            clock.advance(by: 5)
            await harness.coordinator.governanceRound()
            r = try await client.signed(provider, .get, "/v1/leases", at: clock.now)
            #expect(r.status == 200)
            let leases = try #require(r.json["leases"] as? [[String: Any]])
            #expect(leases.count == 2, "both jobs fit on the 8-GPU node")
            let lease = try #require(leases.first { $0["job"] as? String == job })
            let leaseID = try #require(lease["id"] as? String)
            // What the job runs is not in the lease view (nor the log): only the commitment to its
            // contents, whose blob the operator of the lease may read and check.
            #expect(lease["image"] == nil && lease["command"] == nil)
            let commitment = try #require((lease["spec"] as? [String: Any])?["contents"] as? String)
            let blob = try await client.signedBytes(provider, .get, "/v1/blobs/\(commitment)", at: clock.now)
            #expect(blob.status == 200)
            let contents = try JobContents(bytes: blob.bytes)
            #expect(contents.commitment == commitment && contents.image == "ghcr.io/org/trainer:1.2")
            r = try await client.signed(other, .get, "/v1/leases", at: clock.now)
            #expect((r.json["leases"] as? [Any])?.isEmpty == true, "an operator sees only leases on its nodes")

            r = try await client.signed(provider, .post, "/v1/leases/\(leaseID)/logs", json: #"{"lines":["epoch 1","epoch 2"]}"#, at: clock.now)
            #expect(r.status == 200)
            r = try await client.signed(other, .post, "/v1/leases/\(leaseID)/logs", json: #"{"lines":["forged"]}"#, at: clock.now)
            #expect(r.status == 403)
            r = try await client.signed(tenant, .get, "/v1/jobs/\(job)/logs", at: clock.now)
            #expect(r.json["lines"] as? [String] == ["epoch 1", "epoch 2"])

            clock.advance(by: 600)
            r = try await client.signed(provider, .post, "/v1/leases/\(leaseID)/end", json: #"{"reason":"completed"}"#, at: clock.now)
            #expect(r.status == 200)
            r = try await client.signed(tenant, .get, "/v1/jobs/\(job)", at: clock.now)
            #expect(r.json["status"] as? String == "completed")

            r = try await client.signed(tenant, .delete, "/v1/jobs/\(second)", at: clock.now)
            #expect(r.status == 200)
            r = try await client.signed(tenant, .delete, "/v1/jobs/\(second)", at: clock.now)
            #expect(r.status == 409, "a finished job cannot be cancelled again")

            r = try await client.signed(tenant, .get, "/v1/jobs", at: clock.now)
            #expect((r.json["jobs"] as? [[String: Any]])?.map { $0["id"] as? String } == [job, second])
            r = try await client.get("/v1/stats")
            let byUser = try #require(r.json["by_user_class"] as? [String: [String: Any]])
            #expect(byUser["standard"]?["acceptance_ppm"] as? Int == 1_000_000)
            return await harness.coordinator.writer.read { $0.digest }
        }
        // Recovery: a new coordinator on the same store replays to the same state.
        await harness.coordinator.shutdownStoreForTests(dropSchema: false)
        let reopened = try await Harness.make(kind, dataDirectory: harness.dataDirectory, schema: harness.schema,
                                              governance: harness.governance, clock: clock)
        #expect(await reopened.coordinator.writer.read { $0.digest } == digest)
        await reopened.coordinator.shutdownStoreForTests(dropSchema: true)
    }

    @Test("the public views answer without a signature")
    func publicViews() async throws {
        let harness = try await Harness.make()
        try await harness.test { client in
            for path in ["/health", "/ready", "/v1/stats", "/v1/market", "/v1/lockups", "/v1/set-asides", "/v1/providers", "/v1/nodes", "/openapi.json"] {
                let r = try await client.get(path)
                #expect(r.status == 200, "\(path)")
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("osg_http_requests_total"))
            }
        }
    }
}
