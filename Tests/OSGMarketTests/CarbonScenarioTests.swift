import Foundation
import OSGDomain
import OSGMarket
import Testing
@testable import OSGMarketIO

/// The snapshot's optional `carbon` object: zone → hourly grams from 2026-12-01T00:00Z.
func carbonJSON(_ zones: [(String, [String])]) -> String {
    let entries = zones.map { zone, grams in
        let hours = grams.enumerated().map { hour, value in
            let text = hour < 10 ? "0\(hour)" : "\(hour)"
            return #"{"hour": "2026-12-01T\#(text):00:00Z", "gco2_per_kwh": \#(value)}"#
        }
        return #""\#(zone)": [\#(hours.joined(separator: ", "))]"#
    }
    return "{" + entries.joined(separator: ", ") + "}"
}

/// `snapshot(...)` with a `carbon` object added.
func snapshot(nodes: [String], orders: [String], carbon: String) -> String {
    String(snapshot(nodes: nodes, orders: orders).dropLast()) + #", "carbon": \#(carbon)}"#
}

/// Spec fields of a flexible job (deadline 06:00, max_duration 1 h).
let flexible = #""deadline": "2026-12-01T06:00:00Z", "carbon": {"shift": true}"#

@Suite("Carbon step: flexible orders wait for cleaner hours and prefer cleaner zones")
struct CarbonScenarioTests {
    @Test("a flexible order that cannot start now is deferred, with the planned start and zone; one with room starts now; others clear as usual")
    func deferred() throws {
        let series = carbonJSON([("eu-grid", ["300", "100.5", "200", "250", "250", "250", "250"])])
        // With room now the order starts now, though 01:00 is cleaner: a job a node has room
        // for is never held back (docs/CARBON.md, "Capacity-aware planning").
        let roomNow = try clearScenario(snapshot(nodes: [node("eu-1")], orders: [order("flex", extra: flexible), order("fixed")], carbon: series))
        #expect(roomNow.placed["flex"]?.nodes == ["eu-1"])
        // Capped at 250 g, no start is possible now (300 g): it is planned for the cleanest hour under the cap.
        let capped = #""deadline": "2026-12-01T06:00:00Z", "carbon": {"shift": true, "max_gco2_per_kwh": 250}"#
        let text = snapshot(nodes: [node("eu-1")], orders: [order("flex", extra: capped), order("fixed")], carbon: series)
        let outcome = try clearScenario(text)
        #expect(outcome.reasons["flex"] == "deferred_for_cleaner_power")
        #expect(outcome.placed["fixed"]?.nodes == ["eu-1"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(try clearJSON(text).utf8)) as? [String: Any])
        let unplaced = try #require((object["unplaced"] as? [[String: Any]])?.first)
        #expect(unplaced["planned_start"] as? String == "2026-12-01T01:00:00Z")
        #expect(unplaced["zone"] as? String == "eu-grid")
        let table = try MarketClearOutput.clearing(snapshotText: text, json: false)
        #expect(table.contains("deferred_for_cleaner_power (start 2026-12-01T01:00:00Z in eu-grid)"))
    }

    @Test("a flexible order starting now prefers the cleanest allowed zone over a cheaper node; without series it takes the cheaper")
    func prefersCleanZone() throws {
        let nodes = [node("eu-1", ask: "1.00"), node("us-1", ask: "2.00", region: "us-west", jurisdiction: "US")]
        let series = carbonJSON([("eu-grid", ["400", "400", "400", "400", "400", "400", "400"]),
                                 ("us-west-grid", ["50", "60", "60", "60", "60", "60", "60"])])
        let green = try clearScenario(snapshot(nodes: nodes, orders: [order("flex", extra: flexible)], carbon: series))
        #expect(green.placed["flex"]?.nodes == ["us-1"])
        #expect(green.placed["flex"]?.price == "2")
        let plain = try clearScenario(snapshot(nodes: nodes, orders: [order("flex", extra: flexible)]))
        #expect(plain.placed["flex"]?.nodes == ["eu-1"])
        // The preference is a first try, not a constraint: with the clean zone full, the order still starts now.
        let full = try clearScenario(snapshot(nodes: [nodes[0], node("us-1", gpus: 0, ask: "2.00", region: "us-west", jurisdiction: "US")],
                                              orders: [order("flex", extra: flexible)], carbon: series))
        #expect(full.placed["flex"]?.nodes == ["eu-1"])
    }

