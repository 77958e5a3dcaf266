import Crypto
import Foundation
import OSGDomain

/// Encodes states as format-3 segmented snapshots (``SnapshotManifest``), encoding only what
/// changed since the previous snapshot, its ``base``.
///
/// The state is taken apart through its synthesised `Codable` conformance, one top-level field
/// at a time, so a new persistent field flows into snapshots with no further code (as in the
/// format-2 body). Each field is one segment, except a `String`-keyed dictionary of more than
/// ``entriesPerBucket`` entries, which is cut into buckets by a stable hash of the key
/// (FNV-1a of its UTF-8 bytes), about ``entriesPerBucket`` entries each.
///
/// A field or bucket is encoded again only when it may have changed since the base, which is
/// cheap to tell: a field whose bits are those of the base's shares all its storage with it,
/// and storage the base still holds cannot have been written since (a Swift collection or
/// string copies itself before a write while it is shared), so its encoding is the base's. A
/// dictionary is compared entry by entry: a key added or removed, or a value that is neither
/// bit for bit the base's nor `==` to it (strings: the same UTF-8 bytes) makes its bucket
/// dirty. (`==` is needed because a dictionary the writer copied keeps its values' storage but
/// not their padding bytes; see docs/SNAPSHOTS.md for what it assumes.) The base is kept by the
/// caller only after its snapshot is stored.
///
/// ```swift
/// var segmenter = StateSegmenter()
/// let first = try segmenter.encode(state)          // every segment new
/// // … store first.newSegments and first.manifest, then:
/// segmenter.base = .init(state: state, manifest: first.manifest)
/// let next = try segmenter.encode(laterState)     // only the changed segments
/// ```
public struct StateSegmenter: Sendable {
    /// A stored snapshot to build on: its state and its manifest.
    public struct Base: Sendable {
        public let state: CoordinatorState
        public let manifest: SnapshotManifest

        public init(state: CoordinatorState, manifest: SnapshotManifest) {
            precondition(state.nextSequence == manifest.sequence, "a base is the state its manifest describes")
            self.state = state
            self.manifest = manifest
        }
    }

    /// What ``encode(_:withDigest:)`` made.
    public struct Output: Sendable {
        /// The new snapshot's manifest.
        public var manifest: SnapshotManifest
        /// The segments the base's snapshot does not have (to store before the manifest).
        public var newSegments: [SnapshotSegment]
        /// Segments taken over from the base without encoding.
        public var reusedSegments: Int
        /// Bytes of the new segments.
        public var newBytes: Int { newSegments.reduce(0) { $0 + $1.body.count } }
        /// Bytes of the whole snapshot (every segment).
        public var totalBytes: Int { manifest.segments.reduce(0) { $0 + Int($1.length) } }
    }

    /// The snapshot the next one builds on; `nil`: the next encodes every segment.
    public var base: Base?

    /// Dictionary entries per bucket the bucket count aims at: small enough that the entries
    /// written between two snapshots dirty few buckets, large enough that the manifest stays
    /// small (about 82 bytes per bucket).
    public static let entriesPerBucket = 64

    public init(base: Base? = nil) {
        self.base = base
    }

