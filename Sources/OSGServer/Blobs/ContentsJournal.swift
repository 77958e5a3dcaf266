import Crypto
import Dispatch
import Foundation
import OSGDomain
import Synchronization

/// Jobs' private contents (docs/API.md, "Private contents"), kept durably in one append-only
/// file beside the blob store, with group commit: the records of submissions that arrive
/// together are written with one `pwrite` and made durable with one `fdatasync`, so storing a
/// job's contents costs its submission a share of one sync, not a file and three syncs of its
/// own.
///
/// A record on disk: `u32 payload length (big-endian) ‖ payload ‖ SHA-256(payload)`, where the
/// payload is `u8 owner length ‖ owner (UTF-8) ‖ contents bytes`; the contents are named by
/// their SHA-256 (their commitment). Opening the journal reads every record, checks each, and
/// cuts a torn or corrupt tail (a record whose sync never returned, so never acknowledged).
/// The index (digest → place, owner) lives in memory.
public final class ContentsJournal: Sendable {
    /// Where one record's contents are.
    private struct Place: Sendable {
        var offset: Int64
        var count: Int
        var owner: String
    }

    /// A record waiting for the next group commit.
    private struct Pending: Sendable {
        var digest: String
        var owner: String
        var contents: [UInt8]
        var done: CheckedContinuation<Void, any Error>
    }

    private struct Journal: Sendable {
        var index: [String: Place] = [:]
        var end: Int64 = 0
        var pending: [Pending] = []
        var writing = false
    }

    /// Largest contents accepted (the spec's contents are far smaller; this bounds a record).
    public static let maxContentsBytes = 1 << 20
    /// The file, under the folder given at opening.
    public let path: String
    private let descriptor: Int32
    private let journal: Mutex<Journal>
    private let writer = DispatchQueue(label: "osg.contents-journal")

