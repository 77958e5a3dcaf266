/// Hourly carbon series by grid zone: the forecast the planner and the market read.
///
/// Build one from series in memory (``init(series:)``) or from a folder of Electricity Maps
/// files (``init(directory:)``, the only file I/O of this module). Several series of one zone
/// (e.g. 2021 and 2022) are joined when they are contiguous.
public struct CarbonAtlas: Hashable, Sendable {
    /// The series of each zone, by zone id.
    public let seriesByZone: [String: CarbonSeries]

    /// Joins the series by zone.
    ///
    /// - Parameter series: any number per zone; those of one zone must follow each other
    ///   without overlap or gap once sorted by their first hour.
    /// - Throws: ``CarbonDataError`` (`not_contiguous`) naming the zone and the hours.
    public init(series: [CarbonSeries]) throws(CarbonDataError) {
        var byZone: [String: [CarbonSeries]] = [:]
        for item in series { byZone[item.zone, default: []].append(item) }
        var joined: [String: CarbonSeries] = [:]
        for (zone, parts) in byZone {
            let sorted = parts.sorted { $0.firstHour < $1.firstHour }
            var values = sorted[0].milligramsPerKWh
            var end = sorted[0].endHour
            for part in sorted.dropFirst() {
                guard part.firstHour == end else {
                    throw CarbonDataError(.notContiguous, file: "zone \(zone)", "series of zone \(zone) must follow each other hour by hour; one ends at \(CarbonSeries(zone: zone, firstHour: end, milligramsPerKWh: []).start), the next starts at \(part.start)")
                }
                values.append(contentsOf: part.milligramsPerKWh)
                end = part.endHour
            }
            joined[zone] = CarbonSeries(zone: zone, firstHour: sorted[0].firstHour, milligramsPerKWh: values)
        }
        seriesByZone = joined
    }

    /// Zone ids, sorted.
    public var zones: [String] { seriesByZone.keys.sorted() }

    /// The series of `zone`, if the atlas has one.
    public subscript(zone: String) -> CarbonSeries? { seriesByZone[zone] }
}
