import Foundation
import OSGCarbon
@testable import OSGCore
import OSGDomain
import Testing

/// A random log (``CommandSequenceGenerator``) whose nodes are spread over three grid zones
/// and, one in four, an on-site solar supply: each node id always maps to the same zone and source.
func spreadLog(seed: UInt64, length: Int) throws -> CommandLog {
    var generator = CommandSequenceGenerator(seed: seed)
    let base = try generator.log(length: length)
    var log = CommandLog(genesis: base.genesis)
    for entry in base.entries {
        var command = entry.command
        if case .registerNode(var node) = command {
            node = spread(node)
            command = .registerNode(node)
        }
        try log.append(command, by: entry.actor, at: entry.time)
    }
    return log
}

private func spread(_ node: ComputeNode) -> ComputeNode {
    var node = node
    let index = Int(node.id.dropFirst()) ?? 0
    node.gridZone = ["NO", "ES", "DE"][index % 3]
    node.powerSource = index % 4 == 3 ? .solar : .grid
    return node
}

@Suite("Published statistics are kept incrementally and equal the full pass")
struct IncrementalStatisticsTests {
    @Test("on random logs, at every 10th entry: published state, statistics and carbon equal the full pass", arguments: 0..<16)
    func incrementalEqualsFullPass(seed: Int) throws {
        let log = try spreadLog(seed: UInt64(seed), length: 400)
        var state = CoordinatorState(genesis: log.genesis)
        var registered: [String: ComputeNode] = [:]
        var sawEndedLease = false
        for (index, entry) in log.entries.enumerated() {
            if case .registerNode(let node) = entry.command { registered[node.id] = node }
            _ = state.apply(entry)
            sawEndedLease = sawEndedLease || state.leases.values.contains { $0.end != nil }
            guard index % 10 == 9 || index == log.entries.count - 1 else { continue }
            let published = state.published
            let full = state.publishedByFullPass
            #expect(published == full, "seed \(seed), entry \(index): \(published.firstDifference(from: full)?.description ?? "")")
            #expect(state.statisticsTotals == StatisticsTotals(orders: state.orders, leases: state.leases), "rebuilt from orders and leases")
            #expect(state.carbonTotals == state.carbonTotalsByFullPass(), "rebuilt from the energy account")
            // The energy account equals a booking of every ended lease from scratch.
            var account = LeaseEnergyAccount()
            for lease in state.leases.values {
                guard let end = lease.end?.at else { continue }
                LeaseEnergyAccount.forEachSlice(of: lease, until: end, node: { registered[$0] }) { account.add($1, to: $0) }
            }
            #expect(account == state.leaseEnergy, "seed \(seed), entry \(index): energy account")
        }
        #expect(sawEndedLease, "the log ends some leases")
    }

    @Test("the test logs reach every bucket: grid with and without a series, solar")
    func coverage() throws {
        var reached = Set<String>()
        for seed in 0..<16 {
            let state = try spreadLog(seed: UInt64(seed), length: 400).replay().state
            let carbon = state.carbonFootprint
            if carbon.gridGPUSeconds > 0 { reached.insert("known") }
            if carbon.unknownGPUSeconds > 0 { reached.insert("unknown") }
            if carbon.offGridGPUSeconds["solar"] ?? 0 > 0 { reached.insert("solar") }
        }
        #expect(reached == ["known", "unknown", "solar"])
    }

    @Test("exact nearest-rank percentiles of the histogram equal those of the sorted values")
    func histogramPercentiles() {
        var random = SplitMix64(seed: 7)
        for round in 0..<200 {
            var histogram = WaitHistogram()
            var values: [Int64] = []
            for _ in 0..<Int.random(in: 1...300, using: &random) {
                let value = Int64.random(in: -3...(round % 2 == 0 ? 20 : 100_000), using: &random)
                values.append(value)
                histogram.insert(value)
            }
            values.sort()
            let ppms = [1, 500_000, 900_000, 990_000, 1_000_000]
            let expected = ppms.map { ppm -> Int64? in
                let rank = (values.count * ppm + 999_999) / 1_000_000
                return values[max(0, min(values.count, rank) - 1)]
            }
            #expect(histogram.percentiles(ppms) == expected)
            #expect(histogram.total == values.count)
        }
        #expect(WaitHistogram().percentiles([500_000]) == [nil])
    }
}

@Suite("Carbon per GPU-hour")
struct CarbonFootprintTests {
    let firstHour = CarbonSeries.hour(containing: t0)

