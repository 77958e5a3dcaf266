import ArgumentParser
import Foundation
import OSGLog
import OSGTransparency

/// `osg audit --from URL|DIR`: verifies a coordinator's published log end to end and replays it.
package struct AuditCommand: AsyncParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Verify a published log (signature, history, tiles, entries) and replay it against the published state.",
        discussion: """
            Fetches the checkpoint, every tile and entry bundle, the genesis and the published \
            state from URL (e.g. http://127.0.0.1:8080/log) or from a directory with the same \
            layout. Checks the Ed25519 signature (key from --key, else the key recorded for the \
            origin, else the log's verifier-key, recorded on first use), that the log extends \
            the last checkpoint this auditor verified, that the entries match the tiles and the \
            signed root, then replays every entry through the core and compares the recomputed \
            balances, leases, queue, statistics, price index, set-aside usage and lockups with \
            the published state. With --witness keys, the checkpoint must also carry valid cosignatures \
            (c2sp.org/tlog-cosignature) of --quorum of them (default all): a log that shows another history \
            to others cannot get them from an honest witness that saw this one (`witness_quorum`). Exit 0 verified, 1 verification failed (the first divergence is \
            named), 2 malformed input or source unreachable. The auditor alone, without the coordinator \
            (no database driver, no HTTP server): `swift build -c release --product osg-audit`.
            """
    )

    @Option(name: .long, help: "The log's URL prefix (http:// or https://) or a directory.")
    var from: String

    @Option(name: .long, help: "Where the last verified checkpoint and trusted key of each origin are kept (default ~/.openstargate/audit).")
    var stateDir: String?

    @Option(name: .long, help: "Verifier key to trust: <name>+<8 hex digits>+<base64 key>.")
    var key: String?

    @Option(name: .long, help: "With an https source: trust only the CA certificates in this PEM file instead of the system's (default $OSG_CA_CERT).")
    var caCert: String?

    @Option(name: .long, help: "A witness's cosigner key (as `osg witness --print-key` prints it) whose cosignature counts towards --quorum (repeatable).")
    var witness: [String] = []

    @Option(name: .long, help: "How many of the --witness keys must have cosigned the checkpoint (default: all of them).")
    var quorum: Int?

    @Option(name: .customLong("max-cosignature-age"), help: "Count only cosignatures made within this many seconds (by their timestamp): a coordinator that keeps serving an old cosigned checkpoint then fails the quorum (default: any age).")
    var maxCosignatureAge: UInt64?

    package init() {}

    @Flag(name: .long, help: "Print one JSON object {verdict, code, reason, origin, tree_size, ...}.")
    var json = false

    package func validate() throws {
        for text in witness {
            do { _ = try CosignerKey(parsing: text) } catch { throw ValidationError("--witness \(text): \(error)") }
        }
        if let quorum, !(0...witness.count).contains(quorum) {
            throw ValidationError("--quorum must be 0-\(witness.count) (the number of --witness keys), got \(quorum)")
        }
    }

    package func run() async throws {
        let witnesses = try witness.map { try CosignerKey(parsing: $0) }
        let quorum = self.quorum ?? witnesses.count
        let trustStore = AuditTrustStore(directory: stateDir ?? AuditTrustStore.defaultDirectory)
        let progress = ProgressIndicator("auditing \(from): checkpoint, tiles, consistency, replay")
        defer { progress.finish() }
        let report: AuditReport
        if from.hasPrefix("http://") || from.hasPrefix("https://") {
            let trust: CoordinatorTrust
            do {
                trust = try CoordinatorTrust.resolve(caCertificatePath: caCert, environment: ProcessInfo.processInfo.environment)
            } catch {
                FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                throw ExitCode(2)  // malformed input, as the discussion says
            }
            report = await LogAuditor(source: HTTPLogSource(prefix: from, trust: trust), trustStore: trustStore, pinnedKey: key, witnesses: witnesses, quorum: quorum, maxCosignatureAge: maxCosignatureAge).audit()
        } else {
            report = await LogAuditor(source: DirectoryLogSource(directory: from), trustStore: trustStore, pinnedKey: key, witnesses: witnesses, quorum: quorum, maxCosignatureAge: maxCosignatureAge).audit()
        }
        progress.finish()
        try Self.emit(report, json: json)
    }

    package static func emit(_ report: AuditReport, json: Bool) throws {
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            switch report.verdict {
            case .verified:
                print("verified: \(report.reason)")
                if let rate = report.replayEntriesPerSecond { print("replayed \(report.entriesReplayed) entries (\(Int(rate)) entries/s)") }
            case .failed:
                print("FAILED: \(report.code): \(report.reason)")
            case .malformed:
                FileHandle.standardError.write(Data("osg audit: \(report.code): \(report.reason)\n".utf8))
            }
        }
        if report.verdict != .verified { throw ExitCode(report.verdict.exitStatus) }
    }
}
