import Crypto
import Foundation
import Hummingbird
import OSGCore
import OSGDomain
import OSGRequestBodies

/// `POST /v1/leases/{id}/secrets` (docs/API.md, "Secrets"): the agent of a leased node gets the
/// job's secrets resealed to a key it presents, when the lease runs. The coordinator opens each
/// sealed blob with its sealing key and seals the value again at once; the value is never
/// stored, logged or answered in clear.
extension Coordinator {
    struct ResealedSecret: Encodable {
        var name: String
        /// The value sealed to the recipient (``SealedSecret``), hex.
        var sealed: String
    }

    func addSecretRoutes(to router: Router<CoordinatorRequestContext>) {
        router.post("/v1/leases/{id}/secrets") { request, context in
            let leaseID = try context.parameters.require("id")
            let auth = try await self.authenticator.authenticate(request, accepting: .json)
            let body = try StrictJSON.decode(SecretsRequest.self, from: auth.body)
            guard let raw = Hex.decode(body.recipient), raw.count == 32,
                  let recipient = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: raw) else {
                throw APIError.badRequest("invalid_recipient", "recipient must be an X25519 public key: 64 hex digits", field: "recipient")
            }
            let state = await self.reader.state(for: auth.signer.id)
            guard let lease = state.leases[leaseID], lease.end == nil,
                  lease.allocations.contains(where: { $0.nodeID == body.node }),
                  state.nodes[body.node]?.node.operatorID == auth.signer.id,
                  let order = state.orders[lease.orderID] else {
                throw APIError(.notFound, "unknown_lease", "no running lease \(leaseID.prefix(64)) on a node of this key named \(body.node.prefix(64))")
            }
            guard order.spec.contents != nil else { return JSONResponse.response(["secrets": [ResealedSecret]()]) }
            guard let contents = await self.contents(of: order.spec) else {
                throw APIError(.serviceUnavailable, "contents_unavailable", "the job's contents cannot be read from the contents journal now; retry")
            }
            var resealed: [ResealedSecret] = []
            for secret in contents.secrets {
                guard await self.blobs.owns(order.tenantID, secret.sealed),
                      let sealed = await self.blobs.read(secret.sealed, upTo: 1 << 20),
                      Hex.encode(Array(SHA256.hash(data: sealed))) == secret.sealed else {
                    throw APIError(.conflict, "secret_unavailable", "the sealed value of secret \(secret.name) is gone from the tenant's blobs or does not match its digest")
                }
                do {
                    let value = try SealedSecret.open(Array(sealed), with: self.sealingKey, info: SealedSecret.submissionInfo(name: secret.name, tenant: order.tenantID))
                    let again = try SealedSecret.seal(value, to: recipient, info: SealedSecret.leaseInfo(leaseID: leaseID, name: secret.name))
                    resealed.append(ResealedSecret(name: secret.name, sealed: Hex.encode(again)))
                } catch {
                    throw APIError(.conflict, "secret_unavailable", "secret \(secret.name): \((error as? SealedSecret.Failure)?.description ?? "cannot be resealed")")
                }
            }
            return JSONResponse.response(["secrets": resealed])
        }
    }

    /// A spec's private contents, read from the journal (or, submitted before it, their blob)
    /// and checked against the commitment.
    func contents(of spec: JobSpec) async -> JobContents? {
        guard let digest = spec.contents else { return nil }
        var stored = blobs.contents.read(digest)
        // Contents submitted before the journal existed are blobs.
        if stored == nil { stored = await blobs.read(digest, upTo: 1 << 20) }
        guard let bytes = stored,
              let contents = try? JobContents(bytes: bytes), contents.commitment == digest else { return nil }
        return contents
    }
}
