import Crypto
import OSGDomain

/// The coordinator a signed request is meant for: its transparency log's origin and the
/// SHA-256 of its genesis (the canonical bytes of the rules its log starts with).
///
/// Both are part of the signed message (``SignedRequest``), so a request signed for one
/// coordinator is refused by every other one — another deployment, or a fresh log of the
/// same operator — even inside the timestamp window.
public struct RequestAudience: Hashable, Sendable {
    /// The log's C2SP origin, e.g. `openstargate/9f2c…`; the first line of its checkpoints.
    public var origin: String
    /// SHA-256 of the genesis's canonical bytes (32 bytes).
    public var genesisDigest: [UInt8]

    /// An audience; `origin` must be one line of printable text and `genesisDigest` 32 bytes.
    public init(origin: String, genesisDigest: [UInt8]) {
        precondition(Self.isValidOrigin(origin), "an origin is 1-255 bytes of printable ASCII without spaces or newlines")
        precondition(genesisDigest.count == 32, "the genesis digest is a SHA-256")
        self.origin = origin
        self.genesisDigest = genesisDigest
    }

    /// The audience of a coordinator whose genesis has the canonical bytes `genesisBytes`.
    public init(origin: String, genesisBytes: [UInt8]) {
        self.init(origin: origin, genesisDigest: Array(SHA256.hash(data: genesisBytes)))
    }

    /// Reads the two values a coordinator publishes at `GET /v1/info`, or `nil` when either is
    /// malformed.
    public init?(origin: String, genesisHex: String) {
        guard Self.isValidOrigin(origin), let digest = Hex.decode(genesisHex), digest.count == 32 else { return nil }
        self.init(origin: origin, genesisDigest: digest)
    }

    /// The genesis digest in lower-case hex.
    public var genesisHex: String { Hex.encode(genesisDigest) }

    /// Whether `origin` can be an audience's origin: 1-255 bytes of printable ASCII, no space.
    public static func isValidOrigin(_ origin: String) -> Bool {
        (1...255).contains(origin.utf8.count) && origin.utf8.allSatisfy { (0x21...0x7E).contains($0) }
    }
}
