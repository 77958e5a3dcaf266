import OSGDomain

/// A seeded, realistic coordinator log for benchmarks and audit tests: operators register
/// nodes and send batched heartbeats, governance defines a set-aside pool, grants it and
/// deposits credits, tenants submit and cancel jobs, operators report completions, and the
/// coordinator clears the market and ticks. One seed gives the same log on every machine.
///
/// The generator applies what it generates to its own state, so completions and cancellations
/// name leases and jobs that exist, and submissions slow down while the queue is long (the log
/// stays in a steady state however long it runs).
///
/// ```swift
/// var workload = CommandLogWorkload(seed: 1)
/// let entries = workload.entries(count: 100_000)
/// ```
public struct CommandLogWorkload: Sendable {
    /// The governance (coordinator) participant of the generated log.
    public static let governanceID = "coordinator"
    /// The genesis of every generated log.
    public static let genesis = Genesis(governanceID: governanceID, heartbeatTimeoutSeconds: 90)

    /// The state after every entry generated so far.
    public private(set) var state = CoordinatorState(genesis: genesis)
    private var random: SplitMix64
    private var time = Timestamp(secondsSinceEpoch: 1_795_000_000)
    private let operatorCount: Int
    private let nodesPerOperator: Int
    private let tenantCount: Int
    private var setupDone = false

    /// A workload of `operators × nodesPerOperator` nodes and `tenants` tenants.
    public init(seed: UInt64, operators: Int = 20, nodesPerOperator: Int = 10, tenants: Int = 50) {
        precondition(operators >= 1 && nodesPerOperator >= 1 && tenants >= 1, "a market needs nodes and tenants")
        random = SplitMix64(seed: seed)
        operatorCount = operators
        self.nodesPerOperator = nodesPerOperator
        tenantCount = tenants
    }

    /// The next `count` entries (continuing the log), each applied to ``state``.
    public mutating func entries(count: Int) -> [LogEntry] {
        var result: [LogEntry] = []
        result.reserveCapacity(count)
        if !setupDone {
            for (command, actor) in setupCommands() where result.count < count {
                result.append(append(command, by: actor))
            }
            setupDone = result.count == setupCommands().count
        }
        while result.count < count {
            let (command, actor) = nextCommand()
            result.append(append(command, by: actor))
        }
        return result
    }

    // MARK: Generation

    private func operatorID(_ number: Int) -> String { "operator-\(number)" }
    private func tenantID(_ number: Int) -> String { "tenant-\(number)" }
    private func nodeID(operator number: Int, node: Int) -> String { "node-\(number)-\(node)" }

    private func setupCommands() -> [(Command, String)] {
        var commands: [(Command, String)] = [
            (.definePool(SetAsidePool(name: "students", sharePPM: 100_000, pricePerGPUHour: MicroCredits(500_000))), Self.governanceID),
        ]
        for tenant in 0..<tenantCount {
            commands.append((.deposit(tenantID: tenantID(tenant), amount: MicroCredits(1_000_000_000_000)), Self.governanceID))
            if tenant % 5 == 0 {
                let grant = SetAsideGrant(pool: "students", tenantID: tenantID(tenant), quotaGPUSeconds: 100_000_000, expires: time.adding(seconds: 400 * 86_400))
                commands.append((.grantSetAside(grant), Self.governanceID))
            }
        }
        let models = ["H100", "A100", "L40S", "RTX4090"]
        for op in 0..<operatorCount {
            for number in 0..<nodesPerOperator {
                let model = GPUModel.named(models[(op + number) % models.count]) ?? GPUModel.named("H100")!
                let node = ComputeNode(
                    id: nodeID(operator: op, node: number), operatorID: operatorID(op), gpuModel: model,
                    gpuCount: 8, vramGiB: 80, cpuCores: 64, memoryGiB: 512, diskGiB: 2000,
                    region: ["eu", "us-west", "asia"][op % 3], jurisdiction: "NO", gridZone: "NO",
                    askPerGPUHour: MicroCredits(Int64(1_000_000 + 100_000 * (number % 5))))
                commands.append((.registerNode(node), operatorID(op)))
            }
        }
        return commands
    }

    private mutating func nextCommand() -> (Command, String) {
        time = time.adding(seconds: Int64(random.next() % 2))
        let roll = random.next() % 100
        switch roll {
        case 0..<45:
            let op = Int(random.next() % UInt64(operatorCount))
            return (.heartbeat(nodeIDs: (0..<nodesPerOperator).map { nodeID(operator: op, node: $0) }), operatorID(op))
        case 45..<75 where state.queue.count < 4 * operatorCount * nodesPerOperator:
            let tenant = Int(random.next() % UInt64(tenantCount))
            let setAside = tenant % 5 == 0 && random.next() % 4 == 0
            let gpus = [1, 1, 2, 4, 8][Int(random.next() % 5)]
            let spec = JobSpec(
                name: "job", image: "ghcr.io/example/train:1",
                resources: ResourceRequest(gpu: GPURequest(selector: .any, countPerNode: gpus)),
                durationSeconds: Int64(600 + random.next() % 3000), maxPricePerGPUHour: MicroCredits(3_000_000),
                jobClass: setAside ? .setAside : (random.next() % 5 == 0 ? .preemptible : .standard))
            return (.submitJob(spec: spec, pool: setAside ? "students" : nil), tenantID(tenant))
        case 75..<85:
            let running = state.runningLeaseOfOrder.values.sorted()
            if !running.isEmpty, let lease = state.leases[running[Int(random.next() % UInt64(running.count))]],
               let operatorID = state.nodes[lease.allocations[0].nodeID]?.node.operatorID {
                return (.endLease(leaseID: lease.id, reason: .completed), operatorID)
            }
            return (.tick, Self.governanceID)
        case 85..<87:
            let queued = state.queue
            if !queued.isEmpty, let order = state.orders[queued[Int(random.next() % UInt64(queued.count))]] {
                return (.cancelJob(orderID: order.id), order.tenantID)
            }
            return (.tick, Self.governanceID)
        case 87..<89:
            let tenant = Int(random.next() % UInt64(tenantCount))
            return (.deposit(tenantID: tenantID(tenant), amount: MicroCredits(Int64(1 + random.next() % 1_000_000_000))), Self.governanceID)
        case 89..<95:
            return (.clear, Self.governanceID)
        default:
            return (.tick, Self.governanceID)
        }
    }

    private mutating func append(_ command: Command, by actor: String) -> LogEntry {
        let entry = LogEntry(sequence: state.nextSequence, time: time, actor: actor, command: command)
        _ = state.apply(entry)
        return entry
    }
}
