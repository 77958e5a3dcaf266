import Crypto
import OSGDomain

/// The manifest of a format-3 (segmented) snapshot: which segments make up the state after
/// the entries `0 ..< sequence`, each named and pinned by its SHA-256.
///
/// A segmented snapshot stores the state as segments — one per top-level persistent field of
/// ``CoordinatorState``, and a large `String`-keyed dictionary cut into buckets by a stable
/// hash of the key — each a ``BinaryStateEncoder`` body of its own. A segment whose content did
/// not change since the previous snapshot is not encoded or written again: the new manifest
/// names the stored one by its hash (docs/SNAPSHOTS.md, "Incremental snapshots").
///
/// Layout (integers big-endian):
///
/// | bytes | field |
/// |---|---|
/// | 8 | magic `OSGSNAP\n` |
/// | 2 | format version 3 |
/// | 8 | `sequence`: entries covered |
/// | 1 | 1 when the state digest follows, else 0 |
/// | 32 | the state digest (``CoordinatorState/digest``), zeros when not recorded |
/// | 4 | segment count |
/// | per segment | 2: name byte count, the name (UTF-8), 32: SHA-256 of the body, 8: body length |
/// | 32 | SHA-256 of all the bytes before |
///
/// Segment names are strictly rising (UTF-8 bytes); a bucket is named `field#index/count`.
public struct SnapshotManifest: Hashable, Sendable {
    /// The format version of manifests.
    public static let formatVersion: UInt16 = 3
    /// Most segments a manifest may list (a bound on what a damaged count can ask for).
    public static let maximumSegments = 1 << 20

    /// Entries covered: the snapshot is the state after entries `0 ..< sequence`.
    public var sequence: UInt64
    /// The state's digest when it was computed (snapshots at a clean stop); periodic snapshots
    /// leave it out, since computing it costs as much as a full snapshot (see the docs).
    public var digest: String?
    /// The segments, strictly rising by name.
    public var segments: [Segment]

    /// One segment of a snapshot.
    public struct Segment: Hashable, Sendable {
        /// The field (`orders`) or bucket (`orders#3/64`) it holds.
        public var name: String
        /// SHA-256 of the body: the segment's key in the store.
        public var hash: [UInt8]
        /// Body bytes.
        public var length: UInt64

        public init(name: String, hash: [UInt8], length: UInt64) {
            precondition(hash.count == 32, "a segment is named by a 32-byte SHA-256")
            self.name = name
            self.hash = hash
            self.length = length
        }
    }

    public init(sequence: UInt64, digest: String?, segments: [Segment]) {
        self.sequence = sequence
        self.digest = digest
        self.segments = segments
    }

    /// Whether `bytes` start like a manifest (magic and version 3), as opposed to a format 1
    /// or 2 snapshot, which holds the whole state in one body.
    public static func isManifest(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 10 && Array(bytes[0..<8]) == StateSnapshot.magic && bytes[8] == 0 && UInt16(bytes[9]) == formatVersion
    }

    /// The manifest's bytes.
    public func bytes() -> [UInt8] {
        precondition(zip(segments, segments.dropFirst()).allSatisfy { Self.precedes($0.name, $1.name) },
                     "manifest segments are strictly rising by name")
        var bytes = StateSnapshot.magic
        Self.append(Self.formatVersion, to: &bytes)
        Self.append(sequence, to: &bytes)
        if let digest, let raw = Hex.decode(digest), raw.count == 32 {
            bytes.append(1)
            bytes += raw
        } else {
            bytes.append(0)
            bytes += [UInt8](repeating: 0, count: 32)
        }
        Self.append(UInt32(segments.count), to: &bytes)
        for segment in segments {
            let name = Array(segment.name.utf8)
            precondition(name.count <= Int(UInt16.max), "segment names are short")
            Self.append(UInt16(name.count), to: &bytes)
            bytes += name
            bytes += segment.hash
            Self.append(segment.length, to: &bytes)
        }
        bytes += SHA256.hash(data: bytes)
        return bytes
    }

