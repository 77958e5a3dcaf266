import OSGCarbon
import OSGDomain
import OSGMarket
import Testing

/// The set-aside orders' zone preferences (docs/MARKET.md, "Set-aside pools") are each order's
/// own ranking of the zones, cleanest first, whatever other orders wait beside it.
@Suite("Set-aside zone preferences")
struct SetAsideZonePreferencesTests {
    static let now = Timestamp(rfc3339: "2026-12-01T00:00:00Z")!

    static func order(_ id: String, pool: String?, cap: Int?, duration: Int64) -> MarketOrder {
        var spec = JobSpec(name: id, resources: ResourceRequest(gpu: GPURequest(selector: .any, countPerNode: 1), cpuCores: 1, memoryGiB: 1),
                           durationSeconds: duration, maxPricePerGPUHour: MicroCredits(5_000_000))
        spec.carbon.maxGCO2PerKWh = cap
        return MarketOrder(id: id, tenantID: "t", submitted: now, pool: pool, spec: spec)
    }

    @Test("each set-aside order gets the planner's ranking for its own cap and run; other orders get none", arguments: 0..<16)
    func eachOrderItsOwnRanking(seed: Int) throws {
        var random = SplitMix64(seed: UInt64(seed) &* 7_919 &+ 3)
        let firstHour = CarbonSeries.hour(containing: Self.now) - 2
        let zones = ["DE", "ES", "FR", "NO", "PL", "SE"]
        let series = zones.map { zone in
            CarbonSeries(zone: zone, firstHour: firstHour, milligramsPerKWh: (0..<12).map { _ in Int64(random.next(below: 8)) * 60_000 })
        }
        let atlas = try CarbonAtlas(series: series)
        // Few distinct caps and runs, so that many orders share them, and some orders outside any pool.
        let orders = (0..<60).map { index in
            Self.order("o\(index)", pool: random.next(below: 4) == 0 ? nil : "students",
                       cap: [nil, 100, 200, 350][Int(random.next(below: 4))], duration: Int64(1 + random.next(below: 3)) * 3_600)
        }
        let present = Set(zones.filter { _ in random.next(below: 5) != 0 } + ["XX"])
        let preferences = MarketClearing.setAsideZonePreferences(now: Self.now, orders: orders, zones: present, atlas: atlas)
        let planner = CarbonShiftPlanner(atlas: atlas)
        for order in orders {
            let own = order.pool == nil ? [] : planner.zonesCleanestFirst(order.spec!, now: Self.now, allowedZones: present.filter { atlas[$0] != nil })
            #expect(preferences[order.id] ?? [] == own, "seed \(seed): \(order.id)")
        }
        #expect(preferences.values.contains { $0.count > 1 }, "seed \(seed): some order has zones to choose between")
    }
}
