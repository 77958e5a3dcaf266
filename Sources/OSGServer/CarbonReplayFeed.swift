import OSGCarbon
import OSGCore

/// Grid carbon data for a live coordinator from recorded hourly series (Electricity Maps files,
/// `osg serve --carbon DIR`): each zone's series is replayed end to end, over and over, on the
/// coordinator's own clock, and recorded in the log a week ahead through the governance
/// command `recordCarbonSeries`, so jobs with a carbon cap can be placed and every placement
/// stays replayable from the log alone (docs/CARBON.md, "A live coordinator").
///
/// Hour `h` (hours since 1970) of a zone gets the value of the series at
/// `(h − firstHour) mod count`: a series of whole days keeps each hour of the day in place;
/// what it replays is a past period's pattern, not a forecast, which the docs say. A
/// deployment with a live feed posts its own series through the same command instead.
public struct CarbonReplayFeed: Sendable {
    /// The series to replay, by zone.
    public let seriesByZone: [String: CarbonSeries]
    /// How far ahead of the current hour the log is kept recorded.
    public static let hoursAhead: Int64 = 168
    /// A zone is topped up once it has fewer than this many hours ahead recorded.
    public static let refillBelowHours: Int64 = 72
    /// A zone never recorded before starts this many hours back (the last day is known too).
    public static let hoursBehind: Int64 = 24

    public init(atlas: CarbonAtlas) {
        seriesByZone = atlas.seriesByZone
    }

    /// The value replayed for `hour` in `series`, mg/kWh.
    static func value(of series: CarbonSeries, at hour: Int64) -> Int64 {
        let count = Int64(series.milligramsPerKWh.count)
        precondition(count > 0, "a carbon series has at least one hour")
        let offset = ((hour - series.firstHour) % count + count) % count
        return series.milligramsPerKWh[Int(offset)]
    }

    /// The `recordCarbonSeries` commands that bring every zone's recorded series to
    /// ``hoursAhead`` past `nowHour`, given each zone's recorded end hour (`recordedEnds`, the
    /// hour after its last). A zone with at least ``refillBelowHours`` ahead gets nothing; a
    /// window always touches the recorded hours (the core refuses a gap), and none is longer
    /// than ``CoordinatorState/maxCarbonWindowHours``. Pure: the same inputs give the same commands.
    public func commands(recordedEnds: [String: Int64], nowHour: Int64) -> [Command] {
        var commands: [Command] = []
        for zone in seriesByZone.keys.sorted() {
            let series = seriesByZone[zone]!
            let target = nowHour + Self.hoursAhead
            var start = recordedEnds[zone] ?? (nowHour - Self.hoursBehind)
            guard start < nowHour + Self.refillBelowHours else { continue }
            while start < target {
                let end = min(target, start + Int64(CoordinatorState.maxCarbonWindowHours))
                let values = (start..<end).map { Self.value(of: series, at: $0) }
                commands.append(.recordCarbonSeries(zone: zone, firstHour: start, milligramsPerKWh: values))
                start = end
            }
        }
        return commands
    }
}
