import Foundation
import Testing
@testable import OSGCommands

func temporaryPath(_ name: String) -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("osg-tests-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory.appendingPathComponent(name).path
}

@Suite("osg keys")
struct KeysCommandTests {
    @Test("keys new writes a 0600 key file that reads back to the same identity")
    func writesPrivateFile() throws {
        let path = temporaryPath("id.key")
        var command = try OSGCommand.parseAsRoot(["keys", "new", "--out", path])
        try command.run()
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let key = try KeyFile.read(from: path)
        #expect(key.identity.id.count == 64)
    }

    @Test("keys new refuses to overwrite an existing file and leaves it intact")
    func refusesOverwrite() throws {
        let path = temporaryPath("id.key")
        try KeyFile.generate().write(to: path)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(throws: (any Error).self) { try KeyFile.generate().write(to: path) }
        var command = try OSGCommand.parseAsRoot(["keys", "new", "--out", path])
        #expect(throws: (any Error).self) { try command.run() }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }

    @Test("a damaged key file is refused with the reason")
    func damaged() throws {
        let path = temporaryPath("bad.key")
        try Data(#"{"algorithm":"ed25519","private_key":"zz"}"#.utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: KeyFile.Failure.self) { try KeyFile.read(from: path) }
        let other = temporaryPath("mismatch.key")
        let a = KeyFile.generate(), b = KeyFile.generate()
        let text = #"{"algorithm":"ed25519","public_key":"\#(a.identity.id)","private_key":"\#(b.privateKey.rawRepresentation.map { String(format: "%02x", $0) }.joined())"}"#
        try Data(text.utf8).write(to: URL(fileURLWithPath: other))
        #expect(throws: KeyFile.Failure.self) { try KeyFile.read(from: other) }
    }
}

@Suite("osg validate")
struct ValidateCommandTests {
    @Test("exit 0 for a valid spec, 1 with problems, and a clear error for a missing file")
    func exitCodes() throws {
        let good = temporaryPath("good.yaml")
        try Data("name: a\nimage: x\nresources:\n  gpu: {count: 1}\nduration: 1h\nmax_price: 1\n".utf8).write(to: URL(fileURLWithPath: good))
        var ok = try OSGCommand.parseAsRoot(["validate", good, "--now", "2026-11-23T00:00:00Z"])
        try ok.run()
        let bad = temporaryPath("bad.yaml")
        try Data("name: a\nimage: x\nresources:\n  gpu: {count: 0}\nduration: 1h\nmax_price: 1\n".utf8).write(to: URL(fileURLWithPath: bad))
        var failing = try OSGCommand.parseAsRoot(["validate", bad, "--json"])
        #expect(throws: (any Error).self) { try failing.run() }
        var missing = try OSGCommand.parseAsRoot(["validate", temporaryPath("nope.yaml")])
        #expect(throws: (any Error).self) { try missing.run() }
        var badNow = try OSGCommand.parseAsRoot(["validate", good, "--now", "tuesday"])
        #expect(throws: (any Error).self) { try badNow.run() }
    }

    @Test("every verb answers --help with its usage")
    func help() throws {
        for verb in [["version"], ["validate"], ["keys"], ["keys", "new"], ["keys", "show"]] {
            let parsed = try OSGCommand.parseAsRoot(verb + ["--help"])
            #expect(String(describing: type(of: parsed)) == "HelpCommand", "\(verb) --help")
        }
        #expect(OSGCommand.helpMessage(for: ValidateCommand.self).contains("--json"))
        #expect(OSGCommand.helpMessage(for: KeysCommand.New.self).contains("--out"))
        #expect(OSGCommand.helpMessage().contains("validate"))
    }
}
