import OSGDomain

/// An append-only sequence of accepted commands under one ``Genesis``.
///
/// The log is the source of truth: the state is whatever ``replay()`` gives. The JSON Lines
/// form (one header line with the genesis, then one entry per line) is what the store
/// persists and the transparency log commits to.
public struct CommandLog: Sendable {
    /// The rules the log starts from.
    public let genesis: Genesis
    /// Entries in order; entry `i` has sequence `i`.
    public private(set) var entries: [LogEntry] = []

    /// An empty log.
    public init(genesis: Genesis) {
        self.genesis = genesis
    }

    /// Why a log could not be appended to or read.
    public struct Failure: Error, Equatable, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Appends a command issued by `actor` at `time`; time must not go backwards.
    @discardableResult
    public mutating func append(_ command: Command, by actor: String, at time: Timestamp, proof: CommandProof? = nil) throws(Failure) -> LogEntry {
        if let last = entries.last, time < last.time {
            throw Failure(description: "time \(time) is before the last entry's time \(last.time)")
        }
        let entry = LogEntry(sequence: UInt64(entries.count), time: time, actor: actor, command: command, proof: proof)
        entries.append(entry)
        return entry
    }

    /// Rebuilds the state by applying every entry from the genesis, with every event.
    public func replay() -> (state: CoordinatorState, events: [[Event]]) {
        var state = CoordinatorState(genesis: genesis)
        let events = entries.map { state.apply($0) }
        return (state, events)
    }

    /// The JSON Lines form: the genesis header, then one canonical entry per line.
    public func jsonLines() -> [UInt8] {
        var bytes = CanonicalEncoding.bytes(of: Header(genesis: genesis))
        bytes.append(0x0A)
        for entry in entries {
            bytes += CanonicalEncoding.bytes(of: entry)
            bytes.append(0x0A)
        }
        return bytes
    }

    /// Reads the JSON Lines form, checking that sequences and times are in order.
    public static func read(jsonLines bytes: [UInt8]) throws(Failure) -> CommandLog {
        let lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: true)
        guard let headerLine = lines.first else { throw Failure(description: "the log is empty: no genesis header") }
        let header: Header
        do {
            header = try CanonicalEncoding.decode(Header.self, from: headerLine)
        } catch {
            throw Failure(description: "line 1: not a log header: \(error)")
        }
        var log = CommandLog(genesis: header.genesis)
        for (index, line) in lines.dropFirst().enumerated() {
            let entry: LogEntry
            do {
                entry = try CanonicalEncoding.decode(LogEntry.self, from: line)
            } catch {
                throw Failure(description: "line \(index + 2): not a log entry: \(error)")
            }
            guard entry.sequence == UInt64(log.entries.count) else {
                throw Failure(description: "line \(index + 2): sequence \(entry.sequence), expected \(log.entries.count)")
            }
            do {
                try log.append(entry.command, by: entry.actor, at: entry.time, proof: entry.proof)
            } catch {
                throw Failure(description: "line \(index + 2): \(error.description)")
            }
        }
        return log
    }

    struct Header: Codable {
        var format = "openstargate-command-log/1"
        var genesis: Genesis
    }
}
