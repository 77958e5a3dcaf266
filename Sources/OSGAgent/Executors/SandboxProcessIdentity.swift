import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A host process named by its pid and its start time (field 22 of `/proc/<pid>/stat`, in clock
/// ticks since boot), so a pid the kernel reused for another process is not mistaken for it.
struct SandboxProcessIdentity: Sendable, Hashable {
    var pid: pid_t
    var startTime: UInt64

    /// Parses `<pid> <start time>\n` as the supervisor writes it (`nil` before the newline).
    init?(line: String) {
        // A record is complete once its newline, the last byte written, is there.
        guard line.hasSuffix("\n") else { return nil }
        let fields = line.split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard fields.count == 2, let pid = pid_t(fields[0]), pid > 1, let start = UInt64(fields[1]) else { return nil }
        self.pid = pid
        self.startTime = start
    }

    init(pid: pid_t, startTime: UInt64) {
        self.pid = pid
        self.startTime = startTime
    }

    /// The identity of the live process `pid`, or `nil` if there is none.
    /// A record that cannot be read is read again a few times before it counts as none.
    static func current(pid: pid_t) -> SandboxProcessIdentity? {
        for attempt in 0..<5 {
            switch read(pid: pid) {
            case .running(let identity): return identity
            case .gone: return nil
            case .unreadable: if attempt < 4 { usleep(2_000) }
            }
        }
        return nil
    }

    /// What `/proc/<pid>/stat` says of a process.
    enum Reading: Equatable {
        case running(SandboxProcessIdentity)
        /// No such process, or a zombie.
        case gone
        /// The record could not be read (out of file descriptors, an odd record): the
        /// process may well run.
        case unreadable
    }

    /// Reads `/proc/<pid>/stat` with plain system calls, retrying interrupted ones, so that
    /// only a process that is really gone reads as gone.
    static func read(pid: pid_t) -> Reading {
        var descriptor: Int32
        repeat { descriptor = open("/proc/\(pid)/stat", O_RDONLY | O_CLOEXEC) } while descriptor < 0 && errno == EINTR
        guard descriptor >= 0 else { return errno == ENOENT || errno == ESRCH ? .gone : .unreadable }
        defer { close(descriptor) }
        var bytes = [UInt8](repeating: 0, count: 1_024)
        var count = 0
        while count < bytes.count {
            let got = bytes.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress! + count, $0.count - count) }
            if got > 0 {
                count += got
            } else if got == 0 {
                break
            } else if errno != EINTR {
                return errno == ESRCH ? .gone : .unreadable
            }
        }
        return parse(stat: String(decoding: bytes[..<count], as: UTF8.self), pid: pid)
    }

    /// The reading of one `/proc/<pid>/stat` record.
    static func parse(stat: String, pid: pid_t) -> Reading {
        // The command name (field 2) is in parentheses and may hold spaces: count from the last ')'.
        guard let close = stat.lastIndex(of: ")") else { return .unreadable }
        let rest = stat[stat.index(after: close)...].split(separator: " ")
        // rest[0] is field 3 (state), so field 22 is rest[19].
        guard rest.count > 19, let start = UInt64(rest[19]) else { return .unreadable }
        if rest[0] == "Z" || rest[0] == "X" { return .gone }
        return .running(SandboxProcessIdentity(pid: pid, startTime: start))
    }

    /// Whether this very process still runs (not a zombie, not a successor on the same pid).
    /// A record that cannot be read counts as running when the pid still takes signals: a
    /// running lease is never taken for an ended one because a read failed.
    var isAlive: Bool {
        switch Self.read(pid: pid) {
        case .running(let identity): identity == self
        case .gone: false
        case .unreadable: Glibc.kill(pid, 0) == 0 || errno == EPERM
        }
    }

    /// Sends `signal` if this very process still runs.
    @discardableResult
    func send(_ signal: Int32) -> Bool {
        guard isAlive else { return false }
        return Glibc.kill(pid, signal) == 0
    }
}
