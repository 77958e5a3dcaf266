/// The strict `Decoder` for the bytes of ``BinaryStateEncoder``.
///
/// Never traps on bad bytes: every read is bounds-checked, a container's byte count must lie
/// within its parent and be used exactly, element counts are bounded by the bytes that remain,
/// varints must be minimal, strings valid UTF-8, the key table and each container's key
/// indexes strictly rising, and nesting is limited to ``maximumDepth``. A failure is a
/// `DecodingError` naming the byte offset and the coding path. As with `JSONDecoder`, keys that
/// no field asks for are ignored.
///
/// Fast: a keyed container is read once as a list of (key, value offset) entries; a key is
/// looked up by comparing bytes (first the entry after the one last found, then by binary
/// search), so no `String` is made for a key unless `allKeys` asks for it.
public enum BinaryStateDecoder {
    /// The deepest nesting of containers accepted.
    public static let maximumDepth = 256

    /// The `T` that `bytes` hold; all of `bytes` must be used.
    public static func decode<T: Decodable>(_ type: T.Type, from bytes: some Collection<UInt8>) throws -> T {
        let input = BinaryInput(bytes)
        let root = try input.readKeyTable()
        let end = try input.valueEnd(at: root, limit: input.count, path: [])
        guard end == input.count else {
            throw input.corrupt(at: end, path: [], "\(input.count - end) bytes follow the value")
        }
        return try T(from: BinaryDecoderNode(input: input, position: root, depth: 0, parent: nil, key: nil))
    }
}

/// The bytes being decoded, copied once into memory this object owns.
final class BinaryInput {
    private let storage: UnsafeMutableBufferPointer<UInt8>
    let base: UnsafeBufferPointer<UInt8>
    let count: Int

    init(_ bytes: some Collection<UInt8>) {
        storage = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: Swift.max(bytes.count, 1))
        count = storage.initialize(fromContentsOf: bytes)
        base = UnsafeBufferPointer(rebasing: storage[..<count])
    }

    deinit { storage.deallocate() }

    /// The key table: where each key's UTF-8 bytes are.
    private(set) var keyTable: [(start: Int, count: Int)] = []

    /// Reads the key table at the start (strictly sorted keys) and returns where the value starts.
    func readKeyTable() throws -> Int {
        let (keyCount, first) = try length(at: 0, limit: count, path: [])
        keyTable.reserveCapacity(keyCount)
        var position = first
        for _ in 0..<keyCount {
            let (length, start) = try self.length(at: position, limit: count, path: [])
            if let previous = keyTable.last {
                guard Self.order(UnsafeBufferPointer(rebasing: base[previous.start..<previous.start + previous.count]),
                                 UnsafeBufferPointer(rebasing: base[start..<start + length])) < 0
                else { throw corrupt(at: position, path: [], "the key table is not strictly sorted") }
            }
            keyTable.append((start, length))
            position = start + length
        }
        return position
    }

    func corrupt(at offset: Int, path: [any CodingKey], _ message: String) -> DecodingError {
        DecodingError.dataCorrupted(.init(codingPath: path, debugDescription: "at byte \(offset): \(message)"))
    }

    /// The byte at `offset`, which must be below `limit`.
    @inline(__always)
    func byte(at offset: Int, limit: Int, path: @autoclosure () -> [any CodingKey]) throws -> UInt8 {
        guard offset < limit else { throw corrupt(at: offset, path: path(), "the bytes end inside a value") }
        return base[offset]
    }

    /// A minimal LEB128 varint at `offset`, and the offset after it.
    @inline(__always)
    func varint(at offset: Int, limit: Int, path: @autoclosure () -> [any CodingKey]) throws -> (UInt64, Int) {
        var result: UInt64 = 0, shift: UInt64 = 0, position = offset
        while true {
            guard position < limit else { throw corrupt(at: position, path: path(), "the bytes end inside a number") }
            let byte = base[position]
            position += 1
            guard shift < 64, shift < 63 || byte <= 1 else { throw corrupt(at: offset, path: path(), "a number exceeds 64 bits") }
            result |= UInt64(byte & 0x7f) << shift
            if byte < 0x80 {
                guard byte != 0 || position == offset + 1 else { throw corrupt(at: offset, path: path(), "a number is not minimally encoded") }
                return (result, position)
            }
            shift += 7
        }
    }

    /// A varint used as a length or count: no more than `limit - offset` (what remains).
    @inline(__always)
    func length(at offset: Int, limit: Int, path: @autoclosure () -> [any CodingKey]) throws -> (Int, Int) {
        let (value, next) = try varint(at: offset, limit: limit, path: path())
        guard value <= UInt64(limit - next) else {
            throw corrupt(at: offset, path: path(), "a length of \(value) exceeds the \(limit - next) bytes that remain")
        }
        return (Int(value), next)
    }

    /// Where the value starting at `offset` ends (it must end by `limit`), without decoding it.
    func valueEnd(at offset: Int, limit: Int, path: @autoclosure () -> [any CodingKey]) throws -> Int {
        let tag = try byte(at: offset, limit: limit, path: path())
        switch tag {
        case BinaryTag.null, BinaryTag.false, BinaryTag.true: return offset + 1
        case BinaryTag.unsigned, BinaryTag.signed: return try varint(at: offset + 1, limit: limit, path: path()).1
        case BinaryTag.float:
            guard limit - offset >= 9 else { throw corrupt(at: offset, path: path(), "the bytes end inside a number") }
            return offset + 9
        case BinaryTag.string, BinaryTag.keyed, BinaryTag.unkeyed:
            let (count, start) = try length(at: offset + 1, limit: limit, path: path())
            return start + count
        default:
            throw corrupt(at: offset, path: path(), "unknown value tag \(tag)")
        }
    }

    /// Whether the bytes `start ..< start + count` equal `key`'s UTF-8.
    @inline(__always)
    func matches(_ key: inout String, start: Int, count: Int) -> Bool {
        key.withUTF8 { utf8 in
            guard utf8.count == count else { return false }
            for index in 0..<count where utf8[index] != base[start + index] { return false }
            return true
        }
    }

    /// -1, 0 or 1 as the bytes `start ..< start + count` sort before, equal or after `key`.
    func compare(start: Int, count: Int, with key: inout String) -> Int {
        key.withUTF8 { utf8 in Self.order(UnsafeBufferPointer(rebasing: base[start..<start + count]), utf8) }
    }

    /// -1, 0 or 1 as `a` sorts before, equal to or after `b`, byte by byte.
    static func order(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Int {
        for index in 0..<Swift.min(a.count, b.count) where a[index] != b[index] { return a[index] < b[index] ? -1 : 1 }
        return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
    }

    func string(start: Int, count: Int) -> String? {
        String(validating: UnsafeBufferPointer(rebasing: base[start..<start + count]), as: UTF8.self)
    }
}

