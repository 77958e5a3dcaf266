import Crypto
import HTTPTypes
import Hummingbird
import NIOCore
import OSGAuth
import OSGCore
import OSGDomain
import OSGRequestBodies
import OSGStore
import Synchronization

/// Authenticates signed requests (DESIGN.md §7): reads the body within the size limit, checks
/// the content type, checks the Ed25519 signature (in the calling task, so checks run in
/// parallel on every core), then the timestamp window and the nonce (under a lock, cheap), and
/// charges the signer's rate limit only once all of that holds.
public final class RequestAuthenticator: Sendable {
    /// The coordinator requests must be signed for (origin and genesis).
    public let audience: RequestAudience
    private let verifier: Mutex<RequestVerifier>
    private let limiter: RateLimiter
    /// Body bytes per key (`nil`: no byte budget).
    private let byteBudget: RateLimiter?
    /// Largest accepted body, in bytes.
    public let maxBodyBytes: Int
    /// Longest time a body may take to arrive.
    public let bodyDeadline: Duration
    private let unixSeconds: @Sendable () -> Int64
    private let metrics: ServerMetrics
    /// The bodies being read, each against its deadline.
    private let deadlines = DeadlineWatch()

    /// - Parameter byteBudget: body bytes each key may send (its burst at least `maxBodyBytes`).
    public init(audience: RequestAudience, verifier: RequestVerifier, limiter: RateLimiter, byteBudget: RateLimiter? = nil, maxBodyBytes: Int,
                bodyDeadline: Duration = .seconds(10), unixSeconds: @escaping @Sendable () -> Int64, metrics: ServerMetrics) {
        precondition(maxBodyBytes > 0 && bodyDeadline > .zero, "the body limits must be positive")
        precondition(byteBudget.map { $0.burst >= Double(maxBodyBytes) } ?? true, "the byte budget's burst holds the largest body")
        self.audience = audience
        self.byteBudget = byteBudget
        self.bodyDeadline = bodyDeadline
        self.verifier = Mutex(verifier)
        self.limiter = limiter
        self.maxBodyBytes = maxBodyBytes
        self.unixSeconds = unixSeconds
        self.metrics = metrics
    }

    /// Remembers the nonces of requests logged before this start (read back from the store),
    /// so their replays are refused now too.
    public func remember(_ nonces: [AcceptedNonce]) {
        let now = unixSeconds()
        verifier.withLock { verifier in
            for nonce in nonces {
                guard let signer = Identity(hex: nonce.signer) else { continue }
                verifier.remember(signer: signer, nonce: nonce.nonce, timestamp: nonce.timestamp, now: now)
            }
        }
    }

    /// Kinds of body a route accepts.
    public enum BodyKind: Sendable {
        /// No body (signed reads and deletes); any body sent is refused.
        case none
        /// `application/json`.
        case json
        /// `application/json` or `application/yaml` (job specs).
        case jsonOrYAML
        /// `application/octet-stream` (blob chunks).
        case octetStream
    }

    /// An authenticated request: who signed it and the body they signed.
    public struct Authenticated: Sendable {
        public var signer: Identity
        public var body: [UInt8]
        /// The media type of the body (`application/json` or `application/yaml`), if any.
        public var mediaType: String?
        /// The request's nonce, to keep with the command it becomes.
        public var nonce: AcceptedNonce
    }

    /// A write that logs a command, read but not yet authenticated when it carries a command
    /// signature: that signature, checked against the command the route builds
    /// (``Coordinator/verify(_:of:)``), is its authentication, so a write costs one
    /// Ed25519 verification, not two. Until then ``signer`` is only claimed: a route builds the
    /// command from it and does nothing else in its name.
    public struct UnverifiedWrite: Sendable {
        /// The key the request names (verified once the command's signature is).
        public var signer: Identity
        public var body: [UInt8]
        public var mediaType: String?
        /// The request with its headers, to complete (nonce, rate limits) once verified; `nil`
        /// when ``authenticated`` is set.
        let signed: SignedRequest?
        /// The `OSG-Command-Signature` bytes (`nil`: the request signature was checked instead).
        let commandSignature: [UInt8]?
        /// Set when the request signature was checked already (a write without a command
        /// signature, on a log that may not require one).
        let authenticated: Authenticated?
    }