    /// Opens (creating) the journal in `folder`, reads its records and cuts a torn tail.
    public init(folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        path = folder.appendingPathComponent("journal").path
        let created = !FileManager.default.fileExists(atPath: path)
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw BlobError.storage(errno: errno, "cannot open the contents journal \(path)") }
        if created {
            let directory = open(folder.path, O_RDONLY | O_CLOEXEC)
            if directory >= 0 {
                _ = fsync(directory)
                close(directory)
            }
        }
        let (index, end) = try Self.scan(descriptor)
        journal = Mutex(Journal(index: index, end: end))
    }

    deinit { close(descriptor) }

    /// Reads every whole, intact record; cuts the file after the last one.
    private static func scan(_ descriptor: Int32) throws -> ([String: Place], Int64) {
        var index: [String: Place] = [:]
        var offset: Int64 = 0
        let size = lseek(descriptor, 0, SEEK_END)
        guard size >= 0 else { throw BlobError.storage(errno: errno, "cannot read the contents journal") }
        while offset + 4 <= size {
            guard let header = read(descriptor, count: 4, at: offset) else { break }
            let length = Int64(header.reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
            guard length >= 1, length <= Int64(maxContentsBytes + 256), offset + 4 + length + 32 <= size,
                  let payload = read(descriptor, count: Int(length), at: offset + 4),
                  let check = read(descriptor, count: 32, at: offset + 4 + length),
                  Array(SHA256.hash(data: payload)) == check
            else { break }
            let ownerLength = Int(payload[0])
            guard ownerLength + 1 <= payload.count, let owner = String(validating: payload[1...ownerLength], as: UTF8.self) else { break }
            let contents = payload[(1 + ownerLength)...]
            let digest = Hex.encode(Array(SHA256.hash(data: contents)))
            index[digest] = Place(offset: offset + 4 + 1 + Int64(ownerLength), count: contents.count, owner: owner)
            offset += 4 + length + 32
        }
        if offset < size {
            // A record whose write or sync did not finish: never acknowledged.
            guard ftruncate(descriptor, off_t(offset)) == 0, fsync(descriptor) == 0 else {
                throw BlobError.storage(errno: errno, "cannot cut the torn tail of the contents journal")
            }
        }
        return (index, offset)
    }

    private static func read(_ descriptor: Int32, count: Int, at offset: Int64) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let got = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress! + done, count - done, off_t(offset) + off_t(done)) }
            if got < 0 && errno == EINTR { continue }
            guard got > 0 else { return nil }
            done += got
        }
        return bytes
    }

    // MARK: Reading

    /// The owner of the contents `digest`, if the journal has them.
    public func owner(of digest: String) -> String? {
        journal.withLock { $0.index[digest]?.owner }
    }

    /// The size of the contents `digest`, if the journal has them.
    public func size(of digest: String) -> Int64? {
        journal.withLock { $0.index[digest].map { Int64($0.count) } }
    }

    /// The contents `digest` (checked against their name), if the journal has them.
    public func read(_ digest: String) -> [UInt8]? {
        guard let place = journal.withLock({ $0.index[digest] }),
              let bytes = Self.read(descriptor, count: place.count, at: place.offset),
              Hex.encode(Array(SHA256.hash(data: bytes))) == digest
        else { return nil }
        return bytes
    }

    // MARK: Storing

    /// Stores `contents` (named by their SHA-256, `digest`) for `owner`, and returns once they
    /// are durable. Contents stored before (the same digest) are not stored again.
    public func store(_ contents: [UInt8], digest: String, owner: String) async throws {
        precondition(owner.utf8.count <= 255, "owners are key ids")
        guard contents.count <= Self.maxContentsBytes else {
            throw BlobError(.contentTooLarge, "contents_too_large", "a job's private contents take at most \(Self.maxContentsBytes) bytes, these take \(contents.count)")
        }
        precondition(Hex.encode(Array(SHA256.hash(data: contents))) == digest, "contents are named by their SHA-256")
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
            let startWriter = journal.withLock { journal -> Bool? in
                if journal.index[digest] != nil { return nil }
                journal.pending.append(Pending(digest: digest, owner: owner, contents: contents, done: done))
                if journal.writing { return false }
                journal.writing = true
                return true
            }
            switch startWriter {
            case nil: done.resume()
            case true?: writer.async { self.commitPending() }
            case false?: break
            }
        }
    }

    /// Writes and syncs every pending record, group after group, until none is left.
    private func commitPending() {
        while true {
            let (batch, end) = journal.withLock { journal -> ([Pending], Int64) in
                let batch = journal.pending
                journal.pending = []
                if batch.isEmpty { journal.writing = false }
                return (batch, journal.end)
            }
            if batch.isEmpty { return }
            var bytes: [UInt8] = []
            var places: [(String, Place)] = []
            var seen: Set<String> = []
            for record in batch where seen.insert(record.digest).inserted {
                let owner = Array(record.owner.utf8)
                let payload = [UInt8(owner.count)] + owner + record.contents
                let length = UInt32(payload.count)
                let start = end + Int64(bytes.count)
                bytes += [UInt8(length >> 24), UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff)]
                bytes += payload
                bytes += Array(SHA256.hash(data: payload))
                places.append((record.digest, Place(offset: start + 4 + 1 + Int64(owner.count), count: record.contents.count, owner: record.owner)))
            }
            let failure = Self.writeAndSync(descriptor, bytes, at: end)
            journal.withLock { journal in
                if failure == nil {
                    journal.end = end + Int64(bytes.count)
                    for (digest, place) in places where journal.index[digest] == nil { journal.index[digest] = place }
                } else {
                    // Nothing of the batch counts; what reached the file is overwritten by the next.
                    _ = ftruncate(descriptor, off_t(end))
                }
            }
            for record in batch {
                if let failure { record.done.resume(throwing: failure) } else { record.done.resume() }
            }
        }
    }

    private static func writeAndSync(_ descriptor: Int32, _ bytes: [UInt8], at offset: Int64) -> BlobError? {
        var done = 0
        while done < bytes.count {
            let count = bytes.withUnsafeBytes { pwrite(descriptor, $0.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done)) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return .storage(errno: errno, "cannot write the contents journal") }
            done += count
        }
        guard fdatasync(descriptor) == 0 else { return .storage(errno: errno, "cannot sync the contents journal") }
        return nil
    }
}