/// A coding key for an unkeyed element's index (in coding paths).
struct BinaryIndexKey: CodingKey {
    let intValue: Int?
    var stringValue: String { "Index \(intValue ?? 0)" }
    init(intValue: Int) { self.intValue = intValue }
    init?(stringValue: String) { nil }
}

/// The `Decoder` for the one value at `position`.
final class BinaryDecoderNode: Decoder {
    let input: BinaryInput
    let position: Int
    let depth: Int
    let parent: BinaryDecoderNode?
    let key: (any CodingKey)?

    init(input: BinaryInput, position: Int, depth: Int, parent: BinaryDecoderNode?, key: (any CodingKey)?) {
        self.input = input
        self.position = position
        self.depth = depth
        self.parent = parent
        self.key = key
    }

    var codingPath: [any CodingKey] {
        var path: [any CodingKey] = []
        var node: BinaryDecoderNode? = self
        while let current = node {
            if let key = current.key { path.append(key) }
            node = current.parent
        }
        return path.reversed()
    }

    var userInfo: [CodingUserInfoKey: Any] { [:] }

    /// A decoder for a child value at `offset`.
    func child(at offset: Int, key: any CodingKey) throws -> BinaryDecoderNode {
        guard depth < BinaryStateDecoder.maximumDepth else {
            throw input.corrupt(at: offset, path: codingPath, "values nest deeper than \(BinaryStateDecoder.maximumDepth)")
        }
        return BinaryDecoderNode(input: input, position: offset, depth: depth + 1, parent: self, key: key)
    }

    /// A decoder for the same value one level deeper (a `T(from:)` through a single-value container).
    func deeper() throws -> BinaryDecoderNode {
        guard depth < BinaryStateDecoder.maximumDepth else {
            throw input.corrupt(at: position, path: codingPath, "values nest deeper than \(BinaryStateDecoder.maximumDepth)")
        }
        return BinaryDecoderNode(input: input, position: position, depth: depth + 1, parent: parent, key: key)
    }

