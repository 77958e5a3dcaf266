import Crypto
import Foundation
import Logging
import OSGAgent
import OSGDomain
import Synchronization
import Testing
@testable import OSGCommands

/// Every log line of the coordinator and the agent, at trace level, kept in memory.
final class CapturedLog: Sendable {
    let lines = Mutex<[String]>([])

    func logger(_ label: String) -> Logger {
        var logger = Logger(label: label) { label in CapturingHandler(label: label, log: self) }
        logger.logLevel = .trace
        return logger
    }

    struct CapturingHandler: LogHandler {
        let label: String
        let log: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(level: Logger.Level, message: Logger.Message, metadata extra: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
            let all = metadata.merging(extra ?? [:]) { _, new in new }
            log.lines.withLock { $0.append("\(level) \(label) \(message) \(all)") }
        }
    }
}

/// `osg submit --secret`: sealed to the coordinator, resealed to the leased node's agent when
/// the lease starts, a read-only in-memory file in the sandbox, and nowhere else in clear.
@Suite("Job secrets", .serialized)
struct SecretsTests {
    static let planted = "PLANTED-SECRET-3f9d0c7e-never-in-clear"

    /// Regular files under `folder` whose bytes contain `needle`.
    static func files(under folder: String, containing needle: String) -> [String] {
        PrivateContentsTests.files(under: URL(fileURLWithPath: folder), containing: needle, excluding: "/nonexistent")
    }

    @Test("the job reads its secret; no persisted byte and no log line of the coordinator or the agent holds it",
          .enabled(if: AgentNetwork.enabled))
    func secretReachesOnlyTheJob() async throws {
        try #require(AgentNetwork.sandboxAvailable, "bubblewrap cannot create sandboxes here (CI must be able to): apt-get install bubblewrap")
        let log = CapturedLog()
        let directory = temporaryPath("secrets")
        try await LoopbackCoordinator.run(directory: directory, configure: { AgentNetwork.configure(&$0, heartbeatTimeoutSeconds: 90) },
                                          logger: log.logger("coordinator")) { port in
            let network = try await AgentNetwork.make(regions: ["eu"], url: "http://127.0.0.1:\(port)")
            try await network.fund()
            let agent = try network.agent(0, logger: log.logger("agent"))
            let running = Task { try await agent.run() }
            defer { running.cancel() }

            let secretFile = URL(fileURLWithPath: temporaryPath("secret-value"))
            try Data(Self.planted.utf8).write(to: secretFile)
            defer { try? FileManager.default.removeItem(at: secretFile) }
            let spec = """
                {"name":"uses-a-secret","command":["/bin/sh","-c","sha256sum < $TOKEN_FILE | cut -c1-64; echo $TOKEN_FILE; (echo x > $TOKEN_FILE) 2>/dev/null || echo read-only"],
                "resources":{"gpu":{"model":"H100","count":1},"cpu":1,"memory_gib":1},"duration":"5m","max_price":"2.00"}
                """
            let yaml = try await SubmitCommand.addingData(inputs: [], secrets: ["TOKEN=@\(secretFile.path)"], to: Data(spec.utf8), client: network.tenant)
            #expect(!yaml.contains(Self.planted))
            let job = try await network.submit(Array(yaml.utf8))
            let done = try await network.waitFor(job) { ["completed", "failed"].contains($0["status"] as? String) }
            #expect(done["status"] as? String == "completed", "\(done)")
            let digest = Hex.encode(Array(SHA256.hash(data: Data(Self.planted.utf8))))
            #expect(try await network.logs(job) == [digest, "/run/secrets/TOKEN", "read-only"])

            // Only the leased node's operator gets the secret, and only while the lease runs.
            let leaseID = try #require(AgentNetwork.lastLease(done)["id"] as? String)
            let body = Array(#"{"node":"n1","recipient":"\#(String(repeating: "11", count: 32))"}"#.utf8)
            #expect(try await network.tenant.send(.POST, "/v1/leases/\(leaseID)/secrets", body: body).status == 404)
            // While the job ran, its secret lived in /dev/shm/osg-secrets-<lease> (memory); it goes with the lease.
            let cleaned = await eventually { !FileManager.default.fileExists(atPath: "/dev/shm/osg-secrets-\(leaseID)") && network.leaseFolders(0).isEmpty }
            #expect(cleaned, "the lease's secret files are gone with the lease")
            // Every byte the coordinator and the agent keep: log, database, snapshots, blobs, journals.
            for folder in [directory] + network.stateDirectories.map(\.path) {
                #expect(Self.files(under: folder, containing: Self.planted).isEmpty, "the secret in clear under \(folder)")
            }
            let lines = log.lines.withLock { $0 }
            #expect(lines.count > 20, "the capture saw the coordinator's and the agent's log")
            #expect(!lines.contains { $0.contains(Self.planted) }, "a log line holds the secret")
        }
    }
}
