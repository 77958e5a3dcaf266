import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import OSGAuditTool
import OSGAuth
import OSGDomain
import OSGRequestBodies

/// A client of the coordinator's HTTP API that signs its requests (DESIGN.md §7).
struct CoordinatorClient: Sendable {
    /// `http://host:port` or `https://host:port`, without a trailing slash.
    let baseURL: String
    /// The key that signs; `nil` for public reads only.
    private(set) var key: Curve25519.Signing.PrivateKey?
    let http: HTTPClient
    /// Which certificates an `https://` coordinator may present (`--ca-cert`).
    let trust: CoordinatorTrust
    /// The coordinator's origin and genesis, once learnt (see ``audience()``).
    let audienceCache: AudienceCache
    /// The witnesses whose cosignatures the coordinator's checkpoint must carry before any of its
    /// answers is used (`--witness`, `--quorum`); `nil`: none required.
    var witnessQuorum: WitnessQuorum?
    /// Whether ``witnessQuorum`` was met (checked before the first request).
    let quorumCache = QuorumCache()

    /// - Parameter http: the HTTP client; default `HTTPClient.shared` for `http://` and
    ///   ``CoordinatorTrust/httpsClient`` (which reports a refused certificate at once) for `https://`.
    init(baseURL: String, key: Curve25519.Signing.PrivateKey?, trust: CoordinatorTrust = .system, http: HTTPClient? = nil) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.key = key
        self.trust = trust
        self.http = http ?? (baseURL.lowercased().hasPrefix("https:") ? CoordinatorTrust.httpsClient : .shared)
        audienceCache = AudienceCache()
    }

    /// The account that signs (its public key in hex), if any.
    var signerID: String? { key.map { Identity(publicKey: $0.publicKey).id } }

    /// The same coordinator, signing with `key` (sharing what is known of the coordinator).
    func signing(with key: Curve25519.Signing.PrivateKey) -> CoordinatorClient {
        var copy = self
        copy.key = key
        return copy
    }

    /// An answer: status, and the body bytes.
    struct Answer: Sendable {
        var status: Int
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
        var json: Any? { try? JSONSerialization.jsonObject(with: Data(body)) }
        /// `code: message` of an error answer.
        var errorSummary: String {
            guard let error = (json as? [String: Any])?["error"] as? [String: Any] else { return "HTTP \(status): \(text.prefix(300))" }
            let field = (error["field"] as? String).map { " (field \($0))" } ?? ""
            return "\(error["code"] as? String ?? "error"): \(error["message"] as? String ?? "")\(field)"
        }
    }

    /// Why a request could not be made at all.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Sends one request; signs it when `signed` (the default when a key is set).
    /// `bodyDigest`: the body's SHA-256 when the caller has it already (it is not checked).
    func send(_ method: HTTPMethod, _ path: String, body: [UInt8] = [], bodyDigest: [UInt8]? = nil, contentType: String = "application/json",
              signed: Bool? = nil, timeout: TimeAmount = .seconds(60)) async throws -> Answer {
        if let witnessQuorum, !quorumCache.isChecked, path != "/v1/info" {
            do {
                _ = try await witnessQuorum.check(self)
            } catch let refusal as WitnessQuorum.Refusal {
                throw Failure(description: refusal.description)
            }
            quorumCache.isChecked = true
        }
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        if baseURL.lowercased().hasPrefix("https:") { request.tlsConfiguration = trust.tlsConfiguration }
        if !body.isEmpty || contentType == "application/octet-stream" {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        if signed ?? (key != nil) {
            guard let key else { throw Failure(description: "this request must be signed: pass --key FILE") }
            let digest = bodyDigest ?? Array(SHA256.hash(data: body))
            let audience = try await audience()
            let timestamp = Int64(Date().timeIntervalSince1970)
            let nonce = Self.nonce()
            let signature = try SignedRequest.sign(for: audience, method: method.rawValue, path: path, bodyDigest: digest,
                                                   timestamp: timestamp, nonce: nonce, with: key)
            for header in signature.headers { request.headers.add(name: header.name, value: header.value) }
            for header in try CommandSigner(audience: audience, key: key).headers(method: method.rawValue, path: path, body: body,
                                                                                   timestamp: timestamp, nonce: nonce) {
                request.headers.add(name: header.name, value: header.value)
            }
        }
        do {
            let response = try await http.execute(request, timeout: timeout)
            let buffer = try await response.body.collect(upTo: 64 << 20)
            return Answer(status: Int(response.status.code), body: Array(buffer.readableBytesView))
        } catch {
            throw Failure(description: trust.explain(error, url: baseURL) ?? "cannot reach the coordinator at \(baseURL): \(error)")
        }
    }

    /// The coordinator requests are signed for: its origin and genesis digest, read once from
    /// `GET /v1/info` (a signature for another coordinator is refused there, and vice versa).
    func audience() async throws -> RequestAudience {
        if let known = audienceCache.value { return known }
        let answer = try await send(.GET, "/v1/info", signed: false)
        guard answer.status == 200, let info = answer.json as? [String: Any],
              let origin = info["origin"] as? String, let genesis = info["genesis"] as? String,
              let audience = RequestAudience(origin: origin, genesisHex: genesis)
        else {
            throw Failure(description: "\(baseURL)/v1/info did not name the coordinator's origin and genesis (\(answer.errorSummary)); is it an OpenStargate coordinator of this version?")
        }
        audienceCache.value = audience
        return audience
    }

    /// A fresh nonce: 32 random hex characters.
    static func nonce() -> String {
        var generator = SystemRandomNumberGenerator()
        return Hex.encode((0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }
}
