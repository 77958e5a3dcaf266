import OSGDomain

/// The CPUs, memory and disk available to the agent on this host, as measured, and the
/// figures to advertise from them.
///
/// A cgroup limit binds as surely as the hardware does: in a container given 2 CPUs of a
/// 64-core host, or under a systemd `MemoryMax=`, the smaller figure is the one advertised.
public struct HostResources: Hashable, Sendable {
    /// CPUs the process may be scheduled on (its affinity mask).
    public var allowedCPUs: Int
    /// The cgroup CPU quota, thousandths of a CPU, or `nil` when there is none.
    public var cpuLimitMillicores: Int?
    /// Memory the kernel manages (`MemTotal`), bytes.
    public var memoryTotalBytes: UInt64
    /// The cgroup memory limit, bytes, or `nil` when there is none.
    public var memoryLimitBytes: UInt64?
    /// The work directory's file system.
    public var disk: DiskSpace

    /// Creates a measurement.
    public init(allowedCPUs: Int, cpuLimitMillicores: Int?, memoryTotalBytes: UInt64, memoryLimitBytes: UInt64?, disk: DiskSpace) {
        self.allowedCPUs = allowedCPUs
        self.cpuLimitMillicores = cpuLimitMillicores
        self.memoryTotalBytes = memoryTotalBytes
        self.memoryLimitBytes = memoryLimitBytes
        self.disk = disk
    }

    /// Whole CPU cores to advertise: the allowed CPUs, or the cgroup quota rounded down when
    /// smaller (a 2.5-CPU quota gives 2: a lease is promised whole cores), at least 1.
    public var cpuCores: Int {
        var cores = allowedCPUs
        if let cpuLimitMillicores { cores = min(cores, cpuLimitMillicores / 1_000) }
        return max(1, cores)
    }

    /// Memory to advertise, whole GiB rounded down: `MemTotal`, or the cgroup limit when smaller.
    public var memoryGiB: Int {
        let bytes = min(memoryTotalBytes, memoryLimitBytes ?? .max)
        return Int(bytes >> 30)
    }
}
