import Foundation
import OSGLog
import Synchronization

/// A C2SP tlog-witness: it keeps, for each log it knows, the latest checkpoint it cosigned,
/// and cosigns a new one only when the log's key signed it and a consistency proof from the
/// one before holds — so a log cannot show a witness two histories (a fork, a rollback, a
/// different root at the same size), and clients that require a quorum of witnesses' cosignatures
/// cannot be shown a split view.
///
/// `add-checkpoint` (c2sp.org/tlog-witness): the body is `old <size>\n`, up to 63 consistency
/// proof lines (base64 hashes), an empty line, and the checkpoint note. The check of the old
/// size and the record of the new checkpoint happen under one lock, and the record is durable
/// (written to a temporary file, synced, renamed, the folder synced) before the answer.
public final class Witness: Sendable {
    /// Why a checkpoint was not cosigned, with the HTTP status c2sp.org/tlog-witness gives it.
    public struct Refusal: Error, Hashable, Sendable, CustomStringConvertible {
        public var status: Int
        public var code: String
        public var message: String
        /// For a 409 about the old size: the size of the latest cosigned checkpoint.
        public var latestSize: UInt64?

        public var description: String { "\(status) \(code): \(message)" }
    }

    /// What the witness remembers of one log.
    struct Record: Codable, Hashable, Sendable {
        var origin: String
        var size: UInt64
        var rootHash: String
    }

    public let key: CosignerSigningKey
    /// The logs the witness knows, each by its origin and the key that signs its checkpoints.
    public let logs: [String: NoteVerifierKey]
    public let stateDirectory: URL
    private let records: Mutex<[String: Record]>

