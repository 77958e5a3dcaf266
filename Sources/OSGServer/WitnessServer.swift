import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import OSGRequestBodies
import OSGTransparency

/// The HTTP face of a ``Witness`` (`osg witness`): `POST /add-checkpoint` as
/// c2sp.org/tlog-witness specifies it, and `GET /` naming the witness's key.
public enum WitnessServer {
    /// Largest `add-checkpoint` body (an old size, 63 proof lines and a checkpoint fit easily).
    static let maxBodyBytes = 64 << 10

    /// One audit the witness ran of a log it witnesses (`osg witness --audit-log`), as served
    /// at `GET /audits`.
    public struct AuditRecord: Encodable, Sendable {
        public var origin: String
        public var treeSize: UInt64?
        public var rootHash: String?
        public var verdict: String
        public var code: String
        public var reason: String
        public var entriesReplayed: UInt64
        /// When the audit ended (RFC 3339, UTC).
        public var auditedAt: String

        public init(origin: String, treeSize: UInt64?, rootHash: String?, verdict: String, code: String, reason: String, entriesReplayed: UInt64, auditedAt: String) {
            (self.origin, self.treeSize, self.rootHash, self.verdict, self.code, self.reason, self.entriesReplayed, self.auditedAt) =
                (origin, treeSize, rootHash, verdict, code, reason, entriesReplayed, auditedAt)
        }

        enum CodingKeys: String, CodingKey {
            case origin, verdict, code, reason
            case treeSize = "tree_size"
            case rootHash = "root_hash"
            case entriesReplayed = "entries_replayed"
            case auditedAt = "audited_at"
        }
    }

    /// - Parameter audits: the witness's recent audits, newest first, served at `GET /audits`
    ///   to any origin (a dashboard elsewhere reads them); `nil`: the witness runs none.
    public static func application(
        witness: Witness, host: String, port: Int, logger: Logger, clock: @escaping @Sendable () -> UInt64 = { UInt64(Date().timeIntervalSince1970) },
        audits: (@Sendable () -> [AuditRecord])? = nil,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let router = Router()
        router.get("/audits") { _, _ -> Response in
            guard let audits else { return text(.notFound, "this witness runs no audits (osg witness --audit-log URL)\n") }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let body = (try? encoder.encode(AuditListing(witness: witness.key.verifierKey.name, audits: audits()))) ?? Data()
            return Response(status: .ok, headers: [.contentType: "application/json", .accessControlAllowOrigin: "*", .cacheControl: "no-store"],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
        }
        router.get("/") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"],
                     body: ResponseBody(byteBuffer: ByteBuffer(string: "OpenStargate witness \(witness.key.verifierKey)\nlogs: \(witness.logs.keys.sorted().joined(separator: ", "))\n")))
        }
        router.post("/add-checkpoint") { request, _ in
            var request = request
            let body: ByteBuffer
            do {
                body = try await request.collectBody(upTo: maxBodyBytes)
            } catch {
                return text(.contentTooLarge, "the body is larger than \(maxBodyBytes) bytes\n")
            }
            switch witness.addCheckpoint(Array(body.readableBytesView), now: clock()) {
            case .success(let cosignature):
                let origin = cosignatureOrigin(body)
                logger.info("cosigned a checkpoint", metadata: ["origin": "\(origin)", "size": "\(witness.latest(origin: origin)?.size ?? 0)"])
                return text(.ok, cosignature.line + "\n")
            case .failure(let refusal):
                logger.notice("refused a checkpoint", metadata: ["code": "\(refusal.code)", "reason": "\(refusal.message)"])
                if refusal.status == 409, let size = refusal.latestSize {
                    return Response(status: .conflict, headers: [.contentType: "text/x.tlog.size"], body: ResponseBody(byteBuffer: ByteBuffer(string: "\(size)\n")))
                }
                return text(HTTPResponse.Status(code: refusal.status), "\(refusal.code): \(refusal.message)\n")
            }
        }
        return Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: "openstargate-witness"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) }, logger: logger)
    }

    private struct AuditListing: Encodable {
        var witness: String
        var audits: [AuditRecord]
    }

    private static func text(_ status: HTTPResponse.Status, _ body: String) -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    /// The origin line of the checkpoint in an add-checkpoint body (for the log line only).
    private static func cosignatureOrigin(_ body: ByteBuffer) -> String {
        let text = String(buffer: body)
        guard let range = text.range(of: "\n\n") else { return "" }
        return String(text[range.upperBound...].prefix { $0 != "\n" })
    }
}
