import Foundation
import HTTPTypes
import HummingbirdTesting
import OSGDomain
import OSGRequestBodies
import Testing
@testable import OSGCore
@testable import OSGServer

/// Extreme values at every door: for many seeds, signed writes with fields at and beyond
/// their published bounds (0, 1, -1, the Int64 bounds, digits beyond 64 bits, 1e308, wrong
/// types), then every public and every signed read. Every answer must be a 2xx or a JSON 4xx;
/// a 5xx or a trap (which ends the test process) is a failure. The seed is in every message.
@Suite("Extreme values never make the coordinator trap or answer 5xx")
struct ExtremeValueTests {
    /// JSON literals for numeric fields: bounds, just beyond them, and what is not a number.
    static let numbers: [String] = [
        "0", "1", "-1", "2", "64", "65", "80", "1000", "1024", "1025", "2000", "2001", "4096", "4097", "65536", "100000", "100001",
        "1000000", "1000001", "100000000", "100000001", "1000000000000", "1000000000001", "2147483647", "2147483648",
        "9223372036854775807", "-9223372036854775808", "9223372036854775808", "-9223372036854775809",
        "18446744073709551615", "18446744073709551616", "99999999999999999999999999999999999999",
        "1e308", "-1e308", "1e400", "1.5", "-0", "0.0", "null", "true", "\"7\"", "[]", "{}",
    ]

    /// JSON literals for amounts of credits: the string form at and beyond every money bound.
    static let credits: [String] = [
        "\"0\"", "\"0.000001\"", "\"1\"", "\"9999.999999\"", "\"10000\"", "\"10000.000001\"", "\"1000000\"", "\"1000000.000001\"",
        "\"1000000000\"", "\"1000000000.000001\"", "\"9223372036854\"", "\"9223372036854.775807\"", "\"9223372036854.775808\"",
        "\"18446744073709.551616\"", "\"" + String(repeating: "9", count: 400) + "\"", "\"-1\"", "\"1e9\"", "\"0.0000001\"",
        "\"\"", "\".\"", "\"1.2.3\"",
    ]

    /// JSON literals for durations.
    static let durations: [String] = [
        "\"1s\"", "\"0s\"", "\"90d\"", "\"91d\"", "\"7776000s\"", "\"7776001s\"", "\"9223372036854775807s\"", "\"99999999999999999999d\"",
        "\"-1h\"", "3600", "\"1h\"",
    ]

    /// JSON literals for times.
    static let times: [String] = [
        "\"0000-01-01T00:00:00Z\"", "\"1970-01-01T00:00:00Z\"", "\"9999-12-31T23:59:59Z\"", "\"9999-12-31T23:59:60-23:59\"",
        "\"2026-13-01T00:00:00Z\"", "\"tomorrow\"", "0", "\"" + String(repeating: "9", count: 41) + "\"",
    ]

    /// JSON literals for ids and names.
    static let ids: [String] = [
        "\"\"", "\"x\"", "\"" + String(repeating: "n", count: 128) + "\"", "\"" + String(repeating: "n", count: 129) + "\"",
        "\"" + String(repeating: "9", count: 20_000) + "\"", "1", "null",
    ]

    /// A request template: method, path, who signs, and each field with its valid default and
    /// the extreme values it is tried with (`nil` path: the body is built by `body`).
    struct Template {
        var method: HTTPRequest.Method
        var path: String
        var signer: Role
        var fields: [(name: String, valid: String, extremes: [String])]
        var body: (([String: String]) -> String)? = nil
    }

    enum Role { case operatorKey, tenant, governance, stranger }