    /// - Parameter logs: the verifier key of each log; its name is the log's origin.
    public init(key: CosignerSigningKey, logs: [NoteVerifierKey], stateDirectory: URL) throws {
        self.key = key
        self.logs = Dictionary(logs.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.stateDirectory = stateDirectory
        try FileManager.default.createDirectory(at: stateDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var loaded: [String: Record] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: stateDirectory.path) where name.hasSuffix(".json") {
            let record = try JSONDecoder().decode(Record.self, from: Data(contentsOf: stateDirectory.appendingPathComponent(name)))
            loaded[record.origin] = record
        }
        records = Mutex(loaded)
    }

    /// The size and root of the latest checkpoint cosigned for `origin`.
    public func latest(origin: String) -> (size: UInt64, rootHash: [UInt8])? {
        records.withLock { $0[origin] }.flatMap { record in Base64.decode(record.rootHash).map { (record.size, $0) } }
    }

    /// Handles an `add-checkpoint` body: the cosignature line, or why not.
    public func addCheckpoint(_ body: [UInt8], now: UInt64) -> Result<NoteSignature, Refusal> {
        let request: (oldSize: UInt64, proof: [[UInt8]], note: SignedNote, checkpoint: Checkpoint)
        switch Self.parse(body) {
        case .failure(let refusal): return .failure(refusal)
        case .success(let parsed): request = parsed
        }
        let checkpoint = request.checkpoint
        guard let logKey = logs[checkpoint.origin] else {
            return .failure(Refusal(status: 404, code: "unknown_log", message: "this witness does not know the log \(checkpoint.origin)"))
        }
        guard request.note.verify(with: logKey).isVerified else {
            return .failure(Refusal(status: 403, code: "bad_signature", message: "no valid signature by the log's key \(logKey)"))
        }
        guard request.oldSize <= checkpoint.size else {
            return .failure(Refusal(status: 400, code: "old_size_above_size", message: "old size \(request.oldSize) is above the checkpoint's size \(checkpoint.size)"))
        }
        return records.withLock { records -> Result<NoteSignature, Refusal> in
            let latest = records[checkpoint.origin]
            let latestSize = latest?.size ?? 0
            guard request.oldSize == latestSize else {
                return .failure(Refusal(status: 409, code: "old_size_mismatch", message: "the latest checkpoint cosigned has size \(latestSize), not \(request.oldSize)", latestSize: latestSize))
            }
            // A cosigned empty tree is no history to be consistent with.
            if let latest, latest.size > 0, let latestRoot = Base64.decode(latest.rootHash) {
                if latest.size == checkpoint.size {
                    guard latestRoot == checkpoint.rootHash, request.proof.isEmpty else {
                        return .failure(Refusal(status: 409, code: "fork", message: "a checkpoint of size \(checkpoint.size) with another root was cosigned before: the log forked"))
                    }
                } else {
                    do {
                        try MerkleProof.verifyConsistency(size1: latest.size, size2: checkpoint.size, proof: request.proof, root1: latestRoot, root2: checkpoint.rootHash)
                    } catch {
                        return .failure(Refusal(status: 422, code: "inconsistent", message: "no consistency from the cosigned size \(latest.size) to \(checkpoint.size): \(error)"))
                    }
                }
            } else if !request.proof.isEmpty {
                return .failure(Refusal(status: 422, code: "inconsistent", message: "the proof must be empty from old size 0"))
            }
            let record = Record(origin: checkpoint.origin, size: checkpoint.size, rootHash: Base64.encode(checkpoint.rootHash))
            do {
                try persist(record)
            } catch {
                return .failure(Refusal(status: 500, code: "storage_error", message: "the witness could not record the checkpoint: \(error)"))
            }
            records[checkpoint.origin] = record
            do {
                return .success(try key.cosign(text: request.note.text, time: now))
            } catch {
                return .failure(Refusal(status: 500, code: "signing_error", message: "\(error)"))
            }
        }
    }

    /// Parses `old N\n`, proof lines, `\n`, then the checkpoint note.
    static func parse(_ body: [UInt8]) -> Result<(oldSize: UInt64, proof: [[UInt8]], note: SignedNote, checkpoint: Checkpoint), Refusal> {
        func malformed(_ message: String) -> Result<(oldSize: UInt64, proof: [[UInt8]], note: SignedNote, checkpoint: Checkpoint), Refusal> {
            .failure(Refusal(status: 400, code: "malformed", message: message))
        }
        guard body.count <= 1 << 16 else { return malformed("the body is larger than 64 KiB") }
        guard let blank = body.indices.dropLast().first(where: { body[$0] == 0x0A && body[$0 + 1] == 0x0A }) else {
            return malformed("the body needs an old size line, proof lines, an empty line and a checkpoint")
        }
        guard let head = String(validating: body[...blank], as: UTF8.self) else { return malformed("the body is not UTF-8") }
        var lines = head.split(separator: "\n", omittingEmptySubsequences: false).dropLast()[...]
        guard let first = lines.popFirst(), first.hasPrefix("old "), let oldSize = UInt64(first.dropFirst(4)),
              String(oldSize) == first.dropFirst(4)
        else { return malformed("the first line must be \"old <size>\" (decimal, no leading zeroes)") }
        guard lines.count <= 63 else { return malformed("at most 63 proof lines, got \(lines.count)") }
        var proof: [[UInt8]] = []
        for line in lines {
            guard let hash = Base64.decode(line), hash.count == 32 else { return malformed("proof line \"\(line.prefix(60))\" is not a base64 SHA-256 hash") }
            proof.append(hash)
        }
        do {
            let note = try SignedNote(parsing: Array(body[(blank + 2)...]))
            return .success((oldSize, proof, note, try Checkpoint(parsing: note.text)))
        } catch {
            return malformed("the checkpoint: \(error)")
        }
    }

    private func persist(_ record: Record) throws {
        let name = Data(record.origin.utf8).base64EncodedString().replacingOccurrences(of: "/", with: "_") + ".json"
        let target = stateDirectory.appendingPathComponent(name)
        let temporary = stateDirectory.appendingPathComponent(name + ".tmp")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try encoder.encode(record).write(to: temporary)
        try Self.sync(temporary.path)
        guard rename(temporary.path, target.path) == 0 else { throw CocoaError(.fileWriteUnknown) }
        try Self.sync(stateDirectory.path)
    }

    private static func sync(_ path: String) throws {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }

    /// The `add-checkpoint` body for `note` (the checkpoint's signed note text as served) and a
    /// consistency proof from `oldSize`.
    public static func addCheckpointBody(oldSize: UInt64, proof: [[UInt8]], note: String) -> [UInt8] {
        Array(("old \(oldSize)\n" + proof.map { Base64.encode($0) + "\n" }.joined() + "\n" + note).utf8)
    }
}
