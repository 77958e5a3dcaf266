import Hummingbird
import OSGCore
import OSGDomain
import OSGRequestBodies
import OSGSpec

/// User routes: faucet, submit, cancel, status, history, logs, account; and governance's
/// set-aside pools and grants.
extension Coordinator {
    func addJobRoutes(to router: Router<CoordinatorRequestContext>) {
        router.post("/v1/faucet") { request, _ in
            // Only a devnet gives credits away (its genesis has the faucet's rules): checked
            // before any signature work.
            guard let faucet = self.configuration.genesis.faucet else {
                throw APIError(.notFound, "faucet_disabled",
                               "this coordinator has no faucet (a devnet starts one with `osg serve --devnet-faucet`); credits arrive by deposit")
            }
            let auth = try await self.authenticator.readWrite(request, accepting: .json)
            let body = try StrictJSON.decode(AmountRequest.self, from: auth.body)
            guard body.amount <= faucet.maxPerRequest.rawValue else {
                throw APIError.badRequest("out_of_range", "the devnet faucet gives at most \(faucet.maxPerRequest) credits per request", field: "amount")
            }
            let tenant = auth.signer.id
            let amount = body.amount
            // A drip is the participant's own deposit to itself, signed like any command; the
            // core checks the faucet's cap when it applies it. Checked here as well, inside the
            // single writer, against the state and this key's drips still on their way into it,
            // so concurrent requests cannot all pass against the same old balance.
            let outcome = try await self.perform(body.faucetCommand(signer: tenant), by: auth) { state, unapplied in
                let coming = unapplied.reduce(Int128(0)) { sum, command in
                    if case .deposit(tenant, let credits) = command { sum + Int128(credits.rawValue) } else { sum }
                }
                let balance = Int128(state.availableFunds(of: tenant).rawValue) + coming
                guard balance <= Int128(faucet.balanceCap.rawValue) - Int128(amount) else {
                    throw APIError(.unprocessableContent, "faucet_cap",
                                   "the faucet tops balances up to \(faucet.balanceCap) credits; this key holds \(MicroCredits.description(of: UInt128(clamping: balance))) (with deposits in progress)", field: "amount")
                }
            }
            let after = await self.reader.state(for: tenant).availableFunds(of: tenant)
            return JSONResponse.response(FaucetAccepted(sequence: outcome.entry.sequence, deposited: MicroCredits(body.amount).description, balance: after.description))
        }
        router.post("/v1/jobs") { request, _ in
            let auth = try await self.authenticator.readWrite(request, accepting: .jsonOrYAML)
            let pool = try Self.poolParameter(request.uri.queryParameters)
            guard let text = String(validating: auth.body, as: UTF8.self), !auth.body.isEmpty else {
                throw APIError.badRequest("malformed_body", "the body must be a job spec in UTF-8 YAML or JSON")
            }
            let read = JobSpecReader.read(text, now: self.clock())
            if let problem = read.problems.first {
                let location = problem.line.map { " (line \($0)\(problem.column.map { ", column \($0)" } ?? ""))" } ?? ""
                let more = read.problems.count > 1 ? "; and \(read.problems.count - 1) more problem(s)" : ""
                throw APIError(problem.code == .syntax ? .badRequest : .unprocessableContent, problem.code.rawValue,
                               problem.message + location + more, field: problem.field.isEmpty ? nil : problem.field)
            }
            guard let spec = read.spec else { throw APIError.badRequest("invalid_spec", "the spec could not be read") }
            let limits = self.configuration.writeLimits
            // What the job runs stays out of the log: only its commitment goes in.
            let (publicSpec, contents) = JobContents.split(spec, salt: try Self.contentsSalt(of: request) ?? JobContents.randomSalt())
            let command = Command.submitJob(spec: publicSpec, pool: pool)
            // Authenticated (by the command's signature) before anything is kept in its name.
            let (authenticated, proof) = try self.verify(command, of: auth)
            let tenant = authenticated.signer.id
            try await self.checkBlobInputs(of: spec, tenant: tenant)
            try await self.store(contents, tenant: tenant)
            let nowHour = self.clock().secondsSinceEpoch / 3_600
            // A refused submission leaves its contents in the journal (appended, never
            // rewritten): a few hundred bytes, which the key's rate limit bounds.
            let outcome = try await self.perform(command, by: authenticated, proof: proof) { state, unapplied throws(APIError) in
                try WriteAdmission.job(publicSpec, pool: pool, tenant: tenant, limits: limits, state: state, unapplied: unapplied)
                try WriteAdmission.carbonCap(of: publicSpec, state: state, nowHour: nowHour)
            }
            let jobID = outcome.events.lazy.compactMap { if case .jobQueued(let id, _) = $0 { id } else { nil } }.first ?? "job-\(outcome.entry.sequence)"
            return JSONResponse.response(JobAccepted(job: jobID, sequence: outcome.entry.sequence, submitted: outcome.entry.time.description),
                                         status: .created, headers: [.location: "/v1/jobs/\(jobID)"])
        }
        router.get("/v1/jobs") { request, _ in
            let auth = try await self.authenticator.authenticate(request, accepting: .none)
            let tenant = auth.signer.id
            let state = await self.reader.state(for: tenant)
            let mine = state.orders.values.filter { $0.tenantID == tenant }.sorted { ($0.submitted, $0.id.count, $0.id) < ($1.submitted, $1.id.count, $1.id) }
            let positions = Dictionary(uniqueKeysWithValues: state.queue.enumerated().map { ($1, $0 + 1) })
            let leases = Views.leasesByOrder(of: Set(mine.map(\.id)), in: state)
            let preemptions = Views.preemptionsByLease(in: state)
            let medians = Views.queueMedians(in: state)
            return JSONResponse.response(["jobs": mine.map {
                Views.job($0, in: state, queuePositions: positions, leasesByOrder: leases, preemptionsByLease: preemptions, queueMedians: medians)
            }])
        }
        router.get("/v1/jobs/{id}") { request, context in
            let id = try context.parameters.require("id")
            let auth = try await self.authenticator.authenticate(request, accepting: .none)
            let state = await self.reader.state(for: auth.signer.id)
            let order = try Self.ownedOrder(id, tenant: auth.signer.id, in: state)
            var view = Views.job(order, in: state)
            view.contents = await self.contentsView(of: order.spec)
            return JSONResponse.response(view)
        }
        router.delete("/v1/jobs/{id}") { request, context in
            let id = try context.parameters.require("id")
            let auth = try await self.authenticator.readWrite(request, accepting: .none)
            let outcome = try await self.perform(.cancelJob(orderID: id), by: auth)
            return JSONResponse.response(Views.accepted(outcome))
        }
        router.get("/v1/jobs/{id}/logs") { request, context in
            let id = try context.parameters.require("id")
            let auth = try await self.authenticator.authenticate(request, accepting: .none)
            _ = try Self.ownedOrder(id, tenant: auth.signer.id, in: await self.reader.state(for: auth.signer.id))
            let (lines, dropped) = self.jobLogs.lines(of: id)
            return JSONResponse.response(JobLogs(job: id, lines: lines, droppedLines: dropped))
        }
        router.post("/v1/pools") { request, _ in
            let auth = try await self.authenticator.readWrite(request, accepting: .json)
            let body = try StrictJSON.decode(PoolRequest.self, from: auth.body)
            let outcome = try await self.perform(body.command, by: auth)
            return JSONResponse.response(Views.accepted(outcome), status: .created)
        }
        router.post("/v1/pools/{name}/funding") { request, context in
            let name = try context.parameters.require("name")
            let auth = try await self.authenticator.readWrite(request, accepting: .json)
            let body = try StrictJSON.decode(AmountRequest.self, from: auth.body)
            let outcome = try await self.perform(body.fundingCommand(pool: name), by: auth)
            let funding = await self.reader.state(for: auth.signer.id).poolFunding(of: name)
            return JSONResponse.response(PoolFunded(sequence: outcome.entry.sequence, pool: name,
                                                    funded: MicroCredits(body.amount).description, funding: funding.description))
        }
        router.post("/v1/grants") { request, _ in
            let auth = try await self.authenticator.readWrite(request, accepting: .json)
            let body = try StrictJSON.decode(GrantRequest.self, from: auth.body)
            let outcome = try await self.perform(body.command, by: auth)
            return JSONResponse.response(Views.accepted(outcome), status: .created)
        }
    }

