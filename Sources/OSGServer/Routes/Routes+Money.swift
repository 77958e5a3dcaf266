import Hummingbird
import OSGCore
import OSGDomain

/// Money routes (docs/API.md, "Money"): accounts (your own signed, anyone's public), credit
/// transfers, withdrawals and their settlement by governance, governance's deposits (the
/// on-ramp), and the treasury's public figures.
extension Coordinator {
    func addMoneyRoutes(to router: Router<CoordinatorRequestContext>) {
        router.get("/v1/account") { request, _ in
            let auth = try await self.authenticator.authenticate(request, accepting: .none)
            let id = auth.signer.id
            return JSONResponse.response(MoneyViews.account(id, in: await self.reader.state(for: id)))
        }
        router.get("/v1/accounts/{id}") { _, context in
            let id = try context.parameters.require("id")
            guard Identity(hex: id) != nil else {
                throw APIError(.notFound, "unknown_account", "\(id.prefix(80)) is not a participant: an account is a hex Ed25519 public key")
            }
            return JSONResponse.response(MoneyViews.account(id, in: await self.reader.state()))
        }
        router.get("/v1/treasury") { _, _ in
            let bytes = await self.publicViews.bytes(for: "/v1/treasury") {
                JSONResponse.encode(MoneyViews.treasury(await self.reader.state()))
            }
            return JSONResponse.response(bytes: bytes, headers: [.cacheControl: "public, max-age=1"])
        }
        router.post("/v1/transfers") { request, _ in
            let auth = try await self.authenticator.authenticate(request, accepting: .json)
            let body = try StrictJSON.decode(TransferRequestBody.self, from: auth.body)
            let outcome = try await self.perform(.transferCredits(to: body.to, amount: MicroCredits(body.amount)), by: auth)
            let state = await self.reader.state(for: auth.signer.id)
            return JSONResponse.response(MoneyViews.TransferDone(
                sequence: outcome.entry.sequence, from: auth.signer.id, to: body.to, amount: MicroCredits(body.amount).description,
                available: state.availableFunds(of: auth.signer.id).description), status: .created)
        }
        router.post("/v1/deposits") { request, _ in
            let auth = try await self.authenticator.authenticate(request, accepting: .json)
            let body = try StrictJSON.decode(DepositRequestBody.self, from: auth.body)
            let outcome = try await self.perform(.deposit(tenantID: body.tenant, amount: MicroCredits(body.amount)), by: auth)
            return JSONResponse.response(Views.accepted(outcome), status: .created)
        }
        router.post("/v1/withdrawals") { request, _ in
            let auth = try await self.authenticator.authenticate(request, accepting: .json)
            let body = try StrictJSON.decode(WithdrawalRequestBody.self, from: auth.body)
            let outcome = try await self.perform(.requestWithdrawal(amount: MicroCredits(body.amount), reference: body.reference), by: auth)
            let id = outcome.events.lazy.compactMap { if case .withdrawalRequested(let id, _, _) = $0 { id } else { nil } }.first ?? "wd-\(outcome.entry.sequence)"
            let state = await self.reader.state(for: auth.signer.id)
            let withdrawal = try Self.withdrawal(id, in: state)
            return JSONResponse.response(MoneyViews.withdrawal(withdrawal), status: .created, headers: [.location: "/v1/withdrawals/\(id)"])
        }
        router.get("/v1/withdrawals") { request, _ in
            let auth = try await self.authenticator.authenticate(request, accepting: .none)
            let state = await self.reader.state(for: auth.signer.id)
            let status = request.uri.queryParameters["status"].map(String.init)
            if let status, MoneyBook.Withdrawal.Status(rawValue: status) == nil {
                throw APIError.badRequest("invalid_parameter", "status must be pending, paid or voided", field: "status")
            }
            // Governance pays withdrawals out, so it sees everyone's; anyone else its own.
            let everyone = auth.signer.id == state.genesis.governanceID
            let listed = (state.money?.withdrawals.values ?? [:].values)
                .filter { (everyone || $0.accountHolder == auth.signer.id) && (status == nil || $0.status.rawValue == status) }
                .sorted { ($0.requested, $0.id) < ($1.requested, $1.id) }
            return JSONResponse.response(["withdrawals": listed.map(MoneyViews.withdrawal)])
        }
        router.post("/v1/withdrawals/{id}/settlement") { request, context in
            let id = try context.parameters.require("id")
            let auth = try await self.authenticator.authenticate(request, accepting: .json)
            let body = try StrictJSON.decode(WithdrawalSettlementBody.self, from: auth.body)
            _ = try await self.perform(.settleWithdrawal(withdrawalID: id, paid: body.paid), by: auth)
            let withdrawal = try Self.withdrawal(id, in: await self.reader.state(for: auth.signer.id))
            return JSONResponse.response(MoneyViews.withdrawal(withdrawal))
        }
    }

    private static func withdrawal(_ id: String, in state: CoordinatorState) throws(APIError) -> MoneyBook.Withdrawal {
        guard let withdrawal = state.money?.withdrawals[id] else {
            throw APIError(.notFound, "unknown_withdrawal", "no withdrawal with id \(id)")
        }
        return withdrawal
    }
}

/// `POST /v1/transfers`.
struct TransferRequestBody: Decodable {
    var to: String
    var amount: Int64
    enum CodingKeys: String, CodingKey, CaseIterable { case to, amount }

    init(from decoder: any Decoder) throws {
        try StrictJSON.rejectUnknownKeys(in: decoder, allowed: Set(CodingKeys.allCases.map(\.rawValue)))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        to = try c.decode(String.self, forKey: .to)
        amount = try c.decodeAmount(forKey: .amount)
    }
}

