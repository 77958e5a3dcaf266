import Crypto
import OSGCore
import OSGDomain
import Testing

/// Governance by quorum (docs/TRANSPARENCY_LOG.md, "Governance by quorum"): a governance
/// command counts only with a quorum of the keys in force, approved for the current counter.
@Suite("Governance by quorum in the state machine")
struct GovernanceQuorumTests {
    /// Governance member `index`'s key (fixed bytes: the tests are deterministic).
    static func member(_ index: UInt8) -> Curve25519.Signing.PrivateKey {
        try! Curve25519.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: index, count: 32))
    }

    static func id(_ key: Curve25519.Signing.PrivateKey) -> String { Identity(publicKey: key.publicKey).id }

    static let coordinator = "coordinator-key"
    static let feed = id(member(9))
    /// 2 of members 1, 2 and 3, with member 9 a carbon feed.
    static let rules = GovernanceRules(keys: [1, 2, 3].map { id(member($0)) }, quorum: 2, carbonFeeds: [feed])
    static let genesis = Genesis(governanceID: coordinator, heartbeatTimeoutSeconds: 60, governance: rules)
    static let pool = SetAsidePool(name: "students", sharePPM: 100_000, pricePerGPUHour: MicroCredits(500_000))

    struct Log {
        var log = CommandLog(genesis: GovernanceQuorumTests.genesis)
        var state = CoordinatorState(genesis: GovernanceQuorumTests.genesis)
        var time = t0

        @discardableResult
        mutating func run(_ command: Command, by actor: String = "submitter") throws -> [Event] {
            time = time.adding(seconds: 1)
            let door = state.rejection(of: command, actor: actor, at: time)
            let events = state.apply(try log.append(command, by: actor, at: time))
            // The door refuses what applying refuses (a governed command's own refusal follows
            // its approval, which is spent).
            if let door { #expect(events.contains(.rejected(door)), "door and apply disagree on \(command.name)") }
            return events
        }

        /// `command` approved by `members` for `counter` (the state's by default).
        func governed(_ command: Command, by members: [UInt8], counter: UInt64? = nil) -> Command {
            let counter = counter ?? state.governance!.counter
            let approvals = members.map { try! state.governanceStatement.approve(counter: counter, command: command, with: member($0)) }
            return .governed(GovernedCommand(counter: counter, command: command, approvals: approvals))
        }
    }

    @Test("a quorum's approval runs the command as governance and spends the counter")
    func quorumRuns() throws {
        var log = Log()
        let events = try log.run(log.governed(.definePool(Self.pool), by: [1, 3]))
        #expect(events == [.governanceApproved(counter: 0, command: "definePool"), .poolDefined(name: "students")])
        #expect(log.state.pools["students"] != nil)
        #expect(log.state.governance?.counter == 1)
        // A deposit from the on-ramp the same way, and any participant may submit it.
        let tenant = Self.id(Self.member(7))
        let deposit = try log.run(log.governed(.deposit(tenantID: tenant, amount: MicroCredits(5_000_000)), by: [2, 3]), by: tenant)
        #expect(deposit.contains(.fundsDeposited(tenantID: tenant, amount: MicroCredits(5_000_000))))
        #expect(log.state.governance?.counter == 2)
    }

    @Test("one approval short, an unknown key, a key twice or a bad signature: governance_quorum_short, nothing changes")
    func quorumShort() throws {
        var log = Log()
        let digest = log.state.digest
        #expect(rejection(try log.run(log.governed(.definePool(Self.pool), by: [1]))) == .governanceQuorumShort)
        // Member 8 is no governance key: its approval does not count.
        #expect(rejection(try log.run(log.governed(.definePool(Self.pool), by: [1, 8]))) == .governanceQuorumShort)
        // The same key twice counts once.
        #expect(rejection(try log.run(log.governed(.definePool(Self.pool), by: [2, 2]))) == .governanceQuorumShort)
        // An approval of another command does not approve this one.
        var forged = log.governed(.definePool(Self.pool), by: [1, 2])
        if case .governed(var governed) = forged {
            governed.command = .definePool(SetAsidePool(name: "mine", sharePPM: 900_000, pricePerGPUHour: .zero))
            forged = .governed(governed)
        }
        let events = try log.run(forged)
        #expect(rejection(events) == .governanceQuorumShort)
        if case .rejected(let refusal) = events.first { #expect(refusal.message.contains("does not verify"), "\(refusal.message)") }
        #expect(log.state.pools.isEmpty)
        #expect(log.state.governance?.counter == 0)
        // Refused entries change only the sequence and time.
        var replay = CoordinatorState(genesis: Self.genesis)
        #expect(replay.governance == log.state.governance && digest != log.state.digest)
        for entry in log.log.entries { _ = replay.apply(entry) }
        #expect(replay.digest == log.state.digest)
    }

    @Test("approvals count once: a replay, or approvals for another counter, is stale_governance_counter")
    func replayRefused() throws {
        var log = Log()
        let approved = log.governed(.deposit(tenantID: Self.id(Self.member(7)), amount: MicroCredits(1_000_000)), by: [1, 2])
        #expect(rejection(try log.run(approved)) == nil)
        #expect(rejection(try log.run(approved)) == .staleGovernanceCounter)
        #expect(rejection(try log.run(log.governed(.definePool(Self.pool), by: [1, 2], counter: 5))) == .staleGovernanceCounter)
        #expect(log.state.availableFunds(of: Self.id(Self.member(7))) == MicroCredits(1_000_000))
    }

    @Test("the coordinator's key keeps ticks and clearings only; 'governance' is no actor of its own")
    func coordinatorKeyIsMechanical() throws {
        var log = Log()
        #expect(rejection(try log.run(.definePool(Self.pool), by: Self.coordinator)) == .notGovernance)
        #expect(rejection(try log.run(.deposit(tenantID: "t", amount: MicroCredits(1)), by: Self.coordinator)) == .notGovernance)
        #expect(rejection(try log.run(.recordCarbonSeries(zone: "NO", firstHour: 491_000, milligramsPerKWh: [20_000]), by: Self.coordinator)) == .notGovernance)
        #expect(rejection(try log.run(.definePool(Self.pool), by: CoordinatorState.governanceAuthority)) == .notGovernance)
        #expect(rejection(try log.run(.rotateGovernance(GovernanceRules(keys: [Self.feed], quorum: 1)), by: Self.coordinator)) == .notGovernance)
        #expect(rejection(try log.run(.tick, by: Self.coordinator)) == nil)
        #expect(rejection(try log.run(.clear, by: Self.coordinator)) == nil)
        #expect(rejection(try log.run(.clear, by: CoordinatorState.governanceAuthority)) == .notGovernance)
    }

    @Test("a carbon feed the rules name records series on its own signature; nobody else does")
    func carbonFeeds() throws {
        var log = Log()
        #expect(rejection(try log.run(.recordCarbonSeries(zone: "NO", firstHour: 491_000, milligramsPerKWh: [20_000]), by: Self.feed)) == nil)
        #expect(rejection(try log.run(.recordCarbonSeries(zone: "NO", firstHour: 491_001, milligramsPerKWh: [20_000]), by: Self.id(Self.member(1)))) == .notGovernance)
        #expect(rejection(try log.run(log.governed(.recordCarbonSeries(zone: "DE", firstHour: 491_000, milligramsPerKWh: [300_000]), by: [1, 2]))) == nil)
        #expect(Set(log.state.carbonSeries.keys) == ["NO", "DE"])
    }

    @Test("a rotation is a quorum command: the old keys lose their power, the new ones gain it; a bad rotation is refused")
    func rotation() throws {
        var log = Log()
        let newRules = GovernanceRules(keys: [Self.id(Self.member(4))], quorum: 1)
        let bad = try log.run(log.governed(.rotateGovernance(GovernanceRules(keys: [Self.id(Self.member(4))], quorum: 2)), by: [1, 2]))
        #expect(bad.first == .governanceApproved(counter: 0, command: "rotateGovernance") && rejection(Array(bad.dropFirst())) == .invalidGovernance)
        #expect(log.state.governance?.rules == Self.rules && log.state.governance?.counter == 1)
        #expect(try log.run(log.governed(.rotateGovernance(newRules), by: [1, 2])).last == .governanceRotated(keys: 1, quorum: 1))
        #expect(log.state.governance?.rules == newRules)
        #expect(rejection(try log.run(log.governed(.definePool(Self.pool), by: [1, 2, 3]))) == .governanceQuorumShort)
        #expect(rejection(try log.run(log.governed(.definePool(Self.pool), by: [4]))) == nil)
        // The old feed lost its right with the rotation.
        #expect(rejection(try log.run(.recordCarbonSeries(zone: "NO", firstHour: 491_000, milligramsPerKWh: [20_000]), by: Self.feed)) == .notGovernance)
        // The rotated rules survive a snapshot and enter the digest.
        let bytes = try StateSnapshot.encode(log.state)
        let restored = try StateSnapshot.decode(bytes, genesis: Self.genesis)
        #expect(restored.governance == log.state.governance && restored.digest == log.state.digest)
        #expect(log.state.snapshot.governance == log.state.governance, "governance is part of the digested snapshot")
    }

    @Test("only governance commands may be approved; a genesis without governance keys takes no governed command")
    func scope() throws {
        var log = Log()
        let submission = Command.submitJob(spec: spec(), pool: nil)
        #expect(rejection(try log.run(log.governed(submission, by: [1, 2]))) == .notGovernable)
        #expect(rejection(try log.run(log.governed(log.governed(.definePool(Self.pool), by: [1, 2]), by: [1, 2]))) == .notGovernable)
        var single = Driver()
        let approved = GovernedCommand(counter: 0, command: .definePool(Self.pool), approvals: [])
        #expect(rejection(try single.run(.governed(approved), by: governance)) == .notEnabled)
        #expect(rejection(try single.run(.definePool(Self.pool), by: governance)) == nil)
    }

    @Test("a proposal's command bytes decode to the command, and nothing else does")
    func commandBytes() throws {
        let command = Command.grantSetAside(SetAsideGrant(pool: "students", tenantID: "t", quotaGPUSeconds: 3_600, expires: t0))
        #expect(try Command(encodedBytes: command.encodedBytes) == command)
        #expect(throws: LeafDecodingError.self) { try Command(encodedBytes: command.encodedBytes + [0]) }
        #expect(throws: LeafDecodingError.self) { try Command(encodedBytes: Array(command.encodedBytes.dropLast())) }
        #expect(throws: LeafDecodingError.self) { try Command(encodedBytes: [23, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 23]) }
    }
}
