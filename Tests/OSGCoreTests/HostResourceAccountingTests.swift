@testable import OSGCore
import OSGDomain
import Testing

/// A node with chosen GPUs, cores, memory and disk.
func hostNode(_ id: String, operator op: String, gpus: Int = 8, cpu: Int = 16, memory: Int = 128, disk: Int = 1000,
              ask: Int64 = 1_500_000, region: String = "eu") -> ComputeNode {
    var made = pricedNode(id, operator: op, gpus: gpus, ask: ask, region: region)
    made.cpuCores = cpu
    made.memoryGiB = memory
    made.diskGiB = disk
    return made
}

/// A spec with chosen per-node GPUs, cores, memory and disk.
func hostSpec(_ name: String, gpus: Int, cpu: Int = 1, memory: Int = 1, disk: Int = 0, duration: Int64 = 3600,
              maxDuration: Int64? = nil, jobClass: JobClass = .standard, nodes: Int = 1) -> JobSpec {
    var made = timedSpec(name, gpus: gpus, duration: duration, maxDuration: maxDuration, jobClass: jobClass, nodes: nodes)
    made.resources.cpuCores = cpu
    made.resources.memoryGiB = memory
    made.resources.diskGiB = disk
    return made
}

/// Per node, what the running leases of `state` hold: GPUs, cores, memory, disk.
func heldByRunningLeases(_ state: CoordinatorState) -> [String: [Int]] {
    var held: [String: [Int]] = [:]
    for leaseID in state.runningLeaseOfOrder.values {
        guard let lease = state.leases[leaseID], let spec = state.orders[lease.orderID]?.spec else { continue }
        for allocation in lease.allocations {
            let figures = [allocation.gpus, spec.resources.cpuCores, spec.resources.memoryGiB, spec.resources.diskGiB]
            held[allocation.nodeID] = zip(held[allocation.nodeID] ?? [0, 0, 0, 0], figures).map { $0 + $1 }
        }
    }
    return held
}

/// The nodes of `state` whose running leases hold more GPUs, cores, memory or disk than they have.
func overcommittedNodes(_ state: CoordinatorState) -> [String] {
    heldByRunningLeases(state).compactMap { nodeID, held in
        guard let node = state.nodes[nodeID]?.node else { return nodeID }
        let size = [node.gpuCount, node.cpuCores, node.memoryGiB, node.diskGiB]
        return zip(held, size).allSatisfy { $0 <= $1 } ? nil : "\(nodeID): holds \(held), has \(size)"
    }.sorted()
}

@Suite("Running leases hold CPU cores, memory and disk across clearings")
struct HostResourceAccountingTests {
    /// One 8-GPU node with 16 cores, 128 GiB and 1000 GiB of disk, and two funded tenants.
    func smallNode(notice: Int64 = 120) throws -> Driver {
        var driver = Driver(notice: notice)
        try driver.run(.registerNode(hostNode("n1", operator: "alice")), by: "alice")
        for tenant in ["ta", "tb"] {
            try driver.run(.deposit(tenantID: tenant, amount: MicroCredits(1_000 * MicroCredits.perCredit)), by: governance)
        }
        return driver
    }

    @Test("a job that takes a node's whole cores, memory or disk keeps a 1-GPU job off its free GPUs until it ends",
          arguments: ["cpu", "memory", "disk"])
    func wholeResourceHeld(resource: String) throws {
        var driver = try smallNode()
        let hungry = switch resource {
        case "cpu": hostSpec("a", gpus: 1, cpu: 16)
        case "memory": hostSpec("a", gpus: 1, memory: 128)
        default: hostSpec("a", gpus: 1, disk: 1000)
        }
        try driver.run(.submitJob(spec: hungry, pool: nil), by: "ta")
        let a = try #require(leaseStarts(try driver.run(.clear, by: governance)).first)
        #expect(a.allocations == [NodeAllocation(nodeID: "n1", gpus: 1)])

        let b = try #require(queuedID(try driver.run(.submitJob(spec: hostSpec("b", gpus: 1, cpu: 1, memory: 1, disk: 1), pool: nil), by: "tb")))
        #expect(leaseStarts(try driver.run(.clear, by: governance)).isEmpty, "7 GPUs are free, but no \(resource)")
        #expect(driver.state.waitingReasons[b] == resource, "the node's free \(resource) is what stops it")
        if resource != "disk" {
            #expect(driver.state.statistics.strandedGPUs == 7, "the 7 free GPUs are stranded")
        }
        #expect(overcommittedNodes(driver.state).isEmpty)

        try driver.run(.endLease(leaseID: a.id, reason: .completed), by: "alice")
        let started = leaseStarts(try driver.run(.clear, by: governance))
        #expect(started.map(\.orderID) == [b], "once the first job ends the second starts")
        #expect(driver.state.statistics.strandedGPUs == 0)
    }

