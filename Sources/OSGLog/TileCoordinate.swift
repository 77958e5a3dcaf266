/// The address of one C2SP tlog-tiles tile: level, index within the level, and width.
///
/// A tile at level `L` holds up to 256 consecutive hashes of tree level `8·L`: level 0 tiles hold
/// leaf hashes, level 1 tiles hold the roots of full level 0 tiles, and so on. The rightmost tile
/// of a level is *partial* (width 1–255) until it fills up.
///
/// ```swift
/// TileCoordinate(level: 0, index: 1_234_067).path          // "tile/0/x001/x234/067"
/// TileCoordinate(level: 1, index: 0, width: 17).path      // "tile/1/000.p/17"
/// TileCoordinate(level: 0, index: 5, width: 3).entriesPath // "tile/entries/005.p/3"
/// ```
public struct TileCoordinate: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// Tree levels per tile level.
    public static let height = 8
    /// Hashes in a full tile (2^height).
    public static let fullWidth = 256

    /// The tile level (0 for leaf hashes), 0...63.
    public let level: Int
    /// The tile's index within its level.
    public let index: UInt64
    /// The number of hashes, 1...256; 256 is a full tile.
    public let width: Int

    /// Creates a tile address.
    ///
    /// - Precondition: `level` in 0...63 and `width` in 1...256.
    public init(level: Int, index: UInt64, width: Int = TileCoordinate.fullWidth) {
        precondition((0...63).contains(level), "tile level \(level) outside 0...63")
        precondition((1...Self.fullWidth).contains(width), "tile width \(width) outside 1...256")
        self.level = level
        self.index = index
        self.width = width
    }

    /// Whether the tile has fewer than 256 hashes.
    public var isPartial: Bool { width < Self.fullWidth }

    /// The path of the hash tile, `tile/<L>/<N>[.p/<W>]`.
    public var path: String { "tile/\(level)/\(Self.encodeIndex(index))\(partialSuffix)" }

    /// The path of the matching entry bundle, `tile/entries/<N>[.p/<W>]` (meaningful at level 0).
    public var entriesPath: String { "tile/entries/\(Self.encodeIndex(index))\(partialSuffix)" }

    public var description: String { path }

    public static func < (lhs: TileCoordinate, rhs: TileCoordinate) -> Bool {
        (lhs.level, lhs.index, lhs.width) < (rhs.level, rhs.index, rhs.width)
    }

    private var partialSuffix: String { isPartial ? ".p/\(width)" : "" }

    /// Encodes a tile index as zero-padded 3-digit path elements, all but the last prefixed
    /// with `x`: 1234067 becomes `x001/x234/067`.
    public static func encodeIndex(_ index: UInt64) -> String {
        var groups = [String]()
        var rest = index
        repeat {
            let group = String(rest % 1000)
            groups.append(String(repeating: "0", count: 3 - group.count) + group)
            rest /= 1000
        } while rest > 0
        groups.reverse()
        return groups.enumerated().map { $0.offset < groups.count - 1 ? "x" + $0.element : $0.element }
            .joined(separator: "/")
    }

    /// Every tile, full and partial, that a tree of `treeSize` leaves is served as, by level then
    /// index. A tree of 70,000 leaves gives 273 full and one partial (width 112) level 0 tiles,
    /// one full and one partial (width 17) level 1 tile, and one partial level 2 tile (width 1).
    public static func tiles(forTreeSize treeSize: UInt64) -> [TileCoordinate] {
        var tiles = [TileCoordinate]()
        var level = 0
        while level < 64 {
            let shift = UInt64(level * height)
            guard shift < 64, treeSize >> shift > 0 else { break }
            let hashes = treeSize >> shift
            let fullTiles = hashes / UInt64(fullWidth)
            for index in 0..<fullTiles { tiles.append(TileCoordinate(level: level, index: index)) }
            let partialWidth = Int(hashes % UInt64(fullWidth))
            if partialWidth > 0 {
                tiles.append(TileCoordinate(level: level, index: fullTiles, width: partialWidth))
            }
            level += 1
        }
        return tiles
    }

    /// The tile at `level` holding hash number `hashIndex` of tree level `8·level`, with the
    /// width it has in a tree of `treeSize` leaves.
    ///
    /// - Precondition: that hash exists (is a full subtree) at `treeSize`.
    public static func containing(level: Int, hashIndex: UInt64, treeSize: UInt64) -> TileCoordinate {
        let hashes = treeSize >> UInt64(level * height)
        precondition(hashIndex < hashes, "hash \(hashIndex) of tile level \(level) does not exist at size \(treeSize)")
        let index = hashIndex / UInt64(fullWidth)
        let width = index < hashes / UInt64(fullWidth) ? fullWidth : Int(hashes % UInt64(fullWidth))
        return TileCoordinate(level: level, index: index, width: width)
    }

    /// Parses `tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]` (the latter gives level 0).
    ///
    /// - Returns: the coordinate and whether the path names an entry bundle.
    /// - Throws: ``LogFormatError`` when the path is not in the canonical form.
    public static func parse(path: String) throws(LogFormatError) -> (tile: TileCoordinate, isEntryBundle: Bool) {
        func bad(_ why: String) -> LogFormatError { LogFormatError(.badTilePath, field: "tile path", "\"\(path)\": \(why)") }
        var elements = path.split(separator: "/", omittingEmptySubsequences: false)
        guard elements.count >= 3, elements[0] == "tile" else { throw bad("expected tile/<L>/<N>[.p/<W>]") }
        var width = fullWidth
        if elements.count >= 5, elements[elements.count - 2].hasSuffix(".p") {
            let widthText = elements.removeLast()
            guard let parsed = Int(widthText), (1..<fullWidth).contains(parsed), String(parsed) == widthText else {
                throw bad("partial width \"\(widthText)\" must be 1...255 without leading zeros")
            }
            width = parsed
            elements[elements.count - 1] = elements[elements.count - 1].dropLast(2)
        }
        let isEntryBundle = elements[1] == "entries"
        let level: Int
        if isEntryBundle {
            level = 0
        } else {
            guard let parsed = Int(elements[1]), (0...63).contains(parsed), String(parsed) == elements[1] else {
                throw bad("level \"\(elements[1])\" must be 0...63 without leading zeros")
            }
            level = parsed
        }
        var index: UInt64 = 0
        let groups = elements[2...]
        for (position, group) in groups.enumerated() {
            let isLast = position == groups.count - 1
            let digits = isLast ? group : (group.hasPrefix("x") ? group.dropFirst() : "")
            guard digits.count == 3, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let value = UInt64(digits) else {
                throw bad("index element \"\(group)\" must be three digits, prefixed with x unless last")
            }
            let (times, overflow1) = index.multipliedReportingOverflow(by: 1000)
            let (sum, overflow2) = times.addingReportingOverflow(value)
            guard !overflow1, !overflow2 else { throw bad("index too large") }
            index = sum
        }
        guard encodeIndex(index) == groups.joined(separator: "/") else {
            throw bad("index is not in canonical form (no extra leading x000 groups)")
        }
        return (TileCoordinate(level: level, index: index, width: width), isEntryBundle)
    }
}
