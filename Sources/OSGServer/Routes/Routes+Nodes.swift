import HTTPTypes
import Hummingbird
import OSGCore
import OSGDomain
import OSGRequestBodies
import ServiceLifecycle

/// Operator routes: nodes, heartbeats, leases, lockups, job logs.
extension Coordinator {
    func addNodeRoutes(to router: Router<CoordinatorRequestContext>) {
        router.post("/v1/nodes") { request, _ in
            let auth = try await self.authenticator.readWrite(request, accepting: .json)
            let body = try StrictJSON.decode(NodeRegistration.self, from: auth.body)
            let command = try body.command(signer: auth.signer.id)
            let limits = self.configuration.writeLimits
            let operatorID = auth.signer.id
            let outcome = try await self.perform(command, by: auth) { state, unapplied throws(APIError) in
                try WriteAdmission.node(operatorID: operatorID, limits: limits, state: state, unapplied: unapplied)
            }
            return JSONResponse.response(Views.accepted(outcome), status: .created, headers: [.location: "/v1/nodes/\(body.id)"])
        }
        router.get("/v1/nodes") { _, _ in
            let bytes = await self.publicViews.bytes(for: "nodes") {
                let state = await self.reader.state()
                return JSONResponse.encode(["nodes": state.nodes.values.sorted { $0.node.id < $1.node.id }.map { Views.node($0, in: state) }])
            }
            return JSONResponse.response(bytes: bytes)
        }
        router.get("/v1/nodes/{id}") { _, context in
            let id = try context.parameters.require("id")
            let state = await self.reader.state()
            guard let record = state.nodes[id] else { throw APIError.notFound("no node with id \(id.prefix(128))", field: "id") }
            return JSONResponse.response(Views.node(record, in: state))
        }
        router.patch("/v1/nodes/{id}") { request, context in
            let id = try context.parameters.require("id")
            let auth = try await self.authenticator.readWrite(request, accepting: .json)
            let body = try StrictJSON.decode(NodeUpdate.self, from: auth.body)
            let outcome = try await self.perform(body.command(nodeID: id), by: auth)
            return JSONResponse.response(Views.accepted(outcome))
        }
        router.delete("/v1/nodes/{id}") { request, context in
            let id = try context.parameters.require("id")
            let auth = try await self.authenticator.readWrite(request, accepting: .none)
            let outcome = try await self.perform(.withdrawNode(nodeID: id), by: auth)
            return JSONResponse.response(Views.accepted(outcome))
        }
        router.post("/v1/heartbeats") { request, _ in
            let auth = try await self.authenticator.readWrite(request, accepting: .json)
            let body = try StrictJSON.decode(HeartbeatBatch.self, from: auth.body)
            let outcome = try await self.perform(body.command, by: auth)
            return JSONResponse.response(HeartbeatAccepted(sequence: outcome.entry.sequence, nodes: body.nodes.count,
                                                           cameBack: outcome.events.compactMap { if case .nodeCameBack(let id) = $0 { id } else { nil } }))
        }
        router.get("/v1/leases") { request, _ in
            let auth = try await self.authenticator.authenticate(request, accepting: .none)
            let query = try LeasePoll(request.uri.queryParameters, maxWaitSeconds: self.configuration.maxPollSeconds)
            let current = await self.writer.leaseVersion
            if query.waitSeconds > 0, current <= query.after {
                try await self.openPolls.holding(for: auth.signer.id) {
                    // A shutting-down server answers its long polls at once rather than holding
                    // the shutdown for up to `wait` seconds (the HTTP server drains requests
                    // before the other services hear of the shutdown).
                    await withGracefulShutdownHandler {
                        await self.writer.waitForLeaseChange(after: query.after, timeout: .seconds(query.waitSeconds))
                    } onGracefulShutdown: {
                        Task { await self.writer.wakeAll() }
                    }
                }
            }
            let operatorID = auth.signer.id
            let version = await self.writer.leaseVersion
            // Fresh: the lease changes that woke the poll are in the log by now.
            let state = await self.reader.state(through: await self.writer.logLength)
            return JSONResponse.response(OperatorLeases.of(operatorID, in: state, version: version)).withLeaseVersion(version)
        }
        router.post("/v1/leases/{id}/end") { request, context in
            let id = try context.parameters.require("id")
            let auth = try await self.authenticator.readWrite(request, accepting: .json)
            let body = try StrictJSON.decode(LeaseEndReport.self, from: auth.body)
            let outcome = try await self.perform(body.command(leaseID: id), by: auth)
            return JSONResponse.response(Views.accepted(outcome))
        }
        router.post("/v1/leases/{id}/logs") { request, context in
            let id = try context.parameters.require("id")
            let auth = try await self.authenticator.authenticate(request, accepting: .json)
            let body = try StrictJSON.decode(LogLines.self, from: auth.body)
            let state = await self.reader.state(through: await self.writer.logLength)
            guard let lease = state.leases[id] else { throw APIError.notFound("no lease with id \(id.prefix(128))", field: "id") }
            let operates = lease.allocations.contains { state.nodes[$0.nodeID]?.node.operatorID == auth.signer.id }
            guard operates else { throw APIError.forbidden("lease \(id) does not run on your nodes") }
            if let node = body.node, state.nodes[node]?.node.operatorID != auth.signer.id || !lease.allocations.contains(where: { $0.nodeID == node }) {
                throw APIError.forbidden("node \(node.prefix(128)) is not one of your nodes in lease \(id)")
            }
            let job = lease.orderID
            let skipped = body.firstLine.map {
                self.logCursors.newLines(sender: "\(id)\u{0}\(auth.signer.id)\u{0}\(body.node ?? "")", firstLine: $0, count: body.lines.count)
            } ?? 0
            let lines = body.lines.dropFirst(skipped)
            do {
                if !lines.isEmpty { try await self.jobLogs.appendOffPool(Array(lines), to: job) }
            } catch {
                self.logger.error("could not write a job log", metadata: ["job": "\(job)", "error": "\(error)"])
                throw APIError(.serviceUnavailable, "job_log_unwritable", "the lines are kept in memory but could not be written to disk; they may not survive a restart")
            }
            return JSONResponse.response(["accepted_lines": lines.count, "skipped_lines": skipped])
        }
        router.post("/v1/lockups") { request, _ in
            let auth = try await self.authenticator.readWrite(request, accepting: .json)
            let body = try StrictJSON.decode(LockupRequest.self, from: auth.body)
            let limits = self.configuration.writeLimits
            let operatorID = auth.signer.id
            let outcome = try await self.perform(
                body.command, by: auth) { state, unapplied throws(APIError) in
                try WriteAdmission.lockup(operatorID: operatorID, limits: limits, state: state, unapplied: unapplied)
            }
            return JSONResponse.response(Views.accepted(outcome), status: .created)
        }
        addAgentReportRoutes(to: router)
    }

