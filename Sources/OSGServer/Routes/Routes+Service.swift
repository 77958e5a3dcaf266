import Foundation
import Hummingbird
import OSGAuth
import OSGDomain
import OSGRequestBodies

extension Coordinator {
    /// Liveness, readiness, metrics and the API description.
    func addServiceRoutes(to router: Router<CoordinatorRequestContext>) {
        router.get("/health") { _, _ in
            JSONResponse.response(["status": "ok"])
        }
        router.get("/ready") { _, _ in
            if let failed = await self.writer.failed {
                throw APIError(.serviceUnavailable, "store_failed", "the store failed (\(failed.message)); restart to recover")
            }
            let length = await self.writer.logLength
            return JSONResponse.response(ReadyView(status: "ready", logEntries: length, governance: self.governanceID))
        }
        router.get("/v1/info") { _, _ in
            JSONResponse.response(InfoView(
                origin: self.audience.origin, genesis: self.audience.genesisHex, governance: self.governanceID,
                signatureScheme: SignedRequest.scheme, signatureWindowSeconds: self.configuration.signatureWindowSeconds,
                sealingKey: Hex.encode(Array(self.sealingKey.publicKey.rawRepresentation)),
                witnesses: self.configuration.witnesses.map { WitnessView(url: $0.url, key: $0.key.description) }))
        }
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(bytes: self.metrics.render())))
        }
        router.get("/openapi.json") { _, _ in
            JSONResponse.response(bytes: OpenAPIDocument.bytes)
        }
    }

    /// What a client needs to sign requests for this coordinator (`GET /v1/info`).
    struct InfoView: Encodable {
        /// The log's origin, the second line of every signed message.
        var origin: String
        /// SHA-256 of the genesis's canonical bytes, in hex: the third line.
        var genesis: String
        var governance: String
        /// `OSG-REQUEST-V2`.
        var signatureScheme: String
        /// How far a request's timestamp may be from the server's clock.
        var signatureWindowSeconds: Int64
        /// The X25519 public key (hex) job secrets are sealed to (`osg submit --secret`).
        var sealingKey: String
        /// The witnesses asked to cosign each checkpoint (`osg serve --witness`).
        var witnesses: [WitnessView]
    }

    /// A witness: its add-checkpoint prefix (and, when it audits, its `/audits`) and its key.
    struct WitnessView: Encodable {
        var url: String
        var key: String
    }

    struct ReadyView: Encodable {
        var status: String
        var logEntries: UInt64
        var governance: String
    }
}

/// The OpenAPI 3.1 description of the API, kept in the repository at
/// `Sources/OSGServer/Resources/openapi.json` and served at `/openapi.json`.
public enum OpenAPIDocument {
    /// The file's bytes.
    public static let bytes: [UInt8] = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json"),
              let data = try? Data(contentsOf: url)
        else { preconditionFailure("the OpenAPI document is a resource of OSGServer") }
        return Array(data)
    }()
}
