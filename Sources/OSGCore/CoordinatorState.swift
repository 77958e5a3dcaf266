import OSGCarbon
import OSGDomain
import OSGLedger
import OSGMarket

/// The coordinator's whole state, as a pure function of its log.
///
/// `apply` is deterministic: it reads no clock and no randomness (time arrives inside each
/// ``LogEntry``), and nothing it does depends on dictionary iteration order. Replaying the
/// same entries from the same ``Genesis`` gives the same ``digest``, bit for bit.
public struct CoordinatorState: Sendable, Codable {
    /// The rules this state was started with.
    public let genesis: Genesis
    /// Registered nodes by id.
    public internal(set) var nodes: [String: NodeRecord] = [:]
    /// Every order ever accepted, by id.
    public internal(set) var orders: [String: Order] = [:]
    /// Pending order ids in arrival order.
    public internal(set) var queue: [String] = []
    /// Set-aside pools by name.
    public internal(set) var pools: [String: SetAsidePool] = [:]
    /// Set-aside grants by pool, then tenant.
    public internal(set) var grants: [GrantKey: SetAsideGrant] = [:]
    /// Sequence number the next entry must carry.
    public internal(set) var nextSequence: UInt64 = 0
    /// Time of the last applied entry.
    public internal(set) var lastTime: Timestamp?
    /// Every lease ever started, by id (ended ones keep their end).
    public internal(set) var leases: [String: Lease] = [:]
    /// The running lease of each running order.
    public internal(set) var runningLeaseOfOrder: [String: String] = [:]
    /// GPUs held by running leases, per node.
    public internal(set) var allocatedGPUs: [String: Int] = [:]
    /// For each pending order, why the last clearing could not place it (a reason code).
    public internal(set) var waitingReasons: [String: String] = [:]
    /// All money: tenants, operators, the treasury, escrows (see `CoordinatorState+Money`).
    public internal(set) var ledger = DoubleEntryLedger()
    /// Ledger account of each participant that has one.
    public internal(set) var accountIDs: [String: UInt64] = [:]
    /// The next ledger account id to hand out.
    public internal(set) var nextAccountID: UInt64 = 3
    /// The last ledger transfer id used.
    public internal(set) var transferCounter: UInt64 = 0
    /// Active public lockups, by id.
    public internal(set) var lockups: [String: Lockup] = [:]
    /// The reserved budget of each running lease, per operator.
    public internal(set) var escrows: [String: [LeaseEscrowPart]] = [:]
    /// Pending preemptions, by the id of the job that caused them (see `CoordinatorState+Preemption`).
    public internal(set) var preemptions: [String: PreemptionNotice] = [:]
    /// The reservation the last clearing made for the head of the queue, if any.
    public internal(set) var headReservation: HeadReservation?
    /// Recorded hourly carbon series, by grid zone (see `CoordinatorState+Carbon`).
    public internal(set) var carbonSeries: [String: CarbonWindow] = [:]
    /// Energy of ended leases by grid zone and hour, or power source (see `CoordinatorState+CarbonFootprint`).
    public internal(set) var leaseEnergy = LeaseEnergyAccount()
    /// Collateral, faults, withdrawals and money totals; `nil` under a genesis without
    /// ``MoneyRules`` (see `CoordinatorState+Collateral`, `CoordinatorState+Transfers`).
    public internal(set) var money: MoneyBook?
    /// The governance keys, quorum and counter in force; `nil` under a genesis without
    /// ``GovernanceRules`` (see `CoordinatorState+Governance`).
    public internal(set) var governance: GovernanceBook?
    /// Sums over the running leases, kept as they start and end (derived; not in the digest).
    @DerivedCache var runningTotals = RunningLeaseTotals()
    /// The keys of `nodes`, sorted (`<`), kept as nodes register and are withdrawn (derived; not in the digest).
    @DerivedCache var sortedNodeIDs: [String] = []
    /// Submissions, queue times and ended set-aside use behind the published statistics
    /// (derived from `orders` and `leases`; not in the digest; see `StatisticsTotals`).
    @DerivedCache var statisticsTotals = StatisticsTotals()
    /// Carbon of the ended leases' energy under the recorded series (derived from `leaseEnergy`
    /// and `carbonSeries`; not in the digest).
    @DerivedCache var carbonTotals = CarbonTotals()
    /// The market engine kept across clearings; `nil` until a clearing builds it, and again
    /// whenever a node registers, is withdrawn or changes its ask (derived; not in the digest).
    @DerivedCache var keptMarketEngine: KeptMarketEngine?
    /// The nodes as clearings read them (``FleetCache``); `nil` until a clearing builds it, and
    /// again whenever a node registers, is withdrawn, changes its ask or goes on or off line
    /// (derived; not in the digest).
    @DerivedCache var fleetCache: FleetCache?
    /// The market's view of each waiting order (``freshMarketOrder(of:)``), by its place in
    /// `queue`: `nil` until the first clearing that reads it, kept until the order leaves the
    /// queue. Empty until a clearing builds it; from then on one entry per queued order,
    /// moved with the queue by ``enqueue(_:)`` and ``dequeue(where:)``, so a clearing reads
    /// the queue's market orders with no look-up by id (derived; not in the digest).
    @DerivedCache var queuedMarketOrders: [MarketOrder?] = []
    /// Waiting jobs per tenant and nodes per operator (derived from `queue`, `orders` and
    /// `nodes`; not in the digest; see `ParticipantHoldings`).
    @DerivedCache var holdings = ParticipantHoldings()
    /// The recorded carbon series as the planner's atlas (``carbonAtlas()``), kept until a
    /// series changes; `nil` until a clearing builds it (derived; not in the digest).
    @DerivedCache var carbonAtlasCache: CarbonAtlas?

