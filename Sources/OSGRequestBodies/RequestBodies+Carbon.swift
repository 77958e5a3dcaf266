import OSGCore
import OSGDomain

/// `POST /v1/carbon` (governance): hourly intensities of one zone from `first_hour` on.
package struct CarbonSeriesRequest: Decodable {
    package var zone: String
    /// Hours since 1970 (the body gives an RFC 3339 time on the hour).
    package var firstHour: Int64
    package var milligramsPerKWh: [Int64]
    enum CodingKeys: String, CodingKey, CaseIterable { case zone, firstHour = "first_hour", milligramsPerKWh = "mg_per_kwh" }

    package init(from decoder: any Decoder) throws {
        try StrictJSON.rejectUnknownKeys(in: decoder, allowed: Set(CodingKeys.allCases.map(\.rawValue)))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        zone = try c.decode(String.self, forKey: .zone)
        let first = try c.decodeTimestamp(forKey: .firstHour)
        guard first.secondsSinceEpoch >= 0, first.secondsSinceEpoch % 3_600 == 0 else {
            throw APIError.badRequest("out_of_range", "first_hour must be a time on the hour (minutes and seconds 0), not before 1970; got \(first)", field: "first_hour")
        }
        firstHour = first.secondsSinceEpoch / 3_600
        milligramsPerKWh = try c.decode([Int64].self, forKey: .milligramsPerKWh)
        guard (1...CoordinatorState.maxCarbonWindowHours).contains(milligramsPerKWh.count) else {
            throw APIError.badRequest("out_of_range", "mg_per_kwh holds 1 to \(CoordinatorState.maxCarbonWindowHours) hourly values, got \(milligramsPerKWh.count)", field: "mg_per_kwh")
        }
    }
}
