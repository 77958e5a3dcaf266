import Foundation
import Hummingbird
import HummingbirdTesting
import OSGCarbon
import OSGCore
import OSGDomain
import OSGServer
import Testing

@Suite("Carbon data in the live coordinator: a replayed series recorded a week ahead, and caps no zone can meet refused at submission")
struct CarbonFeedTests {
    /// Two days of hourly values for zone `zone`: hour i of the day is `base + i` g/kWh.
    static func series(_ zone: String, base: Int64, firstHour: Int64 = 400_000) -> CarbonSeries {
        CarbonSeries(zone: zone, firstHour: firstHour, milligramsPerKWh: (0..<48).map { (base + Int64($0 % 24)) * 1_000 })
    }

    static func feed(_ series: CarbonSeries...) throws -> CarbonReplayFeed {
        CarbonReplayFeed(atlas: try CarbonAtlas(series: series))
    }

    static func windows(_ commands: [Command]) -> [(zone: String, first: Int64, values: [Int64])] {
        commands.compactMap { if case .recordCarbonSeries(let zone, let first, let values) = $0 { (zone, first, values) } else { nil } }
    }

    @Test("a zone never recorded gets the last day and the next week; the series repeats end to end on the clock")
    func firstRecording() throws {
        let feed = try Self.feed(Self.series("NO", base: 20), Self.series("ES", base: 150))
        let now: Int64 = 500_010
        let windows = Self.windows(feed.commands(recordedEnds: [:], nowHour: now))
        #expect(windows.map(\.zone) == ["ES", "NO"], "zones in order")
        for window in windows {
            #expect(window.first == now - 24 && window.values.count == 24 + 168)
        }
        // Hour h has the value at (h − 400,000) mod 48: 500,010 − 400,000 = 100,010 ≡ 2 (mod 48).
        let norway = try #require(windows.first { $0.zone == "NO" })
        #expect(norway.values[24] == 22_000, "the current hour")
        #expect(norway.values[24 + 22] == 20_000, "a day of 24 hours keeps each hour in place: hour 0 again")
    }

    @Test("nothing while three days are recorded ahead; then a window that touches the recorded hours, up to a week ahead")
    func topUp() throws {
        let feed = try Self.feed(Self.series("NO", base: 20))
        let now: Int64 = 500_000
        #expect(feed.commands(recordedEnds: ["NO": now + 72], nowHour: now).isEmpty)
        #expect(feed.commands(recordedEnds: ["NO": now + 200], nowHour: now).isEmpty)
        let windows = Self.windows(feed.commands(recordedEnds: ["NO": now + 71], nowHour: now))
        #expect(windows.count == 1 && windows[0].first == now + 71 && windows[0].values.count == 168 - 71)
        // A coordinator that was down for two years fills the gap in windows the core accepts.
        let gap = Self.windows(feed.commands(recordedEnds: ["NO": now - 17_520], nowHour: now))
        #expect(gap.map(\.values.count) == [9_000, 8_520 + 168])
        #expect(gap[0].first == now - 17_520 && gap[1].first == now - 17_520 + 9_000, "each window touches the one before")
    }

    @Test("the windows are recorded through the core, which checks and keeps them; a second round adds nothing")
    func recordedInTheLog() async throws {
        let harness = try await Harness.make { $0.carbonFeed = try? Self.feed(Self.series("NO", base: 20), Self.series("ES", base: 150)) }
        await harness.coordinator.recordCarbonAhead()
        try await harness.test { client in
            let before = try #require(try await client.get("/ready").json["log_entries"] as? Int)
            #expect(before == 2, "one window per zone")
            await harness.coordinator.recordCarbonAhead()
            #expect(try await client.get("/ready").json["log_entries"] as? Int == before, "nothing new while a week is recorded ahead")
            harness.clock.advance(by: 5 * 86_400)
            await harness.coordinator.recordCarbonAhead()
            #expect(try await client.get("/ready").json["log_entries"] as? Int == before + 2, "topped up once fewer than three days are ahead")
        }
    }

    static func cappedSpec(_ cap: Int, deadline: String? = nil) -> String {
        """
        {"name":"green","image":"ghcr.io/org/trainer:1.2","resources":{"gpu":{"model":"H100","count":1}},"nodes":1,\
        "duration":"1h","max_duration":"2h","max_price":"2.10","carbon":{"max_gco2_per_kwh":\(cap)\(deadline == nil ? "" : #","shift":true"#)}\
        \(deadline.map { #","deadline":"\#($0)""# } ?? "")}
        """
    }

    static func error(_ json: [String: Any]) -> (code: String?, message: String, field: String?) {
        let error = json["error"] as? [String: Any]
        return (error?["code"] as? String, error?["message"] as? String ?? "", error?["field"] as? String)
    }