    /// An empty state under `genesis`.
    public init(genesis: Genesis) {
        self.genesis = genesis
        money = genesis.money == nil ? nil : MoneyBook()
        governance = genesis.governance.map { GovernanceBook(rules: $0) }
        let results = ledger.apply(Self.genesisLedgerOperations)
        precondition(results.allSatisfy(\.isApplied), "the genesis accounts are created in an empty ledger")
    }

    /// A node with its liveness, as the coordinator sees it.
    public struct NodeRecord: Hashable, Sendable, Codable {
        public var node: ComputeNode
        public var registered: Timestamp
        public var lastHeartbeat: Timestamp
        public var online: Bool
        /// The node's latest benchmark result, if its operator reported one (absent from the
        /// encoding when none, so older digests keep their bytes).
        public var benchmark: NodeBenchmarkReport? = nil
        /// What its leases' usage reports observed (absent from the encoding until the first
        /// report, so older digests keep their bytes).
        public var observation: NodeObservation? = nil
    }

    /// Identifies a grant: one per tenant and pool.
    public struct GrantKey: Hashable, Sendable, Codable, Comparable {
        public var pool: String
        public var tenantID: String

        public static func < (lhs: GrantKey, rhs: GrantKey) -> Bool {
            (lhs.pool, lhs.tenantID) < (rhs.pool, rhs.tenantID)
        }
    }

    /// Whether `entry` may be applied next: the right sequence number and no time travel.
    public func accepts(_ entry: LogEntry) -> Bool {
        entry.sequence == nextSequence && (lastTime.map { entry.time >= $0 } ?? true)
    }

    /// Applies one log entry and returns what happened.
    ///
    /// - Precondition: ``accepts(_:)`` is true for `entry` (the log layer checks it).
    public mutating func apply(_ entry: LogEntry) -> [Event] {
        precondition(accepts(entry), "log entry \(entry.sequence) out of order or back in time")
        nextSequence += 1
        lastTime = entry.time
        let events = authorityRejection(actor: entry.actor).map { [.rejected($0)] }
            ?? perform(entry.command, actor: entry.actor, at: entry.time, sequence: entry.sequence)
        checkMoneyConservation()
        assertInvariants()
        return events
    }

