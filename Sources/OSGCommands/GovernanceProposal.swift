import ArgumentParser
import Crypto
import Foundation
import OSGCore
import OSGDomain

/// A governance proposal file (`osg governance propose|sign|submit`): one governance command
/// with the log and counter it is approved for, and the approvals gathered so far.
///
/// ```json
/// {"scheme": "OSG-GOVERNANCE-V1", "genesis_sha256": "<hex>", "counter": 3,
///  "command": "<hex of u8 tag ‖ fields>", "description": "definePool(…)",
///  "approvals": [{"key": "<hex>", "signature": "<hex>"}]}
/// ```
///
/// `description` is for people; `command` is what is approved and submitted, and `sign`
/// decodes it and prints what it is before signing.
struct GovernanceProposal: Codable {
    var scheme: String
    var genesisSHA256: String
    var counter: UInt64
    var command: String
    var description: String
    var approvals: [GovernanceApproval]

    enum CodingKeys: String, CodingKey {
        case scheme, counter, command, description, approvals
        case genesisSHA256 = "genesis_sha256"
    }

    /// A proposal of `command` for `counter`; `description` says in words what it does (the
    /// request it was made from), the command's own text when empty.
    init(genesisSHA256: String, counter: UInt64, command: Command, description: String = "") throws {
        guard let digest = Hex.decode(genesisSHA256), digest.count == 32 else {
            throw CleanExit.failure("the genesis digest must be 64 hex digits, got '\(genesisSHA256.prefix(80))'")
        }
        scheme = GovernanceStatement.scheme
        self.genesisSHA256 = Hex.encode(digest)
        self.counter = counter
        self.command = Hex.encode(command.encodedBytes)
        self.description = description.isEmpty ? String(describing: command) : description
        approvals = []
    }

    /// Reads and checks a proposal file: its scheme, digest and command decode.
    static func read(from path: String) throws -> GovernanceProposal {
        let proposal: GovernanceProposal
        do {
            proposal = try JSONDecoder().decode(GovernanceProposal.self, from: try InputFile.readData(path))
        } catch {
            throw CleanExit.failure("\(path): not a governance proposal: \(error)")
        }
        guard proposal.scheme == GovernanceStatement.scheme else {
            throw CleanExit.failure("\(path): scheme \(proposal.scheme) is not \(GovernanceStatement.scheme)")
        }
        _ = try proposal.statement(path)
        _ = try proposal.decodedCommand(path)
        return proposal
    }

    /// The command approved, decoded from its bytes.
    func decodedCommand(_ source: String = "the proposal") throws -> Command {
        guard let bytes = Hex.decode(command) else { throw CleanExit.failure("\(source): command is not hex") }
        do {
            return try Command(encodedBytes: bytes)
        } catch {
            throw CleanExit.failure("\(source): command does not decode: \(error)")
        }
    }

    /// The statement of the proposal's log.
    func statement(_ source: String = "the proposal") throws -> GovernanceStatement {
        guard let digest = Hex.decode(genesisSHA256), digest.count == 32 else {
            throw CleanExit.failure("\(source): genesis_sha256 must be 64 hex digits")
        }
        return GovernanceStatement(genesisDigest: digest)
    }

    /// Adds `key`'s approval (replacing an earlier one of the same key).
    mutating func approve(with key: Curve25519.Signing.PrivateKey) throws {
        let approval = try statement().approve(counter: counter, command: try decodedCommand(), with: key)
        approvals.removeAll { $0.key == approval.key }
        approvals.append(approval)
        approvals.sort { $0.keyID < $1.keyID }
    }

    /// One line: the command and the counter.
    var summary: String {
        let name = (try? decodedCommand())?.name ?? "?"
        return "\(name) at governance counter \(counter)"
    }

    /// The body of `POST /v1/governance`.
    var requestBody: String {
        JSONOutput.string(["counter": counter, "command": command,
                           "approvals": approvals.map { ["key": $0.keyID, "signature": Hex.encode($0.signature)] }] as [String: Any])
    }

    /// The proposal's JSON text, keys sorted.
    var jsonText: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }

    /// Writes the proposal (atomically: a reader never sees half a file).
    func write(to path: String) throws {
        do {
            try Data((jsonText + "\n").utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw CleanExit.failure("writing \(path): \(error)")
        }
    }
}
