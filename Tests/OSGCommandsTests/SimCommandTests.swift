import ArgumentParser
import Foundation
import Testing
@testable import OSGCommands

@Suite("osg sim")
struct SimCommandTests {
    @Test("a small default run on the bundled data writes the HTML report with SVG charts")
    func reportFromBundledData() throws {
        let directory = temporaryPath("sim-report")
        var command = try OSGCommand.parseAsRoot(["sim", "--operators", "30", "--days", "2", "--jobs", "80", "--seed", "5", "--report", directory])
        try command.run()
        let html = try String(contentsOfFile: directory + "/index.html", encoding: .utf8)
        #expect(html.contains("<svg") && html.contains("open-no-carbon") && html.contains("Jain"))
        let json = try String(contentsOfFile: directory + "/report.json", encoding: .utf8)
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        #expect(object?["jobs"] as? Int == 80)
        #expect((object?["regimes"] as? [Any])?.count == 3)
    }

    @Test("bad options and unreadable inputs are refused with the reason")
    func refusals() throws {
        #expect(throws: (any Error).self) { try OSGCommand.parseAsRoot(["sim", "--days", "0"]) }
        // The carbon curve sets the load itself.
        #expect(throws: (any Error).self) { try OSGCommand.parseAsRoot(["sim", "--carbon-curve", "--load", "0.5"]) }
        #expect(throws: (any Error).self) { try OSGCommand.parseAsRoot(["sim", "--carbon-curve", "--jobs", "10"]) }
        var missing = try OSGCommand.parseAsRoot(["sim", "--trace", "/nonexistent/openb_pod_list.csv", "--operators", "10", "--days", "1"])
        do {
            try missing.run()
            Issue.record("a missing trace must fail")
        } catch let error as ValidationError {
            #expect(error.message.contains("/nonexistent/openb_pod_list.csv"))
        }
    }

    @Test("the Slurm calibration runs on the bundled trace, with a peer of its window, and refuses another window's peer")
    func calibration() throws {
        var command = try OSGCommand.parseAsRoot(["sim", "--calibrate-slurm", "--json"])
        try command.run()
        let peer = temporaryPath("peer") + ".json"
        try Data(#"{"peer": "slurm", "window_start_s": 11232000, "hours": 48.0, "compress": 240.0, "jobs": 530, "completed": 530, "wait_p50_s": 240.0, "wait_p90_s": 4800.0, "wait_p99_s": 9600.0}"#.utf8)
            .write(to: URL(fileURLWithPath: peer))
        var same = try OSGCommand.parseAsRoot(["sim", "--calibrate-slurm", "--from-day", "130", "--hours", "48", "--peer", peer])
        try same.run()
        var other = try OSGCommand.parseAsRoot(["sim", "--calibrate-slurm", "--peer", peer, "--json"])
        do {
            try other.run()
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
