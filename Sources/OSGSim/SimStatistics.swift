/// The statistics of the report, as pure functions.
public enum SimStatistics {
    /// The `percent`-th percentile of ascending `sorted` values by the nearest-rank method
    /// (the smallest value with at least `percent` % of the values at or below it); 0 for no
    /// values.
    public static func percentile(_ sorted: [Int64], _ percent: Int) -> Int64 {
        precondition(percent > 0 && percent <= 100)
        guard !sorted.isEmpty else { return 0 }
        let rank = (percent * sorted.count + 99) / 100
        return sorted[max(rank, 1) - 1]
    }

    /// Jain's fairness index (Σx)² / (n · Σx²): 1 when everyone gets the same, 1/n when one
    /// gets everything; 1 for no values or all zeros.
    public static func jainIndex(_ values: [Double]) -> Double {
        let sum = values.reduce(0, +)
        let squares = values.reduce(0) { $0 + $1 * $1 }
        guard !values.isEmpty, squares > 0 else { return 1 }
        return sum * sum / (Double(values.count) * squares)
    }
}