    static func templates(tenant: String, now: Timestamp) -> [Template] {
        let later = "\"\(now.adding(seconds: 86_400))\""
        let all = numbers + credits
        return [
            Template(method: .post, path: "/v1/nodes", signer: .operatorKey, fields: [
                ("id", "\"fz\"", ids), ("gpu_model", "\"H100\"", ids), ("gpus", "64", numbers), ("vram_gib", "80", numbers),
                ("cpu", "100000", numbers), ("memory_gib", "1000000", numbers), ("disk_gib", "100000000", numbers),
                ("region", "\"eu\"", ids), ("jurisdiction", "\"DE\"", ids), ("zone", "\"DE\"", ids), ("power_source", "\"grid\"", ids),
                ("ask_price", "\"10000\"", all), ("stake", "\"1000000\"", all),
            ]),
            Template(method: .patch, path: "/v1/nodes/max-0", signer: .operatorKey, fields: [("ask_price", "\"10000\"", all)]),
            Template(method: .post, path: "/v1/nodes/max-0/benchmark", signer: .operatorKey, fields: [
                ("tool", "\"bench\"", ids), ("tool_version", "\"1\"", ids), ("duration_seconds", "3600", numbers),
                ("gpus_measured", "64", numbers), ("fp16_dense_gflops", "100000000", numbers), ("fp32_gflops", "100000000", numbers),
                ("memory_bandwidth_mbps", "100000000", numbers), ("host_to_device_mbps", "10000000", numbers),
                ("device_to_host_mbps", "10000000", numbers),
            ]),
            Template(method: .post, path: "/v1/heartbeats", signer: .operatorKey, fields: [("nodes", "[\"max-0\",\"max-1\"]", ids + numbers)]),
            Template(method: .post, path: "/v1/lockups", signer: .operatorKey, fields: [
                ("node", "\"max-1\"", ids), ("gpus", "1", numbers), ("holder", "\"h\"", ids), ("until", later, times),
            ]),
            Template(method: .post, path: "/v1/faucet", signer: .tenant, fields: [("amount", "\"1000\"", all)]),
            Template(method: .post, path: "/v1/pools", signer: .governance, fields: [
                ("name", "\"fz\"", ids), ("share_ppm", "1", numbers), ("price", "\"10000\"", all), ("ceiling", "\"10000\"", all),
            ]),
            Template(method: .post, path: "/v1/pools/edge/funding", signer: .governance, fields: [("amount", "\"1000000000\"", all)]),
            Template(method: .post, path: "/v1/grants", signer: .governance, fields: [
                ("pool", "\"edge\"", ids), ("tenant", "\"\(tenant)\"", ids), ("quota_gpu_seconds", "1000000000000", numbers),
                ("expires", "\"9999-12-31T23:59:59Z\"", times),
            ]),
            Template(method: .post, path: "/v1/jobs", signer: .tenant, fields: [
                ("count", "64", numbers), ("vram_gib", "80", numbers), ("cpu", "4096", numbers), ("memory_gib", "65536", numbers),
                ("disk_gib", "1048576", numbers), ("nodes", "1", numbers), ("duration", "\"1h\"", durations),
                ("max_duration", "\"90d\"", durations), ("max_price", "\"10000\"", all + ["1e308", "10000.0000001"]),
                ("max_gco2_per_kwh", "2000", numbers), ("deadline", "\"9999-12-31T23:59:59Z\"", times),
            ], body: { f in
                """
                {"name":"fz","image":"ghcr.io/o/i:1","resources":{"gpu":{"model":"H100","count":\(f["count"]!),"vram_gib":\(f["vram_gib"]!)},\
                "cpu":\(f["cpu"]!),"memory_gib":\(f["memory_gib"]!),"disk_gib":\(f["disk_gib"]!)},"nodes":\(f["nodes"]!),\
                "duration":\(f["duration"]!),"max_duration":\(f["max_duration"]!),"max_price":\(f["max_price"]!),\
                "deadline":\(f["deadline"]!),"carbon":{"max_gco2_per_kwh":\(f["max_gco2_per_kwh"]!)}}
                """
            }),
        ]
    }

    /// Asserts `answer` is a 2xx, or a 4xx with a JSON error body.
    static func check(_ answer: (status: Int, json: [String: Any]), _ what: String, seed: UInt64) {
        if (200..<300).contains(answer.status) { return }
        #expect((400..<500).contains(answer.status), "seed \(seed): \(what) answered \(answer.status) \(answer.json)")
        #expect((answer.json["error"] as? [String: Any])?["code"] is String, "seed \(seed): \(what) answered \(answer.status) without a JSON error")
    }