    mutating func perform(_ command: Command, actor: String, at time: Timestamp, sequence: UInt64) -> [Event] {
        switch command {
        case .registerNode(let node): registerNode(node, actor: actor, at: time)
        case .updateNodeAsk(let nodeID, let ask): updateNodeAsk(nodeID, ask: ask, actor: actor)
        case .withdrawNode(let nodeID): withdrawNode(nodeID, actor: actor, at: time)
        case .heartbeat(let nodeIDs): heartbeat(nodeIDs, actor: actor, at: time)
        case .submitJob(let spec, let pool): submitJob(spec, pool: pool, actor: actor, at: time, sequence: sequence)
        case .cancelJob(let orderID): cancelJob(orderID, actor: actor, at: time)
        case .definePool(let pool): definePool(pool, actor: actor)
        case .grantSetAside(let grant): grantSetAside(grant, actor: actor, at: time)
        case .tick: tick(at: time)
        case .clear: clear(at: time, actor: actor, sequence: sequence)
        case .endLease(let leaseID, let reason, let exitCode, let outputs): endLease(leaseID, reason: reason, exitCode: exitCode, outputs: outputs, actor: actor, at: time)
        case .deposit(let tenantID, let amount): deposit(to: tenantID, amount: amount, actor: actor)
        case .recordCarbonSeries(let zone, let firstHour, let values):
            recordCarbonSeries(zone: zone, firstHour: firstHour, milligramsPerKWh: values, actor: actor)
        case .lockUp(let nodeID, let gpus, let holderID, let until):
            lockUp(nodeID: nodeID, gpus: gpus, holderID: holderID, until: until, actor: actor, at: time, sequence: sequence)
        case .reportBenchmark(let nodeID, let result): reportBenchmark(nodeID: nodeID, result: result, actor: actor, at: time)
        case .reportUsage(let leaseID, let through, let counters):
            reportUsage(leaseID: leaseID, through: through, counters: counters, actor: actor, at: time)
        case .fundPool(let name, let amount): fundPool(name, amount: amount, actor: actor)
        case .transferCredits(let recipient, let amount): transferCredits(to: recipient, amount: amount, actor: actor)
        case .requestWithdrawal(let amount, let reference):
            requestWithdrawal(amount: amount, reference: reference, actor: actor, at: time, sequence: sequence)
        case .settleWithdrawal(let withdrawalID, let paid): settleWithdrawal(withdrawalID, paid: paid, actor: actor, at: time)
        case .issueShares(let nodeID, let shares): issueShares(nodeID: nodeID, shares: shares, actor: actor)
        case .transferShares(let nodeID, let recipient, let shares): transferShares(nodeID: nodeID, to: recipient, shares: shares, actor: actor)
        case .governed(let governed): self.governed(governed, actor: actor, at: time, sequence: sequence)
        case .rotateGovernance(let rules): rotateGovernance(rules, actor: actor)
        }
    }

    // MARK: Nodes

    func registrationRejection(_ node: ComputeNode, actor: String) -> Rejection? {
        guard node.operatorID == actor else {
            return Rejection(.notOwner, "node \(node.id) names operator \(node.operatorID); an operator registers only its own nodes")
        }
        let problems = node.problems
        guard problems.isEmpty else {
            return Rejection(.invalidNode, "node \(node.id): " + problems.joined(separator: "; "))
        }
        guard nodes[node.id] == nil else {
            return Rejection(.duplicateNode, "node id \(node.id) is already registered; withdraw it first or choose another id")
        }
        return collateralRejection(node)
    }

    private mutating func registerNode(_ node: ComputeNode, actor: String, at time: Timestamp) -> [Event] {
        if let rejection = registrationRejection(node, actor: actor) { return [.rejected(rejection)] }
        lockCollateral(of: node)
        money?.startOnlineSpell(of: node.id, at: time)
        nodes[node.id] = NodeRecord(node: node, registered: time, lastHeartbeat: time, online: true)
        holdings.registered(node)
        let sortedIndex = sortedNodeIDs.upperBound(of: node.id)
        sortedNodeIDs.insert(node.id, at: sortedIndex)
        if keptMarketEngine?.insert(node, sortedIndex: sortedIndex) == false { keptMarketEngine = nil }
        if fleetCache?.insert(node, at: sortedIndex) == false { fleetCache = nil }
        return [.nodeRegistered(nodeID: node.id)]
    }

    /// The node `nodeID` if `actor` operates it, or the rejection to return.
    func ownedNode(_ nodeID: String, actor: String) -> Result<NodeRecord, Rejection> {
        guard let record = nodes[nodeID] else {
            return .failure(Rejection(.unknownNode, "no node with id \(nodeID)"))
        }
        guard record.node.operatorID == actor else {
            return .failure(Rejection(.notOwner, "node \(nodeID) belongs to another operator"))
        }
        return .success(record)
    }

    func askUpdateRejection(_ nodeID: String, ask: MicroCredits, actor: String) -> Rejection? {
        if case .failure(let rejection) = ownedNode(nodeID, actor: actor) { return rejection }
        guard ask.rawValue > 0 else { return Rejection(.invalidNode, "ask price must be more than 0, got \(ask)") }
        return nil
    }

