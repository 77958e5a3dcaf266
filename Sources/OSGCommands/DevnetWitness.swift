import Foundation
import Logging
import OSGLog
import OSGServer
import OSGTransparency
import Synchronization

/// The devnet's witness (`osg witness --audit-log` in the devnet's process): it cosigns the
/// coordinator's checkpoints and audits the published log, and the dashboard shows what it
/// found, read from the witness itself.
final class DevnetWitness: Sendable {
    /// Its add-checkpoint prefix and its cosigner key, as `osg serve --witness` takes them.
    let endpoint: CheckpointCosigner.Endpoint
    private let server: WatchedTask
    private let auditor: AuditorSlot
    private let logKey: NoteVerifierKey
    private let stateDirectory: URL
    private let logger: Logger

    private init(endpoint: CheckpointCosigner.Endpoint, server: WatchedTask, auditor: AuditorSlot,
                 logKey: NoteVerifierKey, stateDirectory: URL, logger: Logger) {
        self.endpoint = endpoint
        self.server = server
        self.auditor = auditor
        self.logKey = logKey
        self.stateDirectory = stateDirectory
        self.logger = logger
    }

    /// Starts the witness of the log signed by `logKey` on `host` (a free port).
    static func start(in layout: DevnetLayout, host: String, logKey: NoteVerifierKey, logger: Logger) async throws -> DevnetWitness {
        try FileManager.default.createDirectory(at: layout.witness, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let signer = try CosignerSigningKey(name: "devnet.witness/w1", privateKey: try KeyFile.readOrCreate(at: layout.witnessKey.path).privateKey)
        let stateDirectory = layout.witness.appendingPathComponent("state")
        let witness = try Witness(key: signer, logs: [logKey], stateDirectory: stateDirectory)
        let auditor = AuditorSlot()
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let application = WitnessServer.application(
            witness: witness, host: host, port: 0, logger: logger, audits: { auditor.running.withLock { $0?.loop.recent } ?? [] },
            onServerRunning: { port in
                continuation.yield(port)
                continuation.finish()
            })
        let server = WatchedTask {
            defer { continuation.finish() }
            // No signal handling of its own: Ctrl-C belongs to `osg devnet`, which stops this.
            try await application.runService(gracefulShutdownSignals: [])
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else {
            server.cancel()
            throw Devnet.Failure(description: "the devnet's witness did not start\(server.failure.map { ": \($0)" } ?? "")")
        }
        let endpoint = try CheckpointCosigner.Endpoint(parsing: "http://\(host):\(port)=\(signer.verifierKey)")
        return DevnetWitness(endpoint: endpoint, server: server, auditor: auditor, logKey: logKey, stateDirectory: layout.witness, logger: logger)
    }

    /// Starts auditing the log published under `prefix` every `intervalSeconds`.
    func audit(prefix: String, intervalSeconds: Double = 2) {
        let loop = WitnessAuditLoop(prefix: prefix, logKey: logKey, trustDirectory: stateDirectory.appendingPathComponent("audit").path,
                                    intervalSeconds: intervalSeconds, logger: logger)
        auditor.running.withLock { $0 = (loop, WatchedTask { await loop.run() }) }
    }

    func stop() async {
        if let task = auditor.running.withLock({ $0?.task }) {
            task.cancel()
            _ = await task.waitForEnd(timeoutSeconds: 10)
        }
        server.cancel()
        _ = await server.waitForEnd(timeoutSeconds: 10)
    }
}

/// The witness's audit loop, once the coordinator it audits has started.
private final class AuditorSlot: Sendable {
    let running = Mutex<(loop: WitnessAuditLoop, task: WatchedTask)?>(nil)
}
