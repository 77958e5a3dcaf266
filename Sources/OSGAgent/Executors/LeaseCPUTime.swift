import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Where the CPU time of a sandboxed lease's processes is read: the lease's own cgroup v2
/// (`cpu.stat` `usage_usec`: exact, every process ever in it) or, under rlimits, the processes
/// of the lease's host uid in `/proc` (each one's own time plus that of its reaped children:
/// a process reaped by the supervisor drops out, so the figure can fall back, and the reporter
/// keeps the largest seen). The agent's usage reports carry it as `cpu_milliseconds`.
public enum LeaseCPUTime: Sendable, Hashable {
    /// The lease's cgroup v2 directory.
    case cgroup(URL)
    /// The lease's own host uid (the agent runs as root).
    case uid(UInt32)

    /// CPU time so far, milliseconds; `nil` when it cannot be read.
    public func milliseconds(procRoot: URL = URL(fileURLWithPath: "/proc")) -> Int64? {
        switch self {
        case .cgroup(let directory):
            return SandboxFiles.readText(directory.appendingPathComponent("cpu.stat")).flatMap(Self.cgroupMilliseconds)
        case .uid(let uid):
            return Self.processMilliseconds(ofUID: uid, procRoot: procRoot)
        }
    }

    /// `usage_usec` of a cgroup v2 `cpu.stat`, in milliseconds.
    static func cgroupMilliseconds(_ cpuStat: String) -> Int64? {
        for line in cpuStat.split(whereSeparator: \.isNewline) {
            let fields = line.split(separator: " ")
            if fields.count == 2, fields[0] == "usage_usec", let micros = Int64(fields[1]), micros >= 0 {
                return micros / 1_000
            }
        }
        return nil
    }

    /// utime + stime + cutime + cstime of one `/proc/<pid>/stat` line, in clock ticks. The
    /// command name (field 2) may hold spaces and parentheses: fields are counted after the last `)`.
    static func ticks(ofProcStat line: String) -> Int64? {
        guard let close = line.lastIndex(of: ")") else { return nil }
        // After ")": state is field 3; utime..cstime are fields 14-17, so indices 11-14 here.
        let fields = line[line.index(after: close)...].split(separator: " ")
        guard fields.count > 14 else { return nil }
        var total: Int64 = 0
        for index in 11...14 {
            guard let value = Int64(fields[index]), value >= 0 else { return nil }
            total = total.addingSaturated(value)
        }
        return total
    }

    /// The sum over the processes of `uid` under `procRoot`, in milliseconds; `nil` when
    /// `procRoot` cannot be listed.
    static func processMilliseconds(ofUID uid: UInt32, procRoot: URL) -> Int64? {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: procRoot.path) else { return nil }
        let ticksPerSecond = Int64(max(1, sysconf(Int32(_SC_CLK_TCK))))
        var total: Int64 = 0
        for name in names where name.utf8.allSatisfy({ (48...57).contains($0) }) {
            let directory = procRoot.appendingPathComponent(name)
            var info = stat()
            guard stat(directory.path, &info) == 0, info.st_uid == uid,
                  let line = SandboxFiles.readText(directory.appendingPathComponent("stat")),
                  let processTicks = ticks(ofProcStat: line) else { continue }
            total = total.addingSaturated(processTicks)
        }
        return total.multipliedSaturated(by: 1_000) / ticksPerSecond
    }
}
