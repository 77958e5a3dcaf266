import OSGCarbon
import OSGDomain
import OSGMarket
import Yams

extension MarketSnapshotReader {
    /// Reads the optional `carbon` object of a snapshot:
    /// `{"ZONE": [{"hour": "2026-12-01T00:00:00Z", "gco2_per_kwh": 123.4}, ...], ...}`.
    ///
    /// Per zone the hours are whole UTC hours, consecutive (no gap, no repeat), and the
    /// intensities non-negative decimals with at most three decimals (stored exactly as mg/kWh).
    static func readCarbon(_ top: Fields) throws(MarketInputError) -> CarbonAtlas? {
        guard let node = top.values["carbon"] else { return nil }
        guard case .mapping(let mapping) = node else { throw top.error("carbon", "must be a JSON object of zone → list of hours") }
        var series: [CarbonSeries] = []
        for (key, value) in mapping {
            guard case .scalar(let zoneScalar) = key, !zoneScalar.string.isEmpty else {
                throw top.error("carbon", "zone names must be non-empty text")
            }
            let zone = zoneScalar.string
            guard case .sequence(let entries) = value, !entries.isEmpty else {
                throw top.error("carbon", "zone \(zone) must have a non-empty list of {hour, gco2_per_kwh}")
            }
            var firstHour: Int64 = 0
            var values: [Int64] = []
            for (index, entry) in entries.enumerated() {
                let fields = try Fields(entry, item: "carbon.\(zone)[\(index)]")
                let hourText = try fields.string("hour")
                guard let time = Timestamp(rfc3339: hourText), time.secondsSinceEpoch % 3600 == 0 else {
                    throw fields.error("hour", "'\(hourText)' is not an RFC 3339 time on a whole hour such as 2026-12-01T13:00:00Z")
                }
                let hour = CarbonSeries.hour(containing: time)
                if index == 0 {
                    firstHour = hour
                } else if hour != firstHour + Int64(values.count) {
                    throw fields.error("hour", "'\(hourText)' does not follow the previous hour; list every hour once, in order")
                }
                guard case .scalar(let scalar)? = fields.values["gco2_per_kwh"], scalar.style == .plain,
                      let milligrams = ElectricityMapsCSV.milligrams(scalar.string)
                else {
                    throw fields.error("gco2_per_kwh", "must be a non-negative number with at most 3 decimals (gCO2-eq/kWh)")
                }
                values.append(milligrams)
            }
            series.append(CarbonSeries(zone: zone, firstHour: firstHour, milligramsPerKWh: values))
        }
        do {
            return try CarbonAtlas(series: series)
        } catch {
            throw top.error("carbon", error.message)
        }
    }
}
