/// Writes canonical JSON (docs/TRANSPARENCY_LOG.md, "Canonical JSON"): RFC 8785 (JCS) for the
/// values the state holds, independent of any JSON library's choices.
///
/// - objects: members sorted by their keys' UTF-16 code units, no duplicate keys, no spaces;
/// - strings: `"` and `\` escaped with a backslash, U+0008, U+0009, U+000A, U+000C and U+000D
///   as `\b \t \n \f \r`, every other character below U+0020 as `\u00xx` (lower-case hex),
///   everything else (DEL, non-ASCII, U+2028) as its UTF-8 bytes;
/// - integers: exact decimal digits, `-` for negatives (JCS writes numbers as IEEE doubles; the
///   state holds 64-bit integers and no floating point, so this is the one departure);
/// - `true`, `false`, `null`; an absent optional is left out.
///
/// A value with a floating-point number or a Foundation type that encodes itself specially
/// (`Data`, `Date`, `URL`, `Decimal`) has no canonical form here: ``bytes(of:)`` returns `nil`.
public struct CanonicalJSONWriter {
    private struct Unsupported: Error {}
    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// The order of each key list met (keys as encoded, positions in written order), by the
    /// container's `CodingKey` type; compared key by key, so a hit sorts nothing.
    private var orders: [ObjectIdentifier?: [(keys: [String], order: [Int])]] = [:]
    private var output: [UInt8] = []

    /// The canonical JSON of `value`, or `nil` when it holds a floating-point number, a
    /// Foundation type that encodes itself specially, or an object with a repeated key.
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

    /// The written order of `storage`'s entries: remembered, or sorted by UTF-16 code units.
    private mutating func knownOrder(of storage: BinaryKeyedStorage) throws -> [Int] {
        let entries = storage.entries
        if let known = orders[storage.keyType] {
            for candidate in known where candidate.keys.count == entries.count {
                if entries.indices.allSatisfy({ entries[$0].key == candidate.keys[$0] }) { return candidate.order }
            }
        }
        let keys = entries.map(\.key)
        guard Set(keys).count == keys.count else { throw Unsupported() }
        let order = Array(keys.indices).sorted { keys[$0].utf16.lexicographicallyPrecedes(keys[$1].utf16) }
        orders[storage.keyType, default: []].append((keys, order))
        return order
    }

    private mutating func writeString(_ string: String) throws {
        func isPlain(_ byte: UInt8) -> Bool { byte >= 0x20 && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\") }
        let plain = string.utf8.withContiguousStorageIfAvailable { bytes in
            for byte in bytes where !isPlain(byte) { return false }
            return true
        } ?? string.utf8.allSatisfy(isPlain)
        output.append(UInt8(ascii: "\""))
        if plain {
            output += string.utf8
            output.append(UInt8(ascii: "\""))
            return
        }
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): output += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): output += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0x08: output += [UInt8(ascii: "\\"), UInt8(ascii: "b")]
            case 0x09: output += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0x0A: output += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0C: output += [UInt8(ascii: "\\"), UInt8(ascii: "f")]
            case 0x0D: output += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case ..<0x20:
                output += [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                           Self.hexDigits[Int(byte >> 4)], Self.hexDigits[Int(byte & 0xF)]]
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}
