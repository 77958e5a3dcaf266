import Foundation
import FuzzSupport
import OSGLog
import OSGTransparency

// `osg witness`: the add-checkpoint body (c2sp.org/tlog-witness) comes from a coordinator the
// witness exists to distrust. The witness has cosigned a checkpoint of size 4 of the log
// `fuzz.example/log`; each input is one add-checkpoint body (old size, consistency proof,
// signed checkpoint). Properties: no crash, hang or unbounded allocation; a body is cosigned only
// when its note verifies, it extends the size-4 tree with a valid proof and its size is at
// least 4; whatever the answer, the size-4 tree stays the least the witness will cosign.

let origin = FuzzKeys.logSigner.name
let baseTree = FuzzLog.tree(size: 4)
let directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("osg-fuzz-witness-\(getpid())")

/// A witness that has cosigned the size-4 checkpoint, its state in a fresh directory.
func primedWitness() -> Witness {
    do {
        try? FileManager.default.removeItem(at: directory)
        let witness = try Witness(key: FuzzKeys.witness, logs: [FuzzKeys.logSigner.verifierKey], stateDirectory: directory)
        let body = Witness.addCheckpointBody(oldSize: 0, proof: [], note: try FuzzLog.note(of: baseTree).formatted)
        guard case .success = witness.addCheckpoint(body, now: 1_795_000_000) else { fatalError("the witness refused its first checkpoint") }
        return witness
    } catch {
        fatalError("cannot prime the witness in \(directory.path): \(error)")
    }
}

nonisolated(unsafe) var witness: Witness?

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    FuzzInput.writeSeedsIfAsked {
        var seeds: [(name: String, bytes: [UInt8])] = []
        for size: UInt64 in [4, 5, 9, 300] {
            let tree = FuzzLog.tree(size: size)
            let proof = try tree.consistencyProof(from: 4, to: size)
            seeds.append(("extends-4-to-\(size)", Witness.addCheckpointBody(oldSize: 4, proof: proof, note: try FuzzLog.note(of: tree).formatted)))
        }
        let smaller = FuzzLog.tree(size: 3)
        seeds.append(("rollback-to-3", Witness.addCheckpointBody(oldSize: 4, proof: [], note: try FuzzLog.note(of: smaller).formatted)))
        seeds.append(("stale-old-size", Witness.addCheckpointBody(oldSize: 0, proof: [], note: try FuzzLog.note(of: FuzzLog.tree(size: 6)).formatted)))
        return seeds
    }
    witness = primedWitness()
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = FuzzInput.bytes(data, count)
    guard let current = witness else { fatalError("LLVMFuzzerInitialize did not run") }
    let answer = current.addCheckpoint(bytes, now: 1_795_000_100)
    if case .success = answer {
        let latest = current.latest(origin: origin)
        FuzzInput.require((latest?.size ?? 0) >= 4, "the witness cosigned a checkpoint below the size-4 tree it had cosigned")
        if latest?.size == 4 {
            FuzzInput.require(latest?.rootHash == baseTree.rootHash(), "the witness cosigned another tree of size 4")
        }
        // An accepted body moves the witness on: start the next input from the size-4 tree again.
        witness = primedWitness()
    } else {
        FuzzInput.require(current.latest(origin: origin)?.size == 4, "a refused body changed the witness's state")
    }
    return 0
}

@_cdecl("FuzzWitness_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    FuzzDriver.run(argc, argv, fuzz)
}