    @Test("two jobs share a node's cores only as far as they go")
    func coresAddUp() throws {
        var driver = try smallNode()
        for (index, tenant) in ["ta", "tb", "ta"].enumerated() {
            try driver.run(.submitJob(spec: hostSpec("j\(index)", gpus: 1, cpu: 6), pool: nil), by: tenant)
        }
        let started = leaseStarts(try driver.run(.clear, by: governance))
        #expect(started.count == 2, "16 cores hold two 6-core jobs, not three")
        #expect(driver.state.queue.count == 1)
        #expect(overcommittedNodes(driver.state).isEmpty)
    }

    @Test("preempting a preemptible lease frees its cores for a standard job", arguments: [Int64(0), 120])
    func preemptionFreesCores(notice: Int64) throws {
        var driver = try smallNode(notice: notice)
        try driver.run(.submitJob(spec: hostSpec("borrow", gpus: 1, cpu: 16, duration: 7200, jobClass: .preemptible), pool: nil), by: "ta")
        let borrower = try #require(leaseStarts(try driver.run(.clear, by: governance)).first)
        let standard = try #require(queuedID(try driver.run(.submitJob(spec: hostSpec("web", gpus: 2, cpu: 4), pool: nil), by: "tb")))
        let decided = try driver.run(.clear, by: governance)
        let notice = try #require(notices(decided).first, "GPUs are free but cores are not: the standard job preempts")
        #expect(notice.orderID == standard && notice.victims == [borrower.id])
        if notice.deadline > driver.time {
            #expect(leaseStarts(decided).isEmpty)
            try driver.run(.heartbeat(nodeIDs: ["n1"]), by: "alice", after: 60)
            try driver.run(.tick, by: governance, after: notice.deadline.secondsSinceEpoch - driver.time.secondsSinceEpoch)
            #expect(driver.state.leases[borrower.id]?.end?.reason == .preempted)
            let next = try driver.run(.clear, by: governance)
            #expect(leaseStarts(next).map(\.orderID) == [standard])
        } else {
            #expect(leaseEnds(decided)[borrower.id]?.reason == .preempted)
            #expect(leaseStarts(decided).map(\.orderID) == [standard])
        }
        #expect(driver.state.orders[standard]?.status == .running)
        #expect(overcommittedNodes(driver.state).isEmpty)
    }

    @Test("a standard job that fits the free GPUs and cores needs no victim")
    func noNeedlessPreemption() throws {
        var driver = try smallNode(notice: 0)
        try driver.run(.submitJob(spec: hostSpec("borrow", gpus: 1, cpu: 8, jobClass: .preemptible), pool: nil), by: "ta")
        #expect(leaseStarts(try driver.run(.clear, by: governance)).count == 1)
        try driver.run(.submitJob(spec: hostSpec("web", gpus: 2, cpu: 8), pool: nil), by: "tb")
        let events = try driver.run(.clear, by: governance)
        #expect(notices(events).isEmpty && leaseStarts(events).count == 1)
    }

    @Test("victims must make room in every resource: a node whose victims free GPUs but too few cores does not qualify")
    func victimsCoverEveryResource() {
        typealias Candidate = CoordinatorState.VictimCandidate
        let candidates = [
            Candidate(leaseID: "cheap", price: 100_000, start: 0, gpus: 4, host: HostUse(cpuCores: 1, memoryGiB: 8)),
            Candidate(leaseID: "dear", price: 900_000, start: 0, gpus: 1, host: HostUse(cpuCores: 8, memoryGiB: 8)),
        ]
        let need = NodeFigures(gpus: 2, host: HostUse(cpuCores: 6, memoryGiB: 4))
        let free = NodeFigures(gpus: 2, host: HostUse(cpuCores: 0, memoryGiB: 64))
        // GPUs are free already; only the lease holding enough cores makes room.
        #expect(CoordinatorState.victimsOnNode(need: need, free: free, candidates: candidates)?.map(\.leaseID) == ["dear"])
        let more = NodeFigures(gpus: 5, host: HostUse(cpuCores: 6, memoryGiB: 4))
        #expect(CoordinatorState.victimsOnNode(need: more, free: free, candidates: candidates)?.map(\.leaseID) == ["cheap", "dear"])
        let tooMuch = NodeFigures(gpus: 2, host: HostUse(cpuCores: 10, memoryGiB: 4))
        #expect(CoordinatorState.victimsOnNode(need: tooMuch, free: free, candidates: candidates) == nil)
    }

