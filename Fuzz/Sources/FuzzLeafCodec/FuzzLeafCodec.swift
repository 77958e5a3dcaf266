import Crypto
import FuzzSupport
import OSGCore
import OSGDomain

// The transparency log's leaf codec (docs/TRANSPARENCY_LOG.md, "Leaves"): an auditor decodes
// every published entry bundle's leaves, so any bytes may arrive. Properties: decoding never
// crashes, hangs or allocates without bound, and a leaf that decodes is the entry's only
// encoding (encoding the decoded entry gives the same bytes back); for a leaf with a command
// proof (format 2), the audit's quick read of its proof (without decoding the command) agrees
// with the full decode.

/// The statement the seeds' proofs are signed for (fixed, so their signatures verify).
let statement = CommandStatement(origin: "fuzz.example/log", genesisDigest: [UInt8](repeating: 0xAB, count: 32))
let proofCheck = CommandProofCheck(genesis: Genesis(governanceID: "gov", signedCommands: SignedCommandRules(windowSeconds: 120)),
                                   origin: "fuzz.example/log")

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    FuzzInput.writeSeedsIfAsked {
        // One leaf of every command kind a seeded workload produces, plus the money workload's.
        var seeds: [(String, [UInt8])] = []
        var kinds = Set<String>()
        func keep(_ entries: [LogEntry], prefix: String) {
            for entry in entries {
                let kind = entry.command.name
                guard kinds.insert(kind).inserted else { continue }
                seeds.append(("\(prefix)-\(seeds.count)-\(kind)", entry.leafBytes))
            }
        }
        var workload = CommandLogWorkload(seed: 7, operators: 3, nodesPerOperator: 2, tenants: 6)
        keep(workload.entries(count: 3_000), prefix: "market")
        var money = MoneyWorkload(seed: 7)
        keep((0..<3_000).map { _ in money.step() }, prefix: "money")
        // Leaves with a participant's proof (format 2), signed by a fixed key.
        let key = try! Curve25519.Signing.PrivateKey(rawRepresentation: FuzzKeys.seed(9))
        let actor = Hex.encode(Array(key.publicKey.rawRepresentation))
        let proven: [Command] = [.heartbeat(nodeIDs: ["n1", "n2"]), .cancelJob(orderID: "job-1"), .transferCredits(to: actor, amount: MicroCredits(5))]
        for (index, command) in proven.enumerated() {
            let proof = try! statement.prove(actor: actor, command: command, signedAt: 1_795_000_000, nonce: "fuzz-nonce-\(index)-0123456", with: key)
            let entry = LogEntry(sequence: UInt64(index), time: Timestamp(secondsSinceEpoch: 1_795_000_001), actor: actor, command: command, proof: proof)
            seeds.append(("proven-\(index)", entry.leafBytes))
        }
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
    FuzzInput.require(proofCheck.signatureProblem(ofLeaf: bytes) == proofCheck.signatureProblem(of: entry, leaf: bytes),
                      "the quick read of the proof of \(bytes) disagrees with the full decode")
    return 0
}

@_cdecl("FuzzLeafCodec_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    FuzzDriver.run(argc, argv, fuzz)
}
