import Crypto
import Foundation
import OSGLog

/// What every fuzz target shares: reading libFuzzer's input, choosing a decoder with its first
/// byte, writing the target's generated seeds, and failing loudly when a property breaks.
public enum FuzzInput {
    /// libFuzzer's input as bytes.
    public static func bytes(_ data: UnsafePointer<UInt8>?, _ count: Int) -> [UInt8] {
        guard let data, count > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: count))
    }

    /// The first byte picks one of `choices` decoders; the rest is that decoder's input.
    public static func split(_ bytes: [UInt8], choices: Int) -> (choice: Int, payload: [UInt8]) {
        precondition(choices > 0, "a target has at least one decoder")
        guard let first = bytes.first else { return (0, []) }
        return (Int(first) % choices, Array(bytes.dropFirst()))
    }

    /// A seed for decoder `choice` of a target that splits its input (``split(_:choices:)``).
    public static func seed(choice: Int, _ payload: [UInt8]) -> [UInt8] {
        [UInt8(choice)] + payload
    }

    /// The input as text, the way a server reads a body it was sent: invalid UTF-8 becomes U+FFFD.
    public static func text(_ bytes: [UInt8]) -> String {
        String(decoding: bytes, as: UTF8.self)
    }

    /// The files of the project's folder `relativePath` (e.g. `examples`) whose names end with
    /// one of `suffixes`, by name: real inputs for seeds.
    public static func projectFiles(_ relativePath: String, suffixes: [String]) throws -> [(name: String, bytes: [UInt8])] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let folder = root.appendingPathComponent(relativePath)
        return try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
            .filter { name in suffixes.contains { name.hasSuffix($0) } }
            .map { name in (name, Array(try Data(contentsOf: folder.appendingPathComponent(name)))) }
    }

    /// Stops the process with `message` when a property of a decoder does not hold: libFuzzer
    /// records the input as a crash.
    public static func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
        if !condition() { fatalError("property violated: \(message())") }
    }

    /// With `OSG_FUZZ_WRITE_SEEDS=DIR` in the environment, writes `seeds()` (name → bytes) into
    /// DIR and exits: how each target's generated part of Fuzz/Corpus is made
    /// (`scripts/fuzz.sh --write-seeds`). Otherwise does nothing.
    public static func writeSeedsIfAsked(_ seeds: () throws -> [(name: String, bytes: [UInt8])]) {
        // getenv, not ProcessInfo: Foundation's cached environment would count as a leak at exit.
        guard let variable = getenv("OSG_FUZZ_WRITE_SEEDS"), case let directory = String(cString: variable), !directory.isEmpty else { return }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let made = try seeds()
            for seed in made {
                try Data(seed.bytes).write(to: URL(fileURLWithPath: directory).appendingPathComponent(seed.name))
            }
            print("wrote \(made.count) seeds to \(directory)")
            exit(0)
        } catch {
            print("could not write seeds to \(directory): \(error)")
            exit(1)
        }
    }
}

/// Fixed keys, so that generated seeds carry valid signatures and the fuzzer starts from inputs
/// that reach past the signature checks. Never used outside fuzzing.
public enum FuzzKeys {
    /// The 32-byte seed of key `number`.
    public static func seed(_ number: UInt8) -> [UInt8] {
        (0..<32).map { UInt8(truncatingIfNeeded: Int($0) &* 7 &+ Int(number)) }
    }

    /// The log's note signer (origin `fuzz.example/log`).
    public static let logSigner: NoteSignerKey = {
        do { return try NoteSignerKey(name: "fuzz.example/log", seed: seed(1)) } catch { fatalError("fixed log key: \(error)") }
    }()

    /// A witness's cosigner key (name `fuzz.example/witness`).
    public static let witness: CosignerSigningKey = {
        do {
            let key = try Curve25519.Signing.PrivateKey(rawRepresentation: seed(2))
            return try CosignerSigningKey(name: "fuzz.example/witness", privateKey: key)
        } catch { fatalError("fixed witness key: \(error)") }
    }()

    /// A participant's request-signing key.
    public static let participant: Curve25519.Signing.PrivateKey = {
        do { return try Curve25519.Signing.PrivateKey(rawRepresentation: seed(3)) } catch { fatalError("fixed participant key: \(error)") }
    }()
}

/// A small log signed with ``FuzzKeys/logSigner``, for seeds that reach past signature checks.
public enum FuzzLog {
    /// A tree of `size` leaves `leaf 0`, `leaf 1`, …
    public static func tree(size: UInt64) -> MerkleTree {
        var tree = MerkleTree()
        for index in 0..<size { _ = tree.append(entry: Array("leaf \(index)".utf8)) }
        return tree
    }

    /// The signed checkpoint note of `tree` (optionally cosigned by ``FuzzKeys/witness`` at `time`).
    public static func note(of tree: MerkleTree, cosignedAt time: UInt64? = nil) throws -> SignedNote {
        let checkpoint = try Checkpoint(origin: FuzzKeys.logSigner.name, size: tree.size, rootHash: tree.rootHash())
        let signed = try SignedNote.sign(text: checkpoint.text, with: [FuzzKeys.logSigner])
        guard let time else { return signed }
        return try SignedNote(text: signed.text, signatures: signed.signatures + [FuzzKeys.witness.cosign(text: signed.text, time: time)])
    }
}

/// libFuzzer's driver, for an entry point of our own (see ``FuzzDriver``).
@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// Runs libFuzzer from a target's own entry point.
///
/// SwiftPM links every executable with `--defsym main=<Module>_main` (so tests can call an
/// executable's code), and that symbol does not exist in a module parsed as a library, so a
/// target built as libFuzzer expects fails to link (swiftlang/swift-package-manager#8731). Each
/// target therefore defines `<Module>_main` itself and hands its input callback to libFuzzer's
/// driver, which then parses the command line and fuzzes exactly as libFuzzer's own `main` does.
public enum FuzzDriver {
    public static func run(
        _ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
    ) -> CInt {
        var count = argc
        var arguments = argv
        return withUnsafeMutablePointer(to: &count) { countPointer in
            withUnsafeMutablePointer(to: &arguments) { argumentsPointer in
                LLVMFuzzerRunDriver(countPointer, argumentsPointer, callback)
            }
        }
    }
}
