import Crypto
import OSGDomain
import Testing
@testable import OSGCore

@Suite("Command proofs: the format-2 leaf and the statement, byte for byte; the faucet as a rule of the log")
struct CommandProofTests {
    static let key = try! Curve25519.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: 2, count: 32))
    static let actor = Identity(publicKey: key.publicKey).id
    static let statement = CommandStatement(origin: "test.openstargate/log", genesisDigest: [UInt8](repeating: 0xAB, count: 32))

    /// Computed independently (Python `cryptography`, Ed25519 of RFC 8032, deterministic) from
    /// docs/TRANSPARENCY_LOG.md, "Command proofs": operator key 02…02 reporting node `n1` alive
    /// as entry 5 at 1,795,000,000 s, signed one second before with nonce `abcdefghijklmnop`.
    static let knownLeafHex = """
        020000000000000005000000006afd86c08139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394000000006afd86bf\
        00106162636465666768696a6b6c6d6e6f70df15a2d4cf2052f20be514f2b7570b2c87d89785211986bb7347df38b7267dc5abfd50c4142f85df\
        2294e40cabe2a96725b2bc9eab6f2d2c77b83bb74694380b00403831333937373065613837643137356635366133353436366333346337656363\
        636238643861393162346565333761323564663630663562386663396233393404000100026e31
        """

    @Test("a proven heartbeat encodes to the independently computed 212 bytes, and decodes back")
    func knownAnswer() throws {
        let proof = try Self.statement.prove(actor: Self.actor, command: .heartbeat(nodeIDs: ["n1"]), signedAt: 1_794_999_999,
                                             nonce: "abcdefghijklmnop", with: Self.key)
        let entry = LogEntry(sequence: 5, time: Timestamp(secondsSinceEpoch: 1_795_000_000), actor: Self.actor,
                             command: .heartbeat(nodeIDs: ["n1"]), proof: proof)
        #expect(Hex.encode(entry.leafBytes) == Self.knownLeafHex)
        let decoded = try LogEntry(leafBytes: try #require(Hex.decode(Self.knownLeafHex)))
        #expect(decoded == entry)
        #expect(Self.statement.bytes(of: decoded).map(proof.verifies) == true)
    }

    @Test("the command bytes of a proven entry are the format-1 entry's bytes after its header")
    func commandBytesMatchFormatOne() throws {
        let command = Command.transferCredits(to: "ab", amount: MicroCredits(7))
        let plain = LogEntry(sequence: 9, time: Timestamp(secondsSinceEpoch: 1), actor: Self.actor, command: command)
        let proof = try Self.statement.prove(actor: Self.actor, command: command, signedAt: 1, nonce: "0123456789abcdef", with: Self.key)
        var proven = plain
        proven.proof = proof
        #expect(Array(proven.leafBytes.suffix(plain.leafBytes.count - 17)) == Array(plain.leafBytes.dropFirst(17)))
        #expect(proven.leafBytes.count == plain.leafBytes.count + 32 + 8 + 2 + 16 + 64)
        #expect(proven.leafBytes.first == 2 && plain.leafBytes.first == 1)
    }

    @Test("a truncated proof, or a format byte other than 1 or 2, does not decode")
    func strictDecoding() throws {
        let leaf = try #require(Hex.decode(Self.knownLeafHex))
        for cut in [18, 49, 60, 100] {
            #expect(throws: LeafDecodingError.self) { try LogEntry(leafBytes: Array(leaf.prefix(cut))) }
        }
        var other = leaf
        other[0] = 3
        #expect(throws: LeafDecodingError.self) { try LogEntry(leafBytes: other) }
    }

    @Test("the statement binds everything: another origin, genesis, time, nonce, actor or command fails the signature")
    func statementBindsEverything() throws {
        let command = Command.heartbeat(nodeIDs: ["n1"])
        let proof = try Self.statement.prove(actor: Self.actor, command: command, signedAt: 10, nonce: "0123456789abcdef", with: Self.key)
        #expect(proof.verifies(Self.statement.bytes(actor: Self.actor, command: command, signedAt: 10, nonce: "0123456789abcdef")))
        let others: [[UInt8]] = [
            CommandStatement(origin: "other/log", genesisDigest: Self.statement.genesisDigest)
                .bytes(actor: Self.actor, command: command, signedAt: 10, nonce: "0123456789abcdef"),
            CommandStatement(origin: Self.statement.origin, genesisDigest: [UInt8](repeating: 0, count: 32))
                .bytes(actor: Self.actor, command: command, signedAt: 10, nonce: "0123456789abcdef"),
            Self.statement.bytes(actor: Self.actor, command: command, signedAt: 11, nonce: "0123456789abcdef"),
            Self.statement.bytes(actor: Self.actor, command: command, signedAt: 10, nonce: "0123456789abcdeg"),
            Self.statement.bytes(actor: "other", command: command, signedAt: 10, nonce: "0123456789abcdef"),
            Self.statement.bytes(actor: Self.actor, command: .heartbeat(nodeIDs: ["n2"]), signedAt: 10, nonce: "0123456789abcdef"),
        ]
        for bytes in others { #expect(!proof.verifies(bytes)) }
    }

    @Test("the order rules: unsigned participant commands, the window and nonce reuse", arguments: [false, true])
    func orderRules(required: Bool) throws {
        let governance = "gov"
        let genesis = Genesis(governanceID: governance, signedCommands: required ? SignedCommandRules(windowSeconds: 60) : nil)
        var check = CommandProofCheck(genesis: genesis, origin: "o")
        func proven(_ sequence: UInt64, at time: Int64, signedAt: Int64, nonce: String) throws -> LogEntry {
            let statement = CommandStatement(origin: "o", genesis: genesis)
            let command = Command.heartbeat(nodeIDs: ["n1"])
            return LogEntry(sequence: sequence, time: Timestamp(secondsSinceEpoch: time), actor: Self.actor, command: command,
                            proof: try statement.prove(actor: Self.actor, command: command, signedAt: signedAt, nonce: nonce, with: Self.key))
        }
        let tick = LogEntry(sequence: 0, time: Timestamp(secondsSinceEpoch: 100), actor: governance, command: .tick)
        #expect(check.orderProblem(of: tick) == nil)
        let unsigned = LogEntry(sequence: 1, time: Timestamp(secondsSinceEpoch: 100), actor: Self.actor, command: .heartbeat(nodeIDs: ["n1"]))
        #expect(check.orderProblem(of: unsigned)?.code == (required ? "unsigned_command" : nil))
        let governanceDeposit = LogEntry(sequence: 2, time: Timestamp(secondsSinceEpoch: 100), actor: governance,
                                         command: .deposit(tenantID: Self.actor, amount: MicroCredits(1)))
        #expect(check.orderProblem(of: governanceDeposit)?.code == (required ? "unsigned_command" : nil))
        #expect(check.orderProblem(of: try proven(3, at: 100, signedAt: 95, nonce: "nonce-a-0123456789")) == nil)
        #expect(check.orderProblem(of: try proven(4, at: 130, signedAt: 125, nonce: "nonce-a-0123456789"))?.code == (required ? "replayed_nonce" : nil))
        #expect(check.orderProblem(of: try proven(5, at: 200, signedAt: 195, nonce: "nonce-a-0123456789")) == nil, "past the window a nonce may come back")
        #expect(check.orderProblem(of: try proven(6, at: 300, signedAt: 239, nonce: "nonce-b-0123456789"))?.code == (required ? "proof_outside_window" : nil))
        #expect(check.orderProblem(of: try proven(7, at: 300, signedAt: 361, nonce: "nonce-c-0123456789"))?.code == (required ? "proof_outside_window" : nil))
        #expect(check.signatureProblem(of: try proven(8, at: 300, signedAt: 300, nonce: "short")).map(\.code) == "malformed_proof")
    }

    @Test("the faucet is a rule of the genesis: a participant deposits to itself within its limits, nobody else without governance")
    func faucetRules() throws {
        let faucet = FaucetRules(maxPerRequest: MicroCredits(100), balanceCap: MicroCredits(250))
        var state = CoordinatorState(genesis: Genesis(governanceID: "gov", faucet: faucet))
        let time = Timestamp(secondsSinceEpoch: 1_000)
        func code(_ command: Command, by actor: String) -> String? {
            let entry = LogEntry(sequence: state.nextSequence, time: time, actor: actor, command: command)
            let doorRefusal = state.rejection(of: command, actor: actor, at: time)?.code.rawValue
            let events = state.apply(entry)
            let applied = events.lazy.compactMap { if case .rejected(let rejection) = $0 { rejection.code.rawValue } else { nil } }.first
            #expect(doorRefusal == applied, "the door and the core agree")
            return applied
        }
        #expect(code(.deposit(tenantID: "alice", amount: MicroCredits(100)), by: "alice") == nil)
        #expect(code(.deposit(tenantID: "alice", amount: MicroCredits(101)), by: "alice") == "invalid_amount")
        #expect(code(.deposit(tenantID: "bob", amount: MicroCredits(10)), by: "alice") == "not_governance")
        #expect(code(.deposit(tenantID: "alice", amount: MicroCredits(100)), by: "alice") == nil)
        #expect(code(.deposit(tenantID: "alice", amount: MicroCredits(100)), by: "alice") == "faucet_cap")
        #expect(state.availableFunds(of: "alice") == MicroCredits(200))
        #expect(code(.deposit(tenantID: "alice", amount: MicroCredits(1_000)), by: "gov") == nil, "governance is not bound by the faucet")

        var noFaucet = CoordinatorState(genesis: Genesis(governanceID: "gov"))
        let events = noFaucet.apply(LogEntry(sequence: 0, time: time, actor: "alice", command: .deposit(tenantID: "alice", amount: MicroCredits(1))))
        #expect(events.contains { if case .rejected(let rejection) = $0 { rejection.code == .notGovernance } else { false } })
    }
}
