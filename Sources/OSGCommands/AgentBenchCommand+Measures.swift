import Foundation

#if canImport(Glibc)
import Glibc
#endif

extension AgentBenchCommand {
    /// User plus system CPU time this process (every thread) has used so far, in seconds
    /// (`getrusage(RUSAGE_SELF)`: microsecond resolution; children's time is not included).
    static func processCPUSeconds() -> Double {
        var usage = rusage()
        guard getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage) == 0 else { return 0 }
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1_000_000 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// The CPU this process used during `seconds` of wall time in which it only waits, in
    /// percent of one core.
    static func cpuPercentOfCore(overSeconds seconds: Double) async -> Double {
        let clock = ContinuousClock()
        let cpuBefore = processCPUSeconds()
        let start = clock.now
        try? await Task.sleep(for: .milliseconds(Int64(seconds * 1_000)))
        let wall = BenchStatistics.seconds(clock.now - start)
        let cpu = processCPUSeconds() - cpuBefore
        return wall > 0 ? cpu / wall * 100 : 0
    }

    /// Waits until this process uses less than `percent` of a core over a `spanSeconds` span
    /// (an agent's start-up work, such as its host benchmark, is over); the seconds waited, or
    /// `nil` if that did not happen within `timeoutSeconds`.
    static func waitUntilQuiet(belowPercent percent: Double = 5, spanSeconds: Double = 1, timeoutSeconds: Double = 120) async -> Double? {
        let clock = ContinuousClock()
        let start = clock.now
        while BenchStatistics.seconds(clock.now - start) < timeoutSeconds {
            if await cpuPercentOfCore(overSeconds: spanSeconds) < percent { return BenchStatistics.seconds(clock.now - start) }
        }
        return nil
    }

    /// How many processes on this host run exactly `arguments` (their `/proc/PID/cmdline`): the
    /// jobs themselves, as the kernel sees them, whatever the agent or the executor believe.
    static func processCount(running arguments: [String]) -> Int {
        let wanted = Data(arguments.joined(separator: "\0").utf8) + Data([0])
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return 0 }
        var count = 0
        for name in names where name.first?.isNumber == true {
            if let cmdline = FileManager.default.contents(atPath: "/proc/\(name)/cmdline"), cmdline == wanted { count += 1 }
        }
        return count
    }

    /// The entries of a folder (none if it is missing).
    static func entries(of directory: URL) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
    }

    /// Milliseconds, rounded to 0.1.
    static func milliseconds(_ seconds: Double) -> Double { (seconds * 10_000).rounded() / 10 }

    /// Rounded to 0.001.
    static func thousandths(_ value: Double) -> Double { (value * 1_000).rounded() / 1_000 }
}