    /// n1 (8 GPUs, 16 cores) runs a 6-GPU, 2-core job for 2 hours; the head wants 4 GPUs and
    /// 12 cores, so it is reserved at that job's end, when 4 GPUs but only 4 cores are spare.
    @Test("a backfilled long job never takes the cores the head of the queue needs")
    func backfillLeavesHeadsCores() throws {
        var driver = Driver(notice: 120)
        try driver.run(.registerNode(hostNode("n1", operator: "alice")), by: "alice")
        for tenant in ["r", "h", "l", "m", "s"] {
            try driver.run(.deposit(tenantID: tenant, amount: MicroCredits(1_000 * MicroCredits.perCredit)), by: governance)
        }
        try driver.run(.submitJob(spec: hostSpec("running", gpus: 6, cpu: 2, duration: 7200), pool: nil), by: "r")
        let running = try #require(leaseStarts(try driver.run(.clear, by: governance)).first)
        let head = try #require(queuedID(try driver.run(.submitJob(spec: hostSpec("head", gpus: 4, cpu: 12), pool: nil), by: "h")))
        let greedy = try #require(queuedID(try driver.run(.submitJob(spec: hostSpec("greedy", gpus: 1, cpu: 8, duration: 5 * 3600), pool: nil), by: "l")))
        let modest = try #require(queuedID(try driver.run(.submitJob(spec: hostSpec("modest", gpus: 1, cpu: 4, duration: 5 * 3600), pool: nil), by: "m")))
        let short = try #require(queuedID(try driver.run(.submitJob(spec: hostSpec("short", gpus: 1, cpu: 8, duration: 600, maxDuration: 1800), pool: nil), by: "s")))

        let events = try driver.run(.clear, by: governance)
        let reserved = try #require(headReservations(events).first)
        #expect(reserved.orderID == head && reserved.nodeIDs == ["n1"])
        #expect(reserved.start == running.start.adding(seconds: 7200))
        let started = Set(leaseStarts(events).map(\.orderID))
        #expect(!started.contains(greedy), "8 cores past the reserved start would leave the head 8 of its 12")
        #expect(driver.state.waitingReasons[greedy] == "behind_reservation")
        #expect(started.contains(modest), "4 cores are spare at the reserved start")
        #expect(started.contains(short), "a job that ends before the reserved start may use the head's cores now")

        // The short job ends, the running one ends on time: the head starts at its reserved start.
        let shortLease = try #require(driver.state.runningLeaseOfOrder[short])
        try driver.run(.endLease(leaseID: shortLease, reason: .completed), by: "alice", after: 600)
        driver.time = reserved.start.adding(seconds: -1)
        try driver.run(.endLease(leaseID: running.id, reason: .completed), by: "alice")
        let atStart = try driver.run(.clear, by: governance, after: 0)
        #expect(leaseStarts(atStart).map(\.orderID).contains(head), "backfill did not delay the head")
        #expect(overcommittedNodes(driver.state).isEmpty)
    }

    @Test("a reservation waits for the cores as well as the GPUs")
    func reservationCountsCores() throws {
        var driver = Driver(notice: 120)
        try driver.run(.registerNode(hostNode("n1", operator: "alice")), by: "alice")
        for tenant in ["a", "b", "h"] {
            try driver.run(.deposit(tenantID: tenant, amount: MicroCredits(1_000 * MicroCredits.perCredit)), by: governance)
        }
        // A 1-hour job holds 4 GPUs; a 3-hour one holds 1 GPU and 12 cores. The head (2 GPUs,
        // 8 cores) has GPUs now, but its cores only once the 3-hour job ends.
        try driver.run(.submitJob(spec: hostSpec("gpus", gpus: 4, cpu: 1, duration: 3600), pool: nil), by: "a")
        try driver.run(.submitJob(spec: hostSpec("cores", gpus: 1, cpu: 12, duration: 3 * 3600), pool: nil), by: "b")
        let running = leaseStarts(try driver.run(.clear, by: governance))
        #expect(running.count == 2)
        let coresLease = try #require(running.first { driver.state.orders[$0.orderID]?.spec.name == "cores" })
        let head = try #require(queuedID(try driver.run(.submitJob(spec: hostSpec("head", gpus: 2, cpu: 8), pool: nil), by: "h")))
        let reserved = try #require(headReservations(try driver.run(.clear, by: governance)).first)
        #expect(reserved.orderID == head)
        #expect(reserved.start == coresLease.start.adding(seconds: 3 * 3600), "the head's cores are free only when the core-hungry job ends")
    }
}

