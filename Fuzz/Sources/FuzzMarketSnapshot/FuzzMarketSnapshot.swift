import FuzzSupport
import OSGMarket
import OSGMarketIO

// `osg market clear FILE` (DESIGN.md §4): anyone replays a clearing from a snapshot file they
// were given. Properties: reading never crashes, hangs or allocates without bound; a snapshot
// that reads clears deterministically (twice, the same JSON).

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    FuzzInput.writeSeedsIfAsked {
        try FuzzInput.projectFiles("Tests/OSGMarketTests/Fixtures/market-examples", suffixes: [".json"])
            .filter { !$0.name.hasSuffix(".clearing.json") }
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let snapshot = try? MarketSnapshotReader.read(FuzzInput.text(FuzzInput.bytes(data, count))) else { return 0 }
    let first = MarketClearOutput.json(MarketClearing.clear(snapshot))
    FuzzInput.require(MarketClearOutput.json(MarketClearing.clear(snapshot)) == first, "the same snapshot cleared twice differently")
    return 0
}

@_cdecl("FuzzMarketSnapshot_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    FuzzDriver.run(argc, argv, fuzz)
}
