import OSGCore
import OSGDomain
import Testing

let governance = "gov"
let t0 = Timestamp(rfc3339: "2026-11-23T00:00:00Z")!

func node(_ id: String, operator op: String, gpus: Int = 8, region: String = "eu") -> ComputeNode {
    ComputeNode(
        id: id, operatorID: op, gpuModel: GPUModel.named("H100")!, gpuCount: gpus, vramGiB: 80, cpuCores: 64,
        memoryGiB: 512, diskGiB: 1000, region: region, jurisdiction: "NO", gridZone: "NO", askPerGPUHour: MicroCredits(1_500_000))
}

func spec(_ name: String = "train", gpus: Int = 2, jobClass: JobClass = .standard) -> JobSpec {
    JobSpec(
        name: name, image: "ghcr.io/org/app:1", resources: ResourceRequest(gpu: GPURequest(selector: .any, countPerNode: gpus)),
        durationSeconds: 3600, maxPricePerGPUHour: MicroCredits(2_000_000), jobClass: jobClass)
}

/// Applies commands in order, one second apart, and returns each command's events.
struct Driver {
    var log = CommandLog(genesis: Genesis(governanceID: governance, heartbeatTimeoutSeconds: 60))
    var state = CoordinatorState(genesis: Genesis(governanceID: governance, heartbeatTimeoutSeconds: 60))
    var time = t0

    @discardableResult
    mutating func run(_ command: Command, by actor: String, after seconds: Int64 = 1) throws -> [Event] {
        time = time.adding(seconds: seconds)
        let entry = try log.append(command, by: actor, at: time)
        return state.apply(entry)
    }
}

func rejection(_ events: [Event]) -> RejectionCode? {
    if case .rejected(let rejection) = events.first { return rejection.code }
    return nil
}

@Suite("The coordinator state machine")
struct CoordinatorStateTests {
    @Test("an operator registers only its own nodes, once")
    func registration() throws {
        var driver = Driver()
        #expect(try driver.run(.registerNode(node("n1", operator: "alice")), by: "alice") == [.nodeRegistered(nodeID: "n1")])
        #expect(rejection(try driver.run(.registerNode(node("n2", operator: "alice")), by: "mallory")) == .notOwner)
        #expect(rejection(try driver.run(.registerNode(node("n1", operator: "alice")), by: "alice")) == .duplicateNode)
        #expect(rejection(try driver.run(.registerNode(node("n3", operator: "alice", gpus: 0)), by: "alice")) == .invalidNode)
        // Ids are printable ASCII without spaces, so every ordering of them agrees (IdentifierText).
        for id in ["nœud", "n 4", "n\u{0}", String(repeating: "n", count: 129)] {
            #expect(rejection(try driver.run(.registerNode(node(id, operator: "alice")), by: "alice")) == .invalidNode, "\(id.debugDescription)")
        }
        #expect(rejection(try driver.run(.withdrawNode(nodeID: "n1"), by: "mallory")) == .notOwner)
        #expect(rejection(try driver.run(.updateNodeAsk(nodeID: "n1", askPerGPUHour: .zero), by: "alice")) == .invalidNode)
        #expect(try driver.run(.withdrawNode(nodeID: "n1"), by: "alice") == [.nodeWithdrawn(nodeID: "n1")])
        #expect(driver.state.nodes.isEmpty)
    }

    @Test("silent nodes go offline at a tick and come back with a heartbeat")
    func liveness() throws {
        var driver = Driver()
        try driver.run(.registerNode(node("n1", operator: "alice")), by: "alice")
        try driver.run(.registerNode(node("n2", operator: "alice")), by: "alice")
        try driver.run(.heartbeat(nodeIDs: ["n2"]), by: "alice", after: 50)
        #expect(try driver.run(.tick, by: governance, after: 20).count == 1)  // n1 silent 71 s
        #expect(driver.state.nodes["n1"]?.online == false && driver.state.nodes["n2"]?.online == true)
        #expect(rejection(try driver.run(.heartbeat(nodeIDs: ["n1", "n9"]), by: "alice")) == .unknownNode)
        #expect(driver.state.nodes["n1"]?.online == false, "a refused batch changes nothing")
        let events = try driver.run(.heartbeat(nodeIDs: ["n1", "n2"]), by: "alice")
        #expect(events == [.nodeCameBack(nodeID: "n1"), .nodesHeartbeat(count: 2)])
    }

