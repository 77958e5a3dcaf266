import FuzzSupport
import OSGCore
import OSGLog

// C2SP tlog-tiles as an auditor or mirror fetches them from a coordinator it does not trust.
// Decoders:
//   0: an entry bundle, split into entries (each then decoded as a leaf);
//   1: a tile path;
//   2: hash tiles: the first three bytes give a tree size, the rest is served as every tile, and
//      the root is recomputed from them.
// Properties: no crash, hang or unbounded allocation; a bundle that splits re-encodes to the
// same bytes; a tile path that parses is in its canonical form.

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    FuzzInput.writeSeedsIfAsked {
        var workload = CommandLogWorkload(seed: 3, operators: 2, nodesPerOperator: 2, tenants: 3)
        let leaves = workload.entries(count: 40).map(\.leafBytes)
        let tree = FuzzLog.tree(size: 300)
        let partial = FuzzLog.tree(size: 5)
        return [
            ("bundle-full", FuzzInput.seed(choice: 0, try EntryBundle.encode(leaves))),
            ("bundle-one", FuzzInput.seed(choice: 0, try EntryBundle.encode([leaves[0]]))),
            ("path-full", FuzzInput.seed(choice: 1, Array("tile/0/x001/234".utf8))),
            ("path-partial", FuzzInput.seed(choice: 1, Array("tile/entries/000.p/7".utf8))),
            ("tiles-5", FuzzInput.seed(choice: 2, [0, 0, 5] + (try partial.tileContents(TileCoordinate(level: 0, index: 0, width: 5))))),
            ("tiles-256", FuzzInput.seed(choice: 2, [0, 1, 0] + (try tree.tileContents(TileCoordinate(level: 0, index: 0))))),
        ].map { (name: $0.0, bytes: $0.1) }
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let (choice, payload) = FuzzInput.split(FuzzInput.bytes(data, count), choices: 3)
    switch choice {
    case 0:
        guard let entries = try? EntryBundle.decode(payload) else { return 0 }
        FuzzInput.require((try? EntryBundle.encode(entries)) == payload, "entry bundle does not re-encode to its bytes")
        for entry in entries { _ = try? LogEntry(leafBytes: entry) }
    case 1:
        let path = FuzzInput.text(payload)
        guard let (tile, isEntryBundle) = try? TileCoordinate.parse(path: path) else { return 0 }
        let canonical = isEntryBundle ? "tile/entries/" + tile.path.dropFirst("tile/0/".count) : tile.path
        FuzzInput.require(canonical == path, "tile path \(path) parses but its canonical form is \(canonical)")
    default:
        guard payload.count >= 3 else { return 0 }
        let size = UInt64(payload[0]) << 16 | UInt64(payload[1]) << 8 | UInt64(payload[2])
        let served = Array(payload.dropFirst(3))
        let tiles = TiledTree<LogFormatError>(treeSize: size) { _ in served }
        if let root = try? tiles.rootHash() {
            FuzzInput.require(root.count == 32, "a root of \(root.count) bytes from tiles")
        }
    }
    return 0
}

@_cdecl("FuzzTiles_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    FuzzDriver.run(argc, argv, fuzz)
}
