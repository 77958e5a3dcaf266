import FuzzSupport
import OSGCore

// The transparency log's leaf codec (docs/TRANSPARENCY_LOG.md, "Leaves"): an auditor decodes
// every published entry bundle's leaves, so any bytes may arrive. Properties: decoding never
// crashes, hangs or allocates without bound, and a leaf that decodes is the entry's only
// encoding (encoding the decoded entry gives the same bytes back).

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    FuzzInput.writeSeedsIfAsked {
        // One leaf of every command kind a seeded workload produces, plus the money workload's.
        var seeds: [(String, [UInt8])] = []
        var kinds = Set<String>()
        func keep(_ entries: [LogEntry], prefix: String) {
            for entry in entries {
                let kind = String(String(describing: entry.command).prefix { $0 != "(" })
                guard kinds.insert(kind).inserted else { continue }
                seeds.append(("\(prefix)-\(seeds.count)-\(kind)", entry.leafBytes))
            }
        }
        var workload = CommandLogWorkload(seed: 7, operators: 3, nodesPerOperator: 2, tenants: 6)
        keep(workload.entries(count: 3_000), prefix: "market")
        var money = MoneyWorkload(seed: 7)
        keep((0..<3_000).map { _ in money.step() }, prefix: "money")
        return seeds.map { (name: $0.0, bytes: $0.1) }
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = FuzzInput.bytes(data, count)
    guard let entry = try? LogEntry(leafBytes: bytes) else { return 0 }
    FuzzInput.require(entry.leafBytes == bytes, "leaf \(bytes) decodes to an entry whose encoding differs: \(entry.leafBytes)")
    FuzzInput.require((try? LogEntry(leafBytes: entry.leafBytes)) == entry, "the re-encoded leaf of \(entry) decodes to another entry")
    return 0
}

@_cdecl("FuzzLeafCodec_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    FuzzDriver.run(argc, argv, fuzz)
}
