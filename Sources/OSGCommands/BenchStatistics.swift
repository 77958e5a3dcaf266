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
}
