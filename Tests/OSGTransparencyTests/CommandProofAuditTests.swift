import Crypto
import Foundation
import OSGCore
import OSGDomain
import OSGLog
import OSGStore
import Testing
@testable import OSGTransparency

/// A small log whose genesis requires command proofs, written as the coordinator writes it:
/// participants sign each command's statement; the coordinator's ticks and clearings carry none.
struct SignedLogFixture {
    static let window: Int64 = 120
    let governance = try! Curve25519.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: 1, count: 32))
    let operatorKey = try! Curve25519.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: 2, count: 32))
    let tenantKey = try! Curve25519.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: 3, count: 32))
    /// Governance keys of the log, if it has any (governance by quorum).
    var governanceRules: GovernanceRules? = nil
    var genesis: Genesis {
        Genesis(governanceID: Self.id(governance), heartbeatTimeoutSeconds: 90, signedCommands: SignedCommandRules(windowSeconds: Self.window),
                faucet: FaucetRules(maxPerRequest: MicroCredits(1_000 * MicroCredits.perCredit), balanceCap: MicroCredits(10_000 * MicroCredits.perCredit)),
                governance: governanceRules)
    }
    var statement: CommandStatement { CommandStatement(origin: testOrigin, genesis: genesis) }
    static let start: Int64 = 1_795_000_000

    static func id(_ key: Curve25519.Signing.PrivateKey) -> String { Identity(publicKey: key.publicKey).id }

    /// Entry `sequence` of `command` by `key`'s participant, signed `lag` seconds before it is logged.
    func signed(_ sequence: UInt64, _ command: Command, by key: Curve25519.Signing.PrivateKey, at time: Int64,
                nonce: String? = nil, lag: Int64 = 1) throws -> LogEntry {
        let actor = Self.id(key)
        let nonce = nonce ?? "nonce-\(sequence)-0123456789"
        let proof = try statement.prove(actor: actor, command: command, signedAt: time - lag, nonce: nonce, with: key)
        return LogEntry(sequence: sequence, time: Timestamp(secondsSinceEpoch: time), actor: actor, command: command, proof: proof)
    }

    func mechanical(_ sequence: UInt64, _ command: Command, at time: Int64) -> LogEntry {
        LogEntry(sequence: sequence, time: Timestamp(secondsSinceEpoch: time), actor: Self.id(governance), command: command)
    }

    /// An honest log: a node, heartbeats, a faucet drip, a job, ticks and clearings.
    func honestEntries() throws -> [LogEntry] {
        let operatorID = Self.id(operatorKey)
        let node = ComputeNode(id: "n1", operatorID: operatorID, gpuModel: GPUModel.named("H100")!, gpuCount: 8, vramGiB: 80, cpuCores: 64, memoryGiB: 512,
                               diskGiB: 1_000, region: "eu", jurisdiction: "DE", gridZone: "DE", powerSource: .wind,
                               askPerGPUHour: MicroCredits(1_500_000), stake: .zero)
        let t = Self.start
        return [
            try signed(0, .registerNode(node), by: operatorKey, at: t),
            try signed(1, .heartbeat(nodeIDs: ["n1"]), by: operatorKey, at: t + 1),
            try signed(2, .deposit(tenantID: Self.id(tenantKey), amount: MicroCredits(500 * MicroCredits.perCredit)), by: tenantKey, at: t + 2),
            try signed(3, .cancelJob(orderID: "job-none"), by: tenantKey, at: t + 3),
            mechanical(4, .tick, at: t + 5),
            mechanical(5, .clear, at: t + 5),
            try signed(6, .heartbeat(nodeIDs: ["n1"]), by: operatorKey, at: t + 30),
        ]
    }

    /// Publishes `entries` as the coordinator would and audits the result.
    func audit(_ entries: [LogEntry]) async throws -> AuditReport {
        let directory = try temporaryDirectory()
        let store = InMemoryCommandLogStore()
        try store.initialize(genesis: genesis)
        try store.append(entries)
        var state = CoordinatorState(genesis: genesis)
        for entry in entries { _ = state.apply(entry) }
        _ = try await TransparencyLogWriter.open(directory: directory, signer: signer(), origin: testOrigin, store: store, state: state)
        return await OSGTransparencyTests.audit(directory, stateDir: try temporaryDirectory())
    }
}

@Suite("osg audit checks every participant's signature: a forged, altered or replayed command is named")
struct CommandProofAuditTests {
    let fixture = SignedLogFixture()

    @Test("an honest signed log verifies, counting its proofs")
    func honestLogVerifies() async throws {
        let report = try await fixture.audit(try fixture.honestEntries())
        #expect(report.verdict == .verified, "\(report.code): \(report.reason)")
        #expect(report.entriesWithProofs == 5 && report.proofsRequired == true)
        #expect(report.reason.contains("5 proofs"), "\(report.reason)")
    }