    private mutating func updateNodeAsk(_ nodeID: String, ask: MicroCredits, actor: String) -> [Event] {
        if let rejection = askUpdateRejection(nodeID, ask: ask, actor: actor) { return [.rejected(rejection)] }
        nodes[nodeID]!.node.askPerGPUHour = ask
        keptMarketEngine = nil
        fleetCache = nil
        return [.nodeAskUpdated(nodeID: nodeID, askPerGPUHour: ask)]
    }

    private mutating func withdrawNode(_ nodeID: String, actor: String, at time: Timestamp) -> [Event] {
        switch ownedNode(nodeID, actor: actor) {
        case .failure(let rejection): return [.rejected(rejection)]
        case .success(let record):
            let ended = endLeases(onNode: nodeID, reason: .nodeWithdrawn, at: time)
            startCoolingOff(of: nodeID, at: time)
            // The node's income stream and its shares end with it.
            money?.income[nodeID] = nil
            money?.shares[nodeID] = nil
            holdings.withdrew(record.node)
            let endedLockups = lockups.values.filter { $0.nodeID == nodeID }.map(\.id).sorted()
            for id in endedLockups { lockups[id] = nil }
            nodes[nodeID] = nil
            if let sortedIndex = nodeIndex(of: nodeID) {
                keptMarketEngine?.forget(sortedIndex: sortedIndex)
                if fleetCache?.remove(at: sortedIndex) == false { fleetCache = nil }
                sortedNodeIDs.remove(at: sortedIndex)
            } else {
                fleetCache = nil
            }
            allocatedGPUs[nodeID] = nil
            return ended + endedLockups.map { .lockupEnded(lockupID: $0) } + [.nodeWithdrawn(nodeID: nodeID)]
        }
    }

    /// Why a heartbeat batch is refused: all-or-nothing, every node must be the actor's.
    func heartbeatRejection(_ nodeIDs: [String], actor: String) -> Rejection? {
        for nodeID in nodeIDs {
            // The operator alone is read (the common case copies no node record).
            guard let index = nodes.index(forKey: nodeID), nodes.values[index].node.operatorID == actor else {
                if case .failure(let rejection) = ownedNode(nodeID, actor: actor) { return rejection }
                continue
            }
        }
        return nil
    }

    private mutating func heartbeat(_ nodeIDs: [String], actor: String, at time: Timestamp) -> [Event] {
        // The batch is all-or-nothing: check every node before touching any. Records are reached
        // in place by their position: a heartbeat is the most frequent command, and reading a
        // field through a copy of the record retains and releases each of its strings.
        var positions: [Dictionary<String, NodeRecord>.Index] = []
        if nodeIDs.count > 1 { positions.reserveCapacity(nodeIDs.count) }
        var single: Dictionary<String, NodeRecord>.Index?
        for nodeID in nodeIDs {
            guard let position = nodes.index(forKey: nodeID), Self.isOperated(&nodes.values[position], by: actor) else {
                return [.rejected(heartbeatRejection(nodeIDs, actor: actor)
                    ?? Rejection(.notOwner, "node \(nodeID) is not operated by \(actor)"))]
            }
            // One node, the usual batch, needs no list.
            if nodeIDs.count == 1 { single = position } else { positions.append(position) }
        }
        var events: [Event] = []
        if let single {
            markHeard(nodeIDs[0], at: single, time: time, events: &events)
        } else {
            for (nodeID, position) in zip(nodeIDs, positions) { markHeard(nodeID, at: position, time: time, events: &events) }
        }
        events.append(.nodesHeartbeat(count: nodeIDs.count))
        return events
    }

    /// A heartbeat of `nodeID` (at `position` in `nodes`) at `time`: heard now, and back online
    /// if it was not.
    private mutating func markHeard(_ nodeID: String, at position: Dictionary<String, NodeRecord>.Index, time: Timestamp,
                                    events: inout [Event]) {
        guard Self.hear(&nodes.values[position], at: time) else { return }
        fleetCache?.setOnline(nodeID, true)
        events.append(.nodeCameBack(nodeID: nodeID))
        money?.startOnlineSpell(of: nodeID, at: time)
    }

    /// Records a heartbeat at `time` in `record`, in place (the caller passes the record by its
    /// dictionary position: reading a field through the dictionary's values copied the whole
    /// record); whether the node was offline and is now back online.
    private static func hear(_ record: inout NodeRecord, at time: Timestamp) -> Bool {
        record.lastHeartbeat = time
        guard !record.online else { return false }
        record.online = true
        return true
    }