    /// The payload bounds of the container of `tag` at `offset` (default: this value): after
    /// its count, its end, and the count.
    func containerBounds(_ tag: UInt8, _ what: String, at offset: Int? = nil) throws -> (start: Int, end: Int, count: Int) {
        let position = offset ?? self.position
        let found = try input.byte(at: position, limit: input.count, path: codingPath)
        guard found == tag else {
            throw input.corrupt(at: position, path: codingPath, "expected \(what), found value tag \(found)")
        }
        let (size, payload) = try input.length(at: position + 1, limit: input.count, path: codingPath)
        let end = payload + size
        let (count, start) = try input.length(at: payload, limit: end, path: codingPath)
        return (start, end, count)
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(try BinaryKeyedDecoding<Key>(node: self))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try BinaryUnkeyedDecoding(node: self)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { BinarySingleValueDecoding(node: self) }

    // MARK: Primitive reads at an offset

    func tag(at offset: Int) throws -> UInt8 { try input.byte(at: offset, limit: input.count, path: codingPath) }

    func readBool(at offset: Int) throws -> Bool {
        switch try tag(at: offset) {
        case BinaryTag.false: return false
        case BinaryTag.true: return true
        case let other: throw input.corrupt(at: offset, path: codingPath, "expected a boolean, found value tag \(other)")
        }
    }

    func readUnsigned<T: FixedWidthInteger & UnsignedInteger>(_ type: T.Type, at offset: Int) throws -> T {
        let found = try tag(at: offset)
        guard found == BinaryTag.unsigned else { throw input.corrupt(at: offset, path: codingPath, "expected an unsigned integer, found value tag \(found)") }
        let (value, _) = try input.varint(at: offset + 1, limit: input.count, path: codingPath)
        guard let exact = T(exactly: value) else { throw input.corrupt(at: offset, path: codingPath, "\(value) does not fit \(T.self)") }
        return exact
    }

    func readSigned<T: FixedWidthInteger & SignedInteger>(_ type: T.Type, at offset: Int) throws -> T {
        let found = try tag(at: offset)
        guard found == BinaryTag.signed else { throw input.corrupt(at: offset, path: codingPath, "expected a signed integer, found value tag \(found)") }
        let (zigzag, _) = try input.varint(at: offset + 1, limit: input.count, path: codingPath)
        let value = Int64(bitPattern: (zigzag >> 1) ^ (0 &- (zigzag & 1)))
        guard let exact = T(exactly: value) else { throw input.corrupt(at: offset, path: codingPath, "\(value) does not fit \(T.self)") }
        return exact
    }

    func readDouble(at offset: Int) throws -> Double {
        let found = try tag(at: offset)
        guard found == BinaryTag.float else { throw input.corrupt(at: offset, path: codingPath, "expected a floating-point number, found value tag \(found)") }
        guard input.count - offset >= 9 else { throw input.corrupt(at: offset, path: codingPath, "the bytes end inside a number") }
        var pattern: UInt64 = 0
        for index in 0..<8 { pattern |= UInt64(input.base[offset + 1 + index]) << (8 * UInt64(index)) }
        return Double(bitPattern: pattern)
    }

    func readFloat(at offset: Int) throws -> Float {
        let value = try readDouble(at: offset)
        guard let exact = Float(exactly: value) ?? (value.isNaN ? Float.nan : nil) else {
            throw input.corrupt(at: offset, path: codingPath, "\(value) does not fit Float")
        }
        return exact
    }

    func readString(at offset: Int) throws -> String {
        let found = try tag(at: offset)
        guard found == BinaryTag.string else { throw input.corrupt(at: offset, path: codingPath, "expected a string, found value tag \(found)") }
        let (count, start) = try input.length(at: offset + 1, limit: input.count, path: codingPath)
        guard let string = input.string(start: start, count: count) else {
            throw input.corrupt(at: offset, path: codingPath, "a string is not valid UTF-8")
        }
        return string
    }

    /// `[UInt64]` read directly (the ledger's flat rows).
    func readUnsignedArray(at offset: Int) throws -> [UInt64] {
        let (start, end, count) = try containerBounds(BinaryTag.unkeyed, "a list", at: offset)
        var numbers: [UInt64] = []
        numbers.reserveCapacity(min(count, (end - start) / 2))  // each element takes at least 2 bytes
        var position = start
        for _ in 0..<count {
            guard position < end, input.base[position] == BinaryTag.unsigned else {
                throw input.corrupt(at: position, path: codingPath, "expected an unsigned integer in a list")
            }
            let (value, next) = try input.varint(at: position + 1, limit: end, path: codingPath)
            numbers.append(value)
            position = next
        }
        guard position == end else { throw input.corrupt(at: position, path: codingPath, "a list has \(end - position) bytes left over") }
        return numbers
    }

    /// A `T` at `offset`: primitives directly, anything else through `T(from:)`.
    func read<T: Decodable>(_ type: T.Type, at offset: Int, key: any CodingKey) throws -> T {
        if T.self == String.self { return try readString(at: offset) as! T }
        if T.self == [UInt64].self { return try readUnsignedArray(at: offset) as! T }
        if T.self == Int.self { return try readSigned(Int.self, at: offset) as! T }
        if T.self == Int64.self { return try readSigned(Int64.self, at: offset) as! T }
        if T.self == UInt64.self { return try readUnsigned(UInt64.self, at: offset) as! T }
        if T.self == Bool.self { return try readBool(at: offset) as! T }
        return try T(from: child(at: offset, key: key))
    }
}

/// A keyed container: its entries, read once, looked up by key bytes.
final class BinaryKeyedDecoding<Key: CodingKey>: KeyedDecodingContainerProtocol {
    private struct Entry {
        var keyStart: Int
        var keyCount: Int
        var valueStart: Int
    }

