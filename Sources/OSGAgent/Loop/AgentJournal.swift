import Foundation

/// What the agent keeps on disk between runs: the lease parts it knows and how many output
/// lines of each it has sent, so that a restarted agent neither runs a lease twice nor sends
/// a line twice. Written atomically (a temporary file renamed over the old one), mode 0600.
public struct AgentJournal: Sendable, Codable, Equatable {
    public var parts: [String: LeaseReconciler.Part] = [:]
    /// Output lines already sent to the coordinator, by part id.
    public var linesSent: [String: Int] = [:]

    public init(parts: [String: LeaseReconciler.Part] = [:], linesSent: [String: Int] = [:]) {
        self.parts = parts
        self.linesSent = linesSent
    }

    /// The journal at `url`, or an empty one when there is none yet.
    /// - Throws: when the file exists but cannot be read or decoded (it is never silently
    ///   replaced: that could run a lease twice).
    public static func load(from url: URL) throws -> AgentJournal {
        guard FileManager.default.fileExists(atPath: url.path) else { return AgentJournal() }
        do {
            return try JSONDecoder().decode(AgentJournal.self, from: Data(contentsOf: url))
        } catch {
            throw ExecutorError("journal_unreadable", "the agent's journal \(url.path) cannot be read (\(error)); move it away only if no lease of this agent is running")
        }
    }

    /// Writes the journal to `url` atomically.
    public func save(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(self)
        let temporary = url.appendingPathExtension("tmp")
        guard FileManager.default.createFile(atPath: temporary.path, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw ExecutorError("journal_unwritable", "cannot write \(temporary.path)")
        }
        guard rename(temporary.path, url.path) == 0 else {
            throw ExecutorError("journal_unwritable", "cannot replace \(url.path): \(String(cString: strerror(errno)))")
        }
    }
}
