/// The transparency log's leaf: one command-log entry in its canonical bytes.
///
/// A leaf is the canonical JSON of the ``LogEntry`` (``CanonicalEncoding``: sorted keys, no
/// insignificant whitespace, `/` not escaped) — the same bytes the command-log store keeps, so
/// the leaf hash of entry `n` can be recomputed from the store, from the published entry bundles,
/// or by an auditor in any language. The schema is documented in docs/TRANSPARENCY_LOG.md
/// ("Leaves"); it changes only together with the log's origin.
extension LogEntry {
    /// The leaf bytes of this entry.
    public var leafBytes: [UInt8] {
        CanonicalEncoding.bytes(of: self)
    }

    /// Decodes a leaf.
    ///
    /// - Throws: ``LeafDecodingError`` naming what does not decode.
    public init(leafBytes: some Collection<UInt8>) throws(LeafDecodingError) {
        do {
            self = try CanonicalEncoding.decode(LogEntry.self, from: leafBytes)
        } catch {
            throw LeafDecodingError(description: "not a log entry in canonical JSON: \(error)")
        }
    }
}

/// A transparency-log leaf that is not a log entry.
public struct LeafDecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    public var description: String
}
