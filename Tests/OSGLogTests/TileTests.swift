import Testing
@testable import OSGLog

@Suite("C2SP tlog tiles")
struct TileTests {
    @Test("tile indices encode as x-prefixed 3-digit path elements", arguments: [
        (UInt64(0), "000"), (5, "005"), (999, "999"), (1000, "x001/000"), (1_234_067, "x001/x234/067"),
        (1_000_000, "x001/x000/000"), (UInt64.max, "x018/x446/x744/x073/x709/x551/615"),
    ])
    func indexEncoding(index: UInt64, encoded: String) throws {
        #expect(TileCoordinate.encodeIndex(index) == encoded)
        let parsed = try TileCoordinate.parse(path: "tile/0/\(encoded)")
        #expect(parsed.tile.index == index)
    }

    @Test("tile and entry bundle paths follow the spec")
    func paths() throws {
        #expect(TileCoordinate(level: 0, index: 1_234_067).path == "tile/0/x001/x234/067")
        #expect(TileCoordinate(level: 1, index: 0, width: 17).path == "tile/1/000.p/17")
        #expect(TileCoordinate(level: 0, index: 273, width: 112).entriesPath == "tile/entries/273.p/112")
        #expect(TileCoordinate(level: 0, index: 1_234_067).entriesPath == "tile/entries/x001/x234/067")
        let partial = try TileCoordinate.parse(path: "tile/3/x001/x234/067.p/8")
        #expect(partial.tile == TileCoordinate(level: 3, index: 1_234_067, width: 8))
        #expect(partial.isEntryBundle == false)
        let bundle = try TileCoordinate.parse(path: "tile/entries/x001/002.p/255")
        #expect(bundle.tile == TileCoordinate(level: 0, index: 1002, width: 255))
        #expect(bundle.isEntryBundle)
    }

    @Test("non-canonical tile paths are refused", arguments: [
        "tile/0/1", "tile/0/0001", "tile/00/000", "tile/64/000", "tile/0/001/002", "tile/0/x000/001",
        "tile/0/000.p/0", "tile/0/000.p/256", "tile/0/000.p/08", "tiles/0/000", "tile/0/x001", "tile/-1/000",
    ])
    func badPaths(path: String) {
        #expect(throws: LogFormatError.self, "\(path)") { try TileCoordinate.parse(path: path) }
    }

    @Test("a tree of 70,000 leaves is the tiles the spec lists")
    func tilesForSeventyThousand() {
        let tiles = TileCoordinate.tiles(forTreeSize: 70_000)
        let level0 = tiles.filter { $0.level == 0 }
        #expect(level0.filter { !$0.isPartial }.count == 273)
        #expect(level0.last == TileCoordinate(level: 0, index: 273, width: 112))
        #expect(tiles.filter { $0.level == 1 } == [TileCoordinate(level: 1, index: 0), TileCoordinate(level: 1, index: 1, width: 17)])
        #expect(tiles.filter { $0.level == 2 } == [TileCoordinate(level: 2, index: 0, width: 1)])
        #expect(TileCoordinate.tiles(forTreeSize: 256) == [TileCoordinate(level: 0, index: 0), TileCoordinate(level: 1, index: 0, width: 1)])
        #expect(TileCoordinate.tiles(forTreeSize: 0).isEmpty)
    }

    static let tree70000: MerkleTree = {
        var tree = MerkleTree()
        for index in 0..<70_000 { tree.append(entry: Array("leaf \(index)".utf8)) }
        return tree
    }()

    @Test("tiles cut from our tree rebuild the same root at many sizes",
          arguments: [UInt64(1), 2, 3, 255, 256, 257, 511, 4096, 65_535, 65_536, 65_537, 69_999, 70_000])
    func tilesRebuildRoot(size: UInt64) throws {
        let tree = Self.tree70000
        var served = [String: [UInt8]]()
        for tile in TileCoordinate.tiles(forTreeSize: size) {
            let contents = try tree.tileContents(tile)
            #expect(contents.count == tile.width * 32)
            served[tile.path] = contents
        }
        let tiled = TiledTree(treeSize: size) { (tile: TileCoordinate) throws(LogFormatError) -> [UInt8] in
            guard let contents = served[tile.path] else {
                throw LogFormatError(.badTilePath, field: tile.path, "not served")
            }
            return contents
        }
        #expect(try tiled.rootHash() == tree.rootHash(size: size))
    }

    @Test("a level 1 hash is the Merkle root of the level 0 tile below it")
    func levelOneHashes() throws {
        let tree = Self.tree70000
        let level1 = try tree.tileContents(TileCoordinate(level: 1, index: 0))
        let level0 = try tree.tileContents(TileCoordinate(level: 0, index: 3))
        let leaves = stride(from: 0, to: level0.count, by: 32).map { Array(level0[$0..<($0 + 32)]) }
        #expect(MerkleTreeTests.referenceRoot(leaves[...]) == Array(level1[(3 * 32)..<(4 * 32)]))
    }

    @Test("a tile the tree cannot fill yet is refused, and a short served tile is caught")
    func incompleteTiles() throws {
        let tree = Self.tree70000
        #expect(throws: MerkleTreeError.self) { try tree.tileContents(TileCoordinate(level: 0, index: 273)) }
        let tiled = TiledTree(treeSize: 300) { (tile: TileCoordinate) throws(MerkleTreeError) -> [UInt8] in
            Array(try tree.tileContents(tile).dropLast())
        }
        #expect(throws: LogFormatError.self) { try tiled.rootHash() }
    }

    @Test("entry bundles are 2-byte big-endian lengths and data, and hash to the level 0 tile")
    func entryBundles() throws {
        let entries: [[UInt8]] = [[], [0x61], Array(repeating: 0x62, count: 300)]
        let bundle = try EntryBundle.encode(entries)
        #expect(Array(bundle.prefix(5)) == [0x00, 0x00, 0x00, 0x01, 0x61])
        #expect(Array(bundle[5..<7]) == [0x01, 0x2C])
        #expect(try EntryBundle.decode(bundle) == entries)
        #expect(throws: LogFormatError.self) { try EntryBundle.decode(Array(bundle.dropLast())) }
        #expect(throws: LogFormatError.self) { try EntryBundle.decode([0x00]) }
        #expect(throws: LogFormatError.self) { try EntryBundle.encode([Array(repeating: 0, count: 65_536)]) }

        var tree = MerkleTree()
        for entry in entries { tree.append(entry: entry) }
        let tile = try tree.tileContents(TileCoordinate(level: 0, index: 0, width: 3))
        let rehashed = try EntryBundle.decode(bundle).flatMap { RFC6962.leafHash(of: $0) }
        #expect(rehashed == tile)
    }
}
