import Foundation

/// A job spec's `image`, parsed: where the image comes from and, when the reference pins one,
/// the digest its manifest must have.
///
/// Accepted forms (a pure function of the text, so it can be tested without skopeo):
///
/// ```text
/// ghcr.io/org/trainer:1.2                 a registry image by tag (`docker://` may be prefixed)
/// ubuntu                                  docker.io/library/ubuntu:latest, as docker reads it
/// ghcr.io/org/trainer@sha256:<64 hex>     pinned: the manifest (or index) must have this digest
/// ghcr.io/org/trainer:1.2@sha256:<64 hex> pinned; the tag is only a label
/// oci:/srv/images/layout:train            a local OCI layout and its tag (operator's images only)
/// oci-archive:/srv/images/train.tar       a local OCI archive (operator's images only)
/// oci:/srv/images/layout:train@sha256:…   a local image, pinned
/// ```
///
/// Local references name paths on the node, so the store accepts them only under directories the
/// operator allowed (``OCIImageStore/localImageDirectories``): a tenant must not read the node's
/// files through skopeo.
public struct OCIImageReference: Sendable, Hashable, CustomStringConvertible {
    public enum Transport: String, Sendable, Hashable {
        /// A registry (skopeo's `docker://`).
        case registry = "docker"
        /// A local OCI image layout directory (skopeo's `oci:`).
        case layout = "oci"
        /// A local OCI archive, a tar of a layout (skopeo's `oci-archive:`).
        case archive = "oci-archive"
    }

    /// The longest reference accepted (registries allow 255 for a name, plus tag and digest).
    public static let maximumLength = 1024

    /// The reference as the spec gave it.
    public let text: String
    public let transport: Transport
    /// For a registry: `registry/repository` (no tag, no digest); for a local image: its
    /// absolute path.
    public let name: String
    /// The tag, if given (registry) or the layout's reference name (`oci:PATH:TAG`).
    public let tag: String?
    /// `sha256:<64 lower-case hex>` when the reference pins the image's manifest digest.
    public let pinnedDigest: String?

    public var description: String { text }

    /// Parses `text`.
    /// - Throws: ``ExecutorError`` `image_reference_invalid` naming the reference and what is
    ///   wrong with it (the tenant's mistake).
    public init(parsing text: String) throws {
        func invalid(_ why: String) -> ExecutorError {
            ExecutorError("image_reference_invalid", "image \(text.debugDescription) is not a usable reference: \(why)")
        }
        guard !text.isEmpty, text.utf8.count <= Self.maximumLength else {
            throw invalid("give 1-\(Self.maximumLength) characters, e.g. ghcr.io/org/trainer:1.2")
        }
        guard text.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            throw invalid("only printable ASCII without spaces is allowed")
        }
        self.text = text

        // The pin: a trailing `@sha256:<hex>`, whatever the transport.
        var rest = Substring(text)
        if let at = rest.lastIndex(of: "@") {
            let digest = String(rest[rest.index(after: at)...])
            guard Self.isDigest(digest) else { throw invalid("a pinned digest must be sha256: and 64 lower-case hex digits, not \(digest.debugDescription)") }
            pinnedDigest = digest
            rest = rest[..<at]
        } else {
            pinnedDigest = nil
        }

        if rest.hasPrefix("oci:") || rest.hasPrefix("oci-archive:") {
            transport = rest.hasPrefix("oci:") ? .layout : .archive
            let body = rest.dropFirst(transport == .layout ? 4 : 12)
            // skopeo splits a local reference at its first ':' (the path cannot contain one).
            let parts = body.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            let path = String(parts[0])
            guard path.hasPrefix("/") else { throw invalid("a local image needs an absolute path, as in oci:/srv/images/layout:tag") }
            guard !path.split(separator: "/").contains(where: { $0 == ".." || $0 == "." }) else {
                throw invalid("the path must not contain . or .. components")
            }
            name = URL(fileURLWithPath: path).standardizedFileURL.path
            tag = parts.count == 2 ? String(parts[1]) : nil
            if let tag { guard Self.isTag(tag) else { throw invalid("the tag \(tag.debugDescription) must be 1-128 of A-Z a-z 0-9 _ . -") } }
            return
        }

        transport = .registry
        if rest.hasPrefix("docker://") { rest = rest.dropFirst(9) }
        guard !rest.isEmpty, !rest.hasPrefix("-"), !rest.hasPrefix("/") else { throw invalid("name the image, as in ghcr.io/org/trainer:1.2") }
        guard !rest.contains("://") else { throw invalid("only docker://, oci: and oci-archive: references are supported") }
        // A tag follows the last ':' that comes after the last '/' (a ':' before it is a port).
        let lastSlash = rest.lastIndex(of: "/") ?? rest.startIndex
        if let colon = rest[lastSlash...].lastIndex(of: ":") {
            let tag = String(rest[rest.index(after: colon)...])
            guard Self.isTag(tag) else { throw invalid("the tag \(tag.debugDescription) must be 1-128 of A-Z a-z 0-9 _ . -") }
            self.tag = tag
            rest = rest[..<colon]
        } else {
            tag = nil
        }
        let allowed = rest.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A)
                || byte == 0x2D || byte == 0x5F || byte == 0x2E || byte == 0x2F || byte == 0x3A
        }
        guard allowed, !rest.hasSuffix("/"), !rest.contains("//") else {
            throw invalid("a repository name is made of a-z 0-9 . _ - and /, as in ghcr.io/org/trainer")
        }
        name = String(rest)
    }

    /// Whether `text` is `sha256:` and 64 lower-case hex digits.
    public static func isDigest(_ text: String) -> Bool {
        guard text.hasPrefix("sha256:") else { return false }
        let hex = text.utf8.dropFirst(7)
        return hex.count == 64 && hex.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    private static func isTag(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 128
            && text.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A)
                    || byte == 0x2D || byte == 0x5F || byte == 0x2E
            }
    }

    /// skopeo's name of the image as the reference gives it (the tag, or the pinned digest for a
    /// registry; a local image by its tag, its pin checked by the store).
    var skopeoName: String {
        switch transport {
        case .registry:
            // skopeo refuses a tag and a digest together; the digest is what counts.
            if let pinnedDigest { return "docker://\(name)@\(pinnedDigest)" }
            return "docker://\(name)" + (tag.map { ":" + $0 } ?? "")
        case .layout, .archive:
            return "\(transport.rawValue):\(name)" + (tag.map { ":" + $0 } ?? "")
        }
    }

    /// skopeo's name of exactly the manifest (or index) whose digest is `digest`: a registry
    /// image by digest, so a tag moved meanwhile cannot change what is copied; a local image as
    /// named (it is the operator's file).
    func skopeoName(resolvedDigest digest: String) -> String {
        precondition(Self.isDigest(digest))
        switch transport {
        case .registry: return "docker://\(name)@\(digest)"
        case .layout, .archive: return skopeoName
        }
    }
}