    static func ownedOrder(_ id: String, tenant: String, in state: CoordinatorState) throws(APIError) -> Order {
        guard let order = state.orders[id] else { throw APIError.notFound("no job with id \(id.prefix(128))", field: "id") }
        guard order.tenantID == tenant else { throw APIError.forbidden("job \(id) belongs to another tenant") }
        return order
    }

    static func poolParameter(_ query: Parameters) throws(APIError) -> String? {
        var pool: String?
        for (name, value) in query {
            guard name == "pool" else {
                throw .badRequest("unknown_parameter", "unknown query parameter \(name.prefix(64)); only pool is accepted", field: String(name.prefix(64)))
            }
            guard !value.isEmpty, value.utf8.count <= maxIDBytes else {
                throw .badRequest("out_of_range", "pool must be 1-\(maxIDBytes) bytes", field: "pool")
            }
            pool = String(value)
        }
        return pool
    }

    struct FaucetAccepted: Encodable {
        var sequence: UInt64
        var deposited: String
        var balance: String
    }

    /// The answer to `POST /v1/pools/{name}/funding`: the pool's available funding after it.
    struct PoolFunded: Encodable {
        var sequence: UInt64
        var pool: String
        var funded: String
        var funding: String
    }

    struct JobAccepted: Encodable {
        var job: String
        var sequence: UInt64
        var submitted: String
    }

    struct JobLogs: Encodable {
        var job: String
        var lines: [String]
        var droppedLines: Int
    }
}
