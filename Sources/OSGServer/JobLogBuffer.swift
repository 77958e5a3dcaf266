import Foundation
import OSGCore
import OSGStore
import Synchronization

/// Log lines that agents stream for running jobs, with bounds (lines per job, bytes per line,
/// jobs, and bytes on disk in total). They are not commands and are not in the command log.
///
/// With a directory they survive a restart: each job has one file `<job>.log` there, one line
/// per log line as a JSON string, after an optional first line `#dropped <n>` (lines dropped
/// before the kept ones). Appends go to the end of the file before the request is answered
/// (written to the operating system, not flushed: a machine crash can lose the last lines); a
/// file that reaches twice the lines kept per job is rewritten with the newest ones (temporary
/// file, rename). When the jobs or the bytes on disk exceed their bounds, the job touched
/// longest ago is dropped first, file and all. On open, the files are read back (the newest
/// lines of each) and their modification times give the order to drop them in.
final class JobLogBuffer: Sendable {
    struct Lines {
        var lines: [String] = []
        var dropped = 0
        var touched: UInt64 = 0
        /// Lines and bytes in the job's file.
        var fileLines = 0
        var fileBytes = 0
    }

    let maxLinesPerJob: Int
    let maxLineBytes: Int
    let maxJobs: Int
    /// Most bytes of log files on disk, all jobs together.
    let maxTotalBytes: Int
    /// Where the files are; `nil` keeps the lines in memory only.
    let directory: String?
    private let jobs = Mutex<(byJob: [String: Lines], counter: UInt64, totalBytes: Int)>(([:], 0, 0))
    /// Where ``appendOffPool(_:to:)`` writes.
    private let ioExecutor = QueueExecutor(label: "openstargate.job-logs")

