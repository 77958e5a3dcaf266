import OSGDomain

extension CoordinatorState {
    /// Everything in the state, in a canonical order (every collection sorted by its key).
    public struct Snapshot: Hashable, Sendable, Codable {
        public var genesis: Genesis
        public var nextSequence: UInt64
        public var lastTime: Timestamp?
        public var nodes: [NodeRecord]
        public var orders: [Order]
        public var queue: [String]
        public var pools: [SetAsidePool]
        public var grants: [SetAsideGrant]
        public var leases: [Lease]
        public var allocatedGPUs: [NodeAllocation]
        public var waitingReasons: [WaitingReason]
        /// SHA-256 (hex) of the whole ledger (accounts, balances, every transfer record; see
        /// `DoubleEntryLedger.stateDigest`).
        public var ledgerDigest: String
        public var accounts: [ParticipantAccount]
        public var transferCounter: UInt64
        public var escrows: [LeaseEscrow]
        public var lockups: [Lockup]
        /// Pending preemptions by job id; left out when there are none (older digests keep their bytes).
        public var preemptions: [PreemptionNotice]?
        /// The last clearing's head-of-queue reservation.
        public var headReservation: HeadReservation?
        /// Recorded carbon series by zone; left out when there are none.
        public var carbonSeries: [CarbonWindow]?
        /// Energy of ended leases by zone-hour and power source; left out when no lease has ended.
        public var leaseEnergy: LeaseEnergyAccount.Canonical?
        /// Collateral, faults, withdrawals and money totals; left out under a genesis without money rules.
        public var money: MoneyBook.Canonical?
        /// Governance's keys, quorum and counter; left out under a genesis without governance rules.
        public var governance: GovernanceBook?
    }

    /// A participant's ledger account.
    public struct ParticipantAccount: Hashable, Sendable, Codable {
        public var participantID: String
        public var accountID: UInt64
    }

    /// A running lease's reserved budget.
    public struct LeaseEscrow: Hashable, Sendable, Codable {
        public var leaseID: String
        public var parts: [LeaseEscrowPart]
    }

    /// Why a pending order is still waiting, as of the last clearing.
    public struct WaitingReason: Hashable, Sendable, Codable {
        public var orderID: String
        public var reason: String
    }

    /// The state as a canonical snapshot.
    public var snapshot: Snapshot {
        Snapshot(
            genesis: genesis, nextSequence: nextSequence, lastTime: lastTime,
            nodes: nodes.values.sorted { $0.node.id < $1.node.id },
            orders: orders.values.sorted { $0.id < $1.id },
            queue: queue,
            pools: pools.values.sorted { $0.name < $1.name },
            grants: grants.sorted { $0.key < $1.key }.map(\.value),
            leases: leases.values.sorted { $0.id < $1.id },
            allocatedGPUs: allocatedGPUs.sorted { $0.key < $1.key }.map { NodeAllocation(nodeID: $0.key, gpus: $0.value) },
            waitingReasons: waitingReasons.sorted { $0.key < $1.key }.map { WaitingReason(orderID: $0.key, reason: $0.value) },
            ledgerDigest: Hex.encode(ledger.stateDigest),
            accounts: accountIDs.sorted { $0.key < $1.key }.map { ParticipantAccount(participantID: $0.key, accountID: $0.value) },
            transferCounter: transferCounter,
            escrows: escrows.sorted { $0.key < $1.key }.map { LeaseEscrow(leaseID: $0.key, parts: $0.value) },
            lockups: lockups.values.sorted { $0.id < $1.id },
            preemptions: preemptions.isEmpty ? nil : preemptions.values.sorted { $0.orderID < $1.orderID },
            headReservation: headReservation,
            carbonSeries: carbonSeries.isEmpty ? nil : carbonSeries.values.sorted { $0.zone < $1.zone },
            leaseEnergy: leaseEnergy.isEmpty ? nil : leaseEnergy.canonical,
            money: money?.canonical,
            governance: governance)
    }

    /// SHA-256 (hex) of the canonical snapshot: equal states have equal digests, and a
    /// replay of the same log gives the same digest on every machine.
    ///
    /// The bytes hashed are the snapshot's canonical JSON (``CanonicalEncoding``,
    /// docs/TRANSPARENCY_LOG.md "Canonical JSON"), independent of any JSON library.
    public var digest: String {
        CanonicalEncoding.sha256Hex(CanonicalEncoding.bytes(of: snapshot))
    }
}
