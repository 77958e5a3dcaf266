import Crypto
import OSGDomain

/// The authentication of one HTTP request: an Ed25519 signature over the coordinator it is
/// meant for, the method, the path, the SHA-256 of the body, a timestamp and a nonce.
///
/// The signed message is the canonical string
///
/// ```text
/// OSG-REQUEST-V2\n<origin>\n<hex sha256 of genesis>\n<METHOD>\n<path with query>\n<hex sha256 of body>\n<unix seconds>\n<nonce>
/// ```
///
/// and travels in four headers: `OSG-Key` (hex public key), `OSG-Timestamp` (unix seconds),
/// `OSG-Nonce` (16–64 characters of `[A-Za-z0-9_-]`), `OSG-Signature` (hex, 64 bytes).
/// Binding the body digest means a captured signature cannot carry another body; binding the
/// origin and genesis (``RequestAudience``, published at `GET /v1/info`) means it is accepted
/// by one coordinator's log only; binding the timestamp and nonce lets the verifier refuse
/// replays with bounded memory. `OSG-REQUEST-V1` (no origin, no genesis) is no longer accepted.
public struct SignedRequest: Hashable, Sendable {
    /// Header names, as sent.
    public enum Header {
        public static let key = "OSG-Key"
        public static let timestamp = "OSG-Timestamp"
        public static let nonce = "OSG-Nonce"
        public static let signature = "OSG-Signature"
        /// On a write: the signer's Ed25519 signature (hex) over the statement of the command
        /// the request asks for (OSGCore `CommandStatement`, with this request's timestamp and
        /// nonce), which the coordinator keeps in the log entry.
        public static let commandSignature = "OSG-Command-Signature"
        /// On a job submission: the 32-byte salt (hex) of the commitment to the job's private
        /// contents, chosen by the client so it can sign the command the coordinator logs.
        public static let contentsSalt = "OSG-Contents-Salt"
    }

    /// The coordinator the request is meant for.
    public var audience: RequestAudience
    /// Upper-case HTTP method, e.g. `POST`.
    public var method: String
    /// Path and query exactly as sent, e.g. `/v1/jobs`.
    public var path: String
    /// SHA-256 of the body bytes.
    public var bodyDigest: [UInt8]
    /// When the client signed, in Unix seconds.
    public var timestamp: Int64
    /// A value the client never reuses within the verifier's window.
    public var nonce: String
    /// Who signed.
    public var signer: Identity
    /// The 64-byte Ed25519 signature over ``canonicalMessage``.
    public var signature: [UInt8]

    /// The exact bytes that are signed.
    public var canonicalMessage: [UInt8] {
        Self.canonicalMessage(audience: audience, method: method, path: path, bodyDigest: bodyDigest, timestamp: timestamp, nonce: nonce)
    }

    /// The version tag that starts every signed message.
    public static let scheme = "OSG-REQUEST-V2"

    static func canonicalMessage(audience: RequestAudience, method: String, path: String, bodyDigest: [UInt8], timestamp: Int64, nonce: String) -> [UInt8] {
        Array("\(scheme)\n\(audience.origin)\n\(audience.genesisHex)\n\(method.uppercased())\n\(path)\n\(Hex.encode(bodyDigest))\n\(timestamp)\n\(nonce)".utf8)
    }

    /// Signs a request for `audience` with `key` (client side).
    public static func sign(
        for audience: RequestAudience, method: String, path: String, body: [UInt8], timestamp: Int64, nonce: String,
        with key: Curve25519.Signing.PrivateKey
    ) throws -> SignedRequest {
        try sign(for: audience, method: method, path: path, bodyDigest: Array(SHA256.hash(data: body)), timestamp: timestamp, nonce: nonce, with: key)
    }