    /// Whether `actor` operates the node of `record`, read in place (the caller passes the
    /// record by its dictionary position, so nothing is copied).
    private static func isOperated(_ record: inout NodeRecord, by actor: String) -> Bool {
        record.node.operatorID == actor
    }

    /// The online nodes whose last heartbeat is older than the timeout at `time`, sorted.
    /// Mutating only to reach each record in place (a tick reads every node every few minutes;
    /// reading through copies of the records retained and released all their strings). Nothing
    /// changes.
    private mutating func silentNodes(at time: Timestamp) -> [String] {
        let timeout = genesis.heartbeatTimeoutSeconds
        var silent: [String] = []
        var position = nodes.startIndex
        while position != nodes.endIndex {
            if Self.isSilent(&nodes.values[position], timeoutSeconds: timeout, at: time) { silent.append(nodes.keys[position]) }
            nodes.formIndex(after: &position)
        }
        return silent.sorted()
    }

    /// Whether `record` is online and has not been heard from within the timeout at `time`.
    private static func isSilent(_ record: inout NodeRecord, timeoutSeconds: Int64, at time: Timestamp) -> Bool {
        record.online && record.lastHeartbeat.adding(seconds: timeoutSeconds) < time
    }

    private mutating func tick(at time: Timestamp) -> [Event] {
        let silent = silentNodes(at: time)
        var events: [Event] = []
        for nodeID in silent {
            nodes[nodeID]!.online = false
            fleetCache?.setOnline(nodeID, false)
            money?.endOnlineSpell(of: nodeID, at: nodes[nodeID]!.lastHeartbeat)
            events.append(.nodeWentOffline(nodeID: nodeID, lastSeen: nodes[nodeID]!.lastHeartbeat))
            events += endLeases(onNode: nodeID, reason: .nodeLost, at: time)
        }
        return events + endOverdueLeases(at: time) + endLapsedLockups(at: time) + endDuePreemptions(at: time)
            + releaseCooledCollateral(at: time)
    }

    // MARK: Jobs

    func submissionRejection(_ spec: JobSpec, pool: String?, actor: String, at time: Timestamp) -> Rejection? {
        let problems = spec.problems(now: time)
        guard problems.isEmpty else {
            return Rejection(.invalidSpec, problems.map(\.description).joined(separator: "; "))
        }
        switch (spec.jobClass, pool) {
        case (.setAside, nil):
            return Rejection(.invalidSpec, "a set-aside job must name the pool it draws on")
        case (.setAside, let pool?):
            guard pools[pool] != nil else {
                return Rejection(.unknownPool, "no set-aside pool named \(pool)")
            }
            let gpuSeconds = Int64(spec.totalGPUs) * spec.maxDurationSeconds
            guard let grant = grants[GrantKey(pool: pool, tenantID: actor)], grant.covers(gpuSeconds: gpuSeconds, at: time) else {
                return Rejection(.noEligibleGrant, "no grant in pool \(pool) covers \(gpuSeconds) GPU-seconds for this tenant now")
            }
        case (_, let pool?):
            return Rejection(.invalidSpec, "only set-aside jobs draw on a pool; remove pool \(pool) or use class: set-aside")
        case (_, nil):
            break
        }
        return nil
    }

    private mutating func submitJob(_ spec: JobSpec, pool: String?, actor: String, at time: Timestamp, sequence: UInt64) -> [Event] {
        if let rejection = submissionRejection(spec, pool: pool, actor: actor, at: time) { return [.rejected(rejection)] }
        let orderID = "job-\(sequence)"
        let order = Order(id: orderID, tenantID: actor, submitted: time, pool: pool, spec: spec)
        orders[orderID] = order
        statisticsTotals.submitted(order)
        enqueue(orderID)
        return [.jobQueued(orderID: orderID, tenantID: actor)]
    }

    func cancellationRejection(_ orderID: String, actor: String) -> Rejection? {
        guard let order = orders[orderID] else { return Rejection(.unknownOrder, "no job with id \(orderID)") }
        guard order.tenantID == actor else { return Rejection(.notOwner, "job \(orderID) belongs to another tenant") }
        guard !order.status.isFinal else { return Rejection(.orderAlreadyFinal, "job \(orderID) is already \(order.status.rawValue)") }
        return nil
    }

