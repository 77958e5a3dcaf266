import Foundation
import Testing

@testable import OSGAgent

/// The output log over a lease's raw stdout and stderr files: line numbering, partial and huge
/// lines, and line numbers that stay the same for a new reader (an agent restart).
@Suite("Sandbox output log")
struct SandboxOutputLogTests {
    /// A lease directory with empty output files, as the executor creates it.
    static func makeDirectory() throws -> (SandboxLeaseDirectory, URL) {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("osg-sandbox-output-\(UUID().uuidString)")
        let directory = try SandboxLeaseDirectory(leaseID: "out", leasesDirectory: state)
        try FileManager.default.createDirectory(at: directory.root, withIntermediateDirectories: true)
        for file in [directory.stdout, directory.stderr, directory.outputIndex] { try Data().write(to: file) }
        return (directory, state)
    }

    static func append(_ text: String, to url: URL) throws {
        let handle = try FileHandle(forWritingTo: url)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(text.utf8))
        try handle.close()
    }

    @Test("complete lines are numbered in the order seen; a partial line waits for its newline or the job's end")
    func partialLines() throws {
        let (directory, state) = try Self.makeDirectory()
        defer { try? FileManager.default.removeItem(at: state) }
        var log = SandboxOutputLog(directory: directory)
        try Self.append("one\ntw", to: directory.stdout)
        try Self.append("err\n", to: directory.stderr)
        var page = try log.lines(from: 0, limit: 10, jobEnded: false)
        #expect(page.lines == [OutputLine(stream: .stdout, text: "one"), OutputLine(stream: .stderr, text: "err")])
        #expect(page.next == 2)
        try Self.append("o\nthree", to: directory.stdout)
        page = try log.lines(from: page.next, limit: 10, jobEnded: false)
        #expect(page.lines == [OutputLine(stream: .stdout, text: "two")])
        page = try log.lines(from: page.next, limit: 10, jobEnded: true)
        #expect(page.lines == [OutputLine(stream: .stdout, text: "three")])
        #expect(page.next == 4)
        #expect(try log.lines(from: 4, limit: 10, jobEnded: true).lines.isEmpty)
        // Offsets and limits page through the same numbering.
        #expect(try log.lines(from: 1, limit: 2, jobEnded: true).lines.map(\.text) == ["err", "two"])
        #expect(try log.lines(from: 1, limit: 2, jobEnded: true).next == 3)
    }

    @Test("a new reader (after an agent restart) keeps the same line numbers")
    func stableAcrossReaders() throws {
        let (directory, state) = try Self.makeDirectory()
        defer { try? FileManager.default.removeItem(at: state) }
        var first = SandboxOutputLog(directory: directory)
        try Self.append("a\n", to: directory.stderr)
        _ = try first.lines(from: 0, limit: 10, jobEnded: false)
        try Self.append("b\n", to: directory.stdout)
        let before = try first.lines(from: 0, limit: 10, jobEnded: false).lines
        #expect(before.map(\.text) == ["a", "b"])
        try Self.append("c\n", to: directory.stderr)
        var second = SandboxOutputLog(directory: directory)
        let after = try second.lines(from: 0, limit: 10, jobEnded: true).lines
        #expect(after.map(\.text) == ["a", "b", "c"])
        #expect(after.map(\.stream) == [.stderr, .stdout, .stderr])
    }

    @Test("a huge line is returned truncated to 16 KiB, and the lines after it are intact")
    func hugeLine() throws {
        let (directory, state) = try Self.makeDirectory()
        defer { try? FileManager.default.removeItem(at: state) }
        let huge = String(repeating: "x", count: 10 << 20)
        try Self.append(huge + "\nafter\n", to: directory.stdout)
        var log = SandboxOutputLog(directory: directory)
        let page = try log.lines(from: 0, limit: 10, jobEnded: false)
        #expect(page.lines.count == 2)
        #expect(page.lines[0].text.hasPrefix(String(repeating: "x", count: SandboxOutputLog.maximumLineBytes)))
        #expect(page.lines[0].text.utf8.count < SandboxOutputLog.maximumLineBytes + 100)
        #expect(page.lines[0].text.contains("truncated: \(10 << 20) bytes"))
        #expect(page.lines[1].text == "after")
    }

    @Test("a limit of 0 returns nothing and the same offset; offsets past the end return nothing")
    func bounds() throws {
        let (directory, state) = try Self.makeDirectory()
        defer { try? FileManager.default.removeItem(at: state) }
        try Self.append("a\nb\n", to: directory.stdout)
        var log = SandboxOutputLog(directory: directory)
        let none = try log.lines(from: 1, limit: 0, jobEnded: false)
        #expect(none.lines.isEmpty && none.next == 1)
        let past = try log.lines(from: 10, limit: 5, jobEnded: true)
        #expect(past.lines.isEmpty && past.next == 10)
    }
}
