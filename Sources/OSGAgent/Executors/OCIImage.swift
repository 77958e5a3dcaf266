import Foundation

/// An image the ``OCIImageStore`` has unpacked: its root filesystem (shared, read-only for
/// jobs, never changed once there) and what its config says about running it.
public struct OCIImage: Sendable, Hashable {
    /// The reference it was asked for.
    public var reference: OCIImageReference
    /// The digest of the manifest that was unpacked (the platform's manifest when the
    /// reference named an index); the cache key of ``rootFilesystem``.
    public var manifestDigest: String
    /// The digest of what the reference resolved to (the manifest, or the multi-platform index),
    /// which a pinned reference's digest must equal.
    public var sourceDigest: String
    /// The unpacked root filesystem: `<store>/images/sha256-<hex>/rootfs`.
    public var rootFilesystem: URL
    public var configuration: OCIImageConfiguration
    /// Whether this call unpacked it (`false`: it came from the cache).
    public var unpackedNow: Bool
}
