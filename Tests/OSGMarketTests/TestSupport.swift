import Foundation
import OSGDomain
import OSGMarket
import Testing
import Yams
@testable import OSGMarketIO

/// Clears snapshot text exactly as `osg market clear --json` does.
func clearJSON(_ text: String) throws -> String {
    try MarketClearOutput.clearing(snapshotText: text, json: true)
}

/// Clears snapshot text through the CLI path and checks it with the independent checker.
func clearAndCheck(_ text: String) throws -> (output: String, violations: [String]) {
    let output = try clearJSON(text)
    var checker = ClearingChecker(snapshot: try MarketSnapshotReader.read(text))
    return (output, checker.check(output))
}

/// The parsed output of a clearing: order → (node ids, price) or order → reason.
struct Outcome {
    var placed: [String: (nodes: [String], price: String)] = [:]
    var reasons: [String: String] = [:]

    init(_ text: String) throws {
        let (placements, unplaced) = try #require(ClearingChecker.parse(text))
        for placement in placements {
            placed[placement.order] = (placement.nodes.map(\.node), MicroCredits(placement.priceMicroCredits).description)
        }
        for entry in unplaced { reasons[entry.order] = entry.reason }
    }
}

func fixtureText(_ name: String) throws -> String {
    let url = try #require(Bundle.module.url(forResource: "Fixtures/market-examples/\(name)", withExtension: nil))
    return try String(contentsOf: url, encoding: .utf8)
}

/// The snapshot text with its nodes, orders and pools arrays permuted (written back as YAML
/// flow text, which the reader accepts like JSON; scalar styles are kept).
func shuffledSnapshot(_ text: String, seed: UInt64) throws -> String {
    guard case .mapping(var top)? = try Yams.compose(yaml: text) else { throw CocoaError(.fileReadCorruptFile) }
    var random = SplitMix64(seed: seed)
    for key in ["nodes", "orders", "pools"] {
        guard case .sequence(let sequence)? = top[Node(key)] else { continue }
        top[Node(key)] = .sequence(Node.Sequence(Array(sequence).shuffled(using: &random)))
    }
    return try Yams.serialize(node: .mapping(top))
}

// MARK: Small snapshot builders for scenario tests

func node(
    _ id: String, _ model: String = "H100", gpus: Int = 8, ask: String = "1.00", region: String = "eu",
    jurisdiction: String = "DE", operator op: String = "op1", vram: Int = 80, cpu: Int = 64, memory: Int = 512,
    carbon: String? = "100"
) -> String {
    var text = #"{"id": "\#(id)", "operator": "\#(op)", "gpu_model": "\#(model)", "gpus": \#(gpus), "vram_gib": \#(vram), "cpu": \#(cpu), "memory_gib": \#(memory), "region": "\#(region)", "jurisdiction": "\#(jurisdiction)", "zone": "\#(region)-grid", "ask_price": \#(ask)"#
    if let carbon { text += #", "carbon_gco2_per_kwh": \#(carbon)"# }
    return text + "}"
}

func order(
    _ id: String, model: String = "H100", count: Int = 1, nodes: Int = 1, maxPrice: String = "3.00",
    class jobClass: String = "standard", pool: String? = nil, submitted: String = "2026-11-30T10:00:00Z",
    cpu: Int = 8, memory: Int = 64, extra: String = "", tenant: String = "t1"
) -> String {
    var spec = #"{"name": "job-\#(id)", "command": ["true"], "resources": {"gpu": {"model": "\#(model)", "count": \#(count)}, "cpu": \#(cpu), "memory_gib": \#(memory)}, "nodes": \#(nodes), "duration": "1h", "max_price": \#(maxPrice), "class": "\#(jobClass)""#
    if !extra.isEmpty { spec += ", " + extra }
    spec += "}"
    var text = #"{"id": "\#(id)", "tenant": "\#(tenant)", "submitted": "\#(submitted)", "spec": \#(spec)"#
    if let pool { text += #", "pool": "\#(pool)""# }
    return text + "}"
}

func snapshot(nodes: [String], orders: [String], pools: [String] = [], extra: String = "", now: String = "2026-12-01T00:00:00Z") -> String {
    #"{\#(extra.isEmpty ? "" : extra + ", ")"now": "\#(now)", "nodes": [\#(nodes.joined(separator: ", "))], "orders": [\#(orders.joined(separator: ", "))], "pools": [\#(pools.joined(separator: ", "))]}"#
}

/// Clears a scenario, requires the checker to pass, and returns the parsed outcome.
func clearScenario(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Outcome {
    let (output, violations) = try clearAndCheck(text)
    #expect(violations.isEmpty, "\(violations)", sourceLocation: sourceLocation)
    return try Outcome(output)
}