@Suite("No node gives more cores, memory or disk than it has, over random logs")
struct HostResourcePropertyTests {
    @Test("after every clearing no node's running leases exceed its cores, memory or disk (one tenant)", arguments: UInt64(1)...12)
    func neverOvercommitted(seed: UInt64) throws {
        try Self.check(seed: seed, tenantCount: 1)
    }

    /// The same with several tenants, so fair share orders the queue by dominant shares that
    /// include CPU cores and memory (the debug check compares the kept engine with a new one).
    @Test("the same with several tenants", arguments: UInt64(1)...12)
    func neverOvercommittedWithFairShare(seed: UInt64) throws {
        try Self.check(seed: seed, tenantCount: 5)
    }

    /// Random logs over nodes of varied shape and jobs of varied host needs: after every entry,
    /// per node, the running leases hold at most the node's GPUs, cores, memory and disk.
    static func check(seed: UInt64, tenantCount: Int) throws {
        var random = SplitMix64(seed: seed)
        let notice: Int64 = seed % 3 == 0 ? 0 : 90
        var driver = Driver(notice: notice)
        let operators = ["op-a", "op-b"]
        let tenants = (0..<tenantCount).map { "t\($0)" }
        for tenant in tenants {
            try driver.run(.deposit(tenantID: tenant, amount: MicroCredits(100_000 * MicroCredits.perCredit)), by: governance)
        }
        for index in 0..<6 {
            let op = operators[index % 2]
            try driver.run(.registerNode(hostNode(
                "n\(index)", operator: op, gpus: [4, 8][index % 2], cpu: Int.random(in: 4...32, using: &random),
                memory: Int.random(in: 32...256, using: &random), disk: Int.random(in: 100...2000, using: &random),
                ask: Int64.random(in: 1...3, using: &random) * 500_000, region: ["eu", "us-west"][index / 3])), by: op)
        }
        var clearings = 0
        var hostRefusals = 0
        for step in 0..<400 {
            let roll = Int.random(in: 0..<100, using: &random)
            switch roll {
            case 0..<45:
                let spec = hostSpec(
                    "j\(step)", gpus: Int.random(in: 1...4, using: &random), cpu: Int.random(in: 1...16, using: &random),
                    memory: Int.random(in: 1...128, using: &random), disk: Int.random(in: 0...800, using: &random),
                    duration: Int64.random(in: 1...6, using: &random) * 600,
                    jobClass: [JobClass.standard, .standard, .preemptible][Int.random(in: 0..<3, using: &random)],
                    nodes: Int.random(in: 0..<6, using: &random) == 0 ? 2 : 1)
                try driver.run(.submitJob(spec: spec, pool: nil), by: tenants[Int.random(in: 0..<tenants.count, using: &random)],
                               after: Int64.random(in: 1...120, using: &random))
            case 45..<60:
                // An operator reports a running job complete.
                let running = driver.state.runningLeaseOfOrder.values.sorted()
                guard !running.isEmpty else { continue }
                let leaseID = running[Int.random(in: 0..<running.count, using: &random)]
                let nodeID = driver.state.leases[leaseID]!.allocations[0].nodeID
                try driver.run(.endLease(leaseID: leaseID, reason: .completed), by: driver.state.nodes[nodeID]!.node.operatorID)
            case 60..<65:
                try driver.run(.tick, by: governance, after: Int64.random(in: 1...120, using: &random))
            default:
                for op in operators {
                    let owned = driver.state.nodes.values.filter { $0.node.operatorID == op }.map(\.node.id).sorted()
                    try driver.run(.heartbeat(nodeIDs: owned), by: op, after: 0)
                }
                try driver.run(.clear, by: governance, after: Int64.random(in: 1...60, using: &random))
                clearings += 1
                hostRefusals += driver.state.waitingReasons.values.filter { ["cpu", "memory", "disk"].contains($0) }.count
            }
            let over = overcommittedNodes(driver.state)
            #expect(over.isEmpty, "seed \(seed), step \(step): \(over)")
            if !over.isEmpty {
                print("HostResourcePropertyTests: seed \(seed) fails at step \(step): \(over)")
                return
            }
            #expect(driver.state.statistics == driver.state.statisticsByFullPass, "seed \(seed), step \(step)")
        }
        #expect(clearings > 0)
        #expect(hostRefusals > 0, "seed \(seed): the log exercises nodes whose cores, memory or disk run out")
    }
}
