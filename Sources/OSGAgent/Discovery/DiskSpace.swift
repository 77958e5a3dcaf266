/// The size of the file system holding a directory.
public struct DiskSpace: Hashable, Sendable {
    /// Its size, bytes.
    public var totalBytes: UInt64
    /// Bytes an unprivileged process may still write (`f_bavail`, not counting root's reserve).
    public var freeBytes: UInt64

    /// Creates a measurement.
    public init(totalBytes: UInt64, freeBytes: UInt64) {
        self.totalBytes = totalBytes
        self.freeBytes = min(freeBytes, totalBytes)
    }

    /// Size in whole GiB, rounded down.
    public var totalGiB: Int { Int(totalBytes >> 30) }
    /// Free space in whole GiB, rounded down: what a node advertises as its disk, since
    /// leases can use only what is free.
    public var freeGiB: Int { Int(freeBytes >> 30) }
}