    /// Reads a write that logs a command. With an `OSG-Command-Signature`, only the headers'
    /// form is checked now; ``complete(_:commandSignatureIsValid:statementDigest:)`` checks the rest once the
    /// route has built the command. Without one, the request signature is checked now, as by
    /// ``authenticate(_:accepting:bodyLimit:bodyDeadline:)``.
    public func readWrite(_ request: Request, accepting kind: BodyKind) async throws(APIError) -> UnverifiedWrite {
        guard let commandSignature = try Self.commandSignature(of: request) else {
            let auth = try await authenticate(request, accepting: kind)
            return UnverifiedWrite(signer: auth.signer, body: auth.body, mediaType: auth.mediaType,
                                   signed: nil, commandSignature: nil, authenticated: auth)
        }
        let (mediaType, body, signed) = try await readSigned(request, accepting: kind, bodyLimit: nil, bodyDeadline: nil)
        return UnverifiedWrite(signer: signed.signer, body: body, mediaType: mediaType, signed: signed,
                               commandSignature: commandSignature, authenticated: nil)
    }

    /// Authenticates `write` once its command signature was checked (`commandSignatureIsValid`):
    /// the timestamp window, the nonce (recorded now) and the key's rate limits, as
    /// ``authenticate(_:accepting:bodyLimit:bodyDeadline:)`` does for other requests.
    ///
    /// - Throws: 401 `bad_command_signature` when the signature is not valid (nothing is
    ///   recorded; the message gives `statementDigest`, the SHA-256 of the statement the
    ///   signature was checked over, to compare with the client's), and the refusals of
    ///   ``authenticate(_:accepting:bodyLimit:bodyDeadline:)``.
    public func complete(_ write: UnverifiedWrite, commandSignatureIsValid: Bool, statementDigest: @autoclosure () -> [UInt8]) throws(APIError) -> Authenticated {
        if let authenticated = write.authenticated { return authenticated }
        guard let signed = write.signed else { preconditionFailure("an unverified write holds its request") }
        let now = unixSeconds()
        let verdict = verifier.withLock { $0.verify(signed, now: now, signatureIsValid: { commandSignatureIsValid }) }
        switch verdict {
        case .success(let identity):
            try admit(signed.signer, bodyBytes: write.body.count, charged: true)
            return Authenticated(signer: identity, body: write.body, mediaType: write.mediaType,
                                 nonce: AcceptedNonce(signer: identity.id, nonce: signed.nonce, timestamp: signed.timestamp))
        case .failure(let failure):
            metrics.authFailures.increment()
            if failure.code == .badSignature {
                throw APIError(.unauthorized, "bad_command_signature",
                               "\(SignedRequest.Header.commandSignature) is not this key's signature over the command the request asks for: sign \(CommandStatement.scheme) over this coordinator's origin \(audience.origin) and genesis \(audience.genesisHex) (GET /v1/info), the request's timestamp and nonce, and the command's leaf bytes (docs/TRANSPARENCY_LOG.md, \"Command proofs\"); the statement checked has SHA-256 \(Hex.encode(statementDigest()))",
                               field: SignedRequest.Header.commandSignature)
            }
            if failure.code == .tooManyNonces {
                throw APIError(.tooManyRequests, failure.code.rawValue, failure.message, headers: [.retryAfter: "1"])
            }
            throw APIError(.unauthorized, failure.code.rawValue, failure.message)
        }
    }

    /// The request's media type, its body (within the limit and deadline) and its signature
    /// headers, parsed but not verified.
    private func readSigned(_ request: Request, accepting kind: BodyKind, bodyLimit: Int?, bodyDeadline: Duration?) async throws(APIError)
        -> (mediaType: String?, body: [UInt8], signed: SignedRequest) {
        let mediaType = try Self.mediaType(of: request, accepting: kind)
        let (body, bodyDigest) = try await readBody(request, limit: bodyLimit ?? maxBodyBytes, deadline: bodyDeadline)
        if kind == .none, !body.isEmpty {
            throw APIError(.badRequest, "unexpected_body", "this request takes no body")
        }
        return (mediaType, body, try parse(request, bodyDigest: bodyDigest))
    }

