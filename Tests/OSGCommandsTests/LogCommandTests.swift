import ArgumentParser
import Foundation
import Testing
@testable import OSGCommands

/// Drives `osg log …` in-process, through argument parsing, and checks the exit status.
@Suite("osg log verbs")
struct LogCommandTests {
    /// The merkle vectors committed with the OSGLog tests.
    static let vectors = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("OSGLogTests/Fixtures/merkle-vectors")

    static func files(in folder: String) -> [String] {
        let root = vectors.appendingPathComponent(folder)
        let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)
        return (walker?.compactMap { ($0 as? URL)?.path }.filter { $0.hasSuffix(".json") } ?? []).sorted()
    }

    /// Runs `osg` with `arguments` and returns its exit status.
    static func exitStatus(_ arguments: [String]) throws -> Int32 {
        var command = try OSGCommand.parseAsRoot(arguments)
        do {
            try command.run()
            return 0
        } catch let exit as ExitCode {
            return exit.rawValue
        }
    }

    static func wantsError(_ path: String) throws -> Bool {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any]
        return try #require(object?["wantErr"] as? Bool)
    }

    @Test("verify-inclusion exits 0 for good vectors and 1 for broken proofs", arguments: files(in: "inclusion"))
    func inclusion(path: String) throws {
        let expected: Int32 = try Self.wantsError(path) ? 1 : 0
        #expect(try Self.exitStatus(["log", "verify-inclusion", "--json", path]) == expected, "\(path)")
    }

    @Test("verify-consistency exits 0 for good vectors and 1 for broken proofs", arguments: files(in: "consistency"))
    func consistency(path: String) throws {
        let expected: Int32 = try Self.wantsError(path) ? 1 : 0
        #expect(try Self.exitStatus(["log", "verify-consistency", path]) == expected, "\(path)")
    }

    static func temporaryFile(_ contents: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("osg-log-test-\(UUID().uuidString)")
        try Data(contents.utf8).write(to: url)
        return url.path
    }

    @Test("malformed input exits 2", arguments: [
        ("verify-inclusion", "{not json"),
        ("verify-inclusion", #"{"leafIdx": 0, "root": "", "leafHash": "", "proof": []}"#),
        ("verify-inclusion", #"{"leafIdx": 0, "treeSize": 1, "root": "%%%", "leafHash": "", "proof": []}"#),
        ("verify-consistency", #"{"size1": "1", "size2": 2, "root1": "", "root2": "", "proof": []}"#),
        ("verify-consistency", #"{"size1": 1, "size2": 2, "root1": "", "root2": ""}"#),
    ])
    func malformed(verb: String, contents: String) throws {
        let path = try Self.temporaryFile(contents)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try Self.exitStatus(["log", verb, path]) == 2)
    }

    @Test("a missing file exits 2")
    func missingFile() throws {
        #expect(try Self.exitStatus(["log", "verify-inclusion", "/nonexistent/osg/vector.json"]) == 2)
        #expect(try Self.exitStatus(["log", "verify-note", "--key", Self.goKey, "/nonexistent/osg/note"]) == 2)
    }

    static let goKey = "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8"
    static let goCheckpoint = """
        go.sum database tree
        6476701
        mb8QLQIs0Z0yP5Cstq6guj87oXWeC9gEM8oVikmm9Wk=

        — sum.golang.org Az3grsLX85Gz+s1SiTbgkuqxgItqFq7gsMUEyVnrsa9LM7Us9S+1xbFIGu95949rj4nPRYfvimWEPWL+o3GeoWwOoAw=

        """

    @Test("verify-note: 0 for the real sum.golang.org checkpoint, 1 for other keys or tampering, 2 for malformed input")
    func verifyNote() throws {
        let good = try Self.temporaryFile(Self.goCheckpoint)
        let tampered = try Self.temporaryFile(Self.goCheckpoint.replacingOccurrences(of: "6476701", with: "6476702"))
        let noBlankLine = try Self.temporaryFile(Self.goCheckpoint.replacingOccurrences(of: "=\n\n—", with: "=\n—"))
        defer { for path in [good, tampered, noBlankLine] { try? FileManager.default.removeItem(atPath: path) } }
        let otherKey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"

        #expect(try Self.exitStatus(["log", "verify-note", "--key", Self.goKey, good]) == 0)
        #expect(try Self.exitStatus(["log", "verify-note", "--key", otherKey, "--key", Self.goKey, good]) == 0)
        #expect(try Self.exitStatus(["log", "verify-note", "--key", otherKey, good]) == 1)
        #expect(try Self.exitStatus(["log", "verify-note", "--key", Self.goKey, tampered]) == 1)
        #expect(try Self.exitStatus(["log", "verify-note", "--key", Self.goKey, noBlankLine]) == 2)
        #expect(try Self.exitStatus(["log", "verify-note", "--key", "sum.golang.org+033de0ae", good]) == 2)
    }

    @Test("verify-note's verdict names the checkpoint it verified")
    func verifyNoteReason() throws {
        let good = try Self.temporaryFile(Self.goCheckpoint)
        defer { try? FileManager.default.removeItem(atPath: good) }
        let report = LogVerifyNoteCommand.verdict(forFile: good, keys: [Self.goKey])
        #expect(report.verified)
        #expect(report.reason.contains("size 6476701"))
    }

    @Test("bench runs at a small size (durable appends, audit replay, proofs)")
    func bench() async throws {
        let command = try OSGCommand.parseAsRoot([
            "log", "bench", "--entries", "2000", "--batch", "500", "--checkpoint-every", "1000",
            "--leaves", "1000", "--proofs", "100", "--json",
        ])
        var bench = try #require(command as? AsyncParsableCommand)
        try await bench.run()
    }
}
