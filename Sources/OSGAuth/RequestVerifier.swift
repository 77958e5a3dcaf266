import HeapModule
import OSGDomain

/// Checks signed requests: the timestamp within a window around `now`, the nonce unseen in
/// that window, and the signature valid. Pure: time is an argument, memory is bounded.
///
/// A nonce is remembered only while its timestamp is inside the window; anything older is
/// refused as stale anyway, so forgetting it cannot let a replay through. Per signer at most
/// `maxNoncesPerKey` nonces are held; beyond that the signer is asked to slow down rather
/// than letting one key grow the table without limit.
///
/// Across signers (keys are free) at most `maxNoncesTotal` are held: past it the oldest nonce
/// is forgotten and the window's lower edge moves up to its timestamp, so a request as old as
/// a forgotten nonce is refused as stale — forgetting never lets a replay through.
public struct RequestVerifier: Sendable {
    /// How far a timestamp may be from now, in seconds, either way.
    public let windowSeconds: Int64
    /// Most remembered nonces per signer.
    public let maxNoncesPerKey: Int
    /// Most remembered nonces across all signers.
    public let maxNoncesTotal: Int
    private var seen: [Identity: [String: Int64]] = [:]
    private var expiries = Heap<RememberedNonce>()
    /// Number of nonces held, across signers.
    public private(set) var rememberedNonceCount = 0
    /// The newest timestamp of a nonce forgotten to keep within ``maxNoncesTotal``: requests
    /// at or before it are refused as stale (`Int64.min`: none forgotten).
    private var forgottenThrough = Int64.min

    /// A verifier; the defaults suit interactive clients and batching agents.
    public init(windowSeconds: Int64 = 120, maxNoncesPerKey: Int = 100_000, maxNoncesTotal: Int = 2_000_000) {
        precondition(windowSeconds > 0 && maxNoncesPerKey > 0 && maxNoncesTotal > 0, "window and nonce bounds must be positive")
        self.windowSeconds = windowSeconds
        self.maxNoncesPerKey = maxNoncesPerKey
        self.maxNoncesTotal = maxNoncesTotal
    }

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
        if request.timestamp <= forgottenThrough {
            return .failure(forgottenFailure(request.timestamp))
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
        // Full across signers: forget the oldest and refuse anything as old from now on.
        while rememberedNonceCount >= maxNoncesTotal, let oldest = expiries.popMin() {
            drop(oldest)
            forgottenThrough = max(forgottenThrough, oldest.timestamp)
        }
        if request.timestamp <= forgottenThrough {
            return .failure(forgottenFailure(request.timestamp))
        }
        seen[request.signer, default: [:]][request.nonce] = request.timestamp
        expiries.insert(RememberedNonce(timestamp: request.timestamp, signer: request.signer, nonce: request.nonce))
        rememberedNonceCount += 1
        assert(rememberedNonceCount <= maxNoncesTotal, "nonce memory stays within its bound")
        return .success(request.signer)
    }

    /// The refusal of a request as old as a nonce forgotten to keep within ``maxNoncesTotal``.
    private func forgottenFailure(_ timestamp: Int64) -> AuthFailure {
        AuthFailure(.staleTimestamp, "timestamp \(timestamp) is older than the server's nonce memory reaches under load (\(forgottenThrough)); sign the request again with the current time")
    }

    private mutating func forget(before cutoff: Int64) {
        while let oldest = expiries.min, oldest.timestamp < cutoff {
            _ = expiries.popMin()
            drop(oldest)
        }
    }

    private mutating func drop(_ remembered: RememberedNonce) {
        seen[remembered.signer]?[remembered.nonce] = nil
        if seen[remembered.signer]?.isEmpty == true { seen[remembered.signer] = nil }
        rememberedNonceCount -= 1
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
