import HeapModule
import OSGDomain

/// Checks signed requests: the timestamp within a window around `now`, the nonce unseen in
/// that window, and the signature valid. Pure: time is an argument, memory is bounded.
///
/// A nonce is remembered only while its timestamp is inside the window; anything older is
/// refused as stale anyway, so forgetting it cannot let a replay through. Per signer at most
/// `maxNoncesPerKey` nonces are held; beyond that the signer is asked to slow down rather
/// than letting one key grow the table without limit.
public struct RequestVerifier: Sendable {
    /// How far a timestamp may be from now, in seconds, either way.
    public let windowSeconds: Int64
    /// Most remembered nonces per signer.
    public let maxNoncesPerKey: Int
    private var seen: [Identity: [String: Int64]] = [:]
    private var expiries = Heap<RememberedNonce>()

    /// A verifier; the defaults suit interactive clients and batching agents.
    public init(windowSeconds: Int64 = 120, maxNoncesPerKey: Int = 100_000) {
        precondition(windowSeconds > 0 && maxNoncesPerKey > 0, "window and nonce bound must be positive")
        self.windowSeconds = windowSeconds
        self.maxNoncesPerKey = maxNoncesPerKey
    }

    /// Number of nonces held, across signers.
    public var rememberedNonceCount: Int { seen.values.reduce(0) { $0 + $1.count } }

    /// Accepts or refuses `request` at time `now` (Unix seconds). An accepted nonce is
    /// remembered, so the same request is refused the second time.
    public mutating func verify(_ request: SignedRequest, now: Int64) -> Result<Identity, AuthFailure> {
        verify(request, now: now, signatureIsValid: { request.hasValidSignature })
    }

    /// Like ``verify(_:now:)``, with the signature check supplied by the caller, so a server
    /// can check signatures in parallel, outside the lock that guards the nonce memory.
    /// `signatureIsValid` runs only after the timestamp checks pass and before the nonce is
    /// looked at; it must say whether ``SignedRequest/hasValidSignature`` holds.
    public mutating func verify(
        _ request: SignedRequest, now: Int64, signatureIsValid: () -> Bool
    ) -> Result<Identity, AuthFailure> {
        forget(before: now - windowSeconds)
        if request.timestamp < now - windowSeconds {
            return .failure(AuthFailure(.staleTimestamp, "timestamp \(request.timestamp) is more than \(windowSeconds) s before the server's time \(now); check the client clock"))
        }
        if request.timestamp > now + windowSeconds {
            return .failure(AuthFailure(.futureTimestamp, "timestamp \(request.timestamp) is more than \(windowSeconds) s after the server's time \(now); check the client clock"))
        }
        // The signature is checked before the nonce is recorded, so a forger cannot burn a
        // legitimate client's nonces.
        guard signatureIsValid() else {
            return .failure(AuthFailure(.badSignature, "the signature does not match the request (method, path, body, timestamp, nonce) and key"))
        }
        if seen[request.signer]?[request.nonce] != nil {
            return .failure(AuthFailure(.nonceReused, "nonce \(request.nonce) was already used; every request needs a fresh nonce"))
        }
        if seen[request.signer, default: [:]].count >= maxNoncesPerKey {
            return .failure(AuthFailure(.tooManyNonces, "more than \(maxNoncesPerKey) requests in \(windowSeconds) s from this key; batch them"))
        }
        seen[request.signer, default: [:]][request.nonce] = request.timestamp
        expiries.insert(RememberedNonce(timestamp: request.timestamp, signer: request.signer, nonce: request.nonce))
        return .success(request.signer)
    }

    private mutating func forget(before cutoff: Int64) {
        while let oldest = expiries.min, oldest.timestamp < cutoff {
            _ = expiries.popMin()
            seen[oldest.signer]?[oldest.nonce] = nil
            if seen[oldest.signer]?.isEmpty == true { seen[oldest.signer] = nil }
        }
    }
}

/// A remembered nonce, ordered by timestamp (then signer and nonce, for a total order).
struct RememberedNonce: Sendable, Comparable {
    var timestamp: Int64
    var signer: Identity
    var nonce: String

    static func < (lhs: RememberedNonce, rhs: RememberedNonce) -> Bool {
        (lhs.timestamp, lhs.signer.id, lhs.nonce) < (rhs.timestamp, rhs.signer.id, rhs.nonce)
    }
}