    /// The request's signature headers, parsed (not verified).
    private func parse(_ request: Request, bodyDigest: [UInt8]) throws(APIError) -> SignedRequest {
        let path = request.head.path ?? "/"
        let parsed = SignedRequest.parse(for: audience, method: request.method.rawValue, path: path, bodyDigest: bodyDigest) { name in
            HTTPField.Name(name).flatMap { request.headers[$0] }
        }
        switch parsed {
        case .failure(let failure):
            metrics.authFailures.increment()
            throw APIError(.unauthorized, failure.code.rawValue, failure.message, field: Self.headerField(failure.message))
        case .success(let value): return value
        }
    }

    /// Charges `signer`'s request rate and (when `charged`) its body-byte budget.
    private func admit(_ signer: Identity, bodyBytes: Int, charged: Bool) throws(APIError) {
        // Charged only once the signature holds: a forger cannot spend another key's
        // budget (and a flood under random keys would pass a check before it anyway).
        if case .failure(let retry) = limiter.admit(signer.id) {
            metrics.rateLimited.increment()
            throw APIError(.tooManyRequests, "rate_limited", "too many requests from key \(signer.id.prefix(16))…; retry in \(retry.seconds) s", headers: [.retryAfter: String(retry.seconds)])
        }
        if charged, let byteBudget, case .failure(let retry) = byteBudget.admit(signer.id, cost: Double(bodyBytes)) {
            metrics.rateLimited.increment()
            throw APIError(.tooManyRequests, "byte_budget_exceeded", "key \(signer.id.prefix(16))… sent more than \(Int(byteBudget.perSecond)) body bytes per second (burst \(Int(byteBudget.burst))); retry in \(retry.seconds) s", headers: [.retryAfter: String(retry.seconds)])
        }
    }

    /// Reads and authenticates `request`.
    ///
    /// - Throws: ``APIError`` with 401 (authentication), 413 (body too large), 415 (content
    ///   type), 429 (request rate or body-byte budget of the key) or 400 (malformed headers).
    ///
    /// - Parameter bodyLimit: a route's own body limit in place of ``maxBodyBytes`` (blob
    ///   chunks); such a body is not charged to the key's byte budget (the blob store's quota
    ///   bounds it).
    public func authenticate(_ request: Request, accepting kind: BodyKind, bodyLimit: Int? = nil,
                             bodyDeadline: Duration? = nil) async throws(APIError) -> Authenticated {
        let (mediaType, body, signed) = try await readSigned(request, accepting: kind, bodyLimit: bodyLimit, bodyDeadline: bodyDeadline)
        // A malformed OSG-Command-Signature is refused wherever it is sent.
        _ = try Self.commandSignature(of: request)
        let now = unixSeconds()
        // The expensive check runs here, outside the lock; the verifier only uses its verdict
        // after the cheap timestamp checks have passed.
        let window = verifier.withLock { $0.windowSeconds }
        let signatureIsValid = abs(signed.timestamp - now) <= window ? signed.hasValidSignature : false
        let verdict = verifier.withLock { $0.verify(signed, now: now, signatureIsValid: { signatureIsValid }) }
        switch verdict {
        case .success(let identity):
            try admit(signed.signer, bodyBytes: body.count, charged: bodyLimit == nil)
            return Authenticated(signer: identity, body: body, mediaType: mediaType,
                                 nonce: AcceptedNonce(signer: identity.id, nonce: signed.nonce, timestamp: signed.timestamp))
        case .failure(let failure):
            metrics.authFailures.increment()
            if failure.code == .tooManyNonces {
                throw APIError(.tooManyRequests, failure.code.rawValue, failure.message, headers: [.retryAfter: "1"])
            }
            throw APIError(.unauthorized, failure.code.rawValue, failure.message)
        }
    }

    /// The whole body and its SHA-256, refusing more than ``maxBodyBytes`` with 413 and a body that takes
    /// longer than ``bodyDeadline`` to arrive with 408 (a slow sender cannot hold a request
    /// open by trickling bytes inside the idle timeout).
    public func readBody(_ request: Request, limit: Int? = nil, deadline: Duration? = nil) async throws(APIError) -> (bytes: [UInt8], sha256: [UInt8]) {
        let limit = limit ?? maxBodyBytes
        let deadline = deadline ?? bodyDeadline
        // The body is read in a task of its own, which the deadline watch cancels when the
        // deadline passes first (one shared clock, not a timer per request).
        let collector = Task { try await Self.collect(request, upTo: limit) }
        let ticket = deadlines.watch(until: .now + deadline) { collector.cancel() }
        let result = await withTaskCancellationHandler { await collector.result } onCancel: { collector.cancel() }
        guard deadlines.forget(ticket) else {
            throw APIError(.requestTimeout, "request_timeout", "the body did not arrive within \(deadline)")
        }
        do {
            return try result.get()
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError(.badRequest, "unreadable_body", "the body could not be read: \(error)")
        }
    }

