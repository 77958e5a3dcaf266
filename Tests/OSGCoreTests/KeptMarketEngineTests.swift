import OSGDomain
import Testing
@testable import OSGCore

/// The kept market engine is a derived cache: dropping it (and the running leases' node
/// position hints) anywhere in a log, as a state restored from a snapshot starts, must give
/// the same events and the same digest as a state that kept everything. Debug builds also
/// check every clearing pass of these replays against a newly built engine.
@Suite("The kept market engine never changes a result")
struct KeptMarketEngineTests {
    /// Events and digest of `entries` replayed from genesis, dropping the market caches before
    /// each entry whose index is in `dropBefore`.
    static func replay(_ entries: [LogEntry], dropBefore: Set<Int>) -> (events: [Event], digest: String, keptAtEnd: Bool) {
        var state = CoordinatorState(genesis: CommandLogWorkload.genesis)
        var events: [Event] = []
        for (index, entry) in entries.enumerated() {
            if dropBefore.contains(index) { state.dropMarketCaches() }
            events += state.apply(entry)
        }
        return (events, state.digest, state.hasKeptMarketEngine)
    }

    @Test("dropping the caches halfway, or every 500 entries, replays to the same events and digest",
          arguments: [(UInt64(1), 4, 3, 10), (UInt64(2), 10, 4, 30), (UInt64(5), 3, 2, 6)])
    func dropAndRebuild(seed: UInt64, operators: Int, nodesPerOperator: Int, tenants: Int) {
        var workload = CommandLogWorkload(seed: seed, operators: operators, nodesPerOperator: nodesPerOperator, tenants: tenants)
        let entries = workload.entries(count: 5_000)
        let straight = Self.replay(entries, dropBefore: [])
        #expect(straight.digest == workload.state.digest)
        #expect(straight.keptAtEnd, "clearings keep their engine")
        #expect(straight.events.contains { if case .leaseStarted = $0 { true } else { false } })
        #expect(straight.events.contains { if case .headReserved = $0 { true } else { false } }, "the log exercises the head's reservation")

        let halfway = Self.replay(entries, dropBefore: [entries.count / 2])
        #expect(halfway.digest == straight.digest)
        #expect(halfway.events == straight.events)

        let often = Self.replay(entries, dropBefore: Set(stride(from: 1, to: entries.count, by: 500)))
        #expect(often.digest == straight.digest)
        #expect(often.events == straight.events)
    }

    @Test("a state copied before a clearing and one that clears keep independent engines")
    func copiesAreIndependent() {
        var workload = CommandLogWorkload(seed: 3, operators: 4, nodesPerOperator: 3, tenants: 10)
        let entries = workload.entries(count: 3_000)
        var state = CoordinatorState(genesis: CommandLogWorkload.genesis)
        for entry in entries.prefix(1_500) { _ = state.apply(entry) }
        var copy = state
        var events: [Event] = []
        var copyEvents: [Event] = []
        for entry in entries.dropFirst(1_500) {
            events += state.apply(entry)
            copyEvents += copy.apply(entry)
        }
        #expect(events == copyEvents)
        #expect(state.digest == copy.digest)
        #expect(state.digest == workload.state.digest)
    }

    @Test("with carbon series recorded and no flexible order, the kept engine clears with the nodes' carbon figures")
    func keptEngineWithCarbonFigures() {
        var workload = CommandLogWorkload(seed: 4, operators: 4, nodesPerOperator: 3, tenants: 10)
        let plain = workload.entries(count: 3_000)
        // One series for the fleet's zone, recorded after the registrations and covering the run.
        var entries: [LogEntry] = []
        for (index, entry) in plain.enumerated() {
            if index == 200 {
                let hour = entry.time.secondsSinceEpoch / 3_600 - 1
                entries.append(LogEntry(sequence: UInt64(entries.count), time: entry.time, actor: CommandLogWorkload.governanceID,
                                        command: .recordCarbonSeries(zone: "NO", firstHour: hour,
                                                                     milligramsPerKWh: (0..<400).map { Int64(20_000 + ($0 % 24) * 1_000) })))
            }
            entries.append(LogEntry(sequence: UInt64(entries.count), time: entry.time, actor: entry.actor, command: entry.command))
        }
        let straight = Self.replay(entries, dropBefore: [])
        #expect(straight.events.contains { if case .carbonSeriesRecorded = $0 { true } else { false } })
        #expect(straight.events.contains { if case .leaseStarted = $0 { true } else { false } })
        let often = Self.replay(entries, dropBefore: Set(stride(from: 1, to: entries.count, by: 400)))
        #expect(often.digest == straight.digest)
        #expect(often.events == straight.events)
        // The caches were last dropped long after the series was recorded: a clearing since built the engine again.
        #expect(often.keptAtEnd, "clearings keep their engine when no order is flexible in time")
    }

