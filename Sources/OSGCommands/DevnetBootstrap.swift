import Foundation
import OSGDomain

/// What a devnet sets up through the public API once its coordinator listens, each step only
/// if it is not done yet (so a resumed devnet repeats nothing): the set-aside pool for
/// newcomers, funded; the newcomer's grant in it; credits for the demo tenant and the newcomer
/// from the devnet faucet.
struct DevnetBootstrap: Sendable {
    var governance: GovernanceSender
    var tenant: CoordinatorClient
    var newcomer: CoordinatorClient

    /// The pool held for newcomers (students, civic projects, first-time founders).
    static let pool = "newcomers"
    /// A quarter of the capacity; grantees pay 0.50 a GPU-hour, and the pool pays nodes asking
    /// up to 2.50 the difference.
    static var poolFields: [String: Any] { ["name": pool, "share_ppm": 250_000, "price": "0.50", "ceiling": "2.50"] }
    static let newcomerGrantGPUHours = 100
    /// Accounts and the pool's funding are topped up to a faucet request's worth when they fall
    /// below a tenth of it.
    static let topUp = MicroCredits(1_000_000_000), topUpFloor = MicroCredits(100_000_000)

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs every step that is not done; `now` dates the grant (a year from it).
    func run(now: Timestamp) async throws {
        let pools = try await json(governance.client.send(.GET, "/v1/set-asides", signed: false), "reading the set-aside pools")
        let existing = (pools["pools"] as? [[String: Any]] ?? []).first { $0["name"] as? String == Self.pool }
        if existing == nil {
            _ = try await json(
                governance.send(.POST, "/v1/pools", body: Array(JSONOutput.string(Self.poolFields).utf8)), "defining the pool \(Self.pool)")
        }
        let funding = (existing?["funding"] as? String).flatMap { try? MicroCredits(decimal: $0) } ?? MicroCredits(0)
        if funding < Self.topUpFloor {
            _ = try await json(
                governance.send(.POST, "/v1/pools/\(Self.pool)/funding", body: Array(#"{"amount":"\#(Self.topUp)"}"#.utf8)),
                "funding the pool \(Self.pool)")
        }
        if (existing?["grants"] as? Int ?? 0) == 0 {
            let grant: [String: Any] = [
                "pool": Self.pool, "tenant": newcomer.signerID ?? "", "quota_gpu_seconds": Self.newcomerGrantGPUHours * 3_600,
                "expires": now.adding(seconds: 365 * 86_400).description,
            ]
            _ = try await json(governance.send(.POST, "/v1/grants", body: Array(JSONOutput.string(grant).utf8)), "granting the newcomer")
        }
        try await Self.topUp(tenant)
        try await Self.topUp(newcomer)
    }

    /// Asks the devnet faucet for credits when the account holds less than ``topUpFloor``.
    static func topUp(_ account: CoordinatorClient) async throws {
        let answer = try await account.send(.GET, "/v1/account")
        guard answer.status == 200, let object = answer.json as? [String: Any] else {
            throw Failure(description: "reading an account: \(answer.errorSummary)")
        }
        let available = (object["available"] as? String).flatMap { try? MicroCredits(decimal: $0) } ?? MicroCredits(0)
        guard available < topUpFloor else { return }
        let funded = try await account.send(.POST, "/v1/faucet", body: Array(#"{"amount":"\#(topUp)"}"#.utf8))
        guard funded.status == 200 else { throw Failure(description: "the devnet faucet refused: \(funded.errorSummary)") }
    }

    private func json(_ answer: CoordinatorClient.Answer, _ doing: String) throws -> [String: Any] {
        guard (200..<300).contains(answer.status), let object = answer.json as? [String: Any] else {
            throw Failure(description: "\(doing): \(answer.errorSummary)")
        }
        return object
    }
}
