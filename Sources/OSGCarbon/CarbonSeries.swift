import OSGDomain

/// One grid zone's hourly carbon intensity, in milligrams of CO2-equivalent per kWh.
///
/// Values are integers (`133_640` is 133.64 gCO2-eq/kWh): the series is parsed exactly from
/// its decimal text and never stored as floating point, so every figure derived from it is
/// reproducible bit for bit on every platform. Hour `h` covers
/// `[h × 3600, (h + 1) × 3600)` seconds since the Unix epoch (UTC).
///
/// ```swift
/// let series = CarbonSeries(zone: "ES", firstHour: 0, milligramsPerKWh: [100_000, 200_000])
/// series.intensity(at: Timestamp(secondsSinceEpoch: 3_600))   // 200_000
/// series.meanMilligramsPerKWh(from: Timestamp(secondsSinceEpoch: 1_800), durationSeconds: 3_600)  // 150_000
/// ```
public struct CarbonSeries: Hashable, Sendable {
    /// The grid zone, e.g. `ES` or `US-CAL-CISO`.
    public let zone: String
    /// The first hour of the series, in whole hours since the Unix epoch.
    public let firstHour: Int64
    /// Intensity of each hour from ``firstHour`` on, in mgCO2-eq/kWh (never negative).
    public let milligramsPerKWh: [Int64]
    /// `prefixSums[i]` is the sum of the first `i` values: whole-hour sums in O(1).
    let prefixSums: [Int64]

    /// Creates a series.
    ///
    /// - Parameters:
    ///   - zone: the grid zone id.
    ///   - firstHour: hours since the epoch of the first value.
    ///   - milligramsPerKWh: one value per hour, each in `0..<1_000_000_000` (under a million
    ///   grams per kWh; a precondition that keeps every weighted sum inside `Int64`).
    public init(zone: String, firstHour: Int64, milligramsPerKWh: [Int64]) {
        precondition(milligramsPerKWh.allSatisfy { $0 >= 0 && $0 < Self.limitMilligramsPerKWh },
                     "carbon intensities must be in 0..<1,000,000 g/kWh")
        self.zone = zone
        self.firstHour = firstHour
        self.milligramsPerKWh = milligramsPerKWh
        var sums = [Int64](repeating: 0, count: milligramsPerKWh.count + 1)
        for (index, value) in milligramsPerKWh.enumerated() { sums[index + 1] = sums[index] + value }
        prefixSums = sums
    }

    /// Exclusive upper bound of one hour's intensity: a million grams per kWh.
    public static let limitMilligramsPerKWh: Int64 = 1_000_000_000

    /// Number of hours in the series.
    public var hourCount: Int { milligramsPerKWh.count }

    /// The hour after the last one (exclusive end), in hours since the epoch.
    public var endHour: Int64 { firstHour + Int64(milligramsPerKWh.count) }

    /// The start of the first hour.
    public var start: Timestamp { Timestamp(secondsSinceEpoch: firstHour * 3600) }

    /// The end of the last hour (exclusive).
    public var end: Timestamp { Timestamp(secondsSinceEpoch: endHour * 3600) }

    /// The hour since the epoch that contains `time` (floor division, also before 1970).
    public static func hour(containing time: Timestamp) -> Int64 {
        let seconds = time.secondsSinceEpoch
        return seconds >= 0 ? seconds / 3600 : (seconds - 3599) / 3600
    }

    /// The intensity of the hour containing `time`, in mgCO2-eq/kWh; `nil` outside the series.
    public func intensity(at time: Timestamp) -> Int64? {
        let hour = Self.hour(containing: time)
        guard hour >= firstHour, hour < endHour else { return nil }
        return milligramsPerKWh[Int(hour - firstHour)]
    }

    /// Whether the series has a value for every second of `[start, start + durationSeconds)`.
    public func covers(from start: Timestamp, durationSeconds: Int64) -> Bool {
        durationSeconds > 0 && start >= self.start && start.adding(seconds: durationSeconds) <= end
    }

    /// The mean intensity over `[start, start + durationSeconds)`, in mgCO2-eq/kWh.
    ///
    /// Each hour counts by the seconds of the interval it covers (a run from 00:30 to 01:30
    /// takes half of each hour's value). The weighted sum is exact integer arithmetic; the
    /// one division at the end rounds half up. Returns `nil` when the series does not cover the
    /// whole interval or `durationSeconds` is not positive.
    public func meanMilligramsPerKWh(from start: Timestamp, durationSeconds: Int64) -> Int64? {
        guard let sum = weightedSum(from: start, durationSeconds: durationSeconds) else { return nil }
        return Self.roundHalfUp(sum, dividedBy: durationSeconds)
    }

    /// The sum of intensity × seconds over `[start, start + durationSeconds)`
    /// (mg/kWh·s); `nil` when not covered. O(1): partial first and last hours plus a prefix sum.
    public func weightedSum(from start: Timestamp, durationSeconds: Int64) -> Int64? {
        guard covers(from: start, durationSeconds: durationSeconds) else { return nil }
        let base = firstHour * 3600
        let a = start.secondsSinceEpoch - base
        let b = a + durationSeconds
        let firstIndex = Int(a / 3600)
        let lastIndex = Int((b - 1) / 3600)
        if firstIndex == lastIndex { return milligramsPerKWh[firstIndex] * durationSeconds }
        let head = milligramsPerKWh[firstIndex] * (Int64(firstIndex + 1) * 3600 - a)
        let tail = milligramsPerKWh[lastIndex] * (b - Int64(lastIndex) * 3600)
        let middle = (prefixSums[lastIndex] - prefixSums[firstIndex + 1]) * 3600
        return head + middle + tail
    }

    /// `numerator / denominator` rounded half up (both non-negative, denominator positive).
    static func roundHalfUp(_ numerator: Int64, dividedBy denominator: Int64) -> Int64 {
        precondition(numerator >= 0 && denominator > 0)
        let (quotient, remainder) = numerator.quotientAndRemainder(dividingBy: denominator)
        return remainder * 2 >= denominator ? quotient + 1 : quotient
    }
}
