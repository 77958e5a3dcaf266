import Foundation
import Synchronization

/// Reads a lease's `output.log` by line number, remembering where the last read stopped so a
/// follower that asks for the next lines reads only what is new, not the whole file again.
///
/// A line ends at `\n`, or after ``maxLineBytes`` bytes (a job that prints megabytes without a
/// newline still gives lines of bounded size); a line that starts with `\u{1F}` is stderr, tagged
/// so by the batch script (see ``SlurmSubmission/script(work:directory:)``), and is returned
/// without the tag. Invalid UTF-8 is replaced, not refused.
final class SlurmOutputReader: Sendable {
    static let maxLineBytes = 64 * 1024
    static let stderrTag = UInt8(0x1F)
    private static let chunkBytes = 256 * 1024

    let file: URL
    /// The line number and byte offset where the last read stopped (always a line start).
    private let resume = Mutex<(line: Int, byte: UInt64)>((0, 0))

    init(file: URL) {
        self.file = file
    }

    /// Lines from `offset` on, at most `limit`, and the offset to pass next. Blocks on file I/O.
    ///
    /// - Parameter includeUnterminatedLastLine: whether a last line without its newline counts
    ///   (only once the writer is done, or it would be cut in two).
    func read(from offset: Int, limit: Int, includeUnterminatedLastLine: Bool) throws -> (lines: [OutputLine], next: Int) {
        guard limit > 0, let handle = try? FileHandle(forReadingFrom: file) else { return ([], offset) }
        defer { try? handle.close() }
        let start = resume.withLock { $0.line <= offset ? $0 : (line: 0, byte: 0) }
        try handle.seek(toOffset: start.byte)

        var line = start.line  // the line being read
        var lineStartByte = start.byte  // where it starts in the file
        var count = 0  // its bytes so far
        var bytes: [UInt8] = []  // and those bytes, kept only for a line to return
        var lines: [OutputLine] = []

        func finishLine(newline: Bool) {
            if line >= offset { lines.append(Self.outputLine(bytes)) }
            lineStartByte += UInt64(count) + (newline ? 1 : 0)
            line += 1
            count = 0
            bytes.removeAll(keepingCapacity: true)
        }

        reading: while lines.count < limit {
            guard let chunk = try handle.read(upToCount: Self.chunkBytes), !chunk.isEmpty else { break }
            for byte in chunk {
                if byte == 0x0A {
                    finishLine(newline: true)
                } else {
                    // A full line ends where the next byte would overflow it, so a line of exactly
                    // maxLineBytes and its newline stay one line.
                    if count == Self.maxLineBytes { finishLine(newline: false) }
                    if lines.count == limit { break reading }
                    if line >= offset { bytes.append(byte) }
                    count += 1
                }
                if lines.count == limit { break reading }
            }
        }
        if lines.count < limit && count > 0 && includeUnterminatedLastLine {
            finishLine(newline: false)
        }
        resume.withLock { $0 = (line, lineStartByte) }
        return (lines, max(offset, line))
    }

    static func outputLine(_ bytes: [UInt8]) -> OutputLine {
        if bytes.first == stderrTag {
            return OutputLine(stream: .stderr, text: String(decoding: bytes.dropFirst(), as: UTF8.self))
        }
        return OutputLine(stream: .stdout, text: String(decoding: bytes, as: UTF8.self))
    }
}