    /// `plain` renumbered, with `extra(index, entry)`'s entries inserted before each entry.
    static func inserting(into plain: [LogEntry], _ extra: (Int, LogEntry) -> [(Command, String)]) -> [LogEntry] {
        var entries: [LogEntry] = []
        for (index, entry) in plain.enumerated() {
            for (command, actor) in extra(index, entry) {
                entries.append(LogEntry(sequence: UInt64(entries.count), time: entry.time, actor: actor, command: command))
            }
            entries.append(LogEntry(sequence: UInt64(entries.count), time: entry.time, actor: entry.actor, command: entry.command))
        }
        return entries
    }

    @Test("a withdrawn node stays in the kept engine offering nothing, the kept fleet follows registrations and withdrawals: same events and digest as caches built afresh")
    func withdrawalKeepsTheEngine() {
        var workload = CommandLogWorkload(seed: 6, operators: 5, nodesPerOperator: 3, tenants: 10)
        let plain = workload.entries(count: 4_000)
        let registered = plain.compactMap { entry -> ComputeNode? in
            if case .registerNode(let node) = entry.command { return node } else { return nil }
        }
        #expect(registered.count == 15)
        // Three nodes leave at different points, one of them busy; two join (one sorting
        // between existing ids, one in a new zone); the rest of the log goes on.
        let leaving = [(1_200, registered[0]), (2_000, registered[7]), (3_000, registered[14])]
        var middle = registered[4]
        middle.id = registered[4].id + "-b"
        var elsewhere = registered[9]
        elsewhere.id = "node-zz"
        elsewhere.gridZone = "SE"
        let joining = [(1_600, middle), (2_400, elsewhere)]
        let entries = Self.inserting(into: plain) { index, _ in
            leaving.filter { $0.0 == index }.map { (.withdrawNode(nodeID: $0.1.id), $0.1.operatorID) }
                + joining.filter { $0.0 == index }.map { (.registerNode($0.1), $0.1.operatorID) }
        }
        let straight = Self.replay(entries, dropBefore: [])
        #expect(straight.events.filter { if case .nodeWithdrawn = $0 { true } else { false } }.count == 3)
        #expect(straight.events.filter { if case .nodeRegistered = $0 { true } else { false } }.count == 17)
        #expect(straight.events.contains { if case .leaseStarted = $0 { true } else { false } })
        let fresh = Self.replay(entries, dropBefore: Set(0..<entries.count))
        #expect(fresh.digest == straight.digest)
        #expect(fresh.events == straight.events)

        // The engine survives a withdrawal (a registration drops it).
        var state = CoordinatorState(genesis: CommandLogWorkload.genesis)
        var keptAcross = 0
        for entry in entries {
            let hadEngine = state.hasKeptMarketEngine
            _ = state.apply(entry)
            if case .withdrawNode = entry.command, hadEngine, state.hasKeptMarketEngine { keptAcross += 1 }
        }
        #expect(keptAcross == 3)
    }

    @Test("flexible orders: the carbon step on the kept engine decides as on engines built afresh")
    func flexibleOrdersOnTheKeptEngine() {
        var workload = CommandLogWorkload(seed: 7, operators: 4, nodesPerOperator: 3, tenants: 10)
        let plain = workload.entries(count: 4_000)
        let tenants = Array(Set(plain.compactMap { entry -> String? in
            if case .submitJob = entry.command { return entry.actor } else { return nil }
        })).sorted()
        // A series with a clean window for the fleet's zone, then a flexible job every 150 entries.
        let entries = Self.inserting(into: plain) { index, entry in
            var extra: [(Command, String)] = []
            if index == 200 {
                let hour = entry.time.secondsSinceEpoch / 3_600 - 1
                extra.append((.recordCarbonSeries(zone: "NO", firstHour: hour,
                                                  milligramsPerKWh: (0..<400).map { (2...5).contains($0 % 24) ? 5_000 : 40_000 }),
                              CommandLogWorkload.governanceID))
            }
            if index > 300, index % 150 == 0 {
                let spec = JobSpec(name: "flexible", image: "ghcr.io/example/train:1",
                                   resources: ResourceRequest(gpu: GPURequest(selector: .any, countPerNode: 1 + index % 4)),
                                   durationSeconds: 1_800, maxPricePerGPUHour: MicroCredits(3_000_000),
                                   deadline: entry.time.adding(seconds: 86_400), carbon: CarbonPolicy(shift: true))
                extra.append((.submitJob(spec: spec, pool: nil), tenants[index % tenants.count]))
            }
            return extra
        }
        let straight = Self.replay(entries, dropBefore: [])
        #expect(straight.keptAtEnd, "clearings with flexible orders keep the engine too")
        let often = Self.replay(entries, dropBefore: Set(stride(from: 1, to: entries.count, by: 300)))
        #expect(often.digest == straight.digest)
        #expect(often.events == straight.events)
    }
}
