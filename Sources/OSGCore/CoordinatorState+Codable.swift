import OSGDomain
import OSGLedger

/// The persistent fields of the state, through their own `Codable` conformances: what a
/// snapshot stores (see ``StateSnapshot``). Derived caches are left out and rebuilt on
/// decoding (``CoordinatorState/rebuildDerivedState()``).
///
/// A new persistent field of `CoordinatorState` must be `Codable` and get a case in
/// `PersistentField` (named as the property); a new derived cache goes into
/// ``CoordinatorState/derivedFieldNames`` and ``CoordinatorState/rebuildDerivedState()``.
/// A field in neither list stops snapshots from being taken (and fails the snapshot tests)
/// rather than being silently dropped.
extension CoordinatorState: Codable {
    /// The persistent stored properties, by their Swift names.
    enum PersistentField: String, CodingKey, CaseIterable {
        case genesis, nodes, orders, queue, pools, grants, nextSequence, lastTime, leases, runningLeaseOfOrder
        case allocatedGPUs, waitingReasons, ledger, accountIDs, nextAccountID, transferCounter, lockups, escrows
        case preemptions, headReservation, carbonSeries
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: PersistentField.self)
        try container.encode(genesis, forKey: .genesis)
        try container.encode(nodes, forKey: .nodes)
        try container.encode(orders, forKey: .orders)
        try container.encode(queue, forKey: .queue)
        try container.encode(pools, forKey: .pools)
        try container.encode(grants, forKey: .grants)
        try container.encode(nextSequence, forKey: .nextSequence)
        try container.encodeIfPresent(lastTime, forKey: .lastTime)
        try container.encode(leases, forKey: .leases)
        try container.encode(runningLeaseOfOrder, forKey: .runningLeaseOfOrder)
        try container.encode(allocatedGPUs, forKey: .allocatedGPUs)
        try container.encode(waitingReasons, forKey: .waitingReasons)
        try container.encode(ledger, forKey: .ledger)
        try container.encode(accountIDs, forKey: .accountIDs)
        try container.encode(nextAccountID, forKey: .nextAccountID)
        try container.encode(transferCounter, forKey: .transferCounter)
        try container.encode(lockups, forKey: .lockups)
        try container.encode(escrows, forKey: .escrows)
        try container.encode(preemptions, forKey: .preemptions)
        try container.encodeIfPresent(headReservation, forKey: .headReservation)
        try container.encode(carbonSeries, forKey: .carbonSeries)
    }

    /// Decodes the persistent fields and rebuilds every derived cache. The result is not yet
    /// checked: ``StateSnapshot/decode(_:genesis:)`` checks it against the recorded digest.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: PersistentField.self)
        self.init(genesis: try container.decode(Genesis.self, forKey: .genesis))
        nodes = try container.decode([String: NodeRecord].self, forKey: .nodes)
        orders = try container.decode([String: Order].self, forKey: .orders)
        queue = try container.decode([String].self, forKey: .queue)
        pools = try container.decode([String: SetAsidePool].self, forKey: .pools)
        grants = try container.decode([GrantKey: SetAsideGrant].self, forKey: .grants)
        nextSequence = try container.decode(UInt64.self, forKey: .nextSequence)
        lastTime = try container.decodeIfPresent(Timestamp.self, forKey: .lastTime)
        leases = try container.decode([String: Lease].self, forKey: .leases)
        runningLeaseOfOrder = try container.decode([String: String].self, forKey: .runningLeaseOfOrder)
        allocatedGPUs = try container.decode([String: Int].self, forKey: .allocatedGPUs)
        waitingReasons = try container.decode([String: String].self, forKey: .waitingReasons)
        ledger = try container.decode(DoubleEntryLedger.self, forKey: .ledger)
        accountIDs = try container.decode([String: UInt64].self, forKey: .accountIDs)
        nextAccountID = try container.decode(UInt64.self, forKey: .nextAccountID)
        transferCounter = try container.decode(UInt64.self, forKey: .transferCounter)
        lockups = try container.decode([String: Lockup].self, forKey: .lockups)
        escrows = try container.decode([String: [LeaseEscrowPart]].self, forKey: .escrows)
        preemptions = try container.decode([String: PreemptionNotice].self, forKey: .preemptions)
        headReservation = try container.decodeIfPresent(HeadReservation.self, forKey: .headReservation)
        carbonSeries = try container.decode([String: CarbonWindow].self, forKey: .carbonSeries)
        rebuildDerivedState()
    }
}

/// Grants are keyed by (pool, tenant); as a coding key `pool/tenant` (a pool name has no
/// `/`), so a snapshot encodes them as an object with sorted keys, never in hash order.
extension CoordinatorState.GrantKey: CodingKeyRepresentable {
    public var codingKey: any CodingKey { GrantCodingKey(stringValue: pool + "/" + tenantID) }

    public init?<T: CodingKey>(codingKey: T) {
        guard let slash = codingKey.stringValue.firstIndex(of: "/") else { return nil }
        self.init(pool: String(codingKey.stringValue[..<slash]), tenantID: String(codingKey.stringValue[codingKey.stringValue.index(after: slash)...]))
    }

    private struct GrantCodingKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