    let node: BinaryDecoderNode
    private var entries: [Entry] = []
    private var lastFound = -1

    init(node: BinaryDecoderNode) throws {
        self.node = node
        let input = node.input
        let (start, end, count) = try node.containerBounds(BinaryTag.keyed, "a keyed container")
        entries.reserveCapacity(min(count, 4_096))  // grows past that: a damaged count reserves nothing huge
        var position = start
        var previousIndex = -1
        for _ in 0..<count {
            let (rawIndex, valueStart) = try input.varint(at: position, limit: end, path: node.codingPath)
            guard rawIndex < UInt64(input.keyTable.count) else {
                throw input.corrupt(at: position, path: node.codingPath, "key \(rawIndex) is not in the \(input.keyTable.count)-key table")
            }
            let keyIndex = Int(rawIndex)
            guard keyIndex > previousIndex else { throw input.corrupt(at: position, path: node.codingPath, "keys are not strictly sorted") }
            previousIndex = keyIndex
            position = try input.valueEnd(at: valueStart, limit: end, path: node.codingPath)
            let key = input.keyTable[keyIndex]
            entries.append(Entry(keyStart: key.start, keyCount: key.count, valueStart: valueStart))
        }
        guard position == end else { throw input.corrupt(at: position, path: node.codingPath, "a keyed container has \(end - position) bytes left over") }
    }


    var codingPath: [any CodingKey] { node.codingPath }

    var allKeys: [Key] {
        entries.compactMap { entry in
            node.input.string(start: entry.keyStart, count: entry.keyCount).flatMap { Key(stringValue: $0) }
        }
    }

    /// The index of `key`'s entry: the one after the last found, the last found, or by binary search.
    private func index(of key: Key) -> Int? {
        var name = key.stringValue
        let input = node.input
        let after = lastFound + 1
        if after < entries.count, input.matches(&name, start: entries[after].keyStart, count: entries[after].keyCount) {
            lastFound = after
            return after
        }
        if lastFound >= 0, input.matches(&name, start: entries[lastFound].keyStart, count: entries[lastFound].keyCount) {
            return lastFound
        }
        var low = 0, high = entries.count
        while low < high {
            let middle = (low + high) / 2
            let order = input.compare(start: entries[middle].keyStart, count: entries[middle].keyCount, with: &name)
            if order == 0 {
                lastFound = middle
                return middle
            }
            if order < 0 { low = middle + 1 } else { high = middle }
        }
        return nil
    }

    private func offset(of key: Key) throws -> Int {
        guard let index = index(of: key) else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "no value for key \(key.stringValue) in the container at byte \(node.position)"))
        }
        return entries[index].valueStart
    }

    func contains(_ key: Key) -> Bool { index(of: key) != nil }

    func decodeNil(forKey key: Key) throws -> Bool { try node.tag(at: try offset(of: key)) == BinaryTag.null }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try node.readBool(at: offset(of: key)) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try node.readString(at: offset(of: key)) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try node.readDouble(at: offset(of: key)) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try node.readFloat(at: offset(of: key)) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try node.readSigned(type, at: offset(of: key)) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try node.readSigned(type, at: offset(of: key)) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try node.readSigned(type, at: offset(of: key)) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try node.readSigned(type, at: offset(of: key)) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try node.readSigned(type, at: offset(of: key)) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try node.readUnsigned(type, at: offset(of: key)) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try node.readUnsigned(type, at: offset(of: key)) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try node.readUnsigned(type, at: offset(of: key)) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try node.readUnsigned(type, at: offset(of: key)) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try node.readUnsigned(type, at: offset(of: key)) }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try node.read(type, at: offset(of: key), key: key) }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard let index = index(of: key) else { return nil }
        let offset = entries[index].valueStart
        if try node.tag(at: offset) == BinaryTag.null { return nil }
        return try node.read(type, at: offset, key: key)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try node.child(at: offset(of: key), key: key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try node.child(at: offset(of: key), key: key).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder { try superDecoder(forKey: Key(stringValue: "super")!) }

    func superDecoder(forKey key: Key) throws -> any Decoder { try node.child(at: offset(of: key), key: key) }
}