    @Test("a command the coordinator wrote into the store on its own is named: unsigned_command")
    func forgedCommandWithoutProof() async throws {
        var entries = try fixture.honestEntries()
        // The coordinator credits itself a deposit nobody signed, as entry 4.
        entries.insert(fixture.mechanical(4, .deposit(tenantID: SignedLogFixture.id(fixture.governance), amount: MicroCredits(1_000_000)),
                                          at: SignedLogFixture.start + 4), at: 4)
        let renumbered = entries.enumerated().map { LogEntry(sequence: UInt64($0.offset), time: $0.element.time, actor: $0.element.actor,
                                                             command: $0.element.command, proof: $0.element.proof) }
        // Renumbering leaves the later proofs valid: the sequence is not part of the statement.
        let report = try await fixture.audit(renumbered)
        #expect(report.verdict == .failed)
        #expect(report.code == "unsigned_command", "\(report.code): \(report.reason)")
        #expect(report.reason.contains("entry 4"), "\(report.reason)")
    }

    @Test("a participant's command without its proof is named, even when the core accepts it")
    func participantCommandWithoutProof() async throws {
        var entries = try fixture.honestEntries()
        entries[1].proof = nil
        let report = try await fixture.audit(entries)
        #expect(report.code == "unsigned_command" && report.reason.contains("entry 1"), "\(report.code): \(report.reason)")
    }

    @Test("a proof kept but the command altered is named: bad_command_signature")
    func alteredCommand() async throws {
        var entries = try fixture.honestEntries()
        entries[2].command = .deposit(tenantID: SignedLogFixture.id(fixture.tenantKey), amount: MicroCredits(900 * MicroCredits.perCredit))
        let report = try await fixture.audit(entries)
        #expect(report.code == "bad_command_signature", "\(report.code): \(report.reason)")
        #expect(report.reason.contains("entry 2"), "\(report.reason)")
    }

    @Test("a proof moved to another participant's entry is named: proof_signer_not_actor")
    func movedProof() async throws {
        var entries = try fixture.honestEntries()
        entries[3].proof = entries[2].proof
        entries[3].actor = SignedLogFixture.id(fixture.operatorKey)
        let report = try await fixture.audit(entries)
        #expect(report.code == "proof_signer_not_actor" && report.reason.contains("entry 3"), "\(report.code): \(report.reason)")
    }

    @Test("a request replayed into the log is named: replayed_nonce")
    func replayedRequest() async throws {
        var entries = try fixture.honestEntries()
        // Entry 1's heartbeat, logged again as entry 6 with the very same proof.
        entries[6] = LogEntry(sequence: 6, time: entries[6].time, actor: entries[1].actor, command: entries[1].command, proof: entries[1].proof)
        let report = try await fixture.audit(entries)
        #expect(report.code == "replayed_nonce" && report.reason.contains("entry 6"), "\(report.code): \(report.reason)")
    }

    @Test("a proof logged long after it was signed is named: proof_outside_window")
    func staleProof() async throws {
        var entries = try fixture.honestEntries()
        entries[6] = try fixture.signed(6, .heartbeat(nodeIDs: ["n1"]), by: fixture.operatorKey, at: SignedLogFixture.start + 30,
                                        lag: SignedLogFixture.window + 1)
        let report = try await fixture.audit(entries)
        #expect(report.code == "proof_outside_window" && report.reason.contains("entry 6"), "\(report.code): \(report.reason)")
    }

    @Test("a proof signed for another log (another origin) does not verify here")
    func proofForAnotherLog() async throws {
        var entries = try fixture.honestEntries()
        let other = CommandStatement(origin: "elsewhere/log", genesis: fixture.genesis)
        entries[1].proof = try other.prove(actor: entries[1].actor, command: entries[1].command, signedAt: entries[1].time.secondsSinceEpoch,
                                           nonce: "another-log-nonce-1", with: fixture.operatorKey)
        let report = try await fixture.audit(entries)
        #expect(report.code == "bad_command_signature" && report.reason.contains("entry 1"), "\(report.code): \(report.reason)")
    }

    @Test("of several broken proofs the first in log order is named, whichever check finds it")
    func firstProblemInLogOrder() async throws {
        var entries = try fixture.honestEntries()
        entries[6].proof = nil  // an order rule (unsigned_command) at 6
        entries[3].command = .cancelJob(orderID: "job-other")  // a signature rule at 3
        let report = try await fixture.audit(entries)
        #expect(report.code == "bad_command_signature" && report.reason.contains("entry 3"), "\(report.code): \(report.reason)")
    }

    @Test("a second audit checks only the new entries' signatures; without the record of an earlier check, all of them")
    func incrementalAudit() async throws {
        let all = try fixture.honestEntries()
        let directory = try temporaryDirectory()
        let store = InMemoryCommandLogStore()
        try store.initialize(genesis: fixture.genesis)
        try store.append(Array(all.prefix(4)))
        var state = CoordinatorState(genesis: fixture.genesis)
        for entry in all.prefix(4) { _ = state.apply(entry) }
        let writer = try await TransparencyLogWriter.open(directory: directory, signer: signer(), origin: testOrigin, store: store, state: state)
        let stateDir = try temporaryDirectory()
        let first = await audit(directory, stateDir: stateDir)
        #expect(first.verdict == .verified && first.proofsVerifiedBefore == 0, "\(first.reason)")
        let rest = Array(all.dropFirst(4))
        try store.append(rest)
        for entry in rest { _ = state.apply(entry) }
        try await writer.append(rest, state: state)
        let second = await audit(directory, stateDir: stateDir)
        #expect(second.verdict == .verified && second.proofsVerifiedBefore == 4 && second.entriesWithProofs == 5, "\(second.reason)")
        // An auditor state written before proofs (no record): everything is checked again.
        try FileManager.default.removeItem(atPath: AuditTrustStore(directory: stateDir).folder(origin: testOrigin) + "/proofs-verified")
        let third = await audit(directory, stateDir: stateDir)
        #expect(third.verdict == .verified && third.proofsVerifiedBefore == 0, "\(third.reason)")
    }