    struct HeartbeatAccepted: Encodable {
        var sequence: UInt64
        var nodes: Int
        var cameBack: [String]
    }
}

/// What an operator's lease poll answers: the leases running on its nodes.
struct OperatorLeases: Encodable {
    var version: UInt64
    var leases: [Views.Lease]

    static func of(_ operatorID: String, in state: CoordinatorState, version: UInt64) -> OperatorLeases {
        let running = state.runningLeaseOfOrder.values.compactMap { state.leases[$0] }
            .filter { lease in lease.allocations.contains { state.nodes[$0.nodeID]?.node.operatorID == operatorID } }
            .sorted { $0.id < $1.id }
        let preemptions = Views.preemptionsByLease(in: state)
        return OperatorLeases(version: version, leases: running.map { Views.lease($0, in: state, withSpec: true, preemptionsByLease: preemptions) })
    }
}

extension Response {
    /// Sets the `OSG-Lease-Version` header a poller passes back as `after`.
    func withLeaseVersion(_ version: UInt64) -> Response {
        var response = self
        response.headers[HTTPField.Name("OSG-Lease-Version")!] = String(version)
        return response
    }
}

/// `?after=V&wait=S`: wait up to S seconds for a lease change after version V.
struct LeasePoll {
    var after: UInt64 = 0
    var waitSeconds: Int64 = 0

    init(_ query: Parameters, maxWaitSeconds: Int64) throws(APIError) {
        for (name, value) in query {
            switch name {
            case "after":
                guard let parsed = UInt64(value) else { throw .badRequest("wrong_type", "after must be a whole number (a lease version)", field: "after") }
                after = parsed
            case "wait":
                guard let parsed = Int64(value), (0...maxWaitSeconds).contains(parsed) else {
                    throw .badRequest("out_of_range", "wait must be whole seconds from 0 to \(maxWaitSeconds)", field: "wait")
                }
                waitSeconds = parsed
            default:
                throw .badRequest("unknown_parameter", "unknown query parameter \(name.prefix(64)); use after and wait", field: String(name.prefix(64)))
            }
        }
    }
}
