/// The transparency log's leaf: one command-log entry in its canonical bytes.
///
/// A leaf is the binary encoding of the ``LogEntry`` (format 1, see `LeafCodec` and
/// docs/TRANSPARENCY_LOG.md, "Leaves"): the bytes the command-log store keeps and the
/// transparency log hashes, so the leaf hash of entry `n` can be recomputed from the store, from
/// the published entry bundles, or by an auditor in any language. Every entry has exactly one
/// encoding: decoding refuses anything else.
extension LogEntry {
    /// The leaf bytes of this entry.
    public var leafBytes: [UInt8] {
        LeafCodec.encode(self)
    }

    /// Decodes a leaf.
    ///
    /// - Throws: ``LeafDecodingError`` naming the field and byte that do not decode, or saying
    ///   that the bytes are not the entry's canonical encoding.
    public init(leafBytes: some Collection<UInt8>) throws(LeafDecodingError) {
        self = try LeafCodec.decode(leafBytes)
    }
}

/// A transparency-log leaf that is not a log entry in its canonical encoding.
public struct LeafDecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    public var description: String
}
