import Foundation
import OSGDomain
import OSGMarket
import Testing
@testable import OSGMarketIO

@Suite("The shared market examples clear with every DESIGN.md §4 property")
struct MarketFixtureTests {
    @Test("each example clears through the CLI path and passes the independent checker", arguments: ["open-1.json", "pools-2.json"])
    func properties(name: String) throws {
        let text = try fixtureText(name)
        let (output, violations) = try clearAndCheck(text)
        #expect(violations.isEmpty, "\(violations)")
        let outcome = try Outcome(output)
        #expect(outcome.placed.count + outcome.reasons.count == 60)
        #expect(!outcome.placed.isEmpty)
        // Strict JSON, not only something a YAML reader accepts.
        #expect((try? JSONSerialization.jsonObject(with: Data(output.utf8))) != nil)
    }

    @Test("ids with quotes and backslashes come out as valid JSON strings; control characters and non-ASCII ids are refused")
    func escaping() throws {
        for odd in [#"o\u0001"#, "oé"] {
            #expect(throws: MarketInputError.self) { try clearJSON(snapshot(nodes: [node("n")], orders: [order(odd)])) }
        }
        let id = #"o\"q\\b"#  // JSON escapes inside the snapshot text
        let text = snapshot(nodes: [node(#"n\"1"#)], orders: [order(id), order("o")])
        let output = try clearJSON(text)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
        // The odd id also makes an invalid job name, so that order is unplaced and its reason
        // quotes the name: both strings must survive the round trip.
        let unplaced = try #require(object["unplaced"] as? [[String: Any]])
        #expect(unplaced.first?["order"] as? String == "o\"q\\b")
        #expect((unplaced.first?["reason"] as? String)?.hasPrefix("invalid_spec: name: 'job-o\"q\\b'") == true)
        let placements = try #require(object["placements"] as? [[String: Any]])
        let nodes = try #require(placements.first?["nodes"] as? [[String: Any]])
        #expect(nodes.first?["node"] as? String == "n\"1")
    }

    @Test("each example gives the same output after shuffling its arrays", arguments: ["open-1.json", "pools-2.json"])
    func shuffled(name: String) throws {
        let text = try fixtureText(name)
        let expected = try clearJSON(text)
        for seed in UInt64(1)...5 {
            #expect(try clearJSON(try shuffledSnapshot(text, seed: seed)) == expected, "seed \(seed)")
        }
    }

    @Test("each example clears to its committed golden output", arguments: ["open-1", "pools-2"])
    func golden(name: String) throws {
        let expected = try fixtureText("\(name).clearing.json").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try clearJSON(try fixtureText("\(name).json")) == expected)
    }

    @Test("set-aside orders in pools-2 pay exactly their pool's price, or say why they wait")
    func poolPrices() throws {
        let text = try fixtureText("pools-2.json")
        let snapshot = try MarketSnapshotReader.read(text)
        let outcome = try Outcome(try clearJSON(text))
        let prices = Dictionary(uniqueKeysWithValues: snapshot.pools.map { ($0.name, $0.pricePerGPUHour.description) })
        for order in snapshot.orders where order.pool != nil {
            if let placed = outcome.placed[order.id] {
                #expect(placed.price == prices[order.pool!])
            } else {
                #expect(outcome.reasons[order.id] != "no_capacity")
            }
        }
    }
}
