/// Pure readers of the Linux files host discovery uses; ``HostDiscovery`` does the reading.
///
/// Each takes a file's whole text and throws ``DiscoveryError`` `host_file_malformed`, naming
/// the file and the value, when the text is not in the format the kernel documents
/// (proc(5), Documentation/admin-guide/cgroup-v1 and cgroup-v2).
public enum HostFileParser {
    /// Memory the kernel manages, from `/proc/meminfo`'s `MemTotal:` line (`MemTotal: 16316412 kB`).
    public static func memTotalBytes(meminfo: String) throws -> UInt64 {
        for line in meminfo.split(whereSeparator: \.isNewline) where line.hasPrefix("MemTotal:") {
            let words = line.dropFirst("MemTotal:".count).split(separator: " ", omittingEmptySubsequences: true)
            guard words.count == 2, words[1] == "kB", let kibibytes = UInt64(words[0]), kibibytes > 0,
                kibibytes <= UInt64.max / 1_024
            else {
                throw malformed("/proc/meminfo", "line '\(line)' is not 'MemTotal: <number> kB'")
            }
            return kibibytes * 1_024
        }
        throw malformed("/proc/meminfo", "has no MemTotal line")
    }

    /// How many CPUs this process may run on, from `/proc/self/status`'s `Cpus_allowed_list:`
    /// line (its scheduler affinity, e.g. `0-3,8-11`); `nil` when the line is absent.
    public static func allowedCPUCount(status: String) throws -> Int? {
        for line in status.split(whereSeparator: \.isNewline) where line.hasPrefix("Cpus_allowed_list:") {
            let list = line.dropFirst("Cpus_allowed_list:".count).trimmingASCIIWhitespace()
            return try cpuListCount(list, file: "/proc/self/status")
        }
        return nil
    }

    /// The number of CPUs in a kernel CPU list such as `0-3,8-11,14` (cpuset(7) "list format").
    public static func cpuListCount(_ list: String, file: String) throws -> Int {
        var count = 0
        for range in list.split(separator: ",") {
            let ends = range.split(separator: "-", omittingEmptySubsequences: false)
            guard (1...2).contains(ends.count), let low = Int(ends[0]), let high = Int(ends[ends.count - 1]),
                low >= 0, low <= high, high < 1 << 20
            else {
                throw malformed(file, "CPU list '\(list)' is not comma-separated CPU numbers and ranges such as 0-3,8")
            }
            count += high - low + 1
        }
        guard count > 0 else { throw malformed(file, "CPU list is empty") }
        return count
    }

    /// The cgroups this process is in, from `/proc/self/cgroup` (`4:memory:/user.slice`,
    /// `0::/system.slice/osg-agent.service` for cgroup v2).
    public static func cgroupMemberships(procSelfCgroup text: String) throws -> [CgroupMembership] {
        try text.split(whereSeparator: \.isNewline).map { line in
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3, let hierarchy = Int(parts[0]), parts[2].hasPrefix("/") else {
                throw malformed("/proc/self/cgroup", "line '\(line)' is not '<id>:<controllers>:<path>'")
            }
            let controllers = parts[1].split(separator: ",").map(String.init)
            return CgroupMembership(hierarchyID: hierarchy, controllers: controllers, path: String(parts[2]))
        }
    }

    /// The cgroup file systems mounted, from `/proc/self/mountinfo` (proc(5)): each line's
    /// root and mount point, and after the ` - ` separator its type (`cgroup` or `cgroup2`)
    /// and, for v1, the controllers among its super options.
    public static func cgroupMounts(mountinfo text: String) throws -> [CgroupMount] {
        var mounts: [CgroupMount] = []
        for line in text.split(whereSeparator: \.isNewline) {
            let words = line.split(separator: " ").map(String.init)
            guard let separator = words.firstIndex(of: "-"), separator >= 6, words.count >= separator + 4 else {
                throw malformed("/proc/self/mountinfo", "line '\(line)' does not have the fields proc(5) documents")
            }
            let type = words[separator + 1]
            guard type == "cgroup" || type == "cgroup2" else { continue }
            let controllers = type == "cgroup2" ? [] : words[separator + 3].split(separator: ",").map(String.init)
            mounts.append(CgroupMount(
                root: unescaped(words[3]), mountPoint: unescaped(words[4]), version: type == "cgroup2" ? 2 : 1,
                controllers: controllers
            ))
        }
        return mounts
    }