    /// The segmented snapshot of `state`; with `withDigest`, the manifest records the state's
    /// digest (computing it costs about as much as a full snapshot's encoding).
    ///
    /// - Parameter reuse: `false` encodes every segment again (in the base's bucket layout):
    ///   tests check that it gives the same manifest, byte for byte.
    public func encode(_ state: CoordinatorState, withDigest: Bool = false, reuse: Bool = true) throws(SnapshotError) -> Output {
        let fields = try SnapshotFields.list(state)
        var baseFields: [String: SnapshotFieldValue] = [:]
        if let base { baseFields = Dictionary(try SnapshotFields.list(base.state), uniquingKeysWith: { first, _ in first }) }
        var baseSegments: [String: SnapshotManifest.Segment] = [:]
        var baseBuckets: [String: Int] = [:]
        for segment in base?.manifest.segments ?? [] {
            baseSegments[segment.name] = segment
            if let bucket = SegmentName(segment.name), bucket.count > 0 { baseBuckets[bucket.field] = bucket.count }
        }
        var segments: [SnapshotManifest.Segment] = []
        var newSegments: [SnapshotSegment] = []
        var reused = 0
        func add(_ name: String, body: [UInt8]) {
            let segment = SnapshotSegment(body: body)
            segments.append(SnapshotManifest.Segment(name: name, hash: segment.hash, length: UInt64(body.count)))
            if baseSegments[name]?.hash != segment.hash { newSegments.append(segment) } else { reused += 1 }
        }
        for (field, value) in fields {
            let baseValue = baseFields[field]
            if case .value(let encodable) = value, let dictionary = encodable as? any SnapshotBucketable,
               dictionary.bucketableCount > Self.entriesPerBucket || baseBuckets[field] != nil {
                let count = Self.bucketCount(entries: dictionary.bucketableCount, previous: baseBuckets[field])
                var dirty: [Bool]? = nil
                if reuse, baseBuckets[field] == count, case .value(let previous)? = baseValue {
                    dirty = dictionary.changedBuckets(since: previous, count: count)
                }
                var unchanged: [Int: SnapshotManifest.Segment] = [:]
                var toEncode: [Bool] = Array(repeating: true, count: count)
                if let dirty {
                    for index in 0..<count where !dirty[index] {
                        if let segment = baseSegments[SegmentName.bucket(field, index, count)] {
                            unchanged[index] = segment
                            toEncode[index] = false
                        }
                    }
                }
                let bodies: [Int: [UInt8]]
                do { bodies = try dictionary.encodeBuckets(toEncode, count: count) } catch {
                    throw SnapshotError(.malformed, "the state's \(field) does not encode: \(error)")
                }
                for index in 0..<count {
                    let name = SegmentName.bucket(field, index, count)
                    if let segment = unchanged[index] {
                        segments.append(segment)
                        reused += 1
                    } else {
                        add(name, body: bodies[index] ?? [])
                    }
                }
                continue
            }
            if reuse, let baseValue, value.isIdentical(to: baseValue), let segment = baseSegments[field] {
                segments.append(segment)
                reused += 1
                continue
            }
            add(field, body: try value.encoded(field))
        }
        segments.sort { SnapshotManifest.precedes($0.name, $1.name) }
        let manifest = SnapshotManifest(sequence: state.nextSequence, digest: withDigest ? state.digest : nil, segments: segments)
        return Output(manifest: manifest, newSegments: newSegments, reusedSegments: reused)
    }

    /// Buckets for a dictionary of `entries`: the previous count while it is within a factor of
    /// four of the aim (so a count does not flap and rewrite every bucket), else a new power of two.
    public static func bucketCount(entries: Int, previous: Int?) -> Int {
        let aim = max(1, entries / entriesPerBucket)
        if let previous, previous <= aim * 4, previous * 4 >= aim { return previous }
        var count = 1
        while count < aim { count <<= 1 }
        return count
    }
}

extension StateSnapshot {
    /// The state a segmented snapshot holds, with every check of ``decode(_:genesis:)``: each
    /// segment's length and SHA-256 against the manifest, every bucket of a field present
    /// once and holding only its own keys, the body strict, the genesis and sequence, the
    /// state's invariants, and the digest when the manifest records one.
    ///
    /// - Parameter segments: segment bodies by hash (more than the manifest names is fine).
    public static func decode(manifest: SnapshotManifest, segments: [[UInt8]: [UInt8]], genesis: Genesis) throws(SnapshotError) -> CoordinatorState {
        var fields: [String: SnapshotFieldSource] = [:]
        var buckets: [String: [Int: [UInt8]]] = [:]
        var bucketCounts: [String: Int] = [:]
        for segment in manifest.segments {
            guard let body = segments[segment.hash] else {
                throw SnapshotError(.malformed, "segment \(segment.name) (\(Hex.encode(segment.hash[...]))) is not stored")
            }
            guard UInt64(body.count) == segment.length, Array(SHA256.hash(data: body)) == segment.hash else {
                throw SnapshotError(.checksumMismatch, "segment \(segment.name): its \(body.count) bytes do not have the recorded length and SHA-256: the segment is damaged")
            }
            guard let name = SegmentName(segment.name) else {
                throw SnapshotError(.malformed, "segment name \(segment.name) is neither a field nor field#index/count")
            }
            if name.count == 0 {
                fields[name.field] = .whole(body)
                continue
            }
            guard bucketCounts[name.field, default: name.count] == name.count, fields[name.field] == nil else {
                throw SnapshotError(.malformed, "field \(name.field) is cut into buckets in two ways")
            }
            bucketCounts[name.field] = name.count
            buckets[name.field, default: [:]][name.index] = body
        }
        for (field, parts) in buckets {
            let count = bucketCounts[field]!
            guard parts.count == count, fields[field] == nil else {
                throw SnapshotError(.malformed, "field \(field) has \(parts.count) of its \(count) buckets")
            }
            fields[field] = .buckets((0..<count).map { parts[$0]! })
        }
        var state: CoordinatorState
        do {
            state = try CoordinatorState(from: SnapshotFieldDecoder(fields: fields))
        } catch {
            throw SnapshotError(.malformed, "the segments do not decode as a state: \(error)")
        }
        state.rebuildDerivedState()
        guard state.genesis == genesis else { throw SnapshotError(.genesisMismatch, "the snapshot belongs to a log with another genesis") }
        guard state.nextSequence == manifest.sequence else {
            throw SnapshotError(.malformed, "the manifest says \(manifest.sequence) entries but the state holds \(state.nextSequence)")
        }
        let problems = state.restoredStateProblems()
        guard problems.isEmpty else { throw SnapshotError(.inconsistent, "the decoded state is inconsistent: " + problems.joined(separator: "; ")) }
        if let recorded = manifest.digest {
            let digest = state.digest
            guard digest == recorded else {
                throw SnapshotError(.digestMismatch, "the decoded state has digest \(digest) but the snapshot recorded \(recorded)")
            }
        }
        return state
    }
}

