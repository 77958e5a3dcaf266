import OSGCarbon
@testable import OSGCore
import OSGDomain
import Testing

@Suite("Carbon series in the log: core clearings take the same carbon step as osg market clear")
struct CarbonInCoreTests {
    /// The hour of t0, in hours since the epoch.
    let firstHour = CarbonSeries.hour(containing: t0)

    @Test("recording a series: governance only, values in range, windows overlap or touch, later hours win")
    func recording() throws {
        var driver = Driver()
        #expect(rejection(try driver.run(.recordCarbonSeries(zone: "NO", firstHour: firstHour, milligramsPerKWh: [1]), by: "t1")) == .notGovernance)
        #expect(rejection(try driver.run(.recordCarbonSeries(zone: "NO", firstHour: firstHour, milligramsPerKWh: []), by: governance)) == .invalidCarbonSeries)
        #expect(rejection(try driver.run(.recordCarbonSeries(zone: "NO", firstHour: firstHour, milligramsPerKWh: [-1]), by: governance)) == .invalidCarbonSeries)
        #expect(rejection(try driver.run(.recordCarbonSeries(zone: "N O", firstHour: firstHour, milligramsPerKWh: [1]), by: governance)) == .invalidCarbonSeries)
        #expect(try driver.run(.recordCarbonSeries(zone: "NO", firstHour: firstHour, milligramsPerKWh: [10, 20, 30]), by: governance)
                == [.carbonSeriesRecorded(zone: "NO", firstHour: firstHour, hours: 3)])
        #expect(rejection(try driver.run(.recordCarbonSeries(zone: "NO", firstHour: firstHour + 4, milligramsPerKWh: [1]), by: governance)) == .invalidCarbonSeries,
                "a gap is refused")
        try driver.run(.recordCarbonSeries(zone: "NO", firstHour: firstHour + 2, milligramsPerKWh: [35, 40]), by: governance)
        try driver.run(.recordCarbonSeries(zone: "NO", firstHour: firstHour - 1, milligramsPerKWh: [5]), by: governance)
        let window = try #require(driver.state.carbonSeries["NO"])
        #expect(window.firstHour == firstHour - 1 && window.milligramsPerKWh == [5, 10, 20, 35, 40])
    }

    /// Two nodes: `clean` in zone NO asking 1.8, `dirty` in zone ES asking 1.5, and a day of
    /// series where NO is always clean and ES gets clean after `esCleanAfter` hours.
    func twoZones(esCleanAfter: Int = 48) throws -> Driver {
        var driver = Driver()
        try driver.run(.registerNode(pricedNode("clean", operator: "alice", ask: 1_800_000, zone: "NO")), by: "alice")
        try driver.run(.registerNode(pricedNode("dirty", operator: "bob", ask: 1_500_000, zone: "ES")), by: "bob")
        try driver.run(.deposit(tenantID: "t1", amount: MicroCredits(1_000 * MicroCredits.perCredit)), by: governance)
        try driver.run(.recordCarbonSeries(zone: "NO", firstHour: firstHour, milligramsPerKWh: Array(repeating: 50_000, count: 48)), by: governance)
        let es = (0..<48).map { $0 < esCleanAfter ? Int64(400_000) : 10_000 }
        try driver.run(.recordCarbonSeries(zone: "ES", firstHour: firstHour, milligramsPerKWh: es), by: governance)
        return driver
    }

    @Test("a carbon cap is judged against the node's zone's recorded intensity now")
    func cap() throws {
        var driver = try twoZones()
        try driver.run(.submitJob(spec: timedSpec("capped", gpus: 4, carbon: CarbonPolicy(maxGCO2PerKWh: 100)), pool: nil), by: "t1")
        let leases = leaseStarts(try driver.run(.clear, by: governance))
        #expect(leases.map { $0.allocations[0].nodeID } == ["clean"], "only the clean zone is under the cap, though dearer")

        // Without recorded series no node has a figure, so a capped job cannot start.
        var bare = Driver()
        try bare.run(.registerNode(pricedNode("clean", operator: "alice", ask: 1_800_000, zone: "NO")), by: "alice")
        try bare.run(.deposit(tenantID: "t1", amount: MicroCredits(1_000 * MicroCredits.perCredit)), by: governance)
        try bare.run(.submitJob(spec: timedSpec("capped", gpus: 4, carbon: CarbonPolicy(maxGCO2PerKWh: 100)), pool: nil), by: "t1")
        #expect(leaseStarts(try bare.run(.clear, by: governance)).isEmpty)
        #expect(bare.state.waitingReasons["job-2"] == "carbon_cap")
    }

    @Test("a flexible job prefers the cleaner allowed zone now; with no room now it is planned for a clean hour, and starts once a node frees")
    func shifting() throws {
        var driver = try twoZones()
        let flexible = CarbonPolicy(shift: true)
        try driver.run(.submitJob(spec: timedSpec("flex", gpus: 4, carbon: flexible, deadline: t0.adding(seconds: 12 * 3600)), pool: nil), by: "t1")
        let now = leaseStarts(try driver.run(.clear, by: governance))
        #expect(now.map { $0.allocations[0].nodeID } == ["clean"], "the cleaner zone first, though dearer")

        var later = try twoZones(esCleanAfter: 3)
        // Only ES allowed (an excluded operator keeps it off NO). A job holds ES's 8 GPUs for an hour.
        var blocker = timedSpec("blocker", gpus: 8, duration: 3600)
        blocker.placement = Placement(excludedOperators: ["alice"])
        _ = try later.run(.submitJob(spec: blocker, pool: nil), by: "t1")
        let blockerLease = try #require(leaseStarts(try later.run(.clear, by: governance)).first)
        // No room now: the flexible job waits, planned for ES's first clean hour with room.
        var spec = timedSpec("flex", gpus: 4, carbon: flexible, deadline: t0.adding(seconds: 12 * 3600))
        spec.placement = Placement(excludedOperators: ["alice"])
        let jobID = try #require(queuedID(try later.run(.submitJob(spec: spec, pool: nil), by: "t1")))
        #expect(leaseStarts(try later.run(.clear, by: governance)).isEmpty)
        #expect(later.state.waitingReasons[jobID] == "deferred_for_cleaner_power")
        // A job with room is never held back: once the node frees it starts, though ES is not yet clean.
        later.time = t0.adding(seconds: 3600 + 10)
        _ = try later.run(.endLease(leaseID: blockerLease.id, reason: .completed), by: "bob")
        let started = leaseStarts(try later.run(.clear, by: governance))
        #expect(started.map { $0.allocations[0].nodeID } == ["dirty"])
        // The clearing decisions replay exactly from the log.
        #expect(later.log.replay().state.digest == later.state.digest)
    }

    @Test("the capacity forecast holds each zone's online GPUs and commits running leases until their expected end")
    func forecast() throws {
        var driver = try twoZones()
        var spec = timedSpec("two-hours", gpus: 6, duration: 2 * 3600)
        spec.placement = Placement(excludedOperators: ["alice"])
        _ = try driver.run(.submitJob(spec: spec, pool: nil), by: "t1")
        #expect(leaseStarts(try driver.run(.clear, by: governance)).count == 1)
        let forecast = driver.state.capacityForecast(now: driver.time)
        let now = driver.time.secondsSinceEpoch
        #expect(forecast.capacity(zone: "ES") == 8 && forecast.capacity(zone: "NO") == 8)
        #expect(forecast.room(zone: "ES", fromSeconds: now, durationSeconds: 60) == 2)
        #expect(forecast.room(zone: "NO", fromSeconds: now, durationSeconds: 60) == 8)
        // The lease's hours end with the hour holding its expected end (2 h after its start).
        #expect(forecast.room(zone: "ES", fromSeconds: now + 3 * 3600, durationSeconds: 3600) == 8)
    }
}
