import Crypto
import Foundation
import OSGDomain
import Testing
@testable import OSGCommands

/// Inputs and outputs end to end: a tenant uploads a blob, an agent fetches and checks it
/// before the job starts (read-only in the sandbox), uploads what the job left, and the tenant
/// downloads it; a wrong input fails the lease as the input's fault.
@Suite("Job inputs and outputs through a real agent", .serialized)
struct AgentDataTests {
    static func hex(_ bytes: some Sequence<UInt8>) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    @Test("an uploaded input reaches the job read-only; a file and a folder come back; a missing output is null",
          .enabled(if: AgentNetwork.enabled))
    func inputsAndOutputs() async throws {
        try #require(AgentNetwork.sandboxAvailable, "bubblewrap cannot create sandboxes here (CI must be able to): apt-get install bubblewrap")
        try await AgentNetwork.with(regions: ["eu"]) { network in
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("osg-data-\(UInt64.random(in: 0...UInt64.max))")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            var generator = SystemRandomNumberGenerator()
            let content = (0..<(3 << 20) + 17).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let file = folder.appendingPathComponent("train.bin")
            try Data(content).write(to: file)
            let transfer = BlobTransfer(client: network.tenant, chunkBytes: 1 << 20)
            let blob = try await transfer.upload(file)
            #expect(blob.sha256 == Self.hex(SHA256.hash(data: content)) && blob.size == Int64(content.count))

            let command = "sha256sum data/train.bin | cut -d' ' -f1 > digest.txt; (echo x >> data/train.bin) 2>/dev/null || echo read-only; mkdir -p results/sub; echo one > results/a.txt; echo two > results/sub/b.txt"
            let spec = """
                {"name":"with-data","command":["/bin/sh","-c",\(Self.quoted(command))],"resources":{"gpu":{"model":"H100","count":1},"cpu":1,"memory_gib":1},
                "duration":"5m","max_price":"2.00",
                "inputs":[{"path":"data/train.bin","sha256":"\(blob.sha256)","size":\(blob.size)}],
                "outputs":[{"path":"digest.txt","max_mib":1},{"path":"results","max_mib":1},{"path":"never-written","max_mib":1}]}
                """
            let job = try await network.submit(Array(spec.utf8))
            let done = try await network.waitFor(job) { ["completed", "failed"].contains($0["status"] as? String) }
            #expect(done["status"] as? String == "completed", "\(done)")
            #expect(try await network.logs(job) == ["read-only"])
            let outputs = try #require(AgentNetwork.lastLease(done)["outputs"] as? [Any], "\(done)")
            #expect(outputs.count == 3 && outputs[2] is NSNull, "\(outputs)")
            let digestFile = try #require(outputs[0] as? [String: Any])
            let digestPath = folder.appendingPathComponent("digest.txt")
            try await transfer.download(try #require(digestFile["sha256"] as? String), size: Int64(try #require(digestFile["size"] as? Int)), to: digestPath)
            #expect(try String(contentsOf: digestPath, encoding: .utf8) == blob.sha256 + "\n")
            let archive = try #require(outputs[1] as? [String: Any])
            #expect(archive["archive"] as? Bool == true)

            // osg results: every returned output, a folder unpacked, the missing one listed.
            let results = folder.appendingPathComponent("results-\(job)")
            let keyFile = folder.appendingPathComponent("tenant.key")
            try network.tenantKey.write(to: keyFile.path)
            let ran = try await OperatorVerbs.runBinary(["results", job, "--out", results.path, "--coordinator", network.url, "--key", keyFile.path])
            #expect(ran.status == 0, "\(ran.stderr)")
            #expect(try String(contentsOf: results.appendingPathComponent("results/sub/b.txt"), encoding: .utf8) == "two\n")
            #expect(try String(contentsOf: results.appendingPathComponent("digest.txt"), encoding: .utf8) == blob.sha256 + "\n")
            #expect(ran.stdout.contains("never-written") && ran.stdout.contains("not returned"), "\(ran.stdout)")

            // The same folder twice gives the same archive: outputs are reproducible.
            let again = try await network.submit(Array(spec.replacingOccurrences(of: "with-data", with: "with-data-2").utf8))
            let second = try await network.waitFor(again) { ["completed", "failed"].contains($0["status"] as? String) }
            let secondArchive = (AgentNetwork.lastLease(second)["outputs"] as? [Any])?[1] as? [String: Any]
            #expect(secondArchive?["sha256"] as? String == archive["sha256"] as? String, "the second run: \(second)")
        }
    }

    @Test("an input whose bytes do not match its digest ends the lease as input_failed, with the reason in the job's log",
          .enabled(if: AgentNetwork.enabled))
    func wrongInput() async throws {
        try #require(AgentNetwork.sandboxAvailable, "bubblewrap cannot create sandboxes here (CI must be able to): apt-get install bubblewrap")
        try await AgentNetwork.with(regions: ["eu"]) { network in
            // A URL input served by the coordinator itself, pinned to the wrong digest.
            let wrong = String(repeating: "0", count: 64)
            let spec = """
                {"name":"bad-input","command":["/bin/true"],"resources":{"gpu":{"model":"H100","count":1},"cpu":1,"memory_gib":1},
                "duration":"5m","max_price":"2.00",
                "inputs":[{"path":"api.json","url":"\(network.url)/openapi.json","sha256":"\(wrong)","size":1}]}
                """
            let job = try await network.submit(Array(spec.utf8))
            let failed = try await network.waitFor(job) { $0["status"] as? String == "failed" }
            #expect(AgentNetwork.lastLease(failed)["end_reason"] as? String == "input_failed", "\(failed)")
            let lines = try await network.logs(job)
            #expect(lines.first?.contains("input api.json") == true, "\(lines)")
        }
    }

    static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
