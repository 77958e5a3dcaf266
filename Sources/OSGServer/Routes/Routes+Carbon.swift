import Hummingbird
import OSGCore
import OSGDomain

/// Grid carbon data: governance records a zone's hourly series (`POST /v1/carbon`, the
/// `recordCarbonSeries` command, as `osg carbon load` sends it); anyone reads what is recorded
/// (`GET /v1/carbon`).
extension Coordinator {
    func addCarbonRoutes(to router: Router<CoordinatorRequestContext>) {
        router.post("/v1/carbon") { request, _ in
            let auth = try await self.authenticator.authenticate(request, accepting: .json)
            let body = try StrictJSON.decode(CarbonSeriesRequest.self, from: auth.body)
            let outcome = try await self.perform(
                .recordCarbonSeries(zone: body.zone, firstHour: body.firstHour, milligramsPerKWh: body.milligramsPerKWh), by: auth)
            return JSONResponse.response(Views.accepted(outcome), status: .created)
        }
        router.get("/v1/carbon") { _, _ in
            let bytes = await self.publicViews.bytes(for: "/v1/carbon") {
                JSONResponse.encode(CarbonZones(await self.reader.state(), nowHour: self.clock().secondsSinceEpoch / 3_600))
            }
            return JSONResponse.response(bytes: bytes, headers: [.cacheControl: "public, max-age=1"])
        }
    }
}

/// `POST /v1/carbon` (governance): hourly intensities of one zone from `first_hour` on.
struct CarbonSeriesRequest: Decodable {
    var zone: String
    /// Hours since 1970 (the body gives an RFC 3339 time on the hour).
    var firstHour: Int64
    var milligramsPerKWh: [Int64]
    enum CodingKeys: String, CodingKey, CaseIterable { case zone, firstHour = "first_hour", milligramsPerKWh = "mg_per_kwh" }

    init(from decoder: any Decoder) throws {
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

/// `GET /v1/carbon`: each zone's recorded hours and its intensity now.
struct CarbonZones: Encodable {
    struct Zone: Encodable {
        var zone: String
        var firstHour: String
        /// The hour after the last recorded one.
        var endHour: String
        var hours: Int
        /// The recorded intensity of the current hour, gCO2/kWh (3 decimals); absent when the
        /// current hour is not recorded.
        var nowGPerKwh: String?
    }
    var zones: [Zone]

    /// mg as g with three decimals (`20150` → `20.150`).
    static func grams(_ milligrams: Int64) -> String {
        let fraction = String(milligrams % 1_000)
        return "\(milligrams / 1_000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }

    init(_ state: CoordinatorState, nowHour: Int64) {
        zones = state.carbonSeries.keys.sorted().map { name in
            let window = state.carbonSeries[name]!
            let now = (window.firstHour..<window.endHour).contains(nowHour)
                ? window.milligramsPerKWh[Int(nowHour - window.firstHour)] : nil
            return Zone(
                zone: name, firstHour: Timestamp(secondsSinceEpoch: window.firstHour * 3_600).description,
                endHour: Timestamp(secondsSinceEpoch: window.endHour * 3_600).description, hours: window.milligramsPerKWh.count,
                nowGPerKwh: now.map(Self.grams))
        }
    }
}