    private mutating func cancelJob(_ orderID: String, actor: String, at time: Timestamp) -> [Event] {
        if let rejection = cancellationRejection(orderID, actor: actor) { return [.rejected(rejection)] }
        var order = orders[orderID]!
        var events: [Event] = []
        if let leaseID = runningLeaseOfOrder[orderID] {
            events += finishLease(leaseID, reason: .cancelledByTenant, at: time)
        }
        order = orders[orderID]!
        dequeue { $0 == orderID }
        order.status = .cancelled
        orders[orderID] = order
        waitingReasons[orderID] = nil
        return events + [.jobCancelled(orderID: orderID)]
    }

    // MARK: Set-asides

    private mutating func definePool(_ pool: SetAsidePool, actor: String) -> [Event] {
        guard isGovernance(actor) else {
            return [.rejected(notGovernance("only governance defines set-aside pools"))]
        }
        let othersPPM = pools.values.filter { $0.name != pool.name }.reduce(0) { $0 + $1.sharePPM }
        guard JobSpec.isValidRegion(pool.name), (1...1_000_000).contains(pool.sharePPM),
              othersPPM + pool.sharePPM <= 1_000_000, pool.pricePerGPUHour.rawValue > 0
        else {
            return [.rejected(Rejection(.invalidPool, "pool \(pool.name): the name must be lower-case letters, digits and '-', the share between 1 and 1,000,000 ppm with all pools together at most 100 %, and the price more than 0"))]
        }
        if let ceiling = pool.ceilingPerGPUHour, ceiling < pool.pricePerGPUHour {
            return [.rejected(Rejection(.ceilingBelowPrice, "pool \(pool.name): the ceiling \(ceiling) is the most the pool pays a node per GPU-hour and may not be below its price \(pool.pricePerGPUHour); raise the ceiling or leave it out"))]
        }
        // The log carries a pool's name, share, price and ceiling (LeafCodec), never its
        // funding: that is the balance of the pool's ledger account (`fundPool`), which
        // `fundedClearingPools()` reads (see `CoordinatorState+PoolFunding`).
        pools[pool.name] = SetAsidePool(name: pool.name, sharePPM: pool.sharePPM, pricePerGPUHour: pool.pricePerGPUHour,
                                        ceilingPerGPUHour: pool.ceilingPerGPUHour)
        return [.poolDefined(name: pool.name)]
    }

    private mutating func grantSetAside(_ grant: SetAsideGrant, actor: String, at time: Timestamp) -> [Event] {
        guard isGovernance(actor) else {
            return [.rejected(notGovernance("only governance issues set-aside grants"))]
        }
        guard pools[grant.pool] != nil else {
            return [.rejected(Rejection(.unknownPool, "no set-aside pool named \(grant.pool)"))]
        }
        guard grant.quotaGPUSeconds > 0, grant.usedGPUSeconds == 0, grant.expires > time, !grant.tenantID.isEmpty else {
            return [.rejected(Rejection(.invalidPool, "a grant needs a positive quota, no prior use, a tenant and an expiry in the future"))]
        }
        grants[GrantKey(pool: grant.pool, tenantID: grant.tenantID)] = grant
        return [.grantIssued(pool: grant.pool, tenantID: grant.tenantID)]
    }

    // MARK: Invariants

    /// Checks the state's invariants; runs after every entry in debug builds.
    public func assertInvariants() {
        assert(queue.allSatisfy { orders[$0]?.status == .pending }, "the queue holds only pending orders")
        assert(Set(queue).count == queue.count, "an order is queued at most once")
        assert(nodes.allSatisfy { $0.key == $0.value.node.id }, "nodes are keyed by their id")
        assert(sortedNodeIDs == nodes.keys.sorted(), "the sorted node ids are the nodes' keys")
        assert(runningTotals.leases.count == runningLeaseOfOrder.count
               && runningLeaseOfOrder.values.allSatisfy { runningTotals.leases[$0] != nil }, "the running totals count exactly the running leases")
        assert(runningTotals.rows.matches(runningTotals.leases), "the allocation rows are the running leases' allocations")
        assert(pools.values.reduce(0) { $0 + $1.sharePPM } <= 1_000_000, "pools reserve at most 100 %")
        assert({ var rebuilt = self; rebuilt.rebuildHoldings(); return rebuilt.holdings == holdings }(), "the holdings follow the queue and the nodes")
        assertLeaseInvariants()
        assert(ledger.checkLiveInvariants().isEmpty, "the ledger balances: \(ledger.checkLiveInvariants())")
        assert(Set(escrows.keys) == Set(runningLeaseOfOrder.values), "every running lease, and only those, holds an escrow")
        assertMoneyInvariants()
    }
}