    @Test("a tenant submits valid jobs and cancels only its own")
    func jobs() throws {
        var driver = Driver()
        let events = try driver.run(.submitJob(spec: spec(), pool: nil), by: "bob")
        #expect(events == [.jobQueued(orderID: "job-0", tenantID: "bob")])
        #expect(rejection(try driver.run(.submitJob(spec: spec(gpus: 0), pool: nil), by: "bob")) == .invalidSpec)
        #expect(rejection(try driver.run(.cancelJob(orderID: "job-0"), by: "eve")) == .notOwner)
        #expect(rejection(try driver.run(.cancelJob(orderID: "job-7"), by: "bob")) == .unknownOrder)
        #expect(try driver.run(.cancelJob(orderID: "job-0"), by: "bob") == [.jobCancelled(orderID: "job-0")])
        #expect(rejection(try driver.run(.cancelJob(orderID: "job-0"), by: "bob")) == .orderAlreadyFinal)
        #expect(driver.state.queue.isEmpty && driver.state.orders["job-0"]?.status == .cancelled)
    }

    @Test("set-aside jobs need a pool defined by governance and a covering grant")
    func setAsides() throws {
        var driver = Driver()
        let pool = SetAsidePool(name: "students", sharePPM: 200_000, pricePerGPUHour: MicroCredits(400_000))
        #expect(rejection(try driver.run(.definePool(pool), by: "bob")) == .notGovernance)
        #expect(try driver.run(.definePool(pool), by: governance) == [.poolDefined(name: "students")])
        let tooBig = SetAsidePool(name: "civic", sharePPM: 900_000, pricePerGPUHour: MicroCredits(400_000))
        #expect(rejection(try driver.run(.definePool(tooBig), by: governance)) == .invalidPool)
        let setAside = spec(jobClass: .setAside)
        #expect(rejection(try driver.run(.submitJob(spec: setAside, pool: "students"), by: "carol")) == .noEligibleGrant)
        #expect(rejection(try driver.run(.submitJob(spec: setAside, pool: nil), by: "carol")) == .invalidSpec)
        #expect(rejection(try driver.run(.submitJob(spec: spec(), pool: "students"), by: "carol")) == .invalidSpec)
        let grant = SetAsideGrant(pool: "students", tenantID: "carol", quotaGPUSeconds: 100 * 3600, expires: t0.adding(seconds: 86_400))
        #expect(try driver.run(.grantSetAside(grant), by: governance) == [.grantIssued(pool: "students", tenantID: "carol")])
        #expect(try driver.run(.submitJob(spec: setAside, pool: "students"), by: "carol").first == .jobQueued(orderID: "job-7", tenantID: "carol"))
        #expect(rejection(try driver.run(.submitJob(spec: setAside, pool: "students"), by: "dave")) == .noEligibleGrant)
    }

    @Test("the log refuses time going backwards and out-of-order entries")
    func logOrder() throws {
        var log = CommandLog(genesis: Genesis(governanceID: governance))
        try log.append(.tick, by: governance, at: t0)
        #expect(throws: CommandLog.Failure.self) { try log.append(.tick, by: governance, at: t0.adding(seconds: -1)) }
        let state = CoordinatorState(genesis: log.genesis)
        #expect(!state.accepts(LogEntry(sequence: 1, time: t0, actor: governance, command: .tick)))
    }
}