    @Test("a cap is refused with 422 when no carbon data is recorded, or when no zone's recorded hours reach it; accepted when one does")
    func capsAtSubmission() async throws {
        let tenant = Participant()
        let bare = try await Harness.make()
        try await bare.test { client in
            #expect(try await client.signed(tenant, .post, "/v1/faucet", json: #"{"amount":"100"}"#, at: bare.clock.now).status == 200)
            let refused = try await client.signed(tenant, .post, "/v1/jobs", json: Self.cappedSpec(200), at: bare.clock.now)
            #expect(refused.status == 422)
            let error = Self.error(refused.json)
            #expect(error.code == "carbon_cap_unmeetable" && error.field == "carbon.max_gco2_per_kwh")
            #expect(error.message.contains("no grid carbon data"), "\(error.message)")
            #expect(try await client.signed(tenant, .post, "/v1/jobs", json: Samples.spec(), at: bare.clock.now).status == 201, "no cap, no check")
        }

        let fed = try await Harness.make { $0.carbonFeed = try? Self.feed(Self.series("NO", base: 20), Self.series("ES", base: 150)) }
        await fed.coordinator.recordCarbonAhead()
        try await fed.test { client in
            #expect(try await client.signed(tenant, .post, "/v1/faucet", json: #"{"amount":"100"}"#, at: fed.clock.now).status == 200)
            let tooLow = try await client.signed(tenant, .post, "/v1/jobs", json: Self.cappedSpec(10), at: fed.clock.now)
            #expect(tooLow.status == 422)
            let error = Self.error(tooLow.json)
            #expect(error.code == "carbon_cap_unmeetable")
            #expect(error.message.contains("20 gCO2/kWh") && error.message.contains("NO"), "names the cleanest hour: \(error.message)")
            #expect(try await client.signed(tenant, .post, "/v1/jobs", json: Self.cappedSpec(20), at: fed.clock.now).status == 201)
            #expect(try await client.signed(tenant, .post, "/v1/jobs", json: Self.cappedSpec(200), at: fed.clock.now).status == 201)
        }
    }

    @Test("governance records a series over HTTP (POST /v1/carbon); others cannot; bad hours and gaps are refused; GET /v1/carbon shows it")
    func governanceRoute() async throws {
        let harness = try await Harness.make()
        let clock = harness.clock
        let governance = Participant(key: harness.governance)
        let stranger = Participant()
        let nowHour = clock.now.secondsSinceEpoch / 3_600
        @Sendable func body(_ zone: String, hour: Int64, values: [Int64]) -> String {
            #"{"zone":"\#(zone)","first_hour":"\#(Timestamp(secondsSinceEpoch: hour * 3_600))","mg_per_kwh":[\#(values.map(String.init).joined(separator: ","))]}"#
        }
        try await harness.test { client in
            let denied = try await client.signed(stranger, .post, "/v1/carbon", json: body("NO", hour: nowHour, values: [20_000]), at: clock.now)
            #expect(denied.status == 403, "\(denied.json)")
            let recorded = try await client.signed(governance, .post, "/v1/carbon", json: body("NO", hour: nowHour - 1, values: [25_000, 20_150, 30_000]), at: clock.now)
            #expect(recorded.status == 201, "\(recorded.json)")
            let offHour = #"{"zone":"NO","first_hour":"\#(Timestamp(secondsSinceEpoch: nowHour * 3_600 + 60))","mg_per_kwh":[1]}"#
            let bad = try await client.signed(governance, .post, "/v1/carbon", json: offHour, at: clock.now)
            #expect(bad.status == 400 && Self.error(bad.json).field == "first_hour")
            let gap = try await client.signed(governance, .post, "/v1/carbon", json: body("NO", hour: nowHour + 10, values: [1_000]), at: clock.now)
            #expect(gap.status == 422 && Self.error(gap.json).code == "invalid_carbon_series", "\(gap.json)")
            let empty = try await client.signed(governance, .post, "/v1/carbon", json: body("NO", hour: nowHour, values: []), at: clock.now)
            #expect(empty.status == 400)
            let zones = try #require(try await client.get("/v1/carbon").json["zones"] as? [[String: Any]])
            #expect(zones.count == 1 && zones[0]["zone"] as? String == "NO" && zones[0]["hours"] as? Int == 3)
            #expect(zones[0]["now_g_per_kwh"] as? String == "20.150")
            // The recorded hours meet a cap of 21 g now, so such a job is admitted.
            #expect(try await client.signed(stranger, .post, "/v1/faucet", json: #"{"amount":"100"}"#, at: clock.now).status == 200)
            #expect(try await client.signed(stranger, .post, "/v1/jobs", json: Self.cappedSpec(21), at: clock.now).status == 201)
            #expect(try await client.signed(stranger, .post, "/v1/jobs", json: Self.cappedSpec(20), at: clock.now).status == 422, "20.150 g is over 20")
        }
    }
}
