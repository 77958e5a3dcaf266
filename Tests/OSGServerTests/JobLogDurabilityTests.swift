import Foundation
@testable import OSGServer
import Testing

@Suite("Job logs survive a restart, within their bounds")
struct JobLogDurabilityTests {
    static func folder() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("osg-joblogs-\(UInt64.random(in: 0..<UInt64.max))").path
    }

    @Test("lines, dropped counts and odd job ids are read back by a new buffer on the same folder")
    func restart() throws {
        let directory = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let buffer = try JobLogBuffer(directory: directory, maxLinesPerJob: 3)
        try buffer.append(["one", "two"], to: "job-1")
        try buffer.append(["three", "line with \"quotes\"\nand a newline"], to: "job-1")
        for index in 0..<7 { try buffer.append(["step \(index)"], to: "job-1") }  // rewritten on the way
        try buffer.append(["ünïcode"], to: "job/../odd id")
        #expect(buffer.lines(of: "job-1").lines == ["step 4", "step 5", "step 6"])
        #expect(buffer.lines(of: "job-1").dropped == 8)

        let reopened = try JobLogBuffer(directory: directory, maxLinesPerJob: 3)
        #expect(reopened.lines(of: "job-1").lines == ["step 4", "step 5", "step 6"])
        #expect(reopened.lines(of: "job-1").dropped == 8)
        #expect(reopened.lines(of: "job/../odd id").lines == ["ünïcode"])
        #expect(reopened.totalBytes == buffer.totalBytes)
        let names = try FileManager.default.contentsOfDirectory(atPath: directory)
        #expect(names.allSatisfy { !$0.contains("/") && !$0.hasPrefix(".") } && names.count == 2)

        // The file is bounded: at most twice the lines kept (plus the header).
        let text = try String(contentsOfFile: directory + "/job-1.log", encoding: .utf8)
        #expect(text.split(separator: "\n").count <= 2 * 3 + 1)
    }

    @Test("over the total bytes, the job touched longest ago goes first, file and all")
    func totalBound() throws {
        let directory = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let line = String(repeating: "x", count: 100)  // 103 bytes on disk with quotes and newline
        let buffer = try JobLogBuffer(directory: directory, maxTotalBytes: 250)
        try buffer.append([line], to: "job-a")
        try buffer.append([line], to: "job-b")
        #expect(buffer.lines(of: "job-a").lines == [line])
        try buffer.append([line], to: "job-c")
        #expect(buffer.lines(of: "job-a").lines.isEmpty, "job-a was touched longest ago")
        #expect(buffer.lines(of: "job-b").lines == [line] && buffer.lines(of: "job-c").lines == [line])
        #expect(buffer.totalBytes <= 250)
        #expect(!FileManager.default.fileExists(atPath: directory + "/job-a.log"))
        let reopened = try JobLogBuffer(directory: directory, maxTotalBytes: 250)
        #expect(reopened.lines(of: "job-a").lines.isEmpty && reopened.lines(of: "job-c").lines == [line])
    }

    @Test("a last line cut short by a crash is skipped, the rest is read")
    func tornLine() throws {
        let directory = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let buffer = try JobLogBuffer(directory: directory)
        try buffer.append(["kept"], to: "job-1")
        let handle = try #require(FileHandle(forWritingAtPath: directory + "/job-1.log"))
        handle.seekToEndOfFile()
        handle.write(Data("\"cut sh".utf8))
        handle.closeFile()
        #expect(try JobLogBuffer(directory: directory).lines(of: "job-1").lines == ["kept"])
    }

    @Test("an unwritable folder is a clear error, not a crash")
    func unwritable() {
        #expect(throws: JobLogError.self) { try JobLogBuffer(directory: "/proc/osg-cannot-create-this") }
    }
}

@Suite("Resent job output is not added twice")
struct LogLineCursorTests {
    @Test("a batch sent again, or overlapping the last, adds only its new lines; senders count apart")
    func dedupe() {
        let cursors = LogLineCursors()
        #expect(cursors.newLines(sender: "a", firstLine: 0, count: 3) == 0)
        #expect(cursors.newLines(sender: "a", firstLine: 0, count: 3) == 3, "the same batch again")
        #expect(cursors.newLines(sender: "a", firstLine: 2, count: 4) == 1, "overlapping: lines 2 was had, 3-5 are new")
        #expect(cursors.newLines(sender: "b", firstLine: 0, count: 2) == 0, "another node's share numbers apart")
        #expect(cursors.newLines(sender: "a", firstLine: 10, count: 1) == 0, "a gap is taken as it comes")
        #expect(cursors.newLines(sender: "a", firstLine: 6, count: 2) == 2, "behind the cursor")
    }

    @Test("memory is bounded: the oldest sender is forgotten first")
    func bounded() {
        let cursors = LogLineCursors()
        for index in 0...LogLineCursors.capacity { _ = cursors.newLines(sender: "s\(index)", firstLine: 0, count: 1) }
        #expect(cursors.newLines(sender: "s0", firstLine: 0, count: 1) == 0, "s0 was forgotten: its resend is taken as new")
        #expect(cursors.newLines(sender: "s\(LogLineCursors.capacity)", firstLine: 0, count: 1) == 1)
    }
}
