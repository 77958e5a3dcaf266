import Crypto
import Foundation
import NIOHTTP1
import OSGCore
import OSGRequestBodies

/// Sends governance's writes the way the coordinator takes them: the request itself where the
/// coordinator's key governs alone (`GET /v1/governance` says `coordinator_key`), or, where the
/// genesis names governance keys, the command the request asks for, approved by `approvers`
/// for the current counter and posted to `POST /v1/governance` (docs/API.md, "Governance by
/// quorum"). What `osg devnet` sets up goes through it.
struct GovernanceSender: Sendable {
    /// Signs the HTTP requests: the coordinator's key (which governs alone in the first case).
    var client: CoordinatorClient
    /// The governance keys that approve (enough of them for the quorum).
    var approvers: [Curve25519.Signing.PrivateKey]

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Sends `method path` with `body` as governance; returns the coordinator's answer.
    func send(_ method: HTTPMethod, _ path: String, body: [UInt8]) async throws -> CoordinatorClient.Answer {
        let view = try await client.send(.GET, "/v1/governance", signed: false)
        guard let object = view.json as? [String: Any], view.status == 200 else {
            throw Failure(description: "reading the coordinator's governance: \(view.errorSummary)")
        }
        guard object["mode"] as? String == "quorum" else { return try await client.send(method, path, body: body) }
        guard let counter = (object["counter"] as? NSNumber)?.uint64Value, let digest = object["genesis_sha256"] as? String else {
            throw Failure(description: "the coordinator's governance view has no counter or genesis digest: \(view.text.prefix(200))")
        }
        guard let command = RequestCommand.command(method: method.rawValue, path: path, body: body, signer: CoordinatorState.governanceAuthority,
                                                   contentsSalt: nil, now: WallClock.now()) else {
            throw Failure(description: "\(method.rawValue) \(path) asks for no command")
        }
        var proposal = try GovernanceProposal(genesisSHA256: digest, counter: counter, command: command,
                                              description: "\(method.rawValue) \(path) \(String(decoding: body, as: UTF8.self))")
        for key in approvers { try proposal.approve(with: key) }
        return try await client.send(.POST, "/v1/governance", body: Array(proposal.requestBody.utf8))
    }
}