    /// Signs a request whose body's SHA-256 is `digest`, computed beforehand (a large upload
    /// hashes its chunks while it hashes the whole file).
    public static func sign(
        for audience: RequestAudience, method: String, path: String, bodyDigest digest: [UInt8], timestamp: Int64, nonce: String,
        with key: Curve25519.Signing.PrivateKey
    ) throws -> SignedRequest {
        precondition(digest.count == SHA256.byteCount, "a body digest is a SHA-256")
        let message = canonicalMessage(audience: audience, method: method, path: path, bodyDigest: digest, timestamp: timestamp, nonce: nonce)
        return SignedRequest(
            audience: audience, method: method.uppercased(), path: path, bodyDigest: digest, timestamp: timestamp, nonce: nonce,
            signer: Identity(publicKey: key.publicKey), signature: Array(try key.signature(for: message)))
    }

    /// The four headers that carry this signature.
    public var headers: [(name: String, value: String)] {
        [
            (Header.key, signer.id), (Header.timestamp, String(timestamp)), (Header.nonce, nonce),
            (Header.signature, Hex.encode(signature)),
        ]
    }

    /// Reads a request's signature headers (server side), for the coordinator `audience`.
    /// `header` looks a header up by name (case-insensitively, as HTTP does).
    public static func parse(
        for audience: RequestAudience, method: String, path: String, body: [UInt8], header: (String) -> String?
    ) -> Result<SignedRequest, AuthFailure> {
        parse(for: audience, method: method, path: path, bodyDigest: Array(SHA256.hash(data: body)), header: header)
    }

    /// ``parse(for:method:path:body:header:)`` for a body whose SHA-256 the server computed as
    /// the body arrived.
    public static func parse(
        for audience: RequestAudience, method: String, path: String, bodyDigest: [UInt8], header: (String) -> String?
    ) -> Result<SignedRequest, AuthFailure> {
        precondition(bodyDigest.count == SHA256.byteCount, "a body digest is a SHA-256")
        guard let keyText = header(Header.key) else { return .failure(AuthFailure(.missingHeader, "\(Header.key) is missing")) }
        guard let signer = Identity(hex: keyText) else {
            return .failure(AuthFailure(.malformedHeader, "\(Header.key) must be a 64-character hex Ed25519 public key"))
        }
        guard let timestampText = header(Header.timestamp) else {
            return .failure(AuthFailure(.missingHeader, "\(Header.timestamp) is missing"))
        }
        guard let timestamp = Int64(timestampText) else {
            return .failure(AuthFailure(.malformedHeader, "\(Header.timestamp) must be whole Unix seconds"))
        }
        guard let nonce = header(Header.nonce) else { return .failure(AuthFailure(.missingHeader, "\(Header.nonce) is missing")) }
        guard RequestNonce.isValid(nonce) else {
            return .failure(AuthFailure(.malformedHeader, "\(Header.nonce) must be 16-64 characters of A-Z a-z 0-9 - _"))
        }
        guard let signatureText = header(Header.signature) else {
            return .failure(AuthFailure(.missingHeader, "\(Header.signature) is missing"))
        }
        guard let signature = Hex.decode(signatureText), signature.count == 64 else {
            return .failure(AuthFailure(.malformedHeader, "\(Header.signature) must be 128 hex characters (a 64-byte Ed25519 signature)"))
        }
        return .success(SignedRequest(
            audience: audience, method: method.uppercased(), path: path, bodyDigest: bodyDigest, timestamp: timestamp,
            nonce: nonce, signer: signer, signature: signature))
    }

    /// Whether the signature is the signer's over the canonical message.
    public var hasValidSignature: Bool {
        signer.isValidSignature(signature, for: canonicalMessage)
    }
}

/// Why a request's authentication was refused; `code` is stable, `message` says what to fix.
public typealias AuthFailure = CodedError<AuthFailureCode>

/// Stable codes for refused authentication.
public enum AuthFailureCode: String, Hashable, Sendable, CaseIterable {
    case missingHeader = "missing_auth_header"
    case malformedHeader = "malformed_auth_header"
    case staleTimestamp = "stale_timestamp"
    case futureTimestamp = "future_timestamp"
    case nonceReused = "nonce_reused"
    case badSignature = "bad_signature"
    case tooManyNonces = "too_many_requests_in_window"
}
