import Crypto
import OSGDomain

/// A seeded, realistic coordinator log for benchmarks and audit tests, generated second by
/// simulated second at the rates of a small live market:
///
/// - at the start, governance defines a set-aside pool, deposits credits for every tenant and
///   grants every fifth tenant set-aside time; every operator registers its nodes (8 GPUs each);
/// - every node's agent sends a heartbeat every 30 s (one `heartbeat` entry per node);
/// - tenants submit jobs (1–8 GPUs, 10–60 minutes, some preemptible or set-aside) at the rate
///   that keeps the fleet about busy, and fewer while the queue is long;
/// - operators report completion when a job has run its duration; tenants sometimes cancel;
/// - the coordinator clears the market every 5 s and ticks every 10 s; governance deposits.
///
/// With the default 200 nodes that is about 7.5 entries per simulated second, of which about
/// 90 % are heartbeats and one in 37 is a clearing. The generator applies what it generates to
/// its own state, so completions and cancellations name leases and jobs that exist. One seed
/// gives the same log on every machine.
///
/// ```swift
/// var workload = CommandLogWorkload(seed: 1)
/// let entries = workload.entries(count: 100_000)
/// ```
///
/// With `signedFor: origin` the log is the one a coordinator with command proofs writes: the
/// participants are Ed25519 keys derived from their names, the genesis requires proofs, and
/// every entry but the coordinator's ticks and clearings carries its author's proof for
/// `origin` (docs/TRANSPARENCY_LOG.md, "Command proofs"): what `osg log bench` audits.
public struct CommandLogWorkload: Sendable {
    /// The governance (coordinator) participant of the generated log.
    public static let governanceID = "coordinator"
    /// The genesis of every generated log.
    public static let genesis = Genesis(governanceID: governanceID, heartbeatTimeoutSeconds: 90)

    /// Seconds between a node's heartbeats.
    public static let heartbeatIntervalSeconds: Int64 = 30
    /// Seconds between market clearings.
    public static let clearingIntervalSeconds: Int64 = 5
    /// Seconds between ticks.
    public static let tickIntervalSeconds: Int64 = 10

    /// The genesis of this log: ``genesis``, or with a signed log its keys' governance and
    /// proofs required.
    public let logGenesis: Genesis
    /// The state after every entry generated so far.
    public private(set) var state: CoordinatorState
    /// The proofs' statement and each participant's key by id, for a signed log.
    private let statement: CommandStatement?
    private let keysByID: [String: Curve25519.Signing.PrivateKey]
    private let operatorIDs: [String]
    private let tenantIDs: [String]
    private let governance: String
    private var random: SplitMix64
    private var time = Timestamp(secondsSinceEpoch: 1_795_000_000)
    private var elapsedSeconds: Int64 = 0
    private let operatorCount: Int
    private let nodesPerOperator: Int
    private let tenantCount: Int
    /// Commands generated but not yet returned (one simulated second's worth at a time).
    private var pending: [(Command, String)] = []
    private var pendingIndex = 0

    /// A workload of `operators × nodesPerOperator` nodes and `tenants` tenants.
    /// With `origin`, every participant's entry carries its proof for that log's origin.
    public init(seed: UInt64, operators: Int = 20, nodesPerOperator: Int = 10, tenants: Int = 50, signedFor origin: String? = nil) {
        precondition(operators >= 1 && nodesPerOperator >= 1 && tenants >= 1, "a market needs nodes and tenants")
        random = SplitMix64(seed: seed)
        operatorCount = operators
        self.nodesPerOperator = nodesPerOperator
        tenantCount = tenants
        let names = (0..<operators).map { "operator-\($0)" } + (0..<tenants).map { "tenant-\($0)" } + [Self.governanceID]
        if let origin {
            var keys: [String: Curve25519.Signing.PrivateKey] = [:]
            var ids: [String] = []
            for name in names {
                // A key derived from the name: the same log on every machine.
                let key = try! Curve25519.Signing.PrivateKey(rawRepresentation: Array(SHA256.hash(data: Array("osg-workload/\(name)".utf8))))
                let id = Identity(publicKey: key.publicKey).id
                keys[id] = key
                ids.append(id)
            }
            keysByID = keys
            operatorIDs = Array(ids[0..<operators])
            tenantIDs = Array(ids[operators..<(operators + tenants)])
            governance = ids[ids.count - 1]
            logGenesis = Genesis(governanceID: governance, heartbeatTimeoutSeconds: Self.genesis.heartbeatTimeoutSeconds,
                                 signedCommands: SignedCommandRules(windowSeconds: 120))
            statement = CommandStatement(origin: origin, genesis: logGenesis)
        } else {
            keysByID = [:]
            operatorIDs = Array(names[0..<operators])
            tenantIDs = Array(names[operators..<(operators + tenants)])
            governance = Self.governanceID
            logGenesis = Self.genesis
            statement = nil
        }
        state = CoordinatorState(genesis: logGenesis)
        pending = setupCommands()
    }

    /// The next `count` entries (continuing the log), each applied to ``state``.
    public mutating func entries(count: Int) -> [LogEntry] {
        var result: [LogEntry] = []
        result.reserveCapacity(count)
        while result.count < count {
            if pendingIndex == pending.count {
                pending = nextSecond()
                pendingIndex = 0
                continue
            }
            let (command, actor) = pending[pendingIndex]
            pendingIndex += 1
            // Completions and cancellations are decided a second ahead; skip those that an
            // earlier entry of the same second made moot.
            if case .endLease(let leaseID, _, _, _) = command, state.leases[leaseID]?.end != nil { continue }
            result.append(append(command, by: actor))
        }
        return result
    }

