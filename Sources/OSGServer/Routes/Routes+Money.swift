import Hummingbird
import OSGCore
import OSGDomain
import OSGRequestBodies

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
            let auth = try await self.authenticator.readWrite(request, accepting: .json)
            let body = try StrictJSON.decode(TransferRequestBody.self, from: auth.body)
            let outcome = try await self.perform(body.command, by: auth)
            let state = await self.reader.state(for: auth.signer.id)
            return JSONResponse.response(MoneyViews.TransferDone(
                sequence: outcome.entry.sequence, from: auth.signer.id, to: body.to, amount: MicroCredits(body.amount).description,
                available: state.availableFunds(of: auth.signer.id).description), status: .created)
        }
        router.post("/v1/deposits") { request, _ in
            let auth = try await self.authenticator.readWrite(request, accepting: .json)
            let body = try StrictJSON.decode(DepositRequestBody.self, from: auth.body)
            let outcome = try await self.perform(body.command, by: auth)
            return JSONResponse.response(Views.accepted(outcome), status: .created)
        }
        router.post("/v1/withdrawals") { request, _ in
            let auth = try await self.authenticator.readWrite(request, accepting: .json)
            let body = try StrictJSON.decode(WithdrawalRequestBody.self, from: auth.body)
            let outcome = try await self.perform(body.command, by: auth)
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
        router.get("/v1/withdrawals/{id}") { request, context in
            let id = try context.parameters.require("id")
            let auth = try await self.authenticator.authenticate(request, accepting: .none)
            let state = await self.reader.state(for: auth.signer.id)
            let withdrawal = try Self.withdrawal(id, in: state)
            // Its holder's, and governance's, which pays it out.
            guard withdrawal.accountHolder == auth.signer.id || auth.signer.id == state.genesis.governanceID else {
                throw APIError(.notFound, "unknown_withdrawal", "no withdrawal with id \(id) of this key")
            }
            return JSONResponse.response(MoneyViews.withdrawal(withdrawal))
        }
        router.post("/v1/withdrawals/{id}/settlement") { request, context in
            let id = try context.parameters.require("id")
            let auth = try await self.authenticator.readWrite(request, accepting: .json)
            let body = try StrictJSON.decode(WithdrawalSettlementBody.self, from: auth.body)
            _ = try await self.perform(body.command(withdrawalID: id), by: auth)
            let withdrawal = try Self.withdrawal(id, in: await self.reader.state(for: auth.signer.id))
            return JSONResponse.response(MoneyViews.withdrawal(withdrawal))
        }
    }

    func addShareRoutes(to router: Router<CoordinatorRequestContext>) {
        router.post("/v1/nodes/{id}/shares") { request, context in
            let nodeID = try context.parameters.require("id")
            let auth = try await self.authenticator.readWrite(request, accepting: .json)
            let body = try StrictJSON.decode(ShareIssueBody.self, from: auth.body)
            _ = try await self.perform(body.command(nodeID: nodeID), by: auth)
            return JSONResponse.response(try Self.shares(of: nodeID, in: await self.reader.state(for: auth.signer.id)), status: .created)
        }
        router.post("/v1/nodes/{id}/shares/transfers") { request, context in
            let nodeID = try context.parameters.require("id")
            let auth = try await self.authenticator.readWrite(request, accepting: .json)
            let body = try StrictJSON.decode(ShareTransferBody.self, from: auth.body)
            _ = try await self.perform(body.command(nodeID: nodeID), by: auth)
            return JSONResponse.response(try Self.shares(of: nodeID, in: await self.reader.state(for: auth.signer.id)), status: .created)
        }
        router.get("/v1/nodes/{id}/shares") { _, context in
            let nodeID = try context.parameters.require("id")
            return JSONResponse.response(try Self.shares(of: nodeID, in: await self.reader.state()))
        }
        router.get("/v1/shares") { request, _ in
            guard let holder = request.uri.queryParameters["holder"].map(String.init), Identity(hex: holder) != nil else {
                throw APIError.badRequest("invalid_parameter", "holder must be a participant's hex public key", field: "holder")
            }
            let state = await self.reader.state()
            let held = (state.money?.shares ?? [:]).filter { $0.value.holders[holder] != nil || $0.value.earnings[holder] != nil }
            return JSONResponse.response(MoneyViews.Holdings(holder: holder, holdings: held.keys.sorted().map {
                MoneyViews.Holding(node: $0, shares: held[$0]!.holders[holder] ?? 0, issued: held[$0]!.issued,
                                   earned: MicroCredits.description(ofTotal: Int128(held[$0]!.earnings[holder] ?? 0)))
            }))
        }
        router.get("/v1/valuations") { _, _ in
            let bytes = await self.publicViews.bytes(for: "/v1/valuations") {
                let state = await self.reader.state()
                return JSONResponse.encode(MoneyViews.Valuations(asOf: state.lastTime?.description,
                                                                 valuations: (state.valuations ?? []).map(MoneyViews.valuation)))
            }
            return JSONResponse.response(bytes: bytes, headers: [.cacheControl: "public, max-age=1"])
        }
    }

    private static func shares(of nodeID: String, in state: CoordinatorState) throws(APIError) -> MoneyViews.NodeShares {
        guard let book = state.money?.shares[nodeID] else {
            throw APIError(.notFound, "unknown_node", "node \(nodeID) has no shares")
        }
        let holders = Set(book.holders.keys).union(book.earnings.keys).sorted()
        return MoneyViews.NodeShares(node: nodeID, issued: book.issued, holders: holders.map {
            MoneyViews.Holder(holder: $0, shares: book.holders[$0] ?? 0, earned: MicroCredits.description(ofTotal: Int128(book.earnings[$0] ?? 0)))
        })
    }

    private static func withdrawal(_ id: String, in state: CoordinatorState) throws(APIError) -> MoneyBook.Withdrawal {
        guard let withdrawal = state.money?.withdrawals[id] else {
            throw APIError(.notFound, "unknown_withdrawal", "no withdrawal with id \(id)")
        }
        return withdrawal
    }
}

