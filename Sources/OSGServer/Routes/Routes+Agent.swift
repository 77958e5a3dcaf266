import Hummingbird
import OSGCore
import OSGDomain
import OSGRequestBodies

/// An operator agent's reports: benchmark results for its nodes, usage of its running leases.
extension Coordinator {
    func addAgentReportRoutes(to router: Router<CoordinatorRequestContext>) {
        router.post("/v1/nodes/{id}/benchmark") { request, context in
            let id = try context.parameters.require("id")
            let auth = try await self.authenticator.readWrite(request, accepting: .json)
            let body = try StrictJSON.decode(BenchmarkReportBody.self, from: auth.body)
            let outcome = try await self.perform(body.command(nodeID: id), by: auth)
            return JSONResponse.response(Views.accepted(outcome))
        }
        router.post("/v1/leases/{id}/usage") { request, context in
            let id = try context.parameters.require("id")
            let auth = try await self.authenticator.readWrite(request, accepting: .json)
            let body = try StrictJSON.decode(UsageReportBody.self, from: auth.body)
            let outcome = try await self.perform(body.command(leaseID: id), by: auth)
            let paid = outcome.events.lazy.compactMap { if case .usageSettled(_, _, let paid) = $0 { paid } else { nil } }.first ?? .zero
            let usage = Views.usage(await self.reader.state(for: auth.signer.id).leases[id]?.usage)
            return JSONResponse.response(Views.UsageAccepted(
                sequence: outcome.entry.sequence, time: outcome.entry.time.description, events: outcome.events.map(\.name),
                paid: paid.description, usage: usage))
        }
    }
}
