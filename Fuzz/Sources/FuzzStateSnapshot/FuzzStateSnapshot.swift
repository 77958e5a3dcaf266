import FuzzSupport
import OSGCore
import Crypto

// The coordinator's state snapshots (docs/SNAPSHOTS.md): read back from its own database at a
// restart, where a damaged disk or another program may have written anything. Decoders:
//   0: a snapshot body behind a header this harness makes valid (magic, version 2, length,
//      SHA-256), so the fuzzer reaches the binary state decoder and the rebuild of derived state;
//   1: whole snapshot bytes, header included;
//   2: a snapshot manifest (the segmented form).
// Properties: each refuses bad bytes with an error, never a crash, hang or unbounded allocation.

let genesis = CommandLogWorkload.genesis
let magic = Array("OSGSNAP\n".utf8)

func bigEndian(_ value: UInt64, width: Int) -> [UInt8] {
    (0..<width).reversed().map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
}

/// `body` behind a valid version-2 header with `digest` (32 bytes) announced.
func snapshot(body: [UInt8], sequence: UInt64, digest: [UInt8]) -> [UInt8] {
    magic + bigEndian(2, width: 2) + bigEndian(sequence, width: 8) + digest
        + bigEndian(UInt64(body.count), width: 8) + Array(SHA256.hash(data: body)) + body
}

/// The header's length: magic, version, sequence, digest, body length, body SHA-256.
let headerSize = 8 + 2 + 8 + 32 + 8 + 32

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    FuzzInput.writeSeedsIfAsked {
        var seeds: [(name: String, bytes: [UInt8])] = []
        for (index, count) in [0, 40, 400].enumerated() {
            var workload = CommandLogWorkload(seed: UInt64(index + 1), operators: 2, nodesPerOperator: 2, tenants: 3)
            _ = workload.entries(count: count)
            let bytes = try StateSnapshot.encode(workload.state)
            seeds.append(("body-\(count)", FuzzInput.seed(choice: 0, Array(bytes[headerSize...]))))
            seeds.append(("whole-\(count)", FuzzInput.seed(choice: 1, bytes)))
        }
        let manifest = SnapshotManifest(sequence: 40, digest: String(repeating: "ab", count: 32), segments: [
            .init(name: "ledger", hash: Array(repeating: 1, count: 32), length: 100),
            .init(name: "nodes", hash: Array(repeating: 2, count: 32), length: 7),
        ])
        seeds.append(("manifest", FuzzInput.seed(choice: 2, manifest.bytes())))
        return seeds
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let (choice, payload) = FuzzInput.split(FuzzInput.bytes(data, count), choices: 3)
    switch choice {
    case 0:
        // The digest the header announces is checked after decoding; any value reaches the decoder.
        _ = try? StateSnapshot.decode(snapshot(body: payload, sequence: 1, digest: Array(repeating: 0, count: 32)), genesis: genesis)
    case 1:
        _ = try? StateSnapshot.decode(payload, genesis: genesis)
    default:
        if let manifest = try? SnapshotManifest(parsing: payload) {
            FuzzInput.require((try? SnapshotManifest(parsing: manifest.bytes())) == manifest, "manifest \(manifest) does not read back")
        }
    }
    return 0
}

@_cdecl("FuzzStateSnapshot_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    FuzzDriver.run(argc, argv, fuzz)
}
