import Crypto
import Foundation
import HTTPTypes
import OSGDomain
import OSGRequestBodies

/// The coordinator's content-addressed store of job inputs and outputs (docs/API.md, "Blobs"):
/// files named by their SHA-256, uploaded in resumable chunks, each owned by the accounts
/// that uploaded it (or, for a job's outputs, by the job's tenant), within a quota per account.
///
/// On disk, under its root (created 0700, files 0600):
/// - `data/<first two hex digits>/<hex>`: complete blobs, checked against their name;
/// - `partial/<owner>-<hex>`: an upload under way, and `partial/<owner>-<hex>.size` its
///   declared size;
/// - `owners/<owner>/<hex>`: that the account owns the blob (its size, as text).
///
/// A chunk is written and hashed outside the actor (the actor only hands out and takes back
/// an upload), so uploads of different blobs run in parallel. A blob is complete only once its
/// bytes are synced and their SHA-256 matched its name; an acknowledged chunk of a partial
/// upload may be lost to a crash, and the client resumes from the offset the store reports.
public actor BlobStore {
    /// Where one upload stands.
    public struct Progress: Sendable, Hashable {
        /// Bytes received so far.
        public var received: Int64
        /// The blob's size.
        public var size: Int64
        /// Whether the blob is complete (and so owned by the uploader).
        public var complete: Bool
    }

    /// An upload under way, between chunks.
    private struct Upload {
        /// Who will own the blob (whose quota the upload counts against).
        var owner: String
        var size: Int64
        var received: Int64
        /// SHA-256 of the bytes received, when known (not after a restart until rehashed).
        var hasher: SHA256?
        /// A chunk is being written.
        var busy = false
    }

    public let root: URL
    /// Jobs' private contents, in a journal of their own under `contents/` (not blobs: not in
    /// the quota, not listed, not deletable, on the coordinator's disk even with a bucket).
    public let contents: ContentsJournal
    /// Where complete blobs live when the operator configured a bucket (`nil`: under `data/`).
    public let bucket: S3Bucket?
    /// Most bytes each account may own (complete blobs plus declared sizes of its uploads).
    public let quotaBytes: Int64
    private var usage: [String: Int64] = [:]
    private var uploads: [String: Upload] = [:]

    /// Opens (creating) the store at `root` and counts each owner's bytes.
    public init(root: URL, quotaBytes: Int64, bucket: S3Bucket? = nil) throws {
        self.root = root
        self.contents = try ContentsJournal(folder: root.appendingPathComponent("contents"))
        self.bucket = bucket
        self.quotaBytes = quotaBytes
        let manager = FileManager.default
        for folder in ["data", "partial", "owners", "remote"] {
            try manager.createDirectory(at: root.appendingPathComponent(folder), withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        try manager.setAttributes([.posixPermissions: 0o700], ofItemAtPath: root.path)
        var usage: [String: Int64] = [:]
        let owners = root.appendingPathComponent("owners")
        for owner in try manager.contentsOfDirectory(atPath: owners.path) {
            for digest in try manager.contentsOfDirectory(atPath: owners.appendingPathComponent(owner).path) {
                let size = Int64((try? String(contentsOf: owners.appendingPathComponent(owner).appendingPathComponent(digest), encoding: .utf8)) ?? "") ?? 0
                usage[owner, default: 0] += size
            }
        }
        let partial = root.appendingPathComponent("partial")
        var uploads: [String: Upload] = [:]
        for name in try manager.contentsOfDirectory(atPath: partial.path) where name.hasSuffix(".size") {
            let key = String(name.dropLast(".size".count))
            let fields = ((try? String(contentsOf: partial.appendingPathComponent(name), encoding: .utf8)) ?? "").split(separator: " ")
            guard fields.count == 2, let size = Int64(fields[0]) else { continue }
            let owner = String(fields[1])
            let received = (try? manager.attributesOfItem(atPath: partial.appendingPathComponent(key).path)[.size] as? Int64) ?? 0
            uploads[key] = Upload(owner: owner, size: size, received: received ?? 0, hasher: nil)
            usage[owner, default: 0] += size
        }
        self.usage = usage
        self.uploads = uploads
    }

    // MARK: Paths

    /// Where a complete blob lives.
    public nonisolated func dataPath(_ digest: String) -> URL {
        root.appendingPathComponent("data").appendingPathComponent(String(digest.prefix(2))).appendingPathComponent(digest)
    }

    /// The size record of a complete blob kept in the bucket.
    private nonisolated func remotePath(_ digest: String) -> URL { root.appendingPathComponent("remote").appendingPathComponent(digest) }

    private nonisolated func partialPath(_ key: String) -> URL { root.appendingPathComponent("partial").appendingPathComponent(key) }
    private nonisolated func ownerPath(_ owner: String, _ digest: String) -> URL {
        root.appendingPathComponent("owners").appendingPathComponent(owner).appendingPathComponent(digest)
    }

    // MARK: Reading

    /// The size of a complete blob, if the store has it.
    public func size(of digest: String) -> Int64? {
        if bucket != nil {
            return (try? String(contentsOf: remotePath(digest), encoding: .utf8)).flatMap { Int64($0) }
        }
        return (try? FileManager.default.attributesOfItem(atPath: dataPath(digest).path)[.size] as? Int64) ?? nil
    }

    /// The whole of a small complete blob (job contents, sealed secrets), from the disk or the
    /// bucket; `nil` when there is none or it is larger than `limit`.
    public func read(_ digest: String, upTo limit: Int) async -> [UInt8]? {
        guard let size = size(of: digest), size <= Int64(limit) else { return nil }
        if let bucket { return try? await bucket.read(digest, upTo: limit) }
        return FileManager.default.contents(atPath: dataPath(digest).path).map(Array.init)
    }

    /// Whether `owner` owns the complete blob `digest`.
    public func owns(_ owner: String, _ digest: String) -> Bool {
        FileManager.default.fileExists(atPath: ownerPath(owner, digest).path)
    }

    /// The blobs `owner` owns, with their sizes, sorted by digest; and the bytes it uses.
    public func list(owner: String) -> (blobs: [(digest: String, size: Int64)], usedBytes: Int64) {
        let folder = root.appendingPathComponent("owners").appendingPathComponent(owner)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        let blobs = names.sorted().map { name in
            (digest: name, size: Int64((try? String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)) ?? "") ?? 0)
        }
        return (blobs, usage[owner] ?? 0)
    }

    /// Where `uploader`'s upload of `digest` stands: partial, complete (it owns the blob), or
    /// nothing yet (`nil`).
    public func progress(of digest: String, uploader: String) -> Progress? {
        if let upload = uploads["\(uploader)-\(digest)"] { return Progress(received: upload.received, size: upload.size, complete: false) }
        if owns(uploader, digest), let size = size(of: digest) { return Progress(received: size, size: size, complete: true) }
        return nil
    }

    // MARK: Uploading

    /// Takes one chunk of `owner`'s upload of `digest` (declared `size` bytes) at `offset`.
    ///
    /// - Throws: ``BlobError``: a chunk not at the end of what was received (`offset_mismatch`,
    ///   409, with the offset to resume from), a size that differs from the upload's, more bytes
    ///   than the size, the quota, a chunk of the same upload under way, a full disk (507,
    ///   nothing received is lost), or a completed blob whose SHA-256 is not its name (the
    ///   upload starts over).
    public func append(_ chunk: [UInt8], to digest: String, size: Int64, offset: Int64, uploader: String, owner: String) async throws(BlobError) -> Progress {
        precondition(JobDataPath.isDigest(digest) && !owner.contains("-") && !owner.contains("/") && !uploader.contains("-") && !uploader.contains("/"),
                     "digests, uploaders and owners are checked by the route")
        guard size >= 0, size <= JobSpec.Limits.maxDataBytes else {
            throw BlobError(.badRequest, "out_of_range", "size must be between 0 and \(JobSpec.Limits.maxDataBytes) bytes")
        }
        // Even when the store has these bytes already, the uploader sends them all: a digest in
        // the public log is no proof of having the bytes.
        let key = "\(uploader)-\(digest)"
        // A client may keep a few chunks in flight: a chunk that arrives while the one before
        // it is still being written waits for it (a bounded time), so the next chunk's transfer and
        // signature check overlap the previous one's write.
        let deadline = ContinuousClock.now + .seconds(10)
        while let pending = uploads[key], pending.busy || pending.received < offset, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(2))
        }
        var upload: Upload
        if let existing = uploads[key] {
            guard existing.owner == owner else {
                throw BlobError(.conflict, "owner_mismatch", "this key's upload of \(digest) under way is for another owner; finish it or delete it")
            }
            guard existing.size == size else {
                throw BlobError(.conflict, "size_mismatch", "the upload of \(digest) under way declared \(existing.size) bytes, not \(size); finish it or delete it")
            }
            guard !existing.busy else { throw BlobError(.conflict, "upload_busy", "a chunk of this upload is being written; retry when it is done") }
            upload = existing
        } else {
            guard offset == 0 else {
                throw BlobError(.conflict, "offset_mismatch", "no upload of \(digest) under way: start at offset 0", received: 0)
            }
            guard (usage[owner] ?? 0) + size <= quotaBytes else {
                throw BlobError(.contentTooLarge, "quota_exceeded", "storing \(size) more bytes would pass this account's quota of \(quotaBytes) bytes (\(usage[owner] ?? 0) used); delete blobs with osg blobs rm")
            }
            do {
                try Data().write(to: partialPath(key))
                try Data("\(size) \(owner)".utf8).write(to: partialPath(key + ".size"))
            } catch {
                throw BlobError.storage(error)
            }
            upload = Upload(owner: owner, size: size, received: 0, hasher: SHA256())
            usage[owner, default: 0] += size
        }
        guard offset == upload.received else {
            throw BlobError(.conflict, "offset_mismatch", "the upload of \(digest) has \(upload.received) bytes; send the chunk at that offset", received: upload.received)
        }
        guard Int64(chunk.count) <= size - offset else {
            throw BlobError(.unprocessableContent, "too_many_bytes", "the chunk ends at \(offset + Int64(chunk.count)), past the declared size \(size)")
        }
        upload.busy = true
        uploads[key] = upload
        let path = partialPath(key)
        let hasher = upload.hasher
        // The chunk is hashed while it is written (the disk's time is then not the CPU's).
        let writing = Task.detached { Self.write(chunk, at: offset, to: path) }
        let hashing = Task.detached { () -> Result<SHA256, BlobError> in
            var state: SHA256
            if let hasher {
                state = hasher
            } else {
                do throws(BlobError) { state = try Self.rehash(path, upTo: offset) } catch { return .failure(error) }
            }
            state.update(data: chunk)
            return .success(state)
        }
        let writeFailure = await writing.value
        let written: Result<SHA256, BlobError>
        if let writeFailure { written = .failure(writeFailure) } else { written = await hashing.value }
        upload.busy = false
        switch written {
        case .failure(let error):
            // Nothing of this chunk counts; the hash state is rebuilt from the file when needed.
            upload.hasher = nil
            uploads[key] = upload
            throw error
        case .success(let newHasher):
            upload.hasher = newHasher
            upload.received = offset + Int64(chunk.count)
            uploads[key] = upload
        }
        guard upload.received == size else { return Progress(received: upload.received, size: size, complete: false) }
        return try await complete(key, digest: digest, size: size, owner: owner, hasher: upload.hasher!)
    }

    /// Writes `chunk` at `offset` of the file at `path`, cutting anything after it; the failure,
    /// if any (the file then ends at `offset`).
    private static func write(_ chunk: [UInt8], at offset: Int64, to path: URL) -> BlobError? {
        let descriptor = open(path.path, O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return .storage(errno: errno, "cannot open the upload") }
        defer { close(descriptor) }
        guard ftruncate(descriptor, off_t(offset)) == 0 else { return .storage(errno: errno, "cannot truncate the upload") }
        guard let failure = DirectChunkWriter.write(chunk, at: offset, descriptor: descriptor, path: path.path).failure else { return nil }
        _ = ftruncate(descriptor, off_t(offset))
        return .storage(errno: failure, "cannot write the chunk")
    }

    /// SHA-256 state of the first `length` bytes of the file at `path`.
    private static func rehash(_ path: URL, upTo length: Int64) throws(BlobError) -> SHA256 {
        var state = SHA256()
        guard let handle = FileHandle(forReadingAtPath: path.path) else { throw .storage(errno: errno, "cannot read the upload") }
        defer { try? handle.close() }
        var remaining = length
        while remaining > 0 {
            let data = handle.readData(ofLength: Int(min(remaining, 8 << 20)))
            guard !data.isEmpty else { break }
            state.update(data: data)
            remaining -= Int64(data.count)
        }
        return state
    }

    /// Checks a fully received upload against its name and makes it a blob of `owner`.
    private func complete(_ key: String, digest: String, size: Int64, owner: String, hasher: SHA256) async throws(BlobError) -> Progress {
        let actual = hasher.finalize().map { String(format: "%02x", $0) }.joined()
        let partial = partialPath(key)
        guard actual == digest else {
            uploads[key] = nil
            usage[owner, default: 0] -= size
            try? FileManager.default.removeItem(at: partial)
            try? FileManager.default.removeItem(at: partialPath(key + ".size"))
            throw BlobError(.unprocessableContent, "digest_mismatch", "the \(size) bytes received hash to \(actual), not \(digest); the upload was discarded, start again at offset 0")
        }
        if let bucket {
            do {
                if self.size(of: digest) == nil { try await bucket.put(digest, file: partial, size: size) }
                try Data(String(size).utf8).write(to: remotePath(digest), options: .atomic)
                try Self.sync(remotePath(digest).deletingLastPathComponent())
                try FileManager.default.removeItem(at: partial)
                try? FileManager.default.removeItem(at: partialPath(key + ".size"))
            } catch {
                throw BlobError(.badGateway, "bucket_error", "the blob store's bucket did not take the blob: \(error); retry with an empty chunk at offset \(size)")
            }
            uploads[key] = nil
            usage[owner, default: 0] -= size
            try claim(digest, size: size, owner: owner)
            return Progress(received: size, size: size, complete: true)
        }
        let target = dataPath(digest)
        do {
            try Self.sync(partial)
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            if FileManager.default.fileExists(atPath: target.path) {
                try FileManager.default.removeItem(at: partial)
            } else {
                guard rename(partial.path, target.path) == 0 else { throw BlobError.storage(errno: errno, "cannot move the blob into place") }
                try Self.sync(target.deletingLastPathComponent())
            }
            try? FileManager.default.removeItem(at: partialPath(key + ".size"))
        } catch let error as BlobError {
            throw error
        } catch {
            throw .storage(error)
        }
        uploads[key] = nil
        usage[owner, default: 0] -= size
        try claim(digest, size: size, owner: owner)
        return Progress(received: size, size: size, complete: true)
    }

    /// Makes `owner` an owner of the complete blob `digest` (within its quota).
    public func claim(_ digest: String, size: Int64, owner: String) throws(BlobError) {
        guard !owns(owner, digest) else { return }
        guard (usage[owner] ?? 0) + size <= quotaBytes else {
            throw BlobError(.contentTooLarge, "quota_exceeded", "owning \(size) more bytes would pass this account's quota of \(quotaBytes) bytes")
        }
        let path = ownerPath(owner, digest)
        do {
            try FileManager.default.createDirectory(at: path.deletingLastPathComponent(), withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            try Data(String(size).utf8).write(to: path, options: .atomic)
            try Self.sync(path.deletingLastPathComponent())
        } catch {
            throw .storage(error)
        }
        usage[owner, default: 0] += size
    }

    /// Gives up `owner`'s part of `digest`: its upload under way (as the uploader), or its
    /// ownership of a complete blob (the bytes go when nobody owns them any more). Whether
    /// there was anything.
    public func remove(_ digest: String, owner: String) -> Bool {
        let manager = FileManager.default
        let key = "\(owner)-\(digest)"
        if let upload = uploads[key], !upload.busy {
            uploads[key] = nil
            usage[upload.owner, default: 0] -= upload.size
            try? manager.removeItem(at: partialPath(key))
            try? manager.removeItem(at: partialPath(key + ".size"))
            return true
        }
        guard owns(owner, digest) else { return false }
        try? manager.removeItem(at: ownerPath(owner, digest))
        usage[owner, default: 0] -= size(of: digest) ?? 0
        let owners = root.appendingPathComponent("owners")
        let stillOwned = ((try? manager.contentsOfDirectory(atPath: owners.path)) ?? []).contains {
            manager.fileExists(atPath: owners.appendingPathComponent($0).appendingPathComponent(digest).path)
        }
        if !stillOwned {
            try? manager.removeItem(at: dataPath(digest))
            if let bucket, manager.fileExists(atPath: remotePath(digest).path) {
                try? manager.removeItem(at: remotePath(digest))
                Task { try? await bucket.delete(digest) }
            }
        }
        return true
    }

    /// fsync of a file or directory.
    private static func sync(_ url: URL) throws(BlobError) {
        let descriptor = open(url.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .storage(errno: errno, "cannot open \(url.lastPathComponent) to sync it") }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw .storage(errno: errno, "cannot sync \(url.lastPathComponent)") }
    }
}

/// Why the blob store refused or failed: an HTTP status, a code and a message.
public struct BlobError: Error, Sendable {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    /// For `offset_mismatch`: where the upload stands.
    public var received: Int64?

    init(_ status: HTTPResponse.Status, _ code: String, _ message: String, received: Int64? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.received = received
    }

    /// A failure of the disk: a full one is 507 (the client may retry later), others 500.
    static func storage(errno number: Int32, _ what: String) -> BlobError {
        if number == ENOSPC || number == EDQUOT {
            return BlobError(.init(code: 507, reasonPhrase: "Insufficient Storage"), "disk_full", "\(what): the coordinator's disk is full; nothing received is lost, retry later")
        }
        return BlobError(.internalServerError, "storage_error", "\(what): \(String(cString: strerror(number)))")
    }

    static func storage(_ error: any Error) -> BlobError {
        if let posix = error as? POSIXError { return storage(errno: posix.code.rawValue, "storage") }
        if let cocoa = error as? CocoaError, let underlying = cocoa.userInfo[NSUnderlyingErrorKey] as? POSIXError {
            return storage(errno: underlying.code.rawValue, "storage")
        }
        return BlobError(.internalServerError, "storage_error", "\(error)")
    }
}
