import Hummingbird
import OSGCore
import OSGDomain
import OSGRequestBodies

/// Governance routes (docs/API.md, "Governance by quorum"): the keys in force with the counter
/// the next approval is for, and the submission of a command a quorum approved.
extension Coordinator {
    func addGovernanceRoutes(to router: Router<CoordinatorRequestContext>) {
        router.get("/v1/governance") { _, _ in
            // Fresh for every governed write (the counter the next approval must carry).
            JSONResponse.response(GovernanceView(await self.reader.state(for: CoordinatorState.governanceAuthority),
                                                 genesisDigest: self.audience.genesisDigest),
                                  headers: [.cacheControl: "no-cache"])
        }
        router.post("/v1/governance") { request, _ in
            let auth = try await self.authenticator.readWrite(request, accepting: .json)
            let body = try StrictJSON.decode(GovernedCommandBody.self, from: auth.body)
            let outcome = try await self.perform(body.governed, by: auth)
            return JSONResponse.response(Views.accepted(outcome), status: .created)
        }
    }
}

/// `GET /v1/governance`: who governs this log and what the next approval must sign.
struct GovernanceView: Encodable, Sendable {
    /// `quorum` (governance keys) or `coordinator_key` (the coordinator's key governs alone).
    var mode: String
    /// The coordinator's key (ticks and clearings; everything where `mode` is `coordinator_key`).
    var coordinator: String
    var keys: [String]?
    var quorum: Int?
    var carbonFeeds: [String]?
    /// The counter the next governance command is approved for.
    var counter: UInt64?
    /// What approvals sign: the scheme and the genesis digest of the statement.
    var statementScheme: String?
    var genesisSHA256: String

    enum CodingKeys: String, CodingKey {
        case mode, coordinator, keys, quorum, counter
        case carbonFeeds = "carbon_feeds", statementScheme = "statement_scheme", genesisSHA256 = "genesis_sha256"
    }

    /// `genesisDigest`: the log's (the coordinator's audience has it, computed once).
    init(_ state: CoordinatorState, genesisDigest: [UInt8]) {
        coordinator = state.genesis.governanceID
        genesisSHA256 = Hex.encode(genesisDigest)
        guard let book = state.governance else {
            mode = "coordinator_key"
            return
        }
        mode = "quorum"
        keys = book.rules.keys
        quorum = book.rules.quorum
        carbonFeeds = book.rules.carbonFeeds
        counter = book.counter
        statementScheme = GovernanceStatement.scheme
    }
}
