import Foundation
import Testing

@testable import OSGAgent

/// The root of a recorded host's `/proc` and `/sys` files: `Fixtures/proc/<name>`.
private func recordedHost(_ name: String) throws -> HostDiscovery {
    HostDiscovery(root: try #require(Bundle.module.resourceURL).appendingPathComponent("Fixtures/proc/\(name)").path)
}

@Suite("host discovery")
struct DiscoveryHostTests {
    struct Host: Sendable, CustomTestStringConvertible {
        var fixture: String
        var allowedCPUs: Int
        var cpuLimitMillicores: Int?
        var memoryLimitBytes: UInt64?
        var cpuCores: Int
        var memoryGiB: Int
        var testDescription: String { fixture }
    }

    static let hosts: [Host] = [
        // A container given 4 CPUs and 16 GiB of a 64-core, 251 GiB host.
        Host(fixture: "cgroup-v2-container", allowedCPUs: 64, cpuLimitMillicores: 4_000, memoryLimitBytes: 16 << 30, cpuCores: 4, memoryGiB: 16),
        // The limit is on the parent slice (CPUQuota=250%): whole cores round down.
        Host(fixture: "cgroup-v2-systemd-slice", allowedCPUs: 16, cpuLimitMillicores: 2_500, memoryLimitBytes: 32 << 30, cpuCores: 2, memoryGiB: 32),
        // docker --cpus=1.5 --memory=8g on cgroup v1, seen through the container's mount roots.
        Host(fixture: "cgroup-v1-docker", allowedCPUs: 8, cpuLimitMillicores: 1_500, memoryLimitBytes: 8 << 30, cpuCores: 1, memoryGiB: 8),
        // This build machine: cgroup v1 with "unlimited" everywhere.
        Host(fixture: "cgroup-v1-unlimited", allowedCPUs: 2, cpuLimitMillicores: nil, memoryLimitBytes: nil, cpuCores: 2, memoryGiB: 23),
        // taskset to 8 of 16 CPUs, no cgroup files.
        Host(fixture: "no-cgroup-taskset", allowedCPUs: 8, cpuLimitMillicores: nil, memoryLimitBytes: nil, cpuCores: 8, memoryGiB: 125),
    ]

    @Test("a host's CPUs and memory are the smaller of hardware, affinity and cgroup limits", arguments: hosts)
    func recorded(_ expected: Host) throws {
        let resources = try recordedHost(expected.fixture).resources(workDirectory: NSTemporaryDirectory())
        #expect(resources.allowedCPUs == expected.allowedCPUs)
        #expect(resources.cpuLimitMillicores == expected.cpuLimitMillicores)
        #expect(resources.memoryLimitBytes == expected.memoryLimitBytes)
        #expect(resources.cpuCores == expected.cpuCores)
        #expect(resources.memoryGiB == expected.memoryGiB)
    }

    @Test(
        "a broken host file gives its specific error code",
        arguments: [
            ("broken-meminfo", DiscoveryError.Code.hostFileMalformed),
            ("broken-cpu-max", .hostFileMalformed),
            ("missing-meminfo", .hostFileUnreadable),
        ]
    )
    func broken(_ fixture: String, _ expected: DiscoveryError.Code) throws {
        let host = try recordedHost(fixture)
        #expect(code { try host.resources(workDirectory: NSTemporaryDirectory()) } == expected)
    }

    @Test("this host can be measured, and its figures are sane")
    func thisHost() throws {
        let resources = try HostDiscovery().resources(workDirectory: NSTemporaryDirectory())
        #expect(resources.cpuCores >= 1)
        #expect(resources.memoryGiB >= 1)
        #expect(resources.disk.totalBytes > 0)
        #expect(resources.disk.freeBytes <= resources.disk.totalBytes)
    }

    @Test("a work directory that does not exist is disk_unreadable")
    func missingWorkDirectory() {
        #expect(code { try HostDiscovery.diskSpace(path: "/nonexistent/osg-work") } == .diskUnreadable)
    }

    @Test(
        "CPU lists count every CPU of every range",
        arguments: [("0", 1), ("0-1", 2), ("0-3,8-11", 8), ("0-63", 64), ("1,3,5", 3), ("0-3,5,7-8", 7)]
    )
    func cpuLists(_ list: String, _ count: Int) throws {
        #expect(try HostFileParser.cpuListCount(list, file: "test") == count)
    }

    @Test("a malformed CPU list is host_file_malformed", arguments: ["", "3-1", "a-b", "0-", "1--2", ",", "-1"])
    func badCPULists(_ list: String) {
        #expect(code { try HostFileParser.cpuListCount(list, file: "test") } == .hostFileMalformed)
    }

    @Test("cgroup CPU and memory limits read as the kernel writes them")
    func limits() throws {
        #expect(try HostFileParser.cpuLimitMillicores(cpuMax: "max 100000\n") == nil)
        #expect(try HostFileParser.cpuLimitMillicores(cpuMax: "200000 100000\n") == 2_000)
        #expect(try HostFileParser.cpuLimitMillicores(cpuMax: "50000 100000") == 500)
        #expect(try HostFileParser.cpuLimitMillicores(cfsQuota: "-1\n", cfsPeriod: "100000\n") == nil)
        #expect(try HostFileParser.cpuLimitMillicores(cfsQuota: "150000", cfsPeriod: "100000") == 1_500)
        #expect(try HostFileParser.memoryLimitBytes(memoryMax: "max\n") == nil)
        #expect(try HostFileParser.memoryLimitBytes(memoryMax: "17179869184\n") == 17_179_869_184)
        #expect(try HostFileParser.memoryLimitBytes(limitInBytes: "9223372036854771712\n") == nil)
        #expect(try HostFileParser.memoryLimitBytes(limitInBytes: "8589934592") == 8_589_934_592)
        for bad in ["", "max", "100000", "-5 100000", "100 0", "a b"] {
            #expect(code { try HostFileParser.cpuLimitMillicores(cpuMax: bad) } == .hostFileMalformed)
        }
        #expect(code { try HostFileParser.cpuLimitMillicores(cfsQuota: "0", cfsPeriod: "100000") } == .hostFileMalformed)
        #expect(code { try HostFileParser.memoryLimitBytes(memoryMax: "lots") } == .hostFileMalformed)
        #expect(code { try HostFileParser.memoryLimitBytes(limitInBytes: "") } == .hostFileMalformed)
    }

    @Test("a cgroup is resolved through its mount's root, up to the mount point")
    func hierarchy() throws {
        let memberships = try HostFileParser.cgroupMemberships(procSelfCgroup: "4:cpu,cpuacct:/docker/abc\n0::/a/b\n")
        let mounts = try HostFileParser.cgroupMounts(
            mountinfo: """
                33 31 0:30 /docker/abc /sys/fs/cgroup/cpu,cpuacct ro,relatime master:17 - cgroup cgroup rw,cpu,cpuacct
                34 31 0:31 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
                35 31 0:32 / /mnt/with\\040space rw,relatime - ext4 /dev/sda1 rw
                """
        )
        #expect(mounts.count == 2)
        let hierarchy = CgroupHierarchy(memberships: memberships, mounts: mounts)
        #expect(hierarchy.directories(controller: "cpu") == [
            "/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/unified/a/b", "/sys/fs/cgroup/unified/a", "/sys/fs/cgroup/unified",
        ])
        #expect(HostFileParser.unescaped("/mnt/with\\040space") == "/mnt/with space")
    }

    @Test("disk space rounds down to whole GiB and free never exceeds total")
    func diskSpace() {
        let disk = DiskSpace(totalBytes: (100 << 30) + 5, freeBytes: (200 << 30))
        #expect(disk.totalGiB == 100)
        #expect(disk.freeGiB == 100)
    }
}
