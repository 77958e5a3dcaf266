import Foundation
import OSGDomain
import OSGMarket
import Testing
@testable import OSGMarketIO

@Suite("Malformed snapshots are refused with the item and field named")
struct MarketInputTests {
    static let good = node("a")

    @Test("each malformation names where it is", arguments: [
        (#"{"now": "2026-12-01T00:00:00Z", "nodes": [1, 2"#, "snapshot", "not valid JSON"),
        (#"{"now": "2026-12-01T00:00:00Z", "orders": []}"#, "snapshot", "nodes"),
        (#"{"nodes": [], "orders": []}"#, "snapshot", "now"),
        (snapshot(nodes: [good.replacingOccurrences(of: #", "vram_gib": 80"#, with: "")], orders: []), "nodes[0] (id a)", "vram_gib"),
        (snapshot(nodes: [good.replacingOccurrences(of: #""gpus": 8"#, with: #""gpus": "8""#)], orders: []), "nodes[0] (id a)", "gpus"),
        (snapshot(nodes: [good.replacingOccurrences(of: #""ask_price": 1.00"#, with: #""ask_price": 1e2"#)], orders: []), "nodes[0] (id a)", "ask_price"),
        (snapshot(nodes: [good.replacingOccurrences(of: #""gpu_model": "H100""#, with: #""gpu_model": "Z9""#)], orders: []), "nodes[0] (id a)", "gpu_model"),
        (snapshot(nodes: [good, good], orders: []), "nodes[1] (id a)", "duplicate node id"),
        (snapshot(nodes: [node("ä")], orders: []), "nodes[0]", "printable ASCII"),
        (snapshot(nodes: [good], orders: [order("o 1")]), "orders[0]", "printable ASCII"),
        (snapshot(nodes: [good], orders: [order("o"), order("o")]), "orders[1] (id o)", "duplicate order id"),
        (snapshot(nodes: [good], orders: [order("o").replacingOccurrences(of: #""submitted": "2026-11-30T10:00:00Z""#, with: #""submitted": "yesterday""#)]), "orders[0] (id o)", "submitted"),
        (snapshot(nodes: [good], orders: [], pools: [#"{"name": "p", "share": 0.7, "price": 1}"#, #"{"name": "q", "share": 0.4, "price": 1}"#]), "pools[1] (name q)", "share"),
        (snapshot(nodes: [good], orders: [], extra: #""tenants": {"id": "t1"}"#), "snapshot", "tenants"),
        (snapshot(nodes: [good], orders: [], extra: #""tenants": [{"weight": 2}]"#), "tenants[0]", "id"),
        (snapshot(nodes: [good], orders: [], extra: #""tenants": [{"id": "t1", "weight": 0}]"#), "tenants[0] (id t1)", "weight"),
        (snapshot(nodes: [good], orders: [], extra: #""tenants": [{"id": "t1", "weight": 1001}]"#), "tenants[0] (id t1)", "weight"),
        (snapshot(nodes: [good], orders: [], extra: #""tenants": [{"id": "t1", "weight": "2"}]"#), "tenants[0] (id t1)", "weight"),
        (snapshot(nodes: [good], orders: [], extra: #""tenants": [{"id": "t1"}, {"id": "t1"}]"#), "tenants[1] (id t1)", "duplicate tenant id"),
        (snapshot(nodes: [good], orders: [], extra: #""tenants": [{"id": "t1", "usage": {"gpus": -1}}]"#), "tenants[0] (id t1)", "usage.gpus"),
        (snapshot(nodes: [good], orders: [], extra: #""tenants": [{"id": "t1", "usage": {"cpu": 2.5}}]"#), "tenants[0] (id t1) usage", "cpu"),
        (snapshot(nodes: [good], orders: [], extra: #""tenants": [{"id": "t1", "usage": 8}]"#), "tenants[0] (id t1) usage", "object"),
        (snapshot(nodes: [good], orders: [], extra: #""starvation_after_s": -1"#), "snapshot", "starvation_after_s"),
    ])
    func refused(text: String, item: String, mention: String) throws {
        do {
            _ = try MarketSnapshotReader.read(text)
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.item == item, "\(error)")
            #expect(error.description.contains(mention), "\(error)")
        }
    }

    @Test("tenants and the aging threshold are optional; weight defaults to 1 and usage to 0")
    func tenantsRead() throws {
        let plain = try MarketSnapshotReader.read(snapshot(nodes: [Self.good], orders: []))
        #expect(plain.tenants == nil && plain.starvationAfterSeconds == 86_400)
        let text = snapshot(nodes: [Self.good], orders: [], extra: #""starvation_after_s": 3600, "tenants": [{"id": "a"}, {"id": "b", "weight": 3, "usage": {"gpus": 8, "cpu": 64, "memory_gib": 512}}, {"id": "c", "usage": {"cpu": 4}}]"#)
        let read = try MarketSnapshotReader.read(text)
        #expect(read.starvationAfterSeconds == 3_600)
        #expect(read.tenants == [TenantStanding(id: "a"),
                                 TenantStanding(id: "b", weight: 3, usageGPUs: 8, usageCPUCores: 64, usageMemoryGiB: 512),
                                 TenantStanding(id: "c", usageCPUCores: 4)])
    }

    @Test("prices and shares are read exactly from their decimal text")
    func exactDecimals() throws {
        let text = snapshot(nodes: [node("a", ask: "2.10"), node("b", ask: "0.000001")], orders: [],
                            pools: [#"{"name": "p", "share": 0.123456, "price": 0.45}"#])
        let snapshot = try MarketSnapshotReader.read(text)
        #expect(snapshot.nodes.map(\.askPerGPUHour.rawValue) == [2_100_000, 1])
        #expect(snapshot.pools.first?.sharePPM == 123_456)
        #expect(snapshot.pools.first?.pricePerGPUHour == MicroCredits(450_000))
    }

    @Test("the table output lists every order")
    func table() throws {
        let text = snapshot(nodes: [node("a", gpus: 1)], orders: [order("first"), order("second")])
        let table = try MarketClearOutput.clearing(snapshotText: text, json: false)
        #expect(table.contains("first") && table.contains("second") && table.contains("no_capacity"))
        #expect(table.hasSuffix("1 placed (1 GPUs), 1 unplaced"))
    }
}