    /// Reads and checks a manifest: magic, version, trailing checksum, bounds, names rising.
    public init(parsing bytes: [UInt8]) throws(SnapshotError) {
        let fixed = 8 + 2 + 8 + 1 + 32 + 4
        guard bytes.count >= fixed + 32 else {
            throw SnapshotError(.malformed, "\(bytes.count) bytes is shorter than the smallest snapshot manifest")
        }
        guard Array(bytes[0..<8]) == StateSnapshot.magic else { throw SnapshotError(.malformed, "the bytes do not start with the snapshot magic OSGSNAP") }
        let version = UInt16(Self.integer(bytes, at: 8, width: 2))
        guard version == Self.formatVersion else {
            throw SnapshotError(.unsupportedVersion, "a manifest is format version \(Self.formatVersion), not \(version)")
        }
        let body = bytes.count - 32
        guard Array(bytes[body...]) == Array(SHA256.hash(data: bytes[..<body])) else {
            throw SnapshotError(.checksumMismatch, "the manifest's SHA-256 does not match its bytes: the manifest is damaged")
        }
        sequence = Self.integer(bytes, at: 10, width: 8)
        switch bytes[18] {
        case 0: digest = nil
        case 1: digest = Hex.encode(bytes[19..<51])
        case let flag: throw SnapshotError(.malformed, "the manifest's digest flag is \(flag), not 0 or 1")
        }
        let count = Int(Self.integer(bytes, at: 51, width: 4))
        guard count <= Self.maximumSegments, count <= (body - fixed) / (2 + 32 + 8) else {
            throw SnapshotError(.malformed, "the manifest announces \(count) segments, more than its \(bytes.count) bytes hold")
        }
        var segments: [Segment] = []
        segments.reserveCapacity(count)
        var position = fixed
        for index in 0..<count {
            guard body - position >= 2 else { throw SnapshotError(.malformed, "the manifest ends inside segment \(index)") }
            let nameCount = Int(Self.integer(bytes, at: position, width: 2))
            guard body - position - 2 >= nameCount + 32 + 8 else { throw SnapshotError(.malformed, "the manifest ends inside segment \(index)") }
            guard let name = String(validating: bytes[(position + 2)..<(position + 2 + nameCount)], as: UTF8.self) else {
                throw SnapshotError(.malformed, "segment \(index)'s name is not valid UTF-8")
            }
            if let previous = segments.last, !Self.precedes(previous.name, name) {
                throw SnapshotError(.malformed, "segment names are not strictly rising at \(name)")
            }
            position += 2 + nameCount
            let hash = Array(bytes[position..<(position + 32)])
            let length = Self.integer(bytes, at: position + 32, width: 8)
            segments.append(Segment(name: name, hash: hash, length: length))
            position += 32 + 8
        }
        guard position == body else { throw SnapshotError(.malformed, "\(body - position) bytes follow the manifest's segments") }
        self.segments = segments
    }

    /// Whether `a`'s UTF-8 bytes sort before `b`'s.
    static func precedes(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }

    private static func append(_ value: some FixedWidthInteger, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { bytes += $0 }
    }

    private static func integer(_ bytes: [UInt8], at offset: Int, width: Int) -> UInt64 {
        bytes[offset..<offset + width].reduce(0) { $0 << 8 | UInt64($1) }
    }
}

/// A segment's body with its SHA-256: what a store keeps, keyed by the hash.
public struct SnapshotSegment: Hashable, Sendable {
    public var hash: [UInt8]
    public var body: [UInt8]

    /// `body` with its SHA-256.
    public init(body: [UInt8]) {
        self.hash = Array(SHA256.hash(data: body))
        self.body = body
    }

    /// A stored segment (tests build damaged ones).
    public init(hash: [UInt8], body: [UInt8]) {
        self.hash = hash
        self.body = body
    }
}