    /// A cgroup v2 CPU limit in thousandths of a CPU, from `cpu.max` (`150000 100000` → 1500);
    /// `nil` for `max` (no limit).
    public static func cpuLimitMillicores(cpuMax text: String) throws -> Int? {
        let words = text.split(whereSeparator: { $0 == " " || $0.isNewline })
        guard words.count == 2, let period = Int64(words[1]), period > 0 else {
            throw malformed("cpu.max", "'\(text.trimmingASCIIWhitespace())' is not '<quota|max> <period>'")
        }
        if words[0] == "max" { return nil }
        guard let quota = Int64(words[0]), quota > 0 else {
            throw malformed("cpu.max", "quota '\(words[0])' is not a positive number of microseconds or max")
        }
        return millicores(quota: quota, period: period)
    }

    /// A cgroup v1 CPU limit in thousandths of a CPU, from `cpu.cfs_quota_us` and
    /// `cpu.cfs_period_us`; `nil` when the quota is `-1` (no limit).
    public static func cpuLimitMillicores(cfsQuota: String, cfsPeriod: String) throws -> Int? {
        guard let quota = Int64(cfsQuota.trimmingASCIIWhitespace()), quota == -1 || quota > 0 else {
            throw malformed("cpu.cfs_quota_us", "'\(cfsQuota.trimmingASCIIWhitespace())' is not -1 or a positive number of microseconds")
        }
        guard let period = Int64(cfsPeriod.trimmingASCIIWhitespace()), period > 0 else {
            throw malformed("cpu.cfs_period_us", "'\(cfsPeriod.trimmingASCIIWhitespace())' is not a positive number of microseconds")
        }
        return quota == -1 ? nil : millicores(quota: quota, period: period)
    }

    /// A cgroup v2 memory limit in bytes, from `memory.max`; `nil` for `max` (no limit).
    public static func memoryLimitBytes(memoryMax text: String) throws -> UInt64? {
        let value = text.trimmingASCIIWhitespace()
        if value == "max" { return nil }
        guard let bytes = UInt64(value) else {
            throw malformed("memory.max", "'\(value)' is not a number of bytes or max")
        }
        return bytes
    }

    /// A cgroup v1 memory limit in bytes, from `memory.limit_in_bytes`; `nil` for the
    /// kernel's "unlimited" (the largest page-aligned 63-bit value, 9223372036854771712), and
    /// anything at or above 2^62 bytes, which no host has.
    public static func memoryLimitBytes(limitInBytes text: String) throws -> UInt64? {
        let value = text.trimmingASCIIWhitespace()
        guard let bytes = Int64(value) else {
            throw malformed("memory.limit_in_bytes", "'\(value)' is not a number of bytes")
        }
        if bytes < 0 || bytes >= 1 << 62 { return nil }
        return UInt64(bytes)
    }

    static func millicores(quota: Int64, period: Int64) -> Int {
        // Quotas are at most a few million microseconds; clamp so the product cannot overflow.
        let capped = min(quota, Int64(Int32.max))
        return Int(min(capped * 1_000 / period, Int64(Int32.max)))
    }

    /// Decodes mountinfo's octal escapes (`\040` is a space).
    static func unescaped(_ field: String) -> String {
        guard field.contains("\\") else { return field }
        var bytes: [UInt8] = []
        let utf8 = Array(field.utf8)
        var at = 0
        while at < utf8.count {
            if utf8[at] == UInt8(ascii: "\\"), at + 3 < utf8.count,
                let code = UInt8(String(decoding: utf8[(at + 1)...(at + 3)], as: UTF8.self), radix: 8)
            {
                bytes.append(code)
                at += 4
            } else {
                bytes.append(utf8[at])
                at += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func malformed(_ file: String, _ problem: String) -> DiscoveryError {
        DiscoveryError(.hostFileMalformed, "\(file) \(problem); the agent reads Linux's documented formats: report this host's kernel version (`uname -r`) and the file's text")
    }
}
