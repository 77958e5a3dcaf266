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
    static func current(pid: pid_t) -> SandboxProcessIdentity? {
        guard let stat = SandboxFiles.readText(URL(fileURLWithPath: "/proc/\(pid)/stat")) else { return nil }
        // The command name (field 2) is in parentheses and may hold spaces: count from the last ')'.
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let rest = stat[stat.index(after: close)...].split(separator: " ")
        // rest[0] is field 3 (state), so field 22 is rest[19].
        guard rest.count > 19, let start = UInt64(rest[19]) else { return nil }
        if rest[0] == "Z" || rest[0] == "X" { return nil }
        return SandboxProcessIdentity(pid: pid, startTime: start)
    }

    /// Whether this very process still runs (not a zombie, not a successor on the same pid).
    var isAlive: Bool { Self.current(pid: pid) == self }

    /// Sends `signal` if this very process still runs.
    @discardableResult
    func send(_ signal: Int32) -> Bool {
        guard isAlive else { return false }
        return Glibc.kill(pid, signal) == 0
    }
}
