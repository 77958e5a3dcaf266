/// Small helpers shared by the `osg bench` verbs.
enum BenchStatistics {
    /// The `fraction` percentile (nearest rank) of `sortedValues`, 0 when empty.
    static func percentile(_ sortedValues: [Double], _ fraction: Double) -> Double {
        guard !sortedValues.isEmpty else { return 0 }
        let rank = Int((Double(sortedValues.count) * fraction).rounded(.up)) - 1
        return sortedValues[min(sortedValues.count - 1, max(0, rank))]
    }

    /// `duration` in microseconds.
    static func microseconds(_ duration: Duration) -> Double {
        let parts = duration.components
        return Double(parts.seconds) * 1_000_000 + Double(parts.attoseconds) / 1_000_000_000_000
    }

    /// `duration` in seconds.
    static func seconds(_ duration: Duration) -> Double {
        microseconds(duration) / 1_000_000
    }

    /// Peak resident set size (VmHWM) in MiB, from /proc/self/status; `nil` where there is none.
    static func peakResidentMiB() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kib = line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap({ Int($0) })
        else { return nil }
        return kib / 1024
    }
}
