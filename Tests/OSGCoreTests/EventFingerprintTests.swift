import Foundation
import OSGDomain
import Testing
@testable import OSGCore

/// Fingerprints of whole replays (digest, and SHA-256 over the canonical encoding of every
/// event), for comparing two builds of the core: set `OSG_FINGERPRINT_OUT` to a file and the
/// test writes one line per workload; without it the test runs only the small workload and
/// says so.
@Suite("Replay fingerprints")
struct EventFingerprintTests {
    /// Digest and events hash of `entries` replayed from genesis: the SHA-256 of the
    /// concatenated SHA-256s (hex) of each event's canonical encoding.
    static func fingerprint(_ entries: [LogEntry]) -> (digest: String, events: String, count: Int) {
        var state = CoordinatorState(genesis: CommandLogWorkload.genesis)
        var eventHashes: [UInt8] = []
        var count = 0
        for entry in entries {
            for event in state.apply(entry) {
                eventHashes += Array(CanonicalEncoding.sha256Hex(CanonicalEncoding.bytes(of: event)).utf8)
                count += 1
            }
        }
        return (state.digest, CanonicalEncoding.sha256Hex(eventHashes), count)
    }

    @Test("replays give a fingerprint (written to OSG_FINGERPRINT_OUT when set)")
    func fingerprints() throws {
        let out = ProcessInfo.processInfo.environment["OSG_FINGERPRINT_OUT"]
        // (seed, operators, nodes per operator, tenants, entries); the last two keep long queues.
        var workloads: [(UInt64, Int, Int, Int, Int)] = [(3, 4, 3, 10, 3_000)]
        if out != nil {
            workloads = [(1, 20, 10, 50, 100_000), (2, 20, 10, 50, 30_000), (7, 20, 10, 50, 30_000),
                         (4, 2, 2, 60, 30_000), (9, 1, 3, 200, 40_000)]
        } else {
            print("OSG_FINGERPRINT_OUT not set: fingerprinting only the small workload")
        }
        var lines: [String] = []
        for (seed, operators, perOperator, tenants, count) in workloads {
            var workload = CommandLogWorkload(seed: seed, operators: operators, nodesPerOperator: perOperator, tenants: tenants)
            let entries = workload.entries(count: count)
            let print = Self.fingerprint(entries)
            #expect(print.digest == workload.state.digest)
            #expect(print.count > 0)
            lines.append("seed=\(seed) operators=\(operators) nodes/op=\(perOperator) tenants=\(tenants) entries=\(count) queue=\(workload.state.queue.count) events=\(print.count) digest=\(print.digest) events_sha256=\(print.events)")
        }
        if let out { try (lines.joined(separator: "\n") + "\n").write(toFile: out, atomically: true, encoding: .utf8) }
    }
}
