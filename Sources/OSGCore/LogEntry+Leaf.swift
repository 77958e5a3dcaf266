import OSGDomain

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

    /// The most bytes one leaf may take (65,535: entry bundles store an entry's length in 16 bits).
    public static let maximumLeafByteCount = LeafCodec.maximumLeafByteCount

    /// Why this entry cannot be logged, or `nil`: its leaf would hold a string or list longer
    /// than 65,535 (bytes or items) or take more than ``maximumLeafByteCount`` bytes. Checked
    /// before a command is logged, so nothing durable is ever refused by the transparency log.
    public var leafSizeProblem: String? {
        LeafCodec.sizeProblem(of: self)
    }

    /// ``leafBytes`` and ``leafSizeProblem`` from one encoding (the leaf is meaningless when
    /// there is a problem).
    public var leafOrSizeProblem: (leaf: [UInt8], problem: String?) {
        LeafCodec.leafOrSizeProblem(of: self)
    }

    /// ``leafSizeProblem`` of `command` by `actor` at any place in the log (the sequence number
    /// and time take the same bytes everywhere).
    public static func leafSizeProblem(of command: Command, actor: String, proof: CommandProof? = nil) -> String? {
        LogEntry(sequence: 0, time: Timestamp(secondsSinceEpoch: 0), actor: actor, command: command, proof: proof).leafSizeProblem
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
