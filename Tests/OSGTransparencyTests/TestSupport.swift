import Foundation
import OSGCore
import OSGLog
import OSGStore
@testable import OSGTransparency

let testOrigin = "osg.test/log"

/// A fixed signing key for `origin` (seed byte `seedByte` repeated).
func signer(origin: String = testOrigin, seedByte: UInt8 = 7) throws -> NoteSignerKey {
    try NoteSignerKey(name: origin, seed: [UInt8](repeating: seedByte, count: 32))
}

/// A fresh empty directory under the temporary directory.
func temporaryDirectory(_ name: String = #function) throws -> String {
    let path = NSTemporaryDirectory() + "osg-tlog-\(name.filter(\.isLetter))-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// A store holding `count` entries of the seeded workload, and the workload (whose state is
/// the state after them).
func workloadStore(seed: UInt64 = 1, count: Int) throws -> (InMemoryCommandLogStore, CommandLogWorkload) {
    var workload = CommandLogWorkload(seed: seed, operators: 4, nodesPerOperator: 3, tenants: 10)
    let store = InMemoryCommandLogStore()
    try store.initialize(genesis: CommandLogWorkload.genesis)
    try store.append(workload.entries(count: count))
    return (store, workload)
}

/// Publishes `count` workload entries into a new directory; returns the directory.
func publishedLog(seed: UInt64 = 1, count: Int, directory: String? = nil) async throws -> String {
    let directory = try directory ?? temporaryDirectory()
    let (store, workload) = try workloadStore(seed: seed, count: count)
    _ = try await TransparencyLogWriter.open(directory: directory, signer: signer(), origin: testOrigin, store: store, state: workload.state)
    return directory
}

/// Audits `directory` with the trust store in `stateDir`.
func audit(_ directory: String, stateDir: String, key: String? = nil) async -> AuditReport {
    await LogAuditor(source: DirectoryLogSource(directory: directory), trustStore: AuditTrustStore(directory: stateDir), pinnedKey: key).audit()
}

/// Rewrites the file at `path` with `transform` applied to its bytes.
func edit(_ path: String, _ transform: (inout [UInt8]) -> Void) throws {
    var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    transform(&bytes)
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}
