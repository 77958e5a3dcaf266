import ArgumentParser
import Foundation
import Logging
import OSGLog
import OSGServer
import OSGTransparency

/// `osg witness`: an independent cosigner of coordinators' checkpoints (c2sp.org/tlog-witness,
/// c2sp.org/tlog-cosignature).
struct WitnessCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "witness",
        abstract: "Run a witness: cosign logs' checkpoints along one append-only history (C2SP tlog-witness).",
        discussion: """
            Serves POST /add-checkpoint (c2sp.org/tlog-witness) on --host:--port. For each log named by --log \
            (the log's verifier key, served at /log/verifier-key, which signs /log/checkpoint), the witness \
            keeps the latest checkpoint it cosigned (in --state-dir, synced before it answers) and cosigns a new \
            one only when the log's key signed it and a consistency proof from the one before verifies: a fork, \
            a rollback or another root at the same size is refused, so a log cannot show two histories to \
            clients that require this witness's cosignature. Cosignatures are Ed25519 cosignature/v1 lines \
            under --name. The key (an `osg keys new` file) is created, 0600, when --key names no file. \
            --print-key prints the witness's verifier key (what coordinators pass to --witness and auditors \
            to `osg audit --witness`) and exits.
            """
    )

    @Option(name: .long, help: "The witness's key file (created when missing).")
    var key: String

    @Option(name: .long, help: "The witness's name: a schema-less URL naming it, e.g. witness.example.org/w1.")
    var name: String

    @Option(name: .long, help: "A log to witness: its checkpoint verifier key <origin>+<key ID>+<base64 key> (repeatable).")
    var log: [String] = []

    @Option(name: .customLong("state-dir"), help: "Where the latest cosigned checkpoint of each log is kept.")
    var stateDir: String = "osg-witness"

    @Option(name: .long, help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(name: .long, help: "Port to listen on.")
    var port: Int = 8090

    @Option(name: .customLong("audit-log"), help: "Also audit this log (its /log URL prefix, e.g. http://127.0.0.1:7070/log) whenever its checkpoint grows, as `osg audit` does, and serve the last reports at GET /audits (needs exactly one --log).")
    var auditLog: String?

    @Option(name: .customLong("audit-interval"), help: "Seconds between looks at the audited log's checkpoint (default 5).")
    var auditInterval: Double = 5

    @Flag(name: .customLong("print-key"), help: "Print the witness's verifier key and exit.")
    var printKey = false

    @Flag(name: .long, help: "With --print-key: print {\"witness_key\": ...}.")
    var json = false

    func validate() throws {
        guard NoteKeyName.isValid(name) else { throw ValidationError("--name must be non-empty, without spaces or '+'") }
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be 0-65535, got \(port)") }
        for text in log {
            do { _ = try NoteVerifierKey(parsing: text) } catch { throw ValidationError("--log \(text): \(error)") }
        }
        if !printKey && log.isEmpty { throw ValidationError("name at least one log to witness with --log") }
        if let auditLog {
            guard auditLog.hasPrefix("http://") || auditLog.hasPrefix("https://") else { throw ValidationError("--audit-log must be an http(s) URL prefix, got \(auditLog)") }
            guard log.count == 1 else { throw ValidationError("--audit-log audits the one log named by --log; name exactly one") }
            guard auditInterval >= 0.1 && auditInterval <= 86_400 else { throw ValidationError("--audit-interval must be 0.1-86400 seconds") }
        }
    }

    func run() async throws {
        let signer = try CosignerSigningKey(name: name, privateKey: try KeyFile.readOrCreate(at: key).privateKey)
        if printKey {
            if json { JSONOutput.print(["witness_key": signer.verifierKey.description]) } else { print(signer.verifierKey) }
            return
        }
        let logs = try log.map { try NoteVerifierKey(parsing: $0) }
        let witness = try Witness(key: signer, logs: logs, stateDirectory: URL(fileURLWithPath: stateDir))
        var logger = Logger(label: "openstargate.witness")
        logger.logLevel = .info
        print("witness \(signer.verifierKey) on http://\(host):\(port), logs: \(logs.map(\.name).joined(separator: ", "))")
        let auditor = auditLog.map {
            WitnessAuditLoop(prefix: $0, logKey: logs[0], trustDirectory: URL(fileURLWithPath: stateDir).appendingPathComponent("audit").path,
                             intervalSeconds: auditInterval, logger: logger)
        }
        let auditing = auditor.map { auditor in Task { await auditor.run() } }
        defer { auditing?.cancel() }
        var audits: (@Sendable () -> [WitnessServer.AuditRecord])?
        if let auditor { audits = { auditor.recent } }
        try await WitnessServer.application(witness: witness, host: host, port: port, logger: logger, audits: audits).runService()
    }
}
