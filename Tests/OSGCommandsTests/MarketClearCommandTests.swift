import ArgumentParser
import Foundation
import Testing
@testable import OSGCommands

@Suite("osg market clear: exit statuses")
struct MarketClearCommandTests {
    static let node = #"{"id": "a", "operator": "op1", "gpu_model": "H100", "gpus": 8, "vram_gib": 80, "cpu": 64, "memory_gib": 512, "region": "eu", "jurisdiction": "DE", "zone": "eu-grid", "ask_price": 1.00}"#
    static let order = #"{"id": "o", "tenant": "t1", "submitted": "2026-11-30T10:00:00Z", "spec": {"name": "job-o", "command": ["true"], "resources": {"gpu": {"model": "H100", "count": 1}, "cpu": 8, "memory_gib": 64}, "nodes": 1, "duration": "1h", "max_price": 3.00, "class": "standard"}}"#

    static func snapshot(nodes: [String], orders: [String]) -> String {
        #"{"now": "2026-12-01T00:00:00Z", "nodes": [\#(nodes.joined(separator: ", "))], "orders": [\#(orders.joined(separator: ", "))], "pools": []}"#
    }

    func file(_ name: String, _ text: String) -> String {
        let directory = temporaryPath("market-clear")
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/" + name
        #expect(FileManager.default.createFile(atPath: path, contents: Data(text.utf8)))
        return path
    }

    @Test("exits 2 on a malformed or missing file and 0 on a good one")
    func exitCodes() throws {
        let bad = file("bad.json", Self.snapshot(nodes: [Self.node, Self.node], orders: []))
        var command = try OSGCommand.parseAsRoot(["market", "clear", bad, "--json"])
        do {
            try command.run()
            Issue.record("a malformed snapshot (a duplicate node id) was accepted")
        } catch let exit as ExitCode {
            #expect(exit.rawValue == 2)
        }
        var missing = try OSGCommand.parseAsRoot(["market", "clear", "/nonexistent/snapshot.json"])
        #expect(throws: ExitCode(2)) { try missing.run() }
        let good = file("good.json", Self.snapshot(nodes: [Self.node], orders: [Self.order]))
        var ok = try OSGCommand.parseAsRoot(["market", "clear", good])
        try ok.run()
    }
}
