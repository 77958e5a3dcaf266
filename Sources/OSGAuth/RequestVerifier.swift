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
            return .failure(AuthFailure(.badSignature, "the signature does not match the request and key: sign \(SignedRequest.scheme) over this coordinator's origin \(request.audience.origin) and genesis \(request.audience.genesisHex) (GET /v1/info), the method, path, body, timestamp and nonce"))
        }
        if seen[request.signer]?[request.nonce] != nil {
            return .failure(AuthFailure(.nonceReused, "nonce \(request.nonce) was already used; every request needs a fresh nonce"))
        }
        if seen[request.signer, default: [:]].count >= maxNoncesPerKey {
            return .failure(AuthFailure(.tooManyNonces, "more than \(maxNoncesPerKey) requests in \(windowSeconds) s from this key; batch them"))
        }
        guard record(signer: request.signer, nonce: request.nonce, timestamp: request.timestamp) else {
            return .failure(forgottenFailure(request.timestamp))
        }
        return .success(request.signer)
    }

    /// Remembers a nonce accepted before (by an earlier run of the coordinator, read back from
    /// its store), so a replay of that request is refused after a restart. A nonce outside the
    /// window around `now` is not needed and is skipped; past ``maxNoncesTotal`` the oldest is
    /// forgotten as in ``verify(_:now:signatureIsValid:)``.
    public mutating func remember(signer: Identity, nonce: String, timestamp: Int64, now: Int64) {
        forget(before: now - windowSeconds)
        guard timestamp >= now - windowSeconds, seen[signer]?[nonce] == nil else { return }
        _ = record(signer: signer, nonce: nonce, timestamp: timestamp)
    }

    /// Holds a nonce; when the memory is full across signers, forgets the oldest first and
    /// refuses anything as old from then on. Returns `false` (holding nothing) when `timestamp`
    /// is at or before what has been forgotten.
    private mutating func record(signer: Identity, nonce: String, timestamp: Int64) -> Bool {
        while rememberedNonceCount >= maxNoncesTotal, let oldest = expiries.popMin() {
            drop(oldest)
            forgottenThrough = max(forgottenThrough, oldest.timestamp)
        }
        guard timestamp > forgottenThrough else { return false }
        seen[signer, default: [:]][nonce] = timestamp
        expiries.insert(RememberedNonce(timestamp: timestamp, signer: signer, nonce: nonce))
        rememberedNonceCount += 1
        assert(rememberedNonceCount <= maxNoncesTotal, "nonce memory stays within its bound")
        return true
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