    @Test("GPU-hours of grid nodes take their zone's recorded hours; unrecorded hours are unknown until recorded")
    func gridHours() throws {
        var driver = Driver()
        try driver.run(.registerNode(pricedNode("n1", operator: "alice", ask: 1_500_000, zone: "NO")), by: "alice")
        try driver.run(.deposit(tenantID: "t1", amount: MicroCredits(1_000 * MicroCredits.perCredit)), by: governance)
        // Only the lease's first hour has a recorded intensity: 100 g/kWh.
        try driver.run(.recordCarbonSeries(zone: "NO", firstHour: firstHour, milligramsPerKWh: [100_000]), by: governance)
        let submitted = try driver.run(.submitJob(spec: timedSpec("a", gpus: 2, duration: 7200, maxDuration: 7200), pool: nil), by: "t1")
        #expect(queuedID(submitted) != nil)
        let started = leaseStarts(try driver.run(.clear, by: governance))
        let lease = try #require(started.first)
        let startSecond = lease.start.secondsSinceEpoch
        let inFirstHour = (firstHour + 1) * 3600 - startSecond
        #expect(inFirstHour > 0 && inFirstHour < 3600)

        // End it 1 h later: part in the recorded hour, the rest in the next (no series yet).
        try driver.run(.heartbeat(nodeIDs: ["n1"]), by: "alice", after: 30)
        try driver.run(.endLease(leaseID: lease.id, reason: .completed), by: "alice", after: 3570)
        let ended = driver.state.carbonFootprint
        let joulesFirst = 2 * 700 * inFirstHour
        #expect(ended.gridGPUSeconds == 2 * inFirstHour)
        #expect(ended.unknownGPUSeconds == 2 * (3600 - inFirstHour))
        #expect(ended.gridMilligrams == joulesFirst * 100_000 / 3_600_000)
        #expect(ended.milligramsPerGPUHour == ended.gridMilligrams * 3600 / ended.gridGPUSeconds)
        // 700 W at 100 g/kWh is 70 g per GPU-hour (rounding down may take a milligram).
        #expect((69_999...70_000).contains(ended.milligramsPerGPUHour ?? 0))

        // Recording the next hour later turns the unknown GPU-seconds into known ones.
        try driver.run(.recordCarbonSeries(zone: "NO", firstHour: firstHour + 1, milligramsPerKWh: [300_000]), by: governance)
        let recorded = driver.state.carbonFootprint
        #expect(recorded.unknownGPUSeconds == 0 && recorded.gridGPUSeconds == 7200)
        let joulesSecond = 2 * 700 * (3600 - inFirstHour)
        #expect(recorded.gridMilligrams == joulesFirst * 100_000 / 3_600_000 + joulesSecond * 300_000 / 3_600_000)
        #expect(driver.state.carbonFootprint == driver.state.carbonFootprintByFullPass)
        #expect(driver.state.published == driver.state.publishedByFullPass)
    }

    @Test("running leases count up to the last entry; off-grid nodes are reported by source, not in the grid figure")
    func runningAndOffGrid() throws {
        var driver = Driver()
        var solar = pricedNode("sun", operator: "alice", ask: 1_000_000, zone: "NO")
        solar.powerSource = .solar
        try driver.run(.registerNode(solar), by: "alice")
        try driver.run(.deposit(tenantID: "t1", amount: MicroCredits(1_000 * MicroCredits.perCredit)), by: governance)
        try driver.run(.recordCarbonSeries(zone: "NO", firstHour: firstHour, milligramsPerKWh: Array(repeating: 100_000, count: 4)), by: governance)
        try driver.run(.submitJob(spec: timedSpec("a", gpus: 4, duration: 7200, maxDuration: 7200), pool: nil), by: "t1")
        #expect(leaseStarts(try driver.run(.clear, by: governance)).count == 1)
        try driver.run(.heartbeat(nodeIDs: ["sun"]), by: "alice", after: 50)
        let carbon = driver.state.carbonFootprint
        #expect(carbon.offGridGPUSeconds == ["solar": 4 * 50])
        #expect(carbon.gridGPUSeconds == 0 && carbon.gridMilligrams == 0 && carbon.milligramsPerGPUHour == nil)
        #expect(carbon.unknownGPUSeconds == 0)
        #expect(driver.state.statistics.carbon == carbon)
    }

    @Test("the energy account is in the digest and round-trips through Codable")
    func persistent() throws {
        let log = try spreadLog(seed: 3, length: 400)
        let state = log.replay().state
        #expect(!state.leaseEnergy.isEmpty)
        let snapshot = state.snapshot
        #expect(snapshot.leaseEnergy == state.leaseEnergy.canonical)
        let bytes = CanonicalEncoding.bytes(of: state.leaseEnergy)
        let decoded = try JSONDecoder().decode(LeaseEnergyAccount.self, from: Data(bytes))
        #expect(decoded == state.leaseEnergy)
    }
}