/// `POST /v1/deposits` (governance: the on-ramp).
struct DepositRequestBody: Decodable {
    var tenant: String
    var amount: Int64
    enum CodingKeys: String, CodingKey, CaseIterable { case tenant, amount }

    init(from decoder: any Decoder) throws {
        try StrictJSON.rejectUnknownKeys(in: decoder, allowed: Set(CodingKeys.allCases.map(\.rawValue)))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        tenant = try c.decode(String.self, forKey: .tenant)
        guard Identity(hex: tenant) != nil else {
            throw APIError(.unprocessableContent, "unknown_account", "tenant must be a participant's hex Ed25519 public key", field: "tenant")
        }
        amount = try c.decodeAmount(forKey: .amount)
    }
}

/// `POST /v1/withdrawals`.
struct WithdrawalRequestBody: Decodable {
    var amount: Int64
    var reference: String
    enum CodingKeys: String, CodingKey, CaseIterable { case amount, reference }

    init(from decoder: any Decoder) throws {
        try StrictJSON.rejectUnknownKeys(in: decoder, allowed: Set(CodingKeys.allCases.map(\.rawValue)))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        amount = try c.decodeAmount(forKey: .amount)
        reference = try c.decodeIfPresent(String.self, forKey: .reference) ?? ""
    }
}

/// `POST /v1/withdrawals/{id}/settlement` (governance).
struct WithdrawalSettlementBody: Decodable {
    var paid: Bool
    enum CodingKeys: String, CodingKey, CaseIterable { case paid }

    init(from decoder: any Decoder) throws {
        try StrictJSON.rejectUnknownKeys(in: decoder, allowed: Set(CodingKeys.allCases.map(\.rawValue)))
        paid = try decoder.container(keyedBy: CodingKeys.self).decode(Bool.self, forKey: .paid)
    }
}

/// What the money routes answer.
enum MoneyViews {
    struct Account: Encodable {
        var id: String
        /// Credits the account can spend now.
        var available: String
        /// Credits posted to it (available plus what is reserved).
        var balance: String
        /// Reserved by running leases' escrows.
        var inEscrow: String
        /// Held by pending withdrawals.
        var pendingWithdrawals: String
        /// Locked as collateral of its registered nodes, and cooling off for its withdrawn ones.
        var collateral: String
        var collateralCoolingOff: String
        var isGovernance: Bool
    }

    static func account(_ id: String, in state: CoordinatorState) -> Account {
        let balances = state.accountBalances(of: id)
        let (locked, cooling) = state.collateralTotals(ofOperator: id)
        return Account(id: id, available: balances.available.description, balance: balances.posted.description,
                       inEscrow: balances.inEscrow.description, pendingWithdrawals: balances.pendingWithdrawals.description,
                       collateral: MicroCredits.description(ofTotal: locked), collateralCoolingOff: MicroCredits.description(ofTotal: cooling),
                       isGovernance: id == state.genesis.governanceID)
    }

    struct TransferDone: Encodable {
        var sequence: UInt64
        var from: String
        var to: String
        var amount: String
        /// The sender's available credits after it.
        var available: String
    }

    struct Withdrawal: Encodable {
        var id: String
        var account: String
        var amount: String
        var reference: String
        var status: String
        var requested: String
        var settled: String?
    }

    static func withdrawal(_ withdrawal: MoneyBook.Withdrawal) -> Withdrawal {
        Withdrawal(id: withdrawal.id, account: withdrawal.accountHolder, amount: withdrawal.amount.description,
                   reference: withdrawal.reference, status: withdrawal.status.rawValue,
                   requested: withdrawal.requested.description, settled: withdrawal.settled?.description)
    }

    struct Treasury: Encodable {
        /// Whether the log's genesis has money rules (a log that predates them has none).
        var rules: Rules?
        var treasuryBalance: String
        var deposited: String
        var withdrawn: String
        /// Credits in the market: deposits less withdrawals paid (= the sum of every balance).
        var outstanding: String
        var fees: String
        var slashed: String
        var compensation: String
        var transferred: String
        var pendingWithdrawals: Int
    }

    struct Rules: Encodable {
        var protocolFeeBps: Int64
        var collateralCoolingOffSeconds: Int64
        var slashBps: Int64
        var slashMinimum: String
        var slashCap: String
        var faultWindowSeconds: Int64
    }

    static func treasury(_ state: CoordinatorState) -> Treasury {
        let book = state.money ?? MoneyBook()
        let rules = state.genesis.money.map {
            Rules(protocolFeeBps: $0.protocolFeeBasisPoints, collateralCoolingOffSeconds: $0.collateralCoolingOffSeconds,
                  slashBps: $0.slashBasisPoints, slashMinimum: $0.slashMinimum.description, slashCap: $0.slashCap.description,
                  faultWindowSeconds: $0.faultWindowSeconds)
        }
        let credits = { (value: UInt64) in MicroCredits.description(ofTotal: Int128(value)) }
        return Treasury(
            rules: rules, treasuryBalance: MicroCredits.description(ofTotal: state.treasuryBalance),
            deposited: credits(book.depositedMicroCredits), withdrawn: credits(book.withdrawnMicroCredits),
            outstanding: MicroCredits.description(ofTotal: Int128(book.depositedMicroCredits) - Int128(book.withdrawnMicroCredits)),
            fees: credits(book.feesMicroCredits), slashed: credits(book.slashedMicroCredits),
            compensation: credits(book.compensationMicroCredits), transferred: credits(book.transferredMicroCredits),
            pendingWithdrawals: book.withdrawals.values.filter { $0.status == .pending }.count)
    }
}
