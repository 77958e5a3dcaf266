import Foundation

/// A compact, deterministic binary `Encoder` for `Codable` values: the body of format-2 state
/// snapshots (docs/SNAPSHOTS.md, "Format").
///
/// The bytes are a key table — varint key count, then each key (varint byte count, UTF-8),
/// sorted by UTF-8 bytes, each once — followed by the value. Every value is one tag byte
/// followed by its payload:
///
/// | tag | value | payload |
/// |---|---|---|
/// | 0 | nil | — |
/// | 1, 2 | false, true | — |
/// | 3 | unsigned integer | LEB128 varint |
/// | 4 | signed integer | zigzag LEB128 varint |
/// | 5 | string | varint byte count, UTF-8 bytes |
/// | 6 | floating point | 8 bytes, IEEE 754 binary64 bit pattern, little-endian |
/// | 7 | keyed container | varint payload byte count, varint entry count, entries (varint key-table index, value) |
/// | 8 | unkeyed container | varint payload byte count, varint element count, elements |
///
/// The same value always gives the same bytes: the entries of a keyed container are written
/// sorted by their key's UTF-8 bytes, that is by rising key-table index. So a `Dictionary`
/// keyed by `String`, `Int` or a `CodingKeyRepresentable` type, which the standard library
/// encodes through a keyed container in hash order, comes out sorted, as `JSONEncoder`'s
/// `.sortedKeys` did for the JSON snapshots. (A dictionary with another key type is encoded by
/// the standard library as a hash-ordered list, in either codec.) A key encoded twice is an
/// error and varints are minimal. Containers carry their byte count so that
/// ``BinaryStateDecoder`` skips a value without reading it.
///
/// Values are first collected as a small tree (containers are objects, so a container written
/// after a nested one was created still lands in place), then prepared (entries sorted, key
/// table built), measured and written.
public enum BinaryStateEncoder {
    /// The bytes of `value`.
    public static func encode(_ value: some Encodable) throws -> [UInt8] {
        let encoder = BinaryEncoderNode()
        try value.encode(to: encoder)
        return try BinaryValueWriter.bytes(of: encoder.value)
    }
}

/// Wire tags (see ``BinaryStateEncoder``).
enum BinaryTag {
    static let null: UInt8 = 0
    static let `false`: UInt8 = 1
    static let `true`: UInt8 = 2
    static let unsigned: UInt8 = 3
    static let signed: UInt8 = 4
    static let string: UInt8 = 5
    static let float: UInt8 = 6
    static let keyed: UInt8 = 7
    static let unkeyed: UInt8 = 8
}

/// One encoded value before it is written.
enum BinaryValue {
    case null
    case bool(Bool)
    case unsigned(UInt64)
    case signed(Int64)
    case float(UInt64)
    case string(String)
    case unsignedArray([UInt64])
    case keyed(BinaryKeyedStorage)
    case unkeyed(BinaryUnkeyedStorage)
    /// A value written through a super-encoder or a nested encoder, read when measuring.
    case deferred(BinaryEncoderNode)
}

/// A keyed container's entries, in the order encoded until measured, then sorted.
final class BinaryKeyedStorage {
    var entries: [(key: String, value: BinaryValue)] = []
    var payloadSize = 0
    /// Each entry's key id in the writer's key table (set when the tree is prepared).
    var keyIDs: [Int] = []
    /// The `CodingKey` type the container was made with (``CanonicalJSONWriter`` remembers key orders by it).
    let keyType: ObjectIdentifier?

    init(keyType: ObjectIdentifier? = nil) { self.keyType = keyType }
}

/// An unkeyed container's elements.
final class BinaryUnkeyedStorage {
    var elements: [BinaryValue] = []
    var payloadSize = 0
}

/// The `Encoder` handed to `encode(to:)`: holds the one value it encodes.
final class BinaryEncoderNode: Encoder {
    var storage: BinaryValue?
    /// Whether this is a Foundation type that `JSONEncoder` writes its own way (`Data`, `Date`,
    /// `URL`, `Decimal`): ``CanonicalJSONWriter`` has no canonical form for it.
    var writtenSpeciallyByJSONEncoder = false
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    /// What was encoded; an empty keyed container when nothing was (as `JSONEncoder` gives `{}`).
    var value: BinaryValue { storage ?? .keyed(BinaryKeyedStorage()) }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .keyed(let keyed) = storage { return KeyedEncodingContainer(BinaryKeyedEncoding(storage: keyed)) }
        let keyed = BinaryKeyedStorage(keyType: ObjectIdentifier(Key.self))
        storage = .keyed(keyed)
        return KeyedEncodingContainer(BinaryKeyedEncoding(storage: keyed))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if case .unkeyed(let unkeyed) = storage { return BinaryUnkeyedEncoding(storage: unkeyed) }
        let unkeyed = BinaryUnkeyedStorage()
        storage = .unkeyed(unkeyed)
        return BinaryUnkeyedEncoding(storage: unkeyed)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { BinarySingleValueEncoding(node: self) }

