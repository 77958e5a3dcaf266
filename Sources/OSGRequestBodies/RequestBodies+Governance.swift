import OSGCore
import OSGDomain

/// `POST /v1/governance`: a governance command with a quorum's approvals (docs/API.md,
/// "Governance by quorum"). `command` is the approved command's `u8 tag ‖ fields` in hex, the
/// bytes each approval signed (after the statement's header); `counter` the governance
/// counter they approved it for.
package struct GovernedCommandBody: Decodable {
    /// The most approvals one submission carries.
    package static let maximumApprovals = GovernanceRules.maximumKeys

    package var counter: UInt64
    package var command: Command
    package var approvals: [GovernanceApproval]
    enum CodingKeys: String, CodingKey, CaseIterable { case counter, command, approvals }

    package init(from decoder: any Decoder) throws {
        try StrictJSON.rejectUnknownKeys(in: decoder, allowed: Set(CodingKeys.allCases.map(\.rawValue)))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        counter = try c.decode(UInt64.self, forKey: .counter)
        let hex = try c.decode(String.self, forKey: .command)
        guard hex.utf8.count <= 2 * LogEntry.maximumLeafByteCount, let bytes = Hex.decode(hex), !bytes.isEmpty else {
            throw APIError(.unprocessableContent, "invalid_command", "command must be the approved command's bytes (u8 tag ‖ fields) in hex", field: "command")
        }
        do {
            command = try Command(encodedBytes: bytes)
        } catch {
            throw APIError(.unprocessableContent, "invalid_command", "command does not decode: \(error)", field: "command")
        }
        guard GovernedCommand.isGovernable(command) else {
            throw APIError(.unprocessableContent, "not_governable", "\(command.name) is not a governance command", field: "command")
        }
        approvals = try c.decode([GovernanceApproval].self, forKey: .approvals)
        guard (1...Self.maximumApprovals).contains(approvals.count) else {
            throw APIError(.unprocessableContent, "invalid_approvals", "approvals holds 1 to \(Self.maximumApprovals) approvals, got \(approvals.count)", field: "approvals")
        }
    }

    /// The command logged.
    package var governed: Command { .governed(GovernedCommand(counter: counter, command: command, approvals: approvals)) }
}
