import Foundation
import HummingbirdTesting
import OSGCore
import OSGServer
import OSGTransparency
import Testing

@Suite("Operator agents report benchmarks and usage over the API")
struct AgentReportAPITests {
    static let benchmark = """
        {"tool":"osg-agent-bench","tool_version":"1.0.0","duration_seconds":90,"gpus_measured":8,"fp16_dense_gflops":750000,\
        "fp32_gflops":60000,"memory_bandwidth_mbps":3000000,"host_to_device_mbps":50000,"device_to_host_mbps":48000}
        """

    @Test("benchmark, lease, usage reports, end: published, settled, and the published log still audits")
    func reports() async throws {
        let origin = "test.openstargate/agent"
        let box = PublisherBox()
        let harness = try await Harness.make(.sqlite, attach: PublishedLogAuditTests.publisher(origin: origin, box: box)) {
            $0.publicCacheMilliseconds = 0
            $0.origin = origin
        }
        let provider = Participant(), other = Participant(), tenant = Participant()
        let clock = harness.clock
        try await harness.test { client in
            #expect(try await client.signed(provider, .post, "/v1/nodes", json: Samples.node("n1"), at: clock.now).status == 201)
            var r = try await client.signed(other, .post, "/v1/nodes/n1/benchmark", json: Self.benchmark, at: clock.now)
            #expect(r.status == 403, "only the node's operator reports its benchmark")
            r = try await client.signed(provider, .post, "/v1/nodes/n1/benchmark", json: Self.benchmark.replacingOccurrences(of: "\"gpus_measured\":8", with: "\"gpus_measured\":9"), at: clock.now)
            #expect(r.status == 422 && (r.json["error"] as? [String: Any])?["code"] as? String == "invalid_benchmark", "more GPUs than the node has")
            r = try await client.signed(provider, .post, "/v1/nodes/n1/benchmark", json: Self.benchmark, at: clock.now)
            #expect(r.status == 200 && r.json["events"] as? [String] == ["benchmark_recorded"])
            r = try await client.get("/v1/nodes/n1")
            #expect((r.json["benchmark"] as? [String: Any])?["fp16_dense_gflops"] as? Int == 750_000)
            r = try await client.get("/v1/providers")
            let provided = try #require((r.json["providers"] as? [[String: Any]])?.first)
            let benchmarks = try #require(provided["benchmarks"] as? [[String: Any]])
            #expect(benchmarks.map { $0["node"] as? String } == ["n1"])
            #expect((benchmarks.first?["result"] as? [String: Any])?["memory_bandwidth_mbps"] as? Int == 3_000_000)

            #expect(try await client.signed(tenant, .post, "/v1/faucet", json: #"{"amount":"100"}"#, at: clock.now).status == 200)
            #expect(try await client.signed(tenant, .post, "/v1/jobs", json: Samples.spec(), at: clock.now).status == 201)
            clock.advance(by: 5)
            await harness.coordinator.governanceRound()
            r = try await client.signed(provider, .get, "/v1/leases", at: clock.now)
            let lease = try #require((r.json["leases"] as? [[String: Any]])?.first)
            let leaseID = try #require(lease["id"] as? String)
            let start = try #require(lease["start"] as? String)

            clock.advance(by: 600)
            let now = clock.now.description
            r = try await client.signed(other, .post, "/v1/leases/\(leaseID)/usage", json: #"{"through":"\#(now)"}"#, at: clock.now)
            #expect(r.status == 403, "only an operator of the lease reports its usage")
            r = try await client.signed(provider, .post, "/v1/leases/\(leaseID)/usage", json: #"{"through":"\#(clock.now.adding(seconds: 60))"}"#, at: clock.now)
            #expect(r.status == 422 && (r.json["error"] as? [String: Any])?["code"] as? String == "invalid_usage", "not in the future")
            r = try await client.signed(provider, .post, "/v1/leases/\(leaseID)/usage",
                                        json: #"{"through":"\#(now)","gpu_utilisation_per_mille":870,"energy_wh":120}"#, at: clock.now)
            #expect(r.status == 200, "\(r.json)")
            let paid = try #require(r.json["paid"] as? String)
            #expect(paid != "0" && (r.json["usage"] as? [String: Any])?["settled"] as? String == paid)
            r = try await client.signed(provider, .post, "/v1/leases/\(leaseID)/usage", json: #"{"through":"\#(start)"}"#, at: clock.now)
            #expect(r.status == 422, "not before the last settlement")
            r = try await client.signed(provider, .get, "/v1/leases", at: clock.now)
            let usage = try #require((r.json["leases"] as? [[String: Any]])?.first?["usage"] as? [String: Any])
            #expect(usage["through"] as? String == now && usage["gpu_utilisation_per_mille"] as? Int == 870 && usage["energy_wh"] as? Int == 120)

            clock.advance(by: 300)
            #expect(try await client.signed(provider, .post, "/v1/leases/\(leaseID)/end", json: #"{"reason":"completed"}"#, at: clock.now).status == 200)
            r = try await client.signed(provider, .post, "/v1/leases/\(leaseID)/usage", json: #"{"through":"\#(clock.now)"}"#, at: clock.now)
            #expect(r.status == 409, "an ended lease takes no more reports")
        }
        // As `osg serve` does at a clean stop: wait for the background checkpoint, publish the
        // rest (the last entries may still be on their way into the published log).
        let publisher = try #require(box.publisher.withLock { $0 })
        try await publisher.publish(state: await harness.coordinator.currentState())
        let trust = FileManager.default.temporaryDirectory.appendingPathComponent("osg-audit-\(UInt64.random(in: 0..<UInt64.max))").path
        let report = await LogAuditor(source: DirectoryLogSource(directory: harness.dataDirectory + "/log"), trustStore: AuditTrustStore(directory: trust)).audit()
        #expect(report.verdict == .verified, "\(report.code): \(report.reason)")
        let state = await harness.coordinator.currentState()
        #expect(report.entriesReplayed == Int(state.nextSequence))
        #expect(state.published.nodeBenchmarks?.count == 1)
        await harness.coordinator.shutdownStoreForTests(dropSchema: false)
    }
}