    // MARK: Generation

    private func operatorID(_ number: Int) -> String { operatorIDs[number] }
    private func tenantID(_ number: Int) -> String { tenantIDs[number] }
    private func nodeID(operator number: Int, node: Int) -> String { "node-\(number)-\(node)" }

    private func setupCommands() -> [(Command, String)] {
        var commands: [(Command, String)] = [
            (.definePool(SetAsidePool(name: "students", sharePPM: 100_000, pricePerGPUHour: MicroCredits(500_000))), governance),
        ]
        for tenant in 0..<tenantCount {
            commands.append((.deposit(tenantID: tenantID(tenant), amount: MicroCredits(1_000_000_000_000)), governance))
            if tenant % 5 == 0 {
                let grant = SetAsideGrant(pool: "students", tenantID: tenantID(tenant), quotaGPUSeconds: 100_000_000, expires: time.adding(seconds: 400 * 86_400))
                commands.append((.grantSetAside(grant), governance))
            }
        }
        let models = ["H100", "A100", "L40S", "RTX4090"]
        for op in 0..<operatorCount {
            for number in 0..<nodesPerOperator {
                let model = GPUModel.named(models[(op + number) % models.count]) ?? GPUModel.named("H100")!
                let node = ComputeNode(
                    id: nodeID(operator: op, node: number), operatorID: operatorID(op), gpuModel: model,
                    gpuCount: 8, vramGiB: model.maxVRAMGiB, cpuCores: 64, memoryGiB: 512, diskGiB: 2000,
                    region: ["eu", "us-west", "asia"][op % 3], jurisdiction: "NO", gridZone: "NO",
                    askPerGPUHour: MicroCredits(Int64(1_000_000 + 100_000 * (number % 5))))
                commands.append((.registerNode(node), operatorID(op)))
            }
        }
        return commands
    }

    /// The commands of the next simulated second.
    private mutating func nextSecond() -> [(Command, String)] {
        elapsedSeconds += 1
        time = time.adding(seconds: 1)
        var commands: [(Command, String)] = []
        let nodeCount = operatorCount * nodesPerOperator
        for number in 0..<nodeCount where Int64(number) % Self.heartbeatIntervalSeconds == elapsedSeconds % Self.heartbeatIntervalSeconds {
            let op = number / nodesPerOperator
            commands.append((.heartbeat(nodeIDs: [nodeID(operator: op, node: number % nodesPerOperator)]), operatorID(op)))
        }
        // Submissions arrive at the rate that keeps the fleet about busy with jobs of 3 GPUs for
        // 35 minutes on average: nodes × 8 GPUs ÷ 3 ÷ 2100 s per second.
        let perMillion = UInt64(nodeCount) * 8 * 1_000_000 / 3 / 2100
        if state.queue.count < nodeCount / 2, random.next() % 1_000_000 < perMillion {
            let tenant = Int(random.next() % UInt64(tenantCount))
            let setAside = tenant % 5 == 0 && random.next() % 4 == 0
            let gpus = [1, 1, 2, 4, 8][Int(random.next() % 5)]
            let spec = JobSpec(
                name: "job", image: "ghcr.io/example/train:1",
                resources: ResourceRequest(gpu: GPURequest(selector: .any, countPerNode: gpus)),
                durationSeconds: Int64(600 + random.next() % 3000), maxPricePerGPUHour: MicroCredits(3_000_000),
                jobClass: setAside ? .setAside : (random.next() % 5 == 0 ? .preemptible : .standard))
            commands.append((.submitJob(spec: spec, pool: setAside ? "students" : nil), tenantID(tenant)))
        }
        // Completions: the operator reports a job done once it has run its duration.
        for leaseID in state.runningLeaseOfOrder.values.sorted() {
            guard let lease = state.leases[leaseID], let order = state.orders[lease.orderID],
                  lease.start.adding(seconds: order.spec.durationSeconds) <= time,
                  let operatorID = state.nodes[lease.allocations[0].nodeID]?.node.operatorID
            else { continue }
            commands.append((.endLease(leaseID: leaseID, reason: .completed), operatorID))
        }
        if random.next() % 100 == 0, let orderID = state.queue.first, let order = state.orders[orderID] {
            commands.append((.cancelJob(orderID: orderID), order.tenantID))
        }
        if random.next() % 60 == 0 {
            let tenant = Int(random.next() % UInt64(tenantCount))
            commands.append((.deposit(tenantID: tenantID(tenant), amount: MicroCredits(Int64(1 + random.next() % 1_000_000_000))), governance))
        }
        if elapsedSeconds % Self.clearingIntervalSeconds == 0 { commands.append((.clear, governance)) }
        if elapsedSeconds % Self.tickIntervalSeconds == 0 { commands.append((.tick, governance)) }
        return commands
    }

    private mutating func append(_ command: Command, by actor: String) -> LogEntry {
        var proof: CommandProof?
        if let statement, !CommandProofCheck.isMechanical(command), let key = keysByID[actor] {
            proof = try! statement.prove(actor: actor, command: command, signedAt: time.secondsSinceEpoch,
                                         nonce: "workload-nonce-\(state.nextSequence)", with: key)
        }
        let entry = LogEntry(sequence: state.nextSequence, time: time, actor: actor, command: command, proof: proof)
        _ = state.apply(entry)
        return entry
    }
}
