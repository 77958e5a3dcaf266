import Hummingbird
import OSGCore
import OSGDomain
import OSGRequestBodies

/// Grid carbon data: governance records a zone's hourly series (`POST /v1/carbon`, the
/// `recordCarbonSeries` command, as `osg carbon load` sends it); anyone reads what is recorded
/// (`GET /v1/carbon`).
extension Coordinator {
    func addCarbonRoutes(to router: Router<CoordinatorRequestContext>) {
        router.post("/v1/carbon") { request, _ in
            let auth = try await self.authenticator.readWrite(request, accepting: .json)
            let body = try StrictJSON.decode(CarbonSeriesRequest.self, from: auth.body)
            let outcome = try await self.perform(body.command, by: auth)
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
