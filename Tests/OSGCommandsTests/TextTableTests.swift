import Foundation
import Testing
@testable import OSGCommands

@Suite("Tables for people: aligned columns, colour only when asked (a terminal)")
struct TextTableTests {
    @Test("plain text aligns columns by characters and leaves no trailing spaces")
    func plain() {
        var table = TextTable(header: ["JOB", "STATUS", "WAITING"])
        table.rows = [["job-1", "running", ""], ["job-22", "pending", "gpu_count"]]
        #expect(table.text() == "JOB     STATUS   WAITING\njob-1   running\njob-22  pending  gpu_count")
    }

    @Test("styled text: a bold header, status words coloured, the same alignment once the codes are removed")
    func styled() {
        var table = TextTable(header: ["JOB", "STATUS"])
        table.rows = [["job-1", "completed"], ["job-2", "failed"], ["job-3", "H100×8"]]
        let text = table.text(styled: true)
        #expect(text.contains("\u{1B}[1mJOB\u{1B}[0m"))
        #expect(text.contains("\u{1B}[32mcompleted\u{1B}[0m") && text.contains("\u{1B}[31mfailed\u{1B}[0m"))
        let plainRow = text.split(separator: "\n").first { $0.contains("job-3") } ?? ""
        #expect(plainRow == "job-3  H100×8", "other words stay plain")
        let stripped = text.replacingOccurrences(of: "\u{1B}\\[[0-9]+m", with: "", options: .regularExpression)
        #expect(stripped == table.text())
    }
}