/// An unkeyed container: elements read in order.
struct BinaryUnkeyedDecoding: UnkeyedDecodingContainer {
    let node: BinaryDecoderNode
    let end: Int
    let count: Int?
    private(set) var currentIndex = 0
    private var position: Int

    init(node: BinaryDecoderNode) throws {
        self.node = node
        let (start, end, count) = try node.containerBounds(BinaryTag.unkeyed, "a list")
        self.end = end
        self.count = count
        position = start
        if count == 0, start != end { throw node.input.corrupt(at: start, path: node.codingPath, "an empty list has \(end - start) bytes left over") }
    }

    var codingPath: [any CodingKey] { node.codingPath }
    var isAtEnd: Bool { currentIndex >= count! }

    /// The offset of the next element, advancing past it.
    private mutating func next() throws -> Int {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(Any.self, .init(codingPath: codingPath, debugDescription: "the list at byte \(node.position) has only \(count!) elements"))
        }
        let offset = position
        position = try node.input.valueEnd(at: offset, limit: end, path: codingPath)
        currentIndex += 1
        if isAtEnd, position != end {
            throw node.input.corrupt(at: position, path: codingPath, "a list has \(end - position) bytes left over")
        }
        return offset
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, try node.tag(at: position) == BinaryTag.null else { return false }
        _ = try next()
        return true
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try node.readBool(at: next()) }
    mutating func decode(_ type: String.Type) throws -> String { try node.readString(at: next()) }
    mutating func decode(_ type: Double.Type) throws -> Double { try node.readDouble(at: next()) }
    mutating func decode(_ type: Float.Type) throws -> Float { try node.readFloat(at: next()) }
    mutating func decode(_ type: Int.Type) throws -> Int { try node.readSigned(type, at: next()) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try node.readSigned(type, at: next()) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try node.readSigned(type, at: next()) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try node.readSigned(type, at: next()) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try node.readSigned(type, at: next()) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try node.readUnsigned(type, at: next()) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try node.readUnsigned(type, at: next()) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try node.readUnsigned(type, at: next()) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try node.readUnsigned(type, at: next()) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try node.readUnsigned(type, at: next()) }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let index = currentIndex
        return try node.read(type, at: next(), key: BinaryIndexKey(intValue: index))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        let index = currentIndex
        return try node.child(at: next(), key: BinaryIndexKey(intValue: index)).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let index = currentIndex
        return try node.child(at: next(), key: BinaryIndexKey(intValue: index)).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder {
        let index = currentIndex
        return try node.child(at: next(), key: BinaryIndexKey(intValue: index))
    }
}

/// The single value at a decoder's position.
struct BinarySingleValueDecoding: SingleValueDecodingContainer {
    let node: BinaryDecoderNode
    var codingPath: [any CodingKey] { node.codingPath }
    private var at: Int { node.position }

    func decodeNil() -> Bool { (try? node.tag(at: at)) == BinaryTag.null }
    func decode(_ type: Bool.Type) throws -> Bool { try node.readBool(at: at) }
    func decode(_ type: String.Type) throws -> String { try node.readString(at: at) }
    func decode(_ type: Double.Type) throws -> Double { try node.readDouble(at: at) }
    func decode(_ type: Float.Type) throws -> Float { try node.readFloat(at: at) }
    func decode(_ type: Int.Type) throws -> Int { try node.readSigned(type, at: at) }
    func decode(_ type: Int8.Type) throws -> Int8 { try node.readSigned(type, at: at) }
    func decode(_ type: Int16.Type) throws -> Int16 { try node.readSigned(type, at: at) }
    func decode(_ type: Int32.Type) throws -> Int32 { try node.readSigned(type, at: at) }
    func decode(_ type: Int64.Type) throws -> Int64 { try node.readSigned(type, at: at) }
    func decode(_ type: UInt.Type) throws -> UInt { try node.readUnsigned(type, at: at) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try node.readUnsigned(type, at: at) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try node.readUnsigned(type, at: at) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try node.readUnsigned(type, at: at) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try node.readUnsigned(type, at: at) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if T.self == String.self { return try node.readString(at: at) as! T }
        if T.self == [UInt64].self { return try node.readUnsignedArray(at: at) as! T }
        return try T(from: node.deeper())
    }
}