    @Test("signed writes with extreme field values, then every read: a 2xx or a JSON 4xx, never a 5xx or a trap",
          arguments: Array(UInt64(1)...UInt64(8)))
    func extremeWrites(seed: UInt64) async throws {
        print("ExtremeValueTests seed \(seed)")  // the last seed printed names a run that trapped
        let harness = try await Harness.make(.sqlite) {
            $0.publicCacheMilliseconds = 0
            $0.faucetMaxPerRequest = maxAmount
            $0.faucetBalanceCap = MicroCredits(.max)
        }
        let operatorKey = Participant(), tenant = Participant(), stranger = Participant()
        let governance = Participant(key: harness.governance)
        let clock = harness.clock
        try await harness.test { client in
            var random = SplitMix64(seed: seed)
            func signer(_ role: Role) -> Participant {
                switch role {
                case .operatorKey: operatorKey
                case .tenant: tenant
                case .governance: governance
                case .stranger: stranger
                }
            }
            func send(_ who: Participant, _ method: HTTPRequest.Method, _ path: String, _ json: String?) async throws -> (status: Int, json: [String: Any]) {
                let answer = try await client.signed(who, method, path, json: json, at: clock.now)
                Self.check(answer, "\(method) \(path) \(json?.prefix(300) ?? "")", seed: seed)
                return answer
            }
            // Everything at its published maximum is accepted (the operator can lock both stakes).
            let funded = try await send(operatorKey, .post, "/v1/faucet", #"{"amount":"1000000000"}"#)
            #expect(funded.status == 200, "seed \(seed): \(funded.json)")
            for index in 0..<2 {
                let node = """
                    {"id":"max-\(index)","gpu_model":"H100","gpus":64,"vram_gib":94,"cpu":100000,"memory_gib":1000000,"disk_gib":100000000,\
                    "region":"eu","jurisdiction":"DE","zone":"DE","power_source":"\(index == 0 ? "grid" : "wind")","ask_price":"10000","stake":"1000000"}
                    """
                let r = try await send(operatorKey, .post, "/v1/nodes", node)
                #expect(r.status == 201, "seed \(seed): a node at every maximum is accepted: \(r.json)")
            }
            var r = try await send(governance, .post, "/v1/pools", #"{"name":"edge","share_ppm":500000,"price":"10000","ceiling":"10000"}"#)
            #expect(r.status == 201, "seed \(seed): \(r.json)")
            r = try await send(governance, .post, "/v1/pools/edge/funding", #"{"amount":"1000000000"}"#)
            #expect(r.status == 200, "seed \(seed): \(r.json)")
            r = try await send(governance, .post, "/v1/grants",
                               #"{"pool":"edge","tenant":"\#(tenant.id)","quota_gpu_seconds":1000000000000,"expires":"9999-12-31T23:59:59Z"}"#)
            #expect(r.status == 201, "seed \(seed): \(r.json)")
            // Enough for both jobs' whole budgets: 2 × 10,000 credits × 64 GPUs × 90 days.
            for _ in 0..<3 {
                r = try await send(tenant, .post, "/v1/faucet", #"{"amount":"1000000000"}"#)
                #expect(r.status == 200, "seed \(seed): \(r.json)")
            }
            let job = """
                {"name":"max","image":"ghcr.io/o/i:1","resources":{"gpu":{"model":"H100","count":64,"vram_gib":80},"cpu":4096,\
                "memory_gib":65536,"disk_gib":1048576},"nodes":1,"duration":"1h","max_duration":"90d","max_price":"10000"}
                """
            r = try await send(tenant, .post, "/v1/jobs", job)
            #expect(r.status == 201, "seed \(seed): a job at every maximum is accepted: \(r.json)")
            r = try await send(tenant, .post, "/v1/jobs?pool=edge", job.replacingOccurrences(of: "\"max_price\"", with: "\"class\":\"set-aside\",\"max_price\""))
            #expect(r.status == 201, "seed \(seed): \(r.json)")
            clock.advance(by: 5)
            await harness.coordinator.governanceRound()

            // Random extreme values, with a clearing now and then.
            let templates = Self.templates(tenant: tenant.id, now: clock.now)
            for step in 0..<60 {
                let template = templates[Int(random.next(below: UInt64(templates.count)))]
                var values = Dictionary(uniqueKeysWithValues: template.fields.map { ($0.name, $0.valid) })
                for _ in 0...random.next(below: 2) {
                    let field = template.fields[Int(random.next(below: UInt64(template.fields.count)))]
                    values[field.name] = field.extremes[Int(random.next(below: UInt64(field.extremes.count)))]
                }
                let json = template.body?(values)
                    ?? "{" + template.fields.map { "\"\($0.name)\":\(values[$0.name]!)" }.joined(separator: ",") + "}"
                let who = random.next(below: 8) == 0 ? stranger : signer(template.signer)
                _ = try await send(who, template.method, template.path, json)
                if step % 15 == 14 {
                    clock.advance(by: Int64(random.next(below: 7_200)))
                    // Heartbeats first, so the leases at the highest price keep running.
                    _ = try await send(operatorKey, .post, "/v1/heartbeats", #"{"nodes":["max-0","max-1"]}"#)
                    await harness.coordinator.governanceRound()
                }
            }

            // Usage reports and ends on the real leases, with extreme counters.
            r = try await send(operatorKey, .get, "/v1/leases", nil)
            let leaseIDs = ((r.json["leases"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String }
            #expect(!leaseIDs.isEmpty, "seed \(seed): the job at the highest price and size runs")
            for leaseID in leaseIDs {
                for _ in 0..<3 {
                    let through = random.next(below: 2) == 0 ? "\"\(clock.now)\"" : Self.times[Int(random.next(below: UInt64(Self.times.count)))]
                    let energy = Self.numbers[Int(random.next(below: UInt64(Self.numbers.count)))]
                    let utilisation = Self.numbers[Int(random.next(below: UInt64(Self.numbers.count)))]
                    _ = try await send(operatorKey, .post, "/v1/leases/\(leaseID)/usage",
                                       #"{"through":\#(through),"energy_wh":\#(energy),"gpu_utilisation_per_mille":\#(utilisation)}"#)
                }
                _ = try await send(operatorKey, .post, "/v1/leases/\(leaseID)/logs", #"{"lines":["\#(String(repeating: "9", count: 4_000))"]}"#)
                let reason = ["\"completed\"", "\"node_withdrawn\"", "\"preempted\"", "1", "null"][Int(random.next(below: 5))]
                _ = try await send(operatorKey, .post, "/v1/leases/\(leaseID)/end", #"{"reason":\#(reason)}"#)
            }
            // Deletions of real and impossible ids.
            r = try await send(tenant, .get, "/v1/jobs", nil)
            let submitted = ((r.json["jobs"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String }
            for id in submitted.prefix(2) + ["job-9223372036854775807", "job-99999999999999999999", String(repeating: "9", count: 2_000)] {
                _ = try await send(tenant, .delete, "/v1/jobs/\(id)", nil)
            }
            for id in ["max-1", "max-1", String(repeating: "9", count: 2_000)] {
                _ = try await send(operatorKey, .delete, "/v1/nodes/\(id)", nil)
            }
            clock.advance(by: 90 * 86_400)
            await harness.coordinator.governanceRound()

            // Every read, public and signed.
            var reads = ["/health", "/ready", "/metrics", "/openapi.json", "/v1/nodes", "/v1/nodes/max-0", "/v1/nodes/\(String(repeating: "9", count: 300))",
                         "/v1/lockups", "/v1/stats", "/v1/market", "/v1/set-asides", "/v1/providers", "/log/checkpoint", "/log/tile/0/x999/999",
                         "/log/" + String(repeating: "9", count: 600)]
            reads.shuffle(using: &random)
            for path in reads {
                let answer = try await client.get(path)
                Self.check(answer, "GET \(path)", seed: seed)
            }
            r = try await send(tenant, .get, "/v1/jobs", nil)
            let jobIDs = ((r.json["jobs"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String }
            for who in [operatorKey, tenant, governance, stranger] {
                for path in ["/v1/leases", "/v1/leases?after=18446744073709551615&wait=0", "/v1/leases?after=18446744073709551616",
                             "/v1/leases?wait=-1", "/v1/leases?wait=9223372036854775808", "/v1/jobs", "/v1/account", "/v1/jobs/job-99999999999999999999"]
                    + jobIDs.flatMap({ ["/v1/jobs/\($0)", "/v1/jobs/\($0)/logs"] }) {
                    _ = try await send(who, .get, path, nil)
                }
            }
        }
        let state = await harness.coordinator.currentState()
        #expect(state.statistics == state.statisticsByFullPass, "seed \(seed)")
        #expect(state.published == state.publishedByFullPass, "seed \(seed)")
        await harness.coordinator.shutdownStoreForTests(dropSchema: false)
    }

    @Test("every money bound: at the bound accepted by the decoder, one micro-credit above refused with 400 out_of_range naming the field")
    func moneyBounds() async throws {
        let harness = try await Harness.make(.sqlite) { $0.faucetMaxPerRequest = maxAmount; $0.faucetBalanceCap = MicroCredits(.max) }
        let operatorKey = Participant(), tenant = Participant()
        let governance = Participant(key: harness.governance)
        let clock = harness.clock
        try await harness.test { client in
            let cases: [(Participant, HTTPRequest.Method, String, (String) -> String, String, String)] = [
                (operatorKey, .post, "/v1/nodes", { Samples.node("a", ask: $0) }, "ask_price", "10000"),
                (operatorKey, .post, "/v1/nodes", { #"{"id":"s","gpu_model":"H100","gpus":8,"vram_gib":80,"cpu":64,"memory_gib":512,"region":"eu","jurisdiction":"DE","zone":"DE","ask_price":"1","stake":"\#($0)"}"# },
                 "stake", "1000000"),
                (operatorKey, .patch, "/v1/nodes/a", { #"{"ask_price":"\#($0)"}"# }, "ask_price", "10000"),
                (governance, .post, "/v1/pools", { #"{"name":"p","share_ppm":1000,"price":"\#($0)"}"# }, "price", "10000"),
                (governance, .post, "/v1/pools", { #"{"name":"q","share_ppm":1000,"price":"1","ceiling":"\#($0)"}"# }, "ceiling", "10000"),
                (governance, .post, "/v1/pools/p/funding", { #"{"amount":"\#($0)"}"# }, "amount", "1000000000"),
                (tenant, .post, "/v1/faucet", { #"{"amount":"\#($0)"}"# }, "amount", "1000000000"),
            ]
            // The operator can lock the largest stake as collateral.
            let funded = try await client.signed(operatorKey, .post, "/v1/faucet", json: #"{"amount":"1000000"}"#, at: clock.now)
            #expect(funded.status == 200, "\(funded.json)")
            for (who, method, path, body, field, bound) in cases {
                var r = try await client.signed(who, method, path, json: body(bound + ".000001"), at: clock.now)
                #expect(r.status == 400, "\(path) \(field) above \(bound): \(r.json)")
                let error = r.json["error"] as? [String: Any]
                #expect(error?["code"] as? String == "out_of_range" && error?["field"] as? String == field, "\(path): \(r.json)")
                r = try await client.signed(who, method, path, json: body(bound), at: clock.now)
                #expect((200..<300).contains(r.status), "\(path) \(field) at \(bound): \(r.json)")
            }
            // Integers: one above the bound is refused, naming the field.
            for (field, value) in [("gpus", "65"), ("vram_gib", "4097"), ("cpu", "100001"), ("memory_gib", "1000001"), ("disk_gib", "100000001")] {
                let body = try #require(Self.replacing(field: field, with: value, in: Samples.node("i")))
                let r = try await client.signed(operatorKey, .post, "/v1/nodes", json: body, at: clock.now)
                let error = r.json["error"] as? [String: Any]
                #expect(r.status == 400 && error?["code"] as? String == "out_of_range" && error?["field"] as? String == field, "\(field): \(r.json)")
            }
        }
    }

    /// `json` with the value of the top-level `field` replaced by `value`.
    static func replacing(field: String, with value: String, in json: String) -> String? {
        guard var object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else { return nil }
        object[field] = try? JSONSerialization.jsonObject(with: Data(value.utf8), options: .fragmentsAllowed)
        guard let data = try? JSONSerialization.data(withJSONObject: object) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}

@Suite("Public views never trap on extreme figures")
struct PublicViewOverflowTests {
    /// A million nodes of one operator, each at every published maximum.
    static func millionNodeState() -> CoordinatorState {
        let time = Timestamp(secondsSinceEpoch: 1_800_000_000)
        var state = CoordinatorState(genesis: Genesis(governanceID: "gov"))
        let template = ComputeNode(
            id: "", operatorID: "op", gpuModel: GPUModel.named("H100")!, gpuCount: ComputeNode.Limits.maxGPUs, vramGiB: 94,
            cpuCores: ComputeNode.Limits.maxCPUCores, memoryGiB: ComputeNode.Limits.maxMemoryGiB, diskGiB: ComputeNode.Limits.maxDiskGiB,
            region: "eu", jurisdiction: "DE", gridZone: "DE", askPerGPUHour: ComputeNode.Limits.maxAskPerGPUHour,
            stake: ComputeNode.Limits.maxStake)
        var nodes: [String: CoordinatorState.NodeRecord] = [:]
        nodes.reserveCapacity(1_000_000)
        for index in 0..<1_000_000 {
            var node = template
            node.id = "n\(index)"
            nodes[node.id] = CoordinatorState.NodeRecord(node: node, registered: time, lastHeartbeat: time, online: true)
        }
        state.nodes = nodes
        return state
    }

    @Test("10^6 nodes of one operator at the maximum stake and ask: /v1/providers, /v1/market and /v1/stats are exact")
    func millionNodes() throws {
        let state = Self.millionNodeState()
        let providers = try #require(PublicViews.providers(state)["providers"])
        #expect(providers.count == 1)
        // 10^6 × 1,000,000 credits, and 10^6 × 64 GPUs.
        #expect(providers.first?.stake == "1000000000000")
        #expect(providers.first?.gpus == 64_000_000)
        let market = PublicViews.market(state)
        #expect(market.asks.count == 1 && market.asks.first?.freeGpus == 64_000_000 && market.asks.first?.lowestAsk == "10000")
        let stats = PublicViews.stats(state)
        #expect(stats.onlineGpus == 64_000_000 && stats.onlineNodes == 1_000_000 && stats.utilisationPpm == 0)
        // What a million nodes could ever be paid per hour, all GPUs at the highest ask, still fits 64 bits.
        let hourly = Int64(stats.onlineGpus).multipliedReportingOverflow(by: ComputeNode.Limits.maxAskPerGPUHour.rawValue)
        #expect(!hourly.overflow && hourly.partialValue == 640_000_000_000_000_000)
    }

    @Test("two nodes of an older log staking nearly Int64.max micro-credits each: /v1/providers answers with the exact total")
    func stakeSumBeyond64Bits() throws {
        var state = CoordinatorState(genesis: Genesis(governanceID: "gov"))
        let time = Timestamp(secondsSinceEpoch: 1_800_000_000)
        for id in ["n1", "n2"] {
            let node = ComputeNode(
                id: id, operatorID: "op", gpuModel: GPUModel.named("H100")!, gpuCount: 8, vramGiB: 80, cpuCores: 64, memoryGiB: 512,
                diskGiB: 1000, region: "eu", jurisdiction: "DE", gridZone: "DE", askPerGPUHour: MicroCredits(.max),
                stake: MicroCredits(9_223_372_036_854 * MicroCredits.perCredit))
            state.nodes[id] = CoordinatorState.NodeRecord(node: node, registered: time, lastHeartbeat: time, online: true)
        }
        #expect(PublicViews.providers(state)["providers"]?.first?.stake == "18446744073708")
        #expect(PublicViews.market(state).asks.first?.lowestAsk == MicroCredits(.max).description)
        _ = JSONResponse.encode(PublicViews.stats(state))
    }

    @Test("a stake above the published bound is refused at the door: 400 out_of_range, field stake")
    func stakeRefused() async throws {
        let harness = try await Harness.make(.sqlite)
        let provider = Participant()
        try await harness.test { client in
            var node = Samples.node("n1")
            node.removeLast()
            node += #","stake":"9223372036854"}"#
            let r = try await client.signed(provider, .post, "/v1/nodes", json: node, at: harness.clock.now)
            let error = r.json["error"] as? [String: Any]
            #expect(r.status == 400 && error?["code"] as? String == "out_of_range" && error?["field"] as? String == "stake", "\(r.json)")
        }
    }
}
