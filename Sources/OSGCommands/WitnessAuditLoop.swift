import Foundation
import Logging
import OSGAuditTool
import OSGLog
import OSGServer
import OSGTransparency
import Synchronization

/// A witness that also audits (`osg witness --audit-log URL`): whenever the log's served
/// checkpoint has grown (looking every interval, and after an audit waiting nine times as long
/// as it took, so that replaying a long log takes at most a tenth of a core), it runs the
/// whole `osg audit` of the log (with its own trust store,
/// the log's key pinned) and keeps the last ``kept`` reports, which the witness serves at
/// `GET /audits` — so what an independent party found is public, and not served by the
/// coordinator it is about.
final class WitnessAuditLoop: Sendable {
    static let kept = 10

    let prefix: String
    let logKey: NoteVerifierKey
    let trustDirectory: String
    let intervalSeconds: Double
    private let records = Mutex<[WitnessServer.AuditRecord]>([])
    private let logger: Logger

    init(prefix: String, logKey: NoteVerifierKey, trustDirectory: String, intervalSeconds: Double, logger: Logger) {
        self.prefix = prefix
        self.logKey = logKey
        self.trustDirectory = trustDirectory
        self.intervalSeconds = intervalSeconds
        self.logger = logger
    }

    /// The reports kept, newest first.
    var recent: [WitnessServer.AuditRecord] { records.withLock { $0 } }

    /// Audits on every round whose checkpoint is larger than the last audited, until cancelled.
    func run() async {
        let source = HTTPLogSource(prefix: prefix)
        var audited: UInt64?
        while !Task.isCancelled {
            var pause = intervalSeconds
            if let size = await Self.servedSize(source), size != audited {
                let began = ContinuousClock.now
                let report = await LogAuditor(source: source, trustStore: AuditTrustStore(directory: trustDirectory), pinnedKey: logKey.description).audit()
                audited = report.treeSize ?? size
                let record = WitnessServer.AuditRecord(
                    origin: report.origin ?? logKey.name, treeSize: report.treeSize, rootHash: report.rootHash, verdict: report.verdict.rawValue,
                    code: report.code, reason: report.reason, entriesReplayed: report.entriesReplayed, auditedAt: WallClock.now().description)
                records.withLock { records in
                    records.insert(record, at: 0)
                    records = Array(records.prefix(Self.kept))
                }
                if report.verdict != .verified {
                    logger.warning("the audit of the log failed", metadata: ["code": "\(report.code)", "reason": "\(report.reason)"])
                }
                // A whole replay grows with the log: audit at most a tenth of the time.
                let spent = ContinuousClock.now - began
                pause = max(intervalSeconds, 9 * Double(spent.components.seconds) + 9 * Double(spent.components.attoseconds) / 1e18)
            }
            try? await Task.sleep(for: .seconds(pause))
        }
    }

    /// The size of the checkpoint the log serves now, if it can be read.
    private static func servedSize(_ source: HTTPLogSource) async -> UInt64? {
        guard let bytes = try? await source.fetch(LogLayout.checkpoint), let note = try? SignedNote(parsing: bytes) else { return nil }
        return (try? Checkpoint(parsing: note.text))?.size
    }
}