/// What the money routes answer.
enum MoneyViews {
    struct NodeShares: Encodable {
        var node: String
        var issued: Int64
        var holders: [Holder]
    }

    struct Holder: Encodable {
        var holder: String
        var shares: Int64
        /// What it has earned from the node's revenue as a holder, ever.
        var earned: String
    }

    struct Holdings: Encodable {
        var holder: String
        var holdings: [Holding]
    }

    struct Holding: Encodable, Sendable {
        var node: String
        var shares: Int64
        var issued: Int64
        var earned: String
    }

    struct Valuations: Encodable {
        var asOf: String?
        var valuations: [Valuation]
    }

    struct Valuation: Encodable {
        var node: String
        var `operator`: String
        var gpuModel: String
        var gpus: Int
        var windows: [Window]
        var faults: Int
        var recentFaults: Int
        var slashed: String
        var collateral: String
        var benchmark: Views.Benchmark?
        var sharesIssued: Int64
        var shareholders: Int
    }

    struct Window: Encodable {
        var days: Int64
        var seconds: Int64
        var revenue: String
        /// Revenue per installed GPU-hour (utilisation included).
        var revenuePerGpuHour: String
        var utilisationPpm: Int64
        var uptimePpm: Int64
    }

    static func valuation(_ value: NodeValuation) -> Valuation {
        Valuation(node: value.nodeID, operator: value.operatorID, gpuModel: value.gpuModel, gpus: value.gpus,
                  windows: value.windows.map {
                      Window(days: $0.days, seconds: $0.seconds, revenue: MicroCredits($0.revenueMicroCredits).description,
                             revenuePerGpuHour: MicroCredits($0.revenuePerGPUHourMicroCredits).description,
                             utilisationPpm: $0.utilisationPPM, uptimePpm: $0.uptimePPM)
                  },
                  faults: value.faults, recentFaults: value.recentFaults,
                  slashed: MicroCredits.description(ofTotal: Int128(value.slashedMicroCredits)),
                  collateral: MicroCredits(value.collateralMicroCredits).description,
                  benchmark: Views.benchmark(value.benchmark),
                  sharesIssued: value.sharesIssued, shareholders: value.shareholders)
    }

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
