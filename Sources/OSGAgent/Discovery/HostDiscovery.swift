import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads this host's CPUs, memory and disk (the I/O around ``HostFileParser``).
///
/// On Linux: `/proc/self/status` (affinity), `/proc/meminfo`, and the cgroup limits
/// (`cpu.max`, `memory.max`; v1 `cpu.cfs_quota_us`, `memory.limit_in_bytes`) of the
/// process's cgroup and its ancestors (``CgroupHierarchy``). Where there is no `/proc`
/// (macOS), the counts the operating system gives through `ProcessInfo`.
///
/// ```swift
/// let host = try HostDiscovery().resources(workDirectory: "/var/lib/osg")
/// print(host.cpuCores, host.memoryGiB, host.disk.freeGiB)
/// ```
public struct HostDiscovery: Sendable {
    /// A directory prepended to every `/proc` and `/sys` path: empty for this host, a copy of
    /// another host's files in tests.
    public var root: String

    /// Creates a reader of this host (or, with `root`, of a copy of another host's files).
    public init(root: String = "") {
        self.root = root
    }

    /// Measures the host.
    ///
    /// - Parameter workDirectory: the agent's work directory, whose file system is measured.
    /// - Throws: ``DiscoveryError`` `host_file_unreadable`, `host_file_malformed` or `disk_unreadable`.
    public func resources(workDirectory: String) throws -> HostResources {
        let disk = try Self.diskSpace(path: workDirectory)
        guard FileManager.default.fileExists(atPath: root + "/proc") else {
            // Not Linux: no affinity masks or cgroups to honour.
            let info = ProcessInfo.processInfo
            return HostResources(
                allowedCPUs: max(1, info.activeProcessorCount), cpuLimitMillicores: nil,
                memoryTotalBytes: info.physicalMemory, memoryLimitBytes: nil, disk: disk
            )
        }
        let hierarchy = try cgroupHierarchy()
        return HostResources(
            allowedCPUs: try allowedCPUs(), cpuLimitMillicores: try cpuLimitMillicores(hierarchy),
            memoryTotalBytes: try HostFileParser.memTotalBytes(meminfo: required("/proc/meminfo")),
            memoryLimitBytes: try memoryLimitBytes(hierarchy), disk: disk
        )
    }

    /// The CPUs in the affinity mask, or the online CPUs when the kernel does not list it.
    func allowedCPUs() throws -> Int {
        if let status = optional("/proc/self/status"), let count = try HostFileParser.allowedCPUCount(status: status) {
            return count
        }
        return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }

    /// The process's cgroups; none when `/proc/self/cgroup` or `mountinfo` is absent.
    func cgroupHierarchy() throws -> CgroupHierarchy {
        guard let cgroup = optional("/proc/self/cgroup"), let mountinfo = optional("/proc/self/mountinfo") else {
            return CgroupHierarchy(memberships: [], mounts: [])
        }
        return CgroupHierarchy(
            memberships: try HostFileParser.cgroupMemberships(procSelfCgroup: cgroup),
            mounts: try HostFileParser.cgroupMounts(mountinfo: mountinfo)
        )
    }

    /// The smallest CPU quota on the process's cgroup or an ancestor.
    func cpuLimitMillicores(_ hierarchy: CgroupHierarchy) throws -> Int? {
        var limits: [Int] = []
        for directory in hierarchy.directories(controller: "cpu") {
            if let cpuMax = optional(directory + "/cpu.max"), let limit = try HostFileParser.cpuLimitMillicores(cpuMax: cpuMax) {
                limits.append(limit)
            }
            if let quota = optional(directory + "/cpu.cfs_quota_us"), let period = optional(directory + "/cpu.cfs_period_us"),
                let limit = try HostFileParser.cpuLimitMillicores(cfsQuota: quota, cfsPeriod: period)
            {
                limits.append(limit)
            }
        }
        return limits.min()
    }

    /// The smallest memory limit on the process's cgroup or an ancestor.
    func memoryLimitBytes(_ hierarchy: CgroupHierarchy) throws -> UInt64? {
        var limits: [UInt64] = []
        for directory in hierarchy.directories(controller: "memory") {
            if let max = optional(directory + "/memory.max"), let limit = try HostFileParser.memoryLimitBytes(memoryMax: max) {
                limits.append(limit)
            }
            if let v1 = optional(directory + "/memory.limit_in_bytes"), let limit = try HostFileParser.memoryLimitBytes(limitInBytes: v1) {
                limits.append(limit)
            }
        }
        return limits.min()
    }

    /// The file's text, or `nil` when it does not exist (a controller not enabled, an older kernel).
    func optional(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: root + path) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    func required(_ path: String) throws -> String {
        guard let text = optional(path) else {
            throw DiscoveryError(.hostFileUnreadable, "cannot read \(root + path); the agent needs /proc mounted and readable (in a container, do not mask /proc)")
        }
        return text
    }

    /// The size and free space of the file system holding `path` (statvfs(3)).
    ///
    /// - Throws: ``DiscoveryError`` `disk_unreadable` when `path` does not exist or cannot be measured.
    public static func diskSpace(path: String) throws -> DiskSpace {
        var stats = statvfs()
        guard statvfs(path, &stats) == 0 else {
            let reason = String(cString: strerror(errno))
            throw DiscoveryError(.diskUnreadable, "cannot measure the file system of work directory '\(path)': \(reason); create the directory (and give the agent's user access) or set another work directory")
        }
        let blockSize = UInt64(stats.f_frsize == 0 ? stats.f_bsize : stats.f_frsize)
        let (total, totalOverflow) = UInt64(stats.f_blocks).multipliedReportingOverflow(by: blockSize)
        let (free, freeOverflow) = UInt64(stats.f_bavail).multipliedReportingOverflow(by: blockSize)
        return DiskSpace(totalBytes: totalOverflow ? .max : total, freeBytes: freeOverflow ? .max : free)
    }
}