    @Test("a log whose genesis predates proofs verifies without them, and still checks those present")
    func legacyLog() async throws {
        let report = await audit(try await publishedLog(count: 200), stateDir: try temporaryDirectory())
        #expect(report.verdict == .verified && report.proofsRequired == false && report.entriesWithProofs == 0, "\(report.reason)")
    }
}

@Suite("A signed workload: the log osg log bench audits")
struct SignedWorkloadAuditTests {
    @Test("the signed workload's log verifies, every participant entry with its proof; the unsigned one is unchanged", arguments: [UInt64(1), 2])
    func signedWorkloadVerifies(seed: UInt64) async throws {
        var workload = CommandLogWorkload(seed: seed, operators: 4, nodesPerOperator: 3, tenants: 10, signedFor: testOrigin)
        let entries = workload.entries(count: 1_500)
        let directory = try temporaryDirectory()
        let store = InMemoryCommandLogStore()
        try store.initialize(genesis: workload.logGenesis)
        try store.append(entries)
        _ = try await TransparencyLogWriter.open(directory: directory, signer: signer(), origin: testOrigin, store: store, state: workload.state)
        let report = await audit(directory, stateDir: try temporaryDirectory())
        #expect(report.verdict == .verified, "seed \(seed): \(report.code): \(report.reason)")
        let participantEntries = entries.filter { !CommandProofCheck.isMechanical($0.command) }.count
        #expect(report.entriesWithProofs == UInt64(participantEntries) && participantEntries > 100, "seed \(seed)")

        // The same seed unsigned: the workload of before, without proofs.
        var unsigned = CommandLogWorkload(seed: seed, operators: 4, nodesPerOperator: 3, tenants: 10)
        #expect(unsigned.entries(count: 1_500).allSatisfy { $0.proof == nil } && unsigned.logGenesis == CommandLogWorkload.genesis)
    }
}

@Suite("osg audit re-verifies every governance decision: a command no quorum approved is named")
struct GovernanceAuditTests {
    static let members = (4...6).map { try! Curve25519.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: UInt8($0), count: 32)) }
    let fixture = SignedLogFixture(governanceRules: GovernanceRules(keys: Self.members.map(SignedLogFixture.id), quorum: 2))
    static let pool = SetAsidePool(name: "students", sharePPM: 100_000, pricePerGPUHour: MicroCredits(500_000))

    /// The honest entries, then `governed` submitted (signed) by the tenant at the end.
    func entries(_ governed: [GovernedCommand]) throws -> [LogEntry] {
        var entries = try fixture.honestEntries()
        for command in governed {
            entries.append(try fixture.signed(UInt64(entries.count), .governed(command), by: fixture.tenantKey,
                                              at: SignedLogFixture.start + 40 + Int64(entries.count)))
        }
        return entries
    }

    func approved(_ command: Command, counter: UInt64, by members: [Int]) throws -> GovernedCommand {
        let statement = GovernanceStatement(genesis: fixture.genesis)
        return GovernedCommand(counter: counter, command: command,
                               approvals: try members.map { try statement.approve(counter: counter, command: command, with: Self.members[$0]) })
    }

    @Test("a quorum-approved command verifies")
    func honest() async throws {
        let report = try await fixture.audit(try entries([try approved(.definePool(Self.pool), counter: 0, by: [0, 2])]))
        #expect(report.verdict == .verified, "\(report.code): \(report.reason)")
        #expect(report.governedEntries == 1 && report.reason.contains("1 governance commands approved by a quorum"), "\(report.reason)")
    }

    @Test("one approval short: governance_quorum_short, with the entry's sequence")
    func oneShort() async throws {
        let report = try await fixture.audit(try entries([try approved(.definePool(Self.pool), counter: 0, by: [1])]))
        #expect(report.code == "governance_quorum_short" && report.reason.contains("entry 7"), "\(report.code): \(report.reason)")
    }

    @Test("approvals logged twice: stale_governance_counter")
    func replayed() async throws {
        let command = try approved(.deposit(tenantID: SignedLogFixture.id(fixture.tenantKey), amount: MicroCredits(5)), counter: 0, by: [0, 1])
        let report = try await fixture.audit(try entries([command, command]))
        #expect(report.code == "stale_governance_counter" && report.reason.contains("entry 8"), "\(report.code): \(report.reason)")
    }
}
