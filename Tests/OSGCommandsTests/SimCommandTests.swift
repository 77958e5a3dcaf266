import ArgumentParser
import Foundation
import Testing
@testable import OSGCommands

@Suite("osg sim")
struct SimCommandTests {
    @Test("a small default run on the bundled data writes the HTML report with SVG charts")
    func reportFromBundledData() async throws {
        let directory = temporaryPath("sim-report")
        var command = try OSGCommand.parseAsRoot(["sim", "--operators", "30", "--days", "2", "--jobs", "80", "--seed", "5", "--report", directory]) as! AsyncParsableCommand
        try await command.run()
        let html = try String(contentsOfFile: directory + "/index.html", encoding: .utf8)
        #expect(html.contains("<svg") && html.contains("open-no-carbon") && html.contains("Jain"))
        let json = try String(contentsOfFile: directory + "/report.json", encoding: .utf8)
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        #expect(object?["jobs"] as? Int == 80)
        #expect((object?["regimes"] as? [Any])?.count == 3)
    }

    @Test("--log writes each open regime's coordinator log, which the audit replays and verifies")
    func logForAudit() async throws {
        let directory = temporaryPath("sim-log")
        var command = try OSGCommand.parseAsRoot(["sim", "--operators", "30", "--days", "2", "--jobs", "80", "--seed", "5", "--log", directory])
            as! AsyncParsableCommand
        try await command.run()
        for regime in ["open", "open-no-carbon"] {
            let published = directory + "/" + regime
            #expect(FileManager.default.fileExists(atPath: published + "/checkpoint"))
            var audit = try OSGCommand.parseAsRoot(["audit", "--from", published]) as! AsyncParsableCommand
            try await audit.run()
        }
        // The concentrated regime is a separate model: it has no coordinator log.
        #expect(!FileManager.default.fileExists(atPath: directory + "/concentrated"))
        // A tampered log fails the audit.
        let tiles = directory + "/open/tile/entries"
        let bundle = try #require(FileManager.default.subpathsOfDirectory(atPath: tiles).sorted().first { path in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: tiles + "/" + path, isDirectory: &isDirectory) && !isDirectory.boolValue
        })
        var bytes = try Data(contentsOf: URL(fileURLWithPath: tiles + "/" + bundle))
        bytes[bytes.count / 2] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: tiles + "/" + bundle))
        var tampered = try OSGCommand.parseAsRoot(["audit", "--from", directory + "/open"]) as! AsyncParsableCommand
        await #expect(throws: (any Error).self) { try await tampered.run() }
        #expect(throws: (any Error).self) { try OSGCommand.parseAsRoot(["sim", "--carbon-curve", "--log", directory]) }
    }

    @Test("bad options and unreadable inputs are refused with the reason")
    func refusals() async throws {
        #expect(throws: (any Error).self) { try OSGCommand.parseAsRoot(["sim", "--days", "0"]) }
        // The carbon curve sets the load itself.
        #expect(throws: (any Error).self) { try OSGCommand.parseAsRoot(["sim", "--carbon-curve", "--load", "0.5"]) }
        #expect(throws: (any Error).self) { try OSGCommand.parseAsRoot(["sim", "--carbon-curve", "--jobs", "10"]) }
        var missing = try OSGCommand.parseAsRoot(["sim", "--trace", "/nonexistent/openb_pod_list.csv", "--operators", "10", "--days", "1"]) as! AsyncParsableCommand
        do {
            try await missing.run()
            Issue.record("a missing trace must fail")
        } catch let error as ValidationError {
            #expect(error.message.contains("/nonexistent/openb_pod_list.csv"))
        }
    }

    @Test("the Slurm calibration runs on the bundled trace, with a peer of its window, and refuses another window's peer")
    func calibration() async throws {
        var command = try OSGCommand.parseAsRoot(["sim", "--calibrate-slurm", "--json"]) as! AsyncParsableCommand
        try await command.run()
        let peer = temporaryPath("peer") + ".json"
        try Data(#"{"peer": "slurm", "window_start_s": 11232000, "hours": 48.0, "compress": 240.0, "jobs": 530, "completed": 530, "wait_p50_s": 240.0, "wait_p90_s": 4800.0, "wait_p99_s": 9600.0}"#.utf8)
            .write(to: URL(fileURLWithPath: peer))
        var same = try OSGCommand.parseAsRoot(["sim", "--calibrate-slurm", "--from-day", "130", "--hours", "48", "--peer", peer]) as! AsyncParsableCommand
        try await same.run()
        var other = try OSGCommand.parseAsRoot(["sim", "--calibrate-slurm", "--peer", peer, "--json"]) as! AsyncParsableCommand
        do {
            try await other.run()
            Issue.record("a peer of another window must be refused")
        } catch let error as ValidationError {
            #expect(error.message.contains("11232000") && error.message.contains(peer))
        }
        #expect(throws: (any Error).self) { try OSGCommand.parseAsRoot(["sim", "--peer", peer]) }
        #expect(throws: (any Error).self) { try OSGCommand.parseAsRoot(["sim", "--calibrate-slurm", "--site-gpus", "4"]) }
        #expect(throws: (any Error).self) { try OSGCommand.parseAsRoot(["sim", "--calibrate-slurm", "--hours", "0"]) }
        #expect(throws: (any Error).self) { try OSGCommand.parseAsRoot(["sim", "--calibrate-slurm", "--backfill-interval-s", "-1"]) }
    }
}
