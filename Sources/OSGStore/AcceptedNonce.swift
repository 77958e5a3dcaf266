/// A signed request's nonce that the coordinator accepted and logged, kept in the store beside
/// the log so that a replay of the request is refused after a restart too (issue: nonces that
/// lived only in memory let the same faucet request through again after a restart).
///
/// Stores keep a nonce for as long as its timestamp is inside the signature window (the
/// coordinator forgets older ones at each append); `acceptedNonces(since:)` reads them back
/// at start.
public struct AcceptedNonce: Hashable, Sendable {
    /// The signer's public key, in hex.
    public var signer: String
    /// The request's nonce (16-64 characters of `[A-Za-z0-9_-]`).
    public var nonce: String
    /// The request's signed timestamp, in Unix seconds.
    public var timestamp: Int64

    public init(signer: String, nonce: String, timestamp: Int64) {
        self.signer = signer
        self.nonce = nonce
        self.timestamp = timestamp
    }
}
