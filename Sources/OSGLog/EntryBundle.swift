/// The C2SP tlog-tiles entry bundle encoding: each entry as a big-endian 2-byte length followed
/// by its bytes, concatenated. A full bundle holds the 256 entries of one level 0 tile.
///
/// ```swift
/// let bytes = try EntryBundle.encode([[0x61], [0x62, 0x63]]) // 00 01 61 00 02 62 63
/// try EntryBundle.decode(bytes)                              // [[0x61], [0x62, 0x63]]
/// ```
public enum EntryBundle {
    /// The largest entry a 2-byte length can describe.
    public static let maximumEntryByteCount = Int(UInt16.max)

    /// Encodes entries into one bundle.
    ///
    /// - Throws: ``LogFormatError`` when an entry is longer than 65,535 bytes.
    public static func encode(_ entries: [[UInt8]]) throws(LogFormatError) -> [UInt8] {
        var output = [UInt8]()
        output.reserveCapacity(entries.reduce(0) { $0 + 2 + $1.count })
        for (number, entry) in entries.enumerated() {
            guard entry.count <= maximumEntryByteCount else {
                throw LogFormatError(.badEntryBundle, field: "entry \(number)",
                                     "\(entry.count) bytes; an entry bundle holds entries of at most 65,535 bytes")
            }
            output.append(UInt8(entry.count >> 8))
            output.append(UInt8(entry.count & 0xFF))
            output.append(contentsOf: entry)
        }
        return output
    }

    /// Splits a bundle back into its entries.
    ///
    /// - Throws: ``LogFormatError`` when a length prefix runs past the end of the bundle.
    public static func decode(_ bytes: [UInt8]) throws(LogFormatError) -> [[UInt8]] {
        var entries = [[UInt8]]()
        var offset = 0
        while offset < bytes.count {
            guard offset + 2 <= bytes.count else {
                throw LogFormatError(.badEntryBundle, field: "entry \(entries.count)", "a length prefix is cut off at byte \(offset)")
            }
            let length = Int(bytes[offset]) << 8 | Int(bytes[offset + 1])
            offset += 2
            guard offset + length <= bytes.count else {
                throw LogFormatError(.badEntryBundle, field: "entry \(entries.count)",
                                     "length \(length) runs past the end of the bundle (\(bytes.count - offset) bytes left)")
            }
            entries.append(Array(bytes[offset..<(offset + length)]))
            offset += length
        }
        return entries
    }
}