    @Test("the cap holds for the start hour: a capped flexible order waits for the first hour under its cap in the cleanest run")
    func capDefers() throws {
        let capped = #""deadline": "2026-12-01T06:00:00Z", "carbon": {"shift": true, "max_gco2_per_kwh": 100}"#
        let text = snapshot(nodes: [node("eu-1", carbon: nil)], orders: [order("flex", extra: capped)],
                            carbon: carbonJSON([("eu-grid", ["300", "250", "90", "95", "100", "400", "400"])]))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(try clearJSON(text).utf8)) as? [String: Any])
        let unplaced = try #require((object["unplaced"] as? [[String: Any]])?.first)
        #expect(unplaced["reason"] as? String == "deferred_for_cleaner_power")
        #expect(unplaced["planned_start"] as? String == "2026-12-01T02:00:00Z")
        _ = try clearScenario(text)
    }

    @Test("a node without a stated figure takes its zone's value now, so a capped order can use it")
    func figureFromSeries() throws {
        let capped = #""carbon": {"max_gco2_per_kwh": 100}"#
        let nodes = [node("eu-1", carbon: nil)]
        let clean = try clearScenario(snapshot(nodes: nodes, orders: [order("o", extra: capped)], carbon: carbonJSON([("eu-grid", ["80"])])))
        #expect(clean.placed["o"]?.nodes == ["eu-1"])
        let dirty = try clearScenario(snapshot(nodes: nodes, orders: [order("o", extra: capped)], carbon: carbonJSON([("eu-grid", ["120"])])))
        #expect(dirty.reasons["o"] == "carbon_cap")
        let none = try clearScenario(snapshot(nodes: nodes, orders: [order("o", extra: capped)]))
        #expect(none.reasons["o"] == "carbon_cap")
    }

    @Test("inputs without flexible orders clear exactly as without series")
    func unchanged() throws {
        let text = try fixtureText("pools-2.json")
        let withCarbon = String(text.trimmingCharacters(in: .whitespacesAndNewlines).dropLast())
            + #", "carbon": \#(carbonJSON([("eu-grid", ["1", "2"])]))}"#
        #expect(try clearJSON(withCarbon) == clearJSON(text))
    }

    @Test("malformed series are refused naming the entry and field",
          arguments: [
            (#"{"eu-grid": [{"hour": "2026-12-01T00:00:00Z", "gco2_per_kwh": 1}, {"hour": "2026-12-01T02:00:00Z", "gco2_per_kwh": 1}]}"#, "carbon.eu-grid[1]", "hour"),
            (#"{"eu-grid": [{"hour": "2026-12-01T00:30:00Z", "gco2_per_kwh": 1}]}"#, "carbon.eu-grid[0]", "hour"),
            (#"{"eu-grid": [{"hour": "2026-12-01T00:00:00Z", "gco2_per_kwh": -1}]}"#, "carbon.eu-grid[0]", "gco2_per_kwh"),
            (#"{"eu-grid": [{"hour": "2026-12-01T00:00:00Z", "gco2_per_kwh": "5"}]}"#, "carbon.eu-grid[0]", "gco2_per_kwh"),
            (#"[1, 2]"#, "snapshot", "carbon"),
          ])
    func refused(carbon: String, item: String, field: String) throws {
        do {
            _ = try MarketSnapshotReader.read(snapshot(nodes: [node("eu-1")], orders: [], carbon: carbon))
            Issue.record("accepted: \(carbon)")
        } catch {
            #expect(error.item == item, "\(error)")
            #expect(error.field == field, "\(error)")
        }
    }
}

@Suite("Carbon step: determinism")
struct CarbonDeterminismTests {
    @Test("with series, several flexible orders over three zones give the same output after shuffling the arrays")
    func shuffled() throws {
        let nodes = [
            node("eu-1", ask: "1.00"), node("eu-2", gpus: 4, ask: "1.20"),
            node("us-1", ask: "2.00", region: "us-west", jurisdiction: "US"),
            node("sa-1", gpus: 2, ask: "0.90", region: "sa", jurisdiction: "BR", carbon: nil),
        ]
        let later = #""deadline": "2026-12-01T12:00:00Z", "carbon": {"shift": true}"#
        let orders = (0..<8).map { index in
            order("f\(index)", count: 1 + index % 3, submitted: "2026-11-30T0\(index):00:00Z",
                  extra: index % 2 == 0 ? flexible : later)
        } + [order("fixed-1"), order("fixed-2", count: 4)]
        let series = carbonJSON([
            ("eu-grid", ["300", "280", "260", "240", "220", "200", "180", "160", "140", "120", "100", "90", "80"]),
            ("us-west-grid", ["150", "150", "150", "150", "150", "150", "150", "150", "150", "150", "150", "150", "150"]),
            ("sa-grid", ["120", "400", "400", "400", "400", "400", "400", "400", "400", "400", "400", "400", "400"]),
        ])
        let text = snapshot(nodes: nodes, orders: orders, carbon: series)
        let expected = try clearJSON(text)
        _ = try clearScenario(text)
        for seed in UInt64(1)...5 {
            #expect(try clearJSON(shuffledSnapshot(text, seed: seed)) == expected)
        }
        let outcome = try Outcome(expected)
        // Every order has room now somewhere, so none is held back for eu-grid's clean hours
        // (11:00 at 90 g would beat sa now at 120 g for the odd orders' 12:00 deadline).
        #expect(!outcome.reasons.values.contains("deferred_for_cleaner_power"), "\(outcome.reasons)")
        // Each flexible order, in submission order, takes the cleanest zone with room left:
        // sa (120 g, 2 GPUs) for f0 and f3, us-west (150 g, 8 GPUs) for f1, f2, f4 and f6, and
        // eu (300 g) only for what is left, though eu is the cheapest.
        for id in ["f0", "f3"] { #expect(outcome.placed[id]?.nodes == ["sa-1"], "\(id)") }
        for id in ["f1", "f2", "f4", "f6"] { #expect(outcome.placed[id]?.nodes == ["us-1"], "\(id)") }
        for id in ["f5", "f7"] { #expect(outcome.placed[id]?.nodes == ["eu-1"], "\(id)") }
        #expect(outcome.placed.count + outcome.reasons.count == 10)
    }
}
