import Foundation
import OSGDomain
import Testing

@testable import OSGAgent

@Suite("A lease's CPU time and its share of the CPU package's energy")
struct LeaseCPUEnergyTests {
    private func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("osg-cpu-energy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    private func write(_ text: String, to url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
    }

    @Test("cgroup v2 cpu.stat: usage_usec in milliseconds; anything else has no figure")
    func cgroupStat() {
        #expect(LeaseCPUTime.cgroupMilliseconds("usage_usec 1234567\nuser_usec 1000000\nsystem_usec 234567\n") == 1_234)
        #expect(LeaseCPUTime.cgroupMilliseconds("user_usec 1000000\n") == nil)
        #expect(LeaseCPUTime.cgroupMilliseconds("usage_usec -5\n") == nil)
        #expect(LeaseCPUTime.cgroupMilliseconds("") == nil)
    }

    @Test("a cgroup directory's cpu.stat is read; a missing one has no figure")
    func cgroupDirectory() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(LeaseCPUTime.cgroup(directory).milliseconds() == nil)
        try write("usage_usec 42000000\n", to: directory.appendingPathComponent("cpu.stat"))
        #expect(LeaseCPUTime.cgroup(directory).milliseconds() == 42_000)
    }

    @Test("/proc/<pid>/stat: utime, stime, cutime and cstime, counted after the command name's last parenthesis")
    func procStat() {
        let plain = "4242 (python3) S 1 4242 4242 0 -1 4194560 1000 0 0 0 150 50 7 3 20 0 1 0 100 1000000 500 18446744073709551615"
        #expect(LeaseCPUTime.ticks(ofProcStat: plain) == 210)
        let tricky = "77 (a) b) (c) R 1 77 77 0 -1 0 0 0 0 0 11 22 33 44 20 0 1 0 5 0 0"
        #expect(LeaseCPUTime.ticks(ofProcStat: tricky) == 110, "a name with spaces and parentheses")
        #expect(LeaseCPUTime.ticks(ofProcStat: "12 (short) S 1 2 3") == nil)
        #expect(LeaseCPUTime.ticks(ofProcStat: "no parenthesis at all") == nil)
        #expect(LeaseCPUTime.ticks(ofProcStat: "9 (x) S 1 9 9 0 -1 0 0 0 0 0 -1 0 0 0 20 0 1 0 5 0 0") == nil, "negative times are refused")
    }

    @Test("the processes of one uid are summed from /proc; other uids' are not")
    func processesOfUID() throws {
        // This test process's own entry: its uid's processes include it, and it has used CPU.
        let mine = LeaseCPUTime.uid(getuid()).milliseconds()
        #expect((mine ?? -1) >= 0)
        let nobodyHasThisUID = LeaseCPUTime.uid(0x7FFF_FFF0).milliseconds()
        #expect(nobodyHasThisUID == 0, "no process, no time")
        #expect(LeaseCPUTime.uid(0).milliseconds(procRoot: URL(fileURLWithPath: "/nonexistent-proc")) == nil)
    }

    @Test("/proc/stat busy time leaves idle and iowait out")
    func busyTime() {
        let text = "cpu  100 20 30 5000 40 6 7 8 0 0\ncpu0 50 10 15 2500 20 3 3 4 0 0\nintr 1 2 3\n"
        let busy = HostEnergyMeter.busyMilliseconds(procStatText: text, ticksPerSecond: 100)
        #expect(busy == 1_710, "user, nice, system, irq, softirq and steal: 171 ticks")
        #expect(HostEnergyMeter.busyMilliseconds(procStatText: "intr 1 2\n", ticksPerSecond: 100) == nil)
    }

    @Test("RAPL packages are summed across a counter wrap, sub-domains left out; the lease gets its CPU share")
    func raplMeter() throws {
        let root = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let powercap = root.appendingPathComponent("powercap")
        let procStat = root.appendingPathComponent("stat")
        #expect(HostEnergyMeter(powercap: powercap, procStat: procStat) == nil, "no powercap tree, no meter")
        try write("cpu  0 0 0 0 0 0 0 0 0 0\n", to: procStat)
        let package0 = powercap.appendingPathComponent("intel-rapl:0")
        let package1 = powercap.appendingPathComponent("intel-rapl:1")
        let core0 = powercap.appendingPathComponent("intel-rapl:0:0")
        try write("262143999999\n", to: package0.appendingPathComponent("max_energy_range_uj"))
        try write("262143000000\n", to: package0.appendingPathComponent("energy_uj"))
        try write("1000000000\n", to: package1.appendingPathComponent("max_energy_range_uj"))
        try write("0\n", to: package1.appendingPathComponent("energy_uj"))
        try write("1000000000\n", to: core0.appendingPathComponent("max_energy_range_uj"))
        try write("5\n", to: core0.appendingPathComponent("energy_uj"))
        var meter = try #require(HostEnergyMeter(powercap: powercap, procStat: procStat))
        let startReading = meter.read()
        let start = try #require(startReading)
        #expect(start.joules == 0 && start.busyMilliseconds == 0)
        // Package 0 wraps: 999,999 µJ to its top, then 1,000,001 more. Package 1 grows 3 J. The
        // core sub-domain's 900 J are part of package 0's and must not count again.
        try write("1000001\n", to: package0.appendingPathComponent("energy_uj"))
        try write("3000000\n", to: package1.appendingPathComponent("energy_uj"))
        try write("900000000\n", to: core0.appendingPathComponent("energy_uj"))
        let clockTicks = Int64(sysconf(Int32(_SC_CLK_TCK)))
        try write("cpu  \(4 * clockTicks) 0 0 0 0 0 0 0 0 0\n", to: procStat)
        let endReading = meter.read()
        let end = try #require(endReading)
        #expect(abs(end.joules - 5) < 1e-9, "2 J across the wrap plus 3 J")
        #expect(end.busyMilliseconds == 4_000)
        #expect(abs(HostEnergyMeter.share(from: start, to: end, leaseCPUMilliseconds: 1_000) - 1.25) < 1e-9, "a quarter of the busy time")
        #expect(HostEnergyMeter.share(from: start, to: end, leaseCPUMilliseconds: 9_000) == 5, "never more than all of it")
        #expect(HostEnergyMeter.share(from: end, to: end, leaseCPUMilliseconds: 1_000) == 0, "an idle interval has no energy")
        try FileManager.default.removeItem(at: package1.appendingPathComponent("energy_uj"))
        let lost = meter.read()
        #expect(lost == nil, "a domain that stops reading gives no figure")
    }
}