    /// A buffer; with `directory`, creates it if needed and reads back the jobs' files.
    ///
    /// - Throws: ``JobLogError`` when the directory cannot be created or a file not read.
    init(directory: String? = nil, maxLinesPerJob: Int = 1_000, maxLineBytes: Int = 4_096, maxJobs: Int = 10_000,
         maxTotalBytes: Int = 1 << 30) throws {
        precondition(maxLinesPerJob > 0 && maxLineBytes > 0 && maxJobs > 0 && maxTotalBytes > 0, "job-log bounds are positive")
        self.maxLinesPerJob = maxLinesPerJob
        self.maxLineBytes = maxLineBytes
        self.maxJobs = maxJobs
        self.maxTotalBytes = maxTotalBytes
        self.directory = directory
        guard let directory else { return }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw JobLogError("cannot create the job-log folder \(directory): \(error.localizedDescription)")
        }
        try load(from: directory)
    }

    /// Appends lines for `job`, truncating long lines and keeping the newest ones.
    ///
    /// - Throws: ``JobLogError`` when the job's file cannot be written (the lines are kept in
    ///   memory all the same).
    func append(_ lines: [String], to job: String) throws(JobLogError) {
        let truncated = lines.map { $0.utf8.count <= maxLineBytes ? $0 : String(decoding: $0.utf8.prefix(maxLineBytes), as: UTF8.self) }
        let failure: JobLogError? = jobs.withLock { state in
            state.counter += 1
            var entry = state.byJob[job] ?? Lines()
            entry.touched = state.counter
            entry.lines += truncated
            if entry.lines.count > maxLinesPerJob {
                let excess = entry.lines.count - maxLinesPerJob
                entry.lines.removeFirst(excess)
                entry.dropped += excess
            }
            var failure: JobLogError?
            if let directory {
                let path = Self.path(of: job, in: directory)
                state.totalBytes -= entry.fileBytes
                do throws(JobLogError) {
                    if entry.fileLines + truncated.count >= 2 * maxLinesPerJob {
                        entry.fileBytes = try Self.rewrite(path, lines: entry.lines, dropped: entry.dropped)
                        entry.fileLines = entry.lines.count
                    } else {
                        entry.fileBytes += try Self.appendLines(truncated, to: path)
                        entry.fileLines += truncated.count
                    }
                } catch {
                    failure = error
                }
                state.totalBytes += entry.fileBytes
            }
            state.byJob[job] = entry
            evict(&state, keeping: job)
            return failure
        }
        if let failure { throw failure }
    }

    /// ``append(_:to:)`` on the buffer's own I/O thread, in the order of the calls: the file
    /// writes never hold a thread of the cooperative pool that answers requests.
    func appendOffPool(_ lines: [String], to job: String) async throws(JobLogError) {
        try await ioExecutor.run { () throws(JobLogError) in try self.append(lines, to: job) }
    }

    /// The kept lines of `job` and how many older ones were dropped.
    func lines(of job: String) -> (lines: [String], dropped: Int) {
        jobs.withLock { state in
            let entry = state.byJob[job] ?? Lines()
            return (entry.lines, entry.dropped)
        }
    }

    /// Bytes of log files on disk.
    var totalBytes: Int { jobs.withLock { $0.totalBytes } }

    /// Drops the jobs touched longest ago (but not `job`) while over a bound.
    private func evict(_ state: inout (byJob: [String: Lines], counter: UInt64, totalBytes: Int), keeping job: String) {
        while state.byJob.count > maxJobs || state.totalBytes > maxTotalBytes {
            guard let oldest = state.byJob.filter({ $0.key != job }).min(by: { $0.value.touched < $1.value.touched }) else { return }
            state.byJob[oldest.key] = nil
            state.totalBytes -= oldest.value.fileBytes
            if let directory { try? FileManager.default.removeItem(atPath: Self.path(of: oldest.key, in: directory)) }
        }
    }

    // MARK: Files

    /// The file of `job`: its id when made of letters, digits, `-`, `_` and `.` (not leading),
    /// else `=` and the hex of its UTF-8 bytes.
    static func path(of job: String, in directory: String) -> String {
        let plain = !job.isEmpty && job.utf8.count <= 128 && job.first != "."
            && job.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "-_.".unicodeScalars.contains($0)) }
        let name = plain ? job : "=" + job.utf8.prefix(96).map { String($0, radix: 16).leftPadded(to: 2) }.joined()
        return directory + "/" + name + ".log"
    }

    /// The job id a file name stands for (the inverse of ``path(of:in:)``).
    static func job(ofFileNamed name: String) -> String? {
        guard name.hasSuffix(".log") else { return nil }
        let stem = String(name.dropLast(4))
        guard stem.hasPrefix("=") else { return stem.isEmpty || stem.hasPrefix(".") ? nil : stem }
        let hex = Array(stem.utf8.dropFirst())
        guard !hex.isEmpty, hex.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        for offset in stride(from: 0, to: hex.count, by: 2) {
            guard let byte = UInt8(String(decoding: hex[offset..<offset + 2], as: UTF8.self), radix: 16) else { return nil }
            bytes.append(byte)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func encoded(_ lines: [String]) -> [UInt8] {
        var bytes: [UInt8] = []
        for line in lines {
            bytes += (try? JSONEncoder().encode(line)).map { [UInt8]($0) } ?? Array("\"\"".utf8)
            bytes.append(0x0A)
        }
        return bytes
    }

    private static func appendLines(_ lines: [String], to path: String) throws(JobLogError) -> Int {
        let bytes = encoded(lines)
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
                throw JobLogError("cannot create the job log \(path)")
            }
            return bytes.count
        }
        do {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(bytes))
        } catch {
            throw JobLogError("cannot append to the job log \(path): \(error.localizedDescription)")
        }
        return bytes.count
    }

    private static func rewrite(_ path: String, lines: [String], dropped: Int) throws(JobLogError) -> Int {
        let bytes = (dropped > 0 ? Array("#dropped \(dropped)\n".utf8) : []) + encoded(lines)
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw JobLogError("cannot rewrite the job log \(path): \(error.localizedDescription)")
        }
        return bytes.count
    }

    private func load(from directory: String) throws(JobLogError) {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw JobLogError("cannot list the job-log folder \(directory): \(error.localizedDescription)")
        }
        var loaded: [(job: String, modified: Date, entry: Lines)] = []
        for name in names {
            guard let job = Self.job(ofFileNamed: name) else { continue }
            let path = directory + "/" + name
            guard let data = FileManager.default.contents(atPath: path) else {
                throw JobLogError("cannot read the job log \(path)")
            }
            var entry = Lines()
            var all: [String] = []
            for (index, raw) in data.split(separator: 0x0A, omittingEmptySubsequences: true).enumerated() {
                if index == 0, raw.starts(with: Array("#dropped ".utf8)) {
                    entry.dropped = Int(String(decoding: raw.dropFirst(9), as: UTF8.self)) ?? 0
                    continue
                }
                // A line cut short by a crash is skipped rather than refusing the whole file.
                if let line = try? JSONDecoder().decode(String.self, from: Data(raw)) { all.append(line) }
            }
            entry.fileLines = all.count
            entry.fileBytes = data.count
            if all.count > maxLinesPerJob {
                entry.dropped += all.count - maxLinesPerJob
                all.removeFirst(all.count - maxLinesPerJob)
            }
            entry.lines = all
            let modified = (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date) ?? .distantPast
            loaded.append((job, modified, entry))
        }
        jobs.withLock { state in
            for item in loaded.sorted(by: { ($0.modified, $0.job) < ($1.modified, $1.job) }) {
                state.counter += 1
                var entry = item.entry
                entry.touched = state.counter
                state.byJob[item.job] = entry
                state.totalBytes += entry.fileBytes
            }
            evict(&state, keeping: "")
        }
    }
}

/// A job-log file could not be created, read or written.
struct JobLogError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
