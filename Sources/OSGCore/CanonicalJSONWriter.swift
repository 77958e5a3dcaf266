import Foundation

/// Writes the exact bytes `JSONEncoder` gives with `[.sortedKeys, .withoutEscapingSlashes]`,
/// several times faster: the state digest hashes those bytes, so they must not change by a bit.
///
/// Exact by construction where `JSONEncoder`'s rules are subtle: the order of a keyed
/// container's keys is `JSONEncoder`'s own (asked once per key pair and remembered per set of
/// keys), and a string with any byte outside printable ASCII-but-`"`/`\`/DEL or UTF-8 beyond
/// ASCII is escaped by `JSONEncoder` itself. Integers, booleans, null, arrays and objects are
/// written as `JSONEncoder` writes them (no spaces). A value it cannot vouch for — a floating
/// point number, or more distinct key sets than ``maximumKeySets`` (a dictionary with data
/// keys) — makes ``bytes(of:)`` return `nil`, and the caller uses `JSONEncoder`.
/// `CanonicalJSONWriterTests` compares the two on every test log's state.
public struct CanonicalJSONWriter {
    /// Distinct key sets remembered before giving up (struct types have a handful each).
    static let maximumKeySets = 512

    private struct Unsupported: Error {}

    /// `JSONEncoder`'s order of each key list met (keys as encoded, positions in written
    /// order), by the container's `CodingKey` type; compared key by key, so a hit makes no array.
    private var orders: [ObjectIdentifier?: [(keys: [String], order: [Int])]] = [:]
    private var keySets = 0
    private var output: [UInt8] = []
    private let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// The canonical JSON of `value`, or `nil` when only `JSONEncoder` can write it.
    public static func bytes(of value: some Encodable) -> [UInt8]? {
        let node = BinaryEncoderNode()
        do {
            try value.encode(to: node)
            var writer = CanonicalJSONWriter()
            let root = node.value
            try writer.write(root)
            return writer.output
        } catch {
            return nil
        }
    }

    private mutating func write(_ value: BinaryValue) throws {
        switch value {
        case .null: output += "null".utf8
        case .bool(let flag): output += (flag ? "true" : "false").utf8
        case .unsigned(let number): output += String(number).utf8
        case .signed(let number): output += String(number).utf8
        case .float: throw Unsupported()
        case .string(let string): try writeString(string)
        case .unsignedArray(let numbers):
            output.append(UInt8(ascii: "["))
            for (index, number) in numbers.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                output += String(number).utf8
            }
            output.append(UInt8(ascii: "]"))
        case .unkeyed(let storage):
            output.append(UInt8(ascii: "["))
            for (index, element) in storage.elements.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                try write(element)
            }
            output.append(UInt8(ascii: "]"))
        case .keyed(let storage):
            let order = try knownOrder(of: storage)
            output.append(UInt8(ascii: "{"))
            for (position, index) in order.enumerated() {
                if position > 0 { output.append(UInt8(ascii: ",")) }
                try writeString(storage.entries[index].key)
                output.append(UInt8(ascii: ":"))
                try write(storage.entries[index].value)
            }
            output.append(UInt8(ascii: "}"))
        case .deferred(let node):
            guard !node.writtenSpeciallyByJSONEncoder else { throw Unsupported() }
            try write(node.value)
        }
    }

    /// The written order of `storage`'s entries: remembered, or asked of `JSONEncoder`.
    private mutating func knownOrder(of storage: BinaryKeyedStorage) throws -> [Int] {
        let entries = storage.entries
        if let known = orders[storage.keyType] {
            for candidate in known where candidate.keys.count == entries.count {
                if entries.indices.allSatisfy({ entries[$0].key == candidate.keys[$0] }) { return candidate.order }
            }
        }
        let keys = entries.map(\.key)
        guard keySets < Self.maximumKeySets, Set(keys).count == keys.count else { throw Unsupported() }
        let order = try encoderOrder(of: keys)
        orders[storage.keyType, default: []].append((keys, order))
        keySets += 1
        return order
    }

    /// Positions of `keys` in the order `JSONEncoder` writes them.
    private func encoderOrder(of keys: [String]) throws -> [Int] {
        var failed = false
        let order = Array(keys.indices).sorted { a, b in
            // {a: 0, b: 1} comes out ending in ":1}" exactly when a is written first.
            guard let bytes = try? encoder.encode([keys[a]: 0, keys[b]: 1]) else {
                failed = true
                return false
            }
            return bytes.suffix(3).elementsEqual(":1}".utf8)
        }
        if failed { throw Unsupported() }
        return order
    }

    private mutating func writeString(_ string: String) throws {
        func isPlain(_ byte: UInt8) -> Bool { byte >= 0x20 && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\") && byte != 0x7f }
        let plain = string.utf8.withContiguousStorageIfAvailable { bytes in
            for byte in bytes where !isPlain(byte) { return false }
            return true
        } ?? string.utf8.allSatisfy(isPlain)
        if plain {
            output.append(UInt8(ascii: "\""))
            output += string.utf8
            output.append(UInt8(ascii: "\""))
            return
        }
        // `JSONEncoder` escapes it: `["…"]` without the brackets.
        guard let bytes = try? encoder.encode([string]), bytes.count >= 2 else { throw Unsupported() }
        output += bytes.dropFirst().dropLast()
    }
}