    /// `value` as a ``BinaryValue``: primitives and `[UInt64]` directly, anything else
    /// through its own `encode(to:)`.
    static func box<T: Encodable>(_ value: T) throws -> BinaryValue {
        if T.self == [UInt64].self { return .unsignedArray(value as! [UInt64]) }
        if T.self == String.self { return .string(value as! String) }
        if T.self == Int.self { return .signed(Int64(value as! Int)) }
        if T.self == Int64.self { return .signed(value as! Int64) }
        if T.self == UInt64.self { return .unsigned(value as! UInt64) }
        if T.self == Bool.self { return .bool(value as! Bool) }
        let node = BinaryEncoderNode()
        try value.encode(to: node)
        if T.self == Data.self || T.self == Date.self || T.self == URL.self || T.self == Decimal.self {
            node.writtenSpeciallyByJSONEncoder = true
            return .deferred(node)
        }
        return node.value
    }
}

struct BinaryKeyedEncoding<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let storage: BinaryKeyedStorage
    var codingPath: [any CodingKey] { [] }

    private func put(_ value: BinaryValue, _ key: Key) { storage.entries.append((key.stringValue, value)) }

    mutating func encodeNil(forKey key: Key) throws { put(.null, key) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { put(.bool(value), key) }
    mutating func encode(_ value: String, forKey key: Key) throws { put(.string(value), key) }
    mutating func encode(_ value: Double, forKey key: Key) throws { put(.float(value.bitPattern), key) }
    mutating func encode(_ value: Float, forKey key: Key) throws { put(.float(Double(value).bitPattern), key) }
    mutating func encode(_ value: Int, forKey key: Key) throws { put(.signed(Int64(value)), key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { put(.signed(Int64(value)), key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { put(.signed(Int64(value)), key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { put(.signed(Int64(value)), key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { put(.signed(value), key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { put(.unsigned(UInt64(value)), key) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { put(.unsigned(UInt64(value)), key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { put(.unsigned(UInt64(value)), key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { put(.unsigned(UInt64(value)), key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { put(.unsigned(value), key) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { put(try BinaryEncoderNode.box(value), key) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        let nested = BinaryKeyedStorage(keyType: ObjectIdentifier(NestedKey.self))
        put(.keyed(nested), key)
        return KeyedEncodingContainer(BinaryKeyedEncoding<NestedKey>(storage: nested))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let nested = BinaryUnkeyedStorage()
        put(.unkeyed(nested), key)
        return BinaryUnkeyedEncoding(storage: nested)
    }

    mutating func superEncoder() -> any Encoder { superEncoder(forKey: Key(stringValue: "super")!) }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        let node = BinaryEncoderNode()
        put(.deferred(node), key)
        return node
    }
}

/// How the unkeyed and single-value containers encode each primitive: one ``BinaryValue`` put
/// where the container keeps it.
protocol BinaryPrimitiveEncoding {
    func put(_ value: BinaryValue)
}

extension BinaryPrimitiveEncoding {
    mutating func encodeNil() throws { put(.null) }
    mutating func encode(_ value: Bool) throws { put(.bool(value)) }
    mutating func encode(_ value: String) throws { put(.string(value)) }
    mutating func encode(_ value: Double) throws { put(.float(value.bitPattern)) }
    mutating func encode(_ value: Float) throws { put(.float(Double(value).bitPattern)) }
    mutating func encode(_ value: Int) throws { put(.signed(Int64(value))) }
    mutating func encode(_ value: Int8) throws { put(.signed(Int64(value))) }
    mutating func encode(_ value: Int16) throws { put(.signed(Int64(value))) }
    mutating func encode(_ value: Int32) throws { put(.signed(Int64(value))) }
    mutating func encode(_ value: Int64) throws { put(.signed(value)) }
    mutating func encode(_ value: UInt) throws { put(.unsigned(UInt64(value))) }
    mutating func encode(_ value: UInt8) throws { put(.unsigned(UInt64(value))) }
    mutating func encode(_ value: UInt16) throws { put(.unsigned(UInt64(value))) }
    mutating func encode(_ value: UInt32) throws { put(.unsigned(UInt64(value))) }
    mutating func encode(_ value: UInt64) throws { put(.unsigned(value)) }
    mutating func encode<T: Encodable>(_ value: T) throws { put(try BinaryEncoderNode.box(value)) }
}

struct BinaryUnkeyedEncoding: UnkeyedEncodingContainer, BinaryPrimitiveEncoding {
    let storage: BinaryUnkeyedStorage
    var codingPath: [any CodingKey] { [] }
    var count: Int { storage.elements.count }

    func put(_ value: BinaryValue) { storage.elements.append(value) }


    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let nested = BinaryKeyedStorage(keyType: ObjectIdentifier(NestedKey.self))
        put(.keyed(nested))
        return KeyedEncodingContainer(BinaryKeyedEncoding<NestedKey>(storage: nested))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let nested = BinaryUnkeyedStorage()
        put(.unkeyed(nested))
        return BinaryUnkeyedEncoding(storage: nested)
    }

    mutating func superEncoder() -> any Encoder {
        let node = BinaryEncoderNode()
        put(.deferred(node))
        return node
    }
}

struct BinarySingleValueEncoding: SingleValueEncodingContainer, BinaryPrimitiveEncoding {
    let node: BinaryEncoderNode
    var codingPath: [any CodingKey] { [] }

    func put(_ value: BinaryValue) { node.storage = value }

}

/// Prepares (sorting keyed entries, building the key table), measures and writes a ``BinaryValue`` tree.
struct BinaryValueWriter {
    private(set) var bytes: [UInt8] = []
    /// Distinct keys by id (the order first met), and each id's position in the sorted table.
    private var keys: [String] = []
    private var idOfKey: [String: Int] = [:]
    private var sortedIDs: [Int] = []
    private var rank: [Int] = []
    /// Key lists already given ids, by coding-key type (a struct's few lists hit here without hashing).
    private var knownLists: [ObjectIdentifier: [(keys: [String], ids: [Int])]] = [:]

    /// The bytes of `root`: the key table, then the value.
    static func bytes(of root: BinaryValue) throws -> [UInt8] {
        var writer = BinaryValueWriter()
        try writer.prepare(root)
        writer.sortTable()
        var size = varintSize(UInt64(writer.keys.count))
        for key in writer.keys { size += varintSize(UInt64(key.utf8.count)) + key.utf8.count }
        size += writer.measure(root)
        writer.bytes.reserveCapacity(size)
        writer.varint(UInt64(writer.keys.count))
        for id in writer.sortedIDs {
            writer.varint(UInt64(writer.keys[id].utf8.count))
            writer.bytes += writer.keys[id].utf8
        }
        writer.write(root)
        assert(writer.bytes.count == size, "measured \(size) bytes, wrote \(writer.bytes.count)")
        return writer.bytes
    }

    static func varintSize(_ value: UInt64) -> Int {
        var value = value, size = 1
        while value >= 0x80 { value >>= 7; size += 1 }
        return size
    }

    static func zigzag(_ value: Int64) -> UInt64 { UInt64(bitPattern: (value << 1) ^ (value >> 63)) }

    /// Whether `a`'s UTF-8 bytes sort before `b`'s.
    static func precedes(_ a: String, _ b: String) -> Bool {
        let fast = a.utf8.withContiguousStorageIfAvailable { left in
            b.utf8.withContiguousStorageIfAvailable { right in
                for index in 0..<Swift.min(left.count, right.count) where left[index] != right[index] { return left[index] < right[index] }
                return left.count < right.count
            }
        }
        return (fast ?? nil) ?? a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    /// Sorts every keyed container's entries, refuses a key encoded twice, and gives every key an id.
    private mutating func prepare(_ value: BinaryValue) throws {
        switch value {
        case .null, .bool, .unsigned, .signed, .float, .string, .unsignedArray: return
        case .keyed(let storage):
            let entries = storage.entries
            if entries.indices.dropFirst().contains(where: { !Self.precedes(entries[$0 - 1].key, entries[$0].key) }) {
                storage.entries.sort { Self.precedes($0.key, $1.key) }
                for index in storage.entries.indices.dropFirst() where storage.entries[index - 1].key == storage.entries[index].key {
                    let key = storage.entries[index].key
                    throw EncodingError.invalidValue(key, .init(codingPath: [], debugDescription: "key \(key) is encoded twice in one container"))
                }
            }
            storage.keyIDs = ids(of: storage)
            for entry in storage.entries { try prepare(entry.value) }
        case .unkeyed(let storage):
            for element in storage.elements { try prepare(element) }
        case .deferred(let node):
            if node.storage == nil { node.storage = node.value }
            try prepare(node.value)
        }
    }

    private mutating func ids(of storage: BinaryKeyedStorage) -> [Int] {
        let entries = storage.entries
        if let type = storage.keyType, let known = knownLists[type] {
            for candidate in known where candidate.keys.count == entries.count {
                if entries.indices.allSatisfy({ entries[$0].key == candidate.keys[$0] }) { return candidate.ids }
            }
        }
        let ids = entries.map { entry in
            if let id = idOfKey[entry.key] { return id }
            keys.append(entry.key)
            idOfKey[entry.key] = keys.count - 1
            return keys.count - 1
        }
        // Remember a few lists per type: a struct has a handful, a dictionary's keys vary.
        if let type = storage.keyType, knownLists[type, default: []].count < 8 {
            knownLists[type, default: []].append((entries.map(\.key), ids))
        }
        return ids
    }

    private mutating func sortTable() {
        sortedIDs = keys.indices.sorted { Self.precedes(keys[$0], keys[$1]) }
        rank = Array(repeating: 0, count: keys.count)
        for (position, id) in sortedIDs.enumerated() { rank[id] = position }
    }

    /// Bytes `value` takes; records container payload sizes on the way.
    private func measure(_ value: BinaryValue) -> Int {
        switch value {
        case .null, .bool: return 1
        case .unsigned(let number): return 1 + Self.varintSize(number)
        case .signed(let number): return 1 + Self.varintSize(Self.zigzag(number))
        case .float: return 9
        case .string(let string):
            let count = string.utf8.count
            return 1 + Self.varintSize(UInt64(count)) + count
        case .unsignedArray(let numbers):
            let payload = Self.unsignedArrayPayload(numbers)
            return 1 + Self.varintSize(UInt64(payload)) + payload
        case .keyed(let storage):
            var payload = Self.varintSize(UInt64(storage.entries.count))
            for (index, entry) in storage.entries.enumerated() {
                payload += Self.varintSize(UInt64(rank[storage.keyIDs[index]])) + measure(entry.value)
            }
            storage.payloadSize = payload
            return 1 + Self.varintSize(UInt64(payload)) + payload
        case .unkeyed(let storage):
            var payload = Self.varintSize(UInt64(storage.elements.count))
            for element in storage.elements { payload += measure(element) }
            storage.payloadSize = payload
            return 1 + Self.varintSize(UInt64(payload)) + payload
        case .deferred(let node):
            return measure(node.value)
        }
    }

    private static func unsignedArrayPayload(_ numbers: [UInt64]) -> Int {
        var payload = varintSize(UInt64(numbers.count))
        for number in numbers { payload += 1 + varintSize(number) }
        return payload
    }

    private mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    /// Writes a measured value.
    private mutating func write(_ value: BinaryValue) {
        switch value {
        case .null: bytes.append(BinaryTag.null)
        case .bool(let flag): bytes.append(flag ? BinaryTag.true : BinaryTag.false)
        case .unsigned(let number):
            bytes.append(BinaryTag.unsigned)
            varint(number)
        case .signed(let number):
            bytes.append(BinaryTag.signed)
            varint(Self.zigzag(number))
        case .float(let pattern):
            bytes.append(BinaryTag.float)
            withUnsafeBytes(of: pattern.littleEndian) { bytes += $0 }
        case .string(let string):
            bytes.append(BinaryTag.string)
            varint(UInt64(string.utf8.count))
            bytes += string.utf8
        case .unsignedArray(let numbers):
            bytes.append(BinaryTag.unkeyed)
            varint(UInt64(Self.unsignedArrayPayload(numbers)))
            varint(UInt64(numbers.count))
            for number in numbers {
                bytes.append(BinaryTag.unsigned)
                varint(number)
            }
        case .keyed(let storage):
            bytes.append(BinaryTag.keyed)
            varint(UInt64(storage.payloadSize))
            varint(UInt64(storage.entries.count))
            for (index, entry) in storage.entries.enumerated() {
                varint(UInt64(rank[storage.keyIDs[index]]))
                write(entry.value)
            }
        case .unkeyed(let storage):
            bytes.append(BinaryTag.unkeyed)
            varint(UInt64(storage.payloadSize))
            varint(UInt64(storage.elements.count))
            for element in storage.elements { write(element) }
        case .deferred(let node):
            write(node.value)
        }
    }
}
