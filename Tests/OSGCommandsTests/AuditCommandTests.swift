import ArgumentParser
import Foundation
import OSGAuditTool
import OSGCore
import OSGLog
import Testing
@testable import OSGCommands

/// Drives `osg log publish`, `osg log checkpoint` and `osg audit` in-process.
@Suite("osg audit and the published log verbs")
struct AuditCommandTests {
    static func exitStatus(_ arguments: [String]) async throws -> Int32 {
        var command = try OSGCommand.parseAsRoot(arguments)
        do {
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            return 0
        } catch let exit as ExitCode {
            return exit.rawValue
        }
    }

    @Test("publish, print the checkpoint, audit (0); a truncated tile fails (1); no log is malformed (2)")
    func publishAndAudit() async throws {
        let root = NSTemporaryDirectory() + "osg-audit-cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        var workload = CommandLogWorkload(seed: 9, operators: 3, nodesPerOperator: 2, tenants: 5)
        var log = CommandLog(genesis: CommandLogWorkload.genesis)
        for entry in workload.entries(count: 400) { try log.append(entry.command, by: entry.actor, at: entry.time) }
        try Data(log.jsonLines()).write(to: URL(fileURLWithPath: root + "/log.jsonl"))
        let origin = "cli.test/log"
        let signer = try NoteSignerKey(name: origin, seed: [UInt8](repeating: 3, count: 32))
        try Data(signer.privateKeyString.utf8).write(to: URL(fileURLWithPath: root + "/signer.key"))

        #expect(try await Self.exitStatus(["log", "publish", "--jsonl", root + "/log.jsonl", "--out", root + "/log", "--origin", origin, "--key", root + "/signer.key"]) == 0)
        #expect(try await Self.exitStatus(["log", "checkpoint", "--log", root + "/log", "--json"]) == 0)
        #expect(try await Self.exitStatus(["audit", "--from", root + "/log", "--state-dir", root + "/state", "--key", signer.verifierKey.description, "--json"]) == 0)

        let tile = URL(fileURLWithPath: root + "/log/tile/0/000")
        try Data(try Data(contentsOf: tile).dropLast(1)).write(to: tile)
        #expect(try await Self.exitStatus(["audit", "--from", root + "/log", "--state-dir", root + "/state"]) == 1)
        #expect(try await Self.exitStatus(["audit", "--from", root + "/nothing", "--state-dir", root + "/state"]) == 2)
        #expect(try await Self.exitStatus(["log", "checkpoint", "--log", root + "/nothing"]) == 2)
    }
}
