import Foundation
import Testing
@testable import OSGCommands

@Suite("osg agent init, its configuration file and osg agent status")
struct AgentCommandTests {
    @Test("init writes a commented configuration and a key, both 0600, that read back; it refuses to overwrite")
    func initWritesFiles() throws {
        let folder = temporaryPath("agent-init")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let config = folder + "/agent.yaml"
        var command = try OSGCommand.parseAsRoot(["agent", "init", "--out", config, "--node-id", "rig-1", "--simulate", "2xH100",
                                                  "--coordinator", "http://127.0.0.1:9999"])
        try command.run()
        for path in [config, folder + "/agent.key"] {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600, "\(path)")
        }
        let loaded = try AgentConfiguration.load(from: config)
        #expect(loaded.node.id == "rig-1" && loaded.node.simulate == "2xH100" && loaded.executor == "sandbox")
        #expect(loaded.coordinator == "http://127.0.0.1:9999")
        #expect(AgentConfiguration.resolve(loaded.key, relativeTo: config) == folder + "/agent.key")
        #expect(try String(contentsOfFile: config, encoding: .utf8).contains("# sandbox: bubblewrap"), "commented")
        var again = try OSGCommand.parseAsRoot(["agent", "init", "--out", config])
        #expect(throws: (any Error).self) { try again.run() }
        var bad = try OSGCommand.parseAsRoot(["agent", "init", "--out", folder + "/b.yaml", "--simulate", "0xH100"])
        #expect(throws: (any Error).self) { try bad.run() }
        #expect(!FileManager.default.fileExists(atPath: folder + "/b.yaml"), "nothing written for a bad flag")
    }

    @Test("every wrong setting is named with its fix", arguments: [
        ("executor: docker", "executor must be sandbox or slurm"),
        ("  region: EU", "node.region 'EU'"),
        ("  jurisdiction: Germany", "node.jurisdiction 'Germany'"),
        ("  ask_price: \"-1\"", "node.ask_price must be a positive decimal"),
        ("  power_source: coal-ish", "node.power_source must be one of"),
        ("  gpu_model: H110", "node.gpu_model H110 is not catalogued"),
        ("  cpu: 0", "node.cpu must be at least 1"),
    ])
    func problems(line: String, message: String) throws {
        let folder = temporaryPath("agent-config")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let base = AgentConfiguration.template(coordinator: "http://127.0.0.1:7070", key: "agent.key", nodeID: "n1", simulate: "1xH100", executor: "sandbox")
        // The line replaces the template's line with the same key (or is added under node:).
        let key = line.trimmingCharacters(in: .whitespaces).split(separator: ":")[0]
        var lines = base.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if let index = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix("\(key):") }) {
            lines[index] = line
        } else {
            lines.insert(line, at: lines.firstIndex(of: "node:")! + 1)
        }
        let path = folder + "/agent.yaml"
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let error = #expect(throws: AgentConfiguration.Failure.self) { try AgentConfiguration.load(from: path) }
        #expect(error?.description.contains(message) == true, "\(error?.description ?? "")")
    }

    @Test("warm_sandboxes is on unless the file turns it off; a value that is not a boolean is named")
    func warmSandboxesSetting() throws {
        let folder = temporaryPath("agent-config-warm")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let base = AgentConfiguration.template(coordinator: "http://127.0.0.1:7070", key: "agent.key", nodeID: "n1", simulate: "1xH100", executor: "sandbox")
        #expect(base.contains("# warm_sandboxes: false"), "the template names the setting")
        for (line, expected) in [("", nil), ("warm_sandboxes: false\n", false), ("warm_sandboxes: true\n", true)] as [(String, Bool?)] {
            try (line + base).write(toFile: folder + "/agent.yaml", atomically: true, encoding: .utf8)
            #expect(try AgentConfiguration.load(from: folder + "/agent.yaml").warmSandboxes == expected, "\(line)")
        }
        try ("warm_sandboxes: sometimes\n" + base).write(toFile: folder + "/agent.yaml", atomically: true, encoding: .utf8)
        let error = #expect(throws: AgentConfiguration.Failure.self) { try AgentConfiguration.load(from: folder + "/agent.yaml") }
        #expect(error?.description.contains("warm_sandboxes") == true, "\(error?.description ?? "")")
    }

    @Test("a missing field and a file that is not YAML are clear errors")
    func unreadable() throws {
        let folder = temporaryPath("agent-config-bad")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try "coordinator: http://x\nkey: k\nstate_directory: s\nexecutor: sandbox\n".write(toFile: folder + "/a.yaml", atomically: true, encoding: .utf8)
        let missing = #expect(throws: AgentConfiguration.Failure.self) { try AgentConfiguration.load(from: folder + "/a.yaml") }
        #expect(missing?.description.contains("node is required") == true, "\(missing?.description ?? "")")
        try "node: [".write(toFile: folder + "/b.yaml", atomically: true, encoding: .utf8)
        #expect(throws: AgentConfiguration.Failure.self) { try AgentConfiguration.load(from: folder + "/b.yaml") }
        #expect(throws: AgentConfiguration.Failure.self) { try AgentConfiguration.load(from: folder + "/absent.yaml") }
    }

    @Test("status says so when the agent never ran with this configuration")
    func statusBeforeRun() throws {
        let folder = temporaryPath("agent-status")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var command = try OSGCommand.parseAsRoot(["agent", "init", "--out", folder + "/agent.yaml", "--simulate", "1xH100"])
        try command.run()
        var status = try OSGCommand.parseAsRoot(["agent", "status", "--config", folder + "/agent.yaml"])
        #expect(throws: (any Error).self) { try status.run() }
    }
}