    /// The body's bytes and their SHA-256, hashed as they arrive (so a large body's hash is
    /// mostly done when its last byte is in), in one buffer sized from `Content-Length`.
    private static func collect(_ request: Request, upTo limit: Int) async throws -> ([UInt8], [UInt8]) {
        let tooLarge = APIError(.contentTooLarge, "body_too_large", "the body is larger than \(limit) bytes")
        let declared = request.headers[.contentLength].flatMap { Int($0) }
        if let declared, declared > limit { throw tooLarge }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(declared ?? 0)
        var hasher = SHA256()
        for try await part in request.body {
            guard part.readableBytes <= limit - bytes.count else { throw tooLarge }
            part.withUnsafeReadableBytes { piece in
                hasher.update(bufferPointer: piece)
                bytes.append(contentsOf: piece)
            }
        }
        return (bytes, Array(hasher.finalize()))
    }

    static func mediaType(of request: Request, accepting kind: BodyKind) throws(APIError) -> String? {
        guard let value = request.headers[.contentType] else {
            if kind == .none { return nil }
            throw APIError(.unsupportedMediaType, "missing_content_type", "set Content-Type: application/json", field: "Content-Type")
        }
        let media = Self.mediaTypeName(value)
        switch (kind, media) {
        case (.none, _): return nil
        case (.json, "application/json"), (.jsonOrYAML, "application/json"): return "application/json"
        case (.jsonOrYAML, "application/yaml"), (.jsonOrYAML, "application/x-yaml"), (.jsonOrYAML, "text/yaml"): return "application/yaml"
        case (.octetStream, "application/octet-stream"): return "application/octet-stream"
        default:
            let allowed = switch kind {
            case .json: "application/json"
            case .octetStream: "application/octet-stream"
            default: "application/json or application/yaml"
            }
            throw APIError(.unsupportedMediaType, "unsupported_content_type", "Content-Type \(value.prefix(64)) is not accepted; use \(allowed)", field: "Content-Type")
        }
    }

    /// The media type of a `Content-Type` value: before any `;`, without surrounding spaces or
    /// tabs, lower-cased. One pass over the bytes (this runs for every write).
    static func mediaTypeName(_ value: String) -> String {
        var utf8 = Substring(value).utf8
        if let semicolon = utf8.firstIndex(of: UInt8(ascii: ";")) { utf8 = utf8[..<semicolon] }
        let isBlank = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        guard let first = utf8.firstIndex(where: { !isBlank($0) }), let last = utf8.lastIndex(where: { !isBlank($0) }) else { return "" }
        let trimmed = utf8[first...last]
        if trimmed.allSatisfy({ !(0x41...0x5A).contains($0) }) { return String(Substring(trimmed)) }
        return String(decoding: trimmed.map { (0x41...0x5A).contains($0) ? $0 + 0x20 : $0 }, as: UTF8.self)
    }

    /// The `OSG-Command-Signature` header's bytes, if sent; 401 `malformed_auth_header` when it
    /// is not 128 hex digits.
    static func commandSignature(of request: Request) throws(APIError) -> [UInt8]? {
        guard let name = HTTPField.Name(SignedRequest.Header.commandSignature), let text = request.headers[name] else { return nil }
        guard let bytes = Hex.decode(text), bytes.count == CommandProof.signatureByteCount else {
            throw APIError(.unauthorized, AuthFailureCode.malformedHeader.rawValue,
                           "\(SignedRequest.Header.commandSignature) must be 128 hex characters (a 64-byte Ed25519 signature)",
                           field: SignedRequest.Header.commandSignature)
        }
        return bytes
    }

    static func headerField(_ message: String) -> String? {
        [SignedRequest.Header.key, SignedRequest.Header.timestamp, SignedRequest.Header.nonce, SignedRequest.Header.signature]
            .first { message.hasPrefix($0) }
    }
}

extension Substring {
    func trimmingASCIISpaces() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
