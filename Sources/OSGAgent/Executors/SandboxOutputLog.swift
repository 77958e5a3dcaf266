import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A lease's output as numbered lines over the two raw files the job writes (`stdout`,
/// `stderr`), which the job writes straight into, with no process of ours in between.
///
/// Two files cannot say which stream's line came first, so the log numbers lines in the order it
/// first sees them and remembers that order in `output.index` (16 bytes a line: the stream and
/// the line's start, then its length), so line numbers stay the same across calls and agent
/// restarts. Lines read in the same pass are stdout's first. A line is counted once it ends with a
/// newline, or once the job has ended (its partial last line). Lines longer than
/// ``maximumLineBytes`` are returned truncated; every pass reads at most
/// ``maximumScanBytesPerPass`` of each file.
struct SandboxOutputLog {
    static let maximumLineBytes = 16 * 1024
    static let maximumScanBytesPerPass = 4 << 20
    static let maximumLinesPerCall = 10_000
    private static let recordBytes = 16

    private struct Cursor {
        /// Where the stream's next line starts.
        var lineStart: UInt64 = 0
        /// How far the stream has been searched for a newline (≥ `lineStart`).
        var scanned: UInt64 = 0
    }

    private let directory: SandboxLeaseDirectory
    private var cursors: [Cursor] = [Cursor(), Cursor()]
    private var count = 0
    private var loaded = false

    init(directory: SandboxLeaseDirectory) {
        self.directory = directory
    }

    /// Lines `offset ..< offset + limit` (fewer if there are not yet so many) and the next offset.
    /// - Parameter jobEnded: whether the job has ended, so a partial last line is complete.
    mutating func lines(from offset: Int, limit: Int, jobEnded: Bool) throws -> (lines: [OutputLine], next: Int) {
        precondition(offset >= 0 && limit >= 0, "output offsets and limits are not negative")
        if !loaded { try load() }
        let wanted = offset + min(limit, Self.maximumLinesPerCall)
        var passes = 0
        while count < wanted && passes < 64 {
            passes += 1
            let before = (count, cursors[0].scanned, cursors[1].scanned)
            try ingest(jobEnded: jobEnded)
            if before == (count, cursors[0].scanned, cursors[1].scanned) { break }
        }
        guard offset < count else { return ([], offset) }
        let end = min(count, wanted)
        let index = try FileHandle(forReadingFrom: directory.outputIndex)
        defer { try? index.close() }
        try index.seek(toOffset: UInt64(offset * Self.recordBytes))
        let records = try index.read(upToCount: (end - offset) * Self.recordBytes) ?? Data()
        let files = try [FileHandle(forReadingFrom: directory.stdout), FileHandle(forReadingFrom: directory.stderr)]
        defer { files.forEach { try? $0.close() } }
        var lines: [OutputLine] = []
        lines.reserveCapacity(end - offset)
        for recordStart in stride(from: 0, to: records.count - Self.recordBytes + 1, by: Self.recordBytes) {
            let word = Self.uint64(records, at: recordStart)
            let length = Self.uint64(records, at: recordStart + 8)
            let stream = Int(word >> 63)
            let start = word & ~(UInt64(1) << 63)
            try files[stream].seek(toOffset: start)
            let kept = min(length, UInt64(Self.maximumLineBytes))
            let bytes = try files[stream].read(upToCount: Int(kept)) ?? Data()
            var text = String(decoding: bytes, as: UTF8.self)
            if length > kept { text += "… [line truncated: \(length) bytes]" }
            lines.append(OutputLine(stream: stream == 0 ? .stdout : .stderr, text: text))
        }
        return (lines, offset + lines.count)
    }

    /// Reads the order remembered by an earlier log (another instance, before an agent restart).
    private mutating func load() throws {
        loaded = true
        guard let data = FileManager.default.contents(atPath: directory.outputIndex.path) else { return }
        // A torn last record (the agent died mid-write) is dropped and overwritten.
        count = data.count / Self.recordBytes
        for recordStart in stride(from: 0, to: count * Self.recordBytes, by: Self.recordBytes) {
            let word = Self.uint64(data, at: recordStart)
            let stream = Int(word >> 63)
            let next = (word & ~(UInt64(1) << 63)) + Self.uint64(data, at: recordStart + 8) + 1
            cursors[stream] = Cursor(lineStart: next, scanned: next)
        }
        if data.count != count * Self.recordBytes {
            guard truncate(directory.outputIndex.path, off_t(count * Self.recordBytes)) == 0 else {
                throw ExecutorError("output_unreadable", "could not repair \(directory.outputIndex.path): \(String(cString: strerror(errno)))")
            }
        }
    }

    /// One pass over both files: appends the lines found to the index.
    private mutating func ingest(jobEnded: Bool) throws {
        var records = Data()
        for (stream, url) in [directory.stdout, directory.stderr].enumerated() {
            // A stream file not (yet) there has written nothing.
            guard let file = try? FileHandle(forReadingFrom: url) else { continue }
            defer { try? file.close() }
            let size = try file.seekToEnd()
            var cursor = cursors[stream]
            if cursor.scanned < size {
                try file.seek(toOffset: cursor.scanned)
                let chunk = try file.read(upToCount: Int(min(size - cursor.scanned, UInt64(Self.maximumScanBytesPerPass)))) ?? Data()
                let chunkStart = cursor.scanned
                for (position, byte) in chunk.enumerated() where byte == 0x0A {
                    let newline = chunkStart + UInt64(position)
                    Self.append(&records, stream: stream, start: cursor.lineStart, length: newline - cursor.lineStart)
                    cursor.lineStart = newline + 1
                }
                cursor.scanned = chunkStart + UInt64(chunk.count)
            }
            if jobEnded && cursor.scanned == size && cursor.lineStart < size {
                Self.append(&records, stream: stream, start: cursor.lineStart, length: size - cursor.lineStart)
                cursor.lineStart = size
            }
            cursors[stream] = cursor
        }
        guard !records.isEmpty else { return }
        if !SandboxFiles.exists(directory.outputIndex) { try SandboxFiles.writeAtomically(Data(), to: directory.outputIndex) }
        let index = try FileHandle(forUpdating: directory.outputIndex)
        defer { try? index.close() }
        try index.seek(toOffset: UInt64(count * Self.recordBytes))
        try index.write(contentsOf: records)
        count += records.count / Self.recordBytes
    }

    private static func append(_ records: inout Data, stream: Int, start: UInt64, length: UInt64) {
        precondition(start < (UInt64(1) << 63), "an output file beyond 2^63 bytes")
        withUnsafeBytes(of: (start | (UInt64(stream) << 63)).littleEndian) { records.append(contentsOf: $0) }
        withUnsafeBytes(of: length.littleEndian) { records.append(contentsOf: $0) }
    }

    private static func uint64(_ data: Data, at offset: Int) -> UInt64 {
        var value: UInt64 = 0
        for byte in data[data.startIndex + offset ..< data.startIndex + offset + 8].reversed() { value = value << 8 | UInt64(byte) }
        return value
    }
}