// MARK: Segment names

/// `field` or `field#index/count`.
struct SegmentName {
    var field: String
    /// Bucket index; 0 for a whole field.
    var index: Int
    /// Bucket count; 0 for a whole field.
    var count: Int

    static func bucket(_ field: String, _ index: Int, _ count: Int) -> String { "\(field)#\(index)/\(count)" }

    init?(_ name: String) {
        guard let hash = name.firstIndex(of: "#") else {
            guard !name.isEmpty else { return nil }
            (field, index, count) = (name, 0, 0)
            return
        }
        let rest = name[name.index(after: hash)...].split(separator: "/", omittingEmptySubsequences: false)
        guard rest.count == 2, let index = Int(rest[0]), let count = Int(rest[1]), count > 0, index >= 0, index < count,
              String(index) == rest[0], String(count) == rest[1], hash != name.startIndex
        else { return nil }
        (field, self.index, self.count) = (String(name[..<hash]), index, count)
    }
}

// MARK: Fields

/// One top-level field of a state as its synthesised `encode(to:)` hands it over.
enum SnapshotFieldValue {
    case value(any Encodable)
    case null

    /// Whether `self` is bit for bit `other` (so shares its storage, and encodes the same).
    func isIdentical(to other: SnapshotFieldValue) -> Bool {
        switch (self, other) {
        case (.null, .null): true
        case (.value(let value), .value(let previous)): SnapshotIdentity.same(value, previous)
        default: false
        }
    }

    func encoded(_ field: String) throws(SnapshotError) -> [UInt8] {
        do {
            switch self {
            case .value(let value): return try BinaryStateEncoder.encode(value)
            case .null: return try BinaryStateEncoder.encode(Int?.none)
            }
        } catch {
            throw SnapshotError(.malformed, "the state's \(field) does not encode: \(error)")
        }
    }
}

enum SnapshotIdentity {
    /// Whether `previous` is a `T` with the bits of `value`.
    static func same<T: Encodable>(_ value: T, _ previous: any Encodable) -> Bool {
        guard let previous = previous as? T else { return false }
        return withUnsafeBytes(of: value) { a in withUnsafeBytes(of: previous) { b in a.elementsEqual(b) } }
    }

    /// `same` for two values of one type, without a cast.
    @inline(__always)
    static func sameBits<T>(_ a: T, _ b: T) -> Bool {
        withUnsafeBytes(of: a) { a in withUnsafeBytes(of: b) { b in a.elementsEqual(b) } }
    }
}

/// The top-level fields of a state, by coding key, through its synthesised `encode(to:)`.
enum SnapshotFields {
    static func list(_ state: CoordinatorState) throws(SnapshotError) -> [(String, SnapshotFieldValue)] {
        let capture = SnapshotFieldCapture()
        do { try state.encode(to: capture) } catch {
            throw SnapshotError(.malformed, "the state does not encode: \(error)")
        }
        if let problem = capture.problem { throw SnapshotError(.malformed, "the state cannot be cut into segments: \(problem)") }
        return capture.fields
    }
}

/// An `Encoder` that keeps each top-level field's value instead of encoding it.
final class SnapshotFieldCapture: Encoder {
    var fields: [(String, SnapshotFieldValue)] = []
    var seen: Set<String> = []
    var problem: String?
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func put(_ value: SnapshotFieldValue, _ key: String) {
        guard seen.insert(key).inserted else { problem = "field \(key) is encoded twice"; return }
        fields.append((key, value))
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(SnapshotFieldCaptureContainer<Key>(capture: self))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        problem = "the state encodes as a list, not as fields"
        return BinaryEncoderNode().unkeyedContainer()
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        problem = "the state encodes as a single value, not as fields"
        return BinaryEncoderNode().singleValueContainer()
    }
}

struct SnapshotFieldCaptureContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let capture: SnapshotFieldCapture
    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil(forKey key: Key) throws { capture.put(.null, key.stringValue) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { capture.put(.value(value), key.stringValue) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { capture.put(.value(value), key.stringValue) }
    mutating func encode(_ value: String, forKey key: Key) throws { capture.put(.value(value), key.stringValue) }
    mutating func encode(_ value: Double, forKey key: Key) throws { capture.put(.value(value), key.stringValue) }
    mutating func encode(_ value: Float, forKey key: Key) throws { capture.put(.value(value), key.stringValue) }
    mutating func encode(_ value: Int, forKey key: Key) throws { capture.put(.value(value), key.stringValue) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { capture.put(.value(value), key.stringValue) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { capture.put(.value(value), key.stringValue) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { capture.put(.value(value), key.stringValue) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { capture.put(.value(value), key.stringValue) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { capture.put(.value(value), key.stringValue) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { capture.put(.value(value), key.stringValue) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { capture.put(.value(value), key.stringValue) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { capture.put(.value(value), key.stringValue) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { capture.put(.value(value), key.stringValue) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        capture.problem = "field \(key.stringValue) is written through a nested container"
        return BinaryEncoderNode().container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        capture.problem = "field \(key.stringValue) is written through a nested container"
        return BinaryEncoderNode().unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        capture.problem = "the state writes through a super encoder"
        return BinaryEncoderNode()
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder { superEncoder() }
}

/// Where a field's value is in a segmented snapshot.
enum SnapshotFieldSource {
    case whole([UInt8])
    case buckets([[UInt8]])
}

/// A `Decoder` that gives a state's synthesised `init(from:)` each field from its segments.
struct SnapshotFieldDecoder: Decoder {
    let fields: [String: SnapshotFieldSource]
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(SnapshotFieldDecodingContainer<Key>(fields: fields))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        throw DecodingError.typeMismatch([Any].self, .init(codingPath: [], debugDescription: "a segmented snapshot holds fields"))
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        throw DecodingError.typeMismatch(Any.self, .init(codingPath: [], debugDescription: "a segmented snapshot holds fields"))
    }
}

struct SnapshotFieldDecodingContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let fields: [String: SnapshotFieldSource]
    var codingPath: [any CodingKey] { [] }
    var allKeys: [Key] { fields.keys.sorted().compactMap { Key(stringValue: $0) } }

    func contains(_ key: Key) -> Bool { fields[key.stringValue] != nil }

    private func source(_ key: Key) throws -> SnapshotFieldSource {
        guard let source = fields[key.stringValue] else {
            throw DecodingError.keyNotFound(key, .init(codingPath: [], debugDescription: "no segment holds field \(key.stringValue)"))
        }
        return source
    }

    /// Whether the field's segment is a nil value: an empty key table and the nil tag.
    func decodeNil(forKey key: Key) throws -> Bool {
        guard case .whole(let body) = try source(key) else { return false }
        return body == [0, BinaryTag.null]
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        switch try source(key) {
        case .whole(let body):
            return try BinaryStateDecoder.decode(T.self, from: body)
        case .buckets(let bodies):
            guard let bucketable = T.self as? any SnapshotBucketable.Type else {
                throw DecodingError.typeMismatch(T.self, .init(codingPath: [key], debugDescription: "field \(key.stringValue) is stored in buckets but is not a String-keyed dictionary"))
            }
            guard let merged = try bucketable.merged(bodies) as? T else {
                throw DecodingError.typeMismatch(T.self, .init(codingPath: [key], debugDescription: "field \(key.stringValue): merged buckets are of another type"))
            }
            return merged
        }
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try decodeValue(type, key) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try decodeValue(type, key) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try decodeValue(type, key) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try decodeValue(type, key) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try decodeValue(type, key) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try decodeValue(type, key) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try decodeValue(type, key) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try decodeValue(type, key) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try decodeValue(type, key) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try decodeValue(type, key) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try decodeValue(type, key) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try decodeValue(type, key) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try decodeValue(type, key) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try decodeValue(type, key) }

    private func decodeValue<T: Decodable>(_ type: T.Type, _ key: Key) throws -> T {
        guard case .whole(let body) = try source(key) else {
            throw DecodingError.typeMismatch(T.self, .init(codingPath: [key], debugDescription: "field \(key.stringValue) is stored in buckets"))
        }
        return try BinaryStateDecoder.decode(T.self, from: body)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        throw DecodingError.typeMismatch([String: Any].self, .init(codingPath: [key], debugDescription: "a segmented snapshot has no nested containers at the top"))
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        throw DecodingError.typeMismatch([Any].self, .init(codingPath: [key], debugDescription: "a segmented snapshot has no nested containers at the top"))
    }

    func superDecoder() throws -> any Decoder {
        throw DecodingError.typeMismatch(Any.self, .init(codingPath: [], debugDescription: "a segmented snapshot has no super decoder"))
    }

    func superDecoder(forKey key: Key) throws -> any Decoder { try superDecoder() }
}

// MARK: Buckets

/// A `String`-keyed dictionary, which a segmented snapshot stores in buckets.
protocol SnapshotBucketable {
    var bucketableCount: Int { get }
    /// For each of `count` buckets, whether an entry in it differs from `base` (a value of the
    /// same type): a key added or removed, or a value not identical. `nil` when `base` is of
    /// another type.
    func changedBuckets(since base: Any, count: Int) -> [Bool]?
    /// The bodies of the buckets marked in `which` (every bucket gets a body, empty ones too).
    func encodeBuckets(_ which: [Bool], count: Int) throws -> [Int: [UInt8]]
    /// The dictionary the bucket `bodies` hold; each key must be in its own bucket.
    static func merged(_ bodies: [[UInt8]]) throws -> Self
}

/// The bucket of a key: FNV-1a (64-bit) of its UTF-8 bytes, folded, modulo the count.
enum SnapshotBuckets {
    static func bucket(of key: String, count: Int) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        var key = key
        key.withUTF8 { bytes in
            for byte in bytes {
                hash ^= UInt64(byte)
                hash = hash &* 0x0000_0100_0000_01b3
            }
        }
        return Int((hash ^ (hash >> 32)) % UInt64(count))
    }
}

extension Dictionary: SnapshotBucketable where Key == String, Value: Codable & Equatable {
    var bucketableCount: Int { count }

    func changedBuckets(since base: Any, count: Int) -> [Bool]? {
        guard let base = base as? [String: Value] else { return nil }
        var dirty = [Bool](repeating: false, count: count)
        if SnapshotIdentity.sameBits(self, base) { return dirty }
        let valuesAreStrings = Value.self == String.self
        var found = 0
        for (key, value) in self {
            let bucket = SnapshotBuckets.bucket(of: key, count: count)
            guard let index = base.index(forKey: key) else { dirty[bucket] = true; continue }
            found += 1
            if dirty[bucket] { continue }
            let (baseKey, baseValue) = base[index]
            if !SnapshotIdentity.sameBits(key, baseKey), !key.utf8.elementsEqual(baseKey.utf8) { dirty[bucket] = true; continue }
            if SnapshotIdentity.sameBits(value, baseValue) { continue }
            if valuesAreStrings {
                if (value as! String).utf8.elementsEqual((baseValue as! String).utf8) { continue }
            } else if value == baseValue {
                // A copied dictionary's values keep their storage but not their padding bytes.
                continue
            }
            dirty[bucket] = true
        }
        if found < base.count {
            for key in base.keys where self.index(forKey: key) == nil {
                dirty[SnapshotBuckets.bucket(of: key, count: count)] = true
            }
        }
        return dirty
    }

    func encodeBuckets(_ which: [Bool], count: Int) throws -> [Int: [UInt8]] {
        var parts: [Int: [String: Value]] = [:]
        for index in 0..<count where which[index] { parts[index] = [:] }
        guard !parts.isEmpty else { return [:] }
        for (key, value) in self {
            let bucket = SnapshotBuckets.bucket(of: key, count: count)
            if which[bucket] { parts[bucket]![key] = value }
        }
        return try parts.mapValues { try BinaryStateEncoder.encode($0) }
    }

    static func merged(_ bodies: [[UInt8]]) throws -> Self {
        var merged: [String: Value] = [:]
        for (index, body) in bodies.enumerated() {
            let part = try BinaryStateDecoder.decode([String: Value].self, from: body)
            merged.reserveCapacity(merged.count + part.count)
            for (key, value) in part {
                guard SnapshotBuckets.bucket(of: key, count: bodies.count) == index else {
                    throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "key \(key) is in bucket \(index) of \(bodies.count), not its own"))
                }
                merged[key] = value
            }
        }
        return merged
    }
}
