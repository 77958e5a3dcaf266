import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import OSGAuth
import OSGDomain

/// Moves files to and from the coordinator's blob store (docs/API.md, "Blobs"): resumable
/// uploads in signed chunks, resumable downloads with byte ranges, each checked against its
/// SHA-256; and plain downloads of URL inputs.
struct BlobTransfer: Sendable {
    let client: CoordinatorClient
    /// Bytes per uploaded chunk (the coordinator takes up to 16 MiB by default).
    var chunkBytes = 8 << 20
    /// Chunks sent before the first is answered (the coordinator writes one while the next
    /// ones travel and have their signatures checked).
    var chunksInFlight = 3
    /// Attempts at one chunk or one download before giving up (transient failures only).
    var attempts = 5

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// A file to upload, hashed: its SHA-256 (lower-case hex), its size, and the SHA-256 of each
    /// of its chunks by offset (what each chunk's signature covers).
    struct HashedFile {
        var sha256: String
        var size: Int64
        var chunkDigests: [Int64: [UInt8]]
    }

    /// Reads the file at `url` once, in chunks of `chunkBytes`, hashing the whole file and each
    /// chunk at the same time on two threads (so the upload does not hash each chunk again to
    /// sign it).
    static func hash(_ url: URL, chunkBytes: Int) throws -> HashedFile {
        let descriptor = open(url.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw Failure(description: "cannot read \(url.path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var whole = SHA256()
        var size: Int64 = 0
        var chunkDigests: [Int64: [UInt8]] = [:]
        while true {
            let piece = try readUpTo(descriptor, count: chunkBytes, at: size, path: url.path)
            if piece.isEmpty { break }
            let hashes = HashPair()
            let before = whole
            DispatchQueue.concurrentPerform(iterations: 2) { which in
                if which == 0 {
                    var state = before
                    state.update(data: piece)
                    hashes.whole = state
                } else {
                    hashes.chunk = Array(SHA256.hash(data: piece))
                }
            }
            whole = hashes.whole!
            chunkDigests[size] = hashes.chunk
            size += Int64(piece.count)
        }
        return HashedFile(sha256: Hex.encode(Array(whole.finalize())), size: size, chunkDigests: chunkDigests)
    }

    /// Results of the two hashes of one piece (each written by one thread of a
    /// `concurrentPerform`, read after it returns).
    private final class HashPair: @unchecked Sendable {
        var whole: SHA256?
        var chunk: [UInt8]?
    }

    // MARK: Upload

    /// Uploads the file at `url` (resuming an upload of the same content under way) and
    /// returns its digest and size. `job`: upload as that job's output (the agent).
    func upload(_ url: URL, job: String? = nil) async throws -> OutputBlob {
        let file = try Self.hash(url, chunkBytes: chunkBytes)
        let (digest, size) = (file.sha256, file.size)
        var status = try await uploadStatus(digest)
        let descriptor = open(url.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw Failure(description: "cannot read \(url.path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var failures = 0
        while !status.complete {
            var path = "/v1/blobs/\(digest)/chunks?size=\(size)"
            if let job { path += "&job=\(job)" }
            let round = try await sendChunks(of: url, descriptor: descriptor, size: size, chunkDigests: file.chunkDigests, from: status.received, path: path)
            switch round {
            case .complete:
                return OutputBlob(sha256: digest, size: size)
            case .refused(let reason):
                throw Failure(description: "upload of \(url.lastPathComponent) refused: \(reason)")
            case .stalled(let progressed, let reason):
                failures = progressed ? 0 : failures + 1
                guard failures < attempts else { throw Failure(description: "upload of \(url.lastPathComponent) failed: \(reason)") }
                if !progressed { try await Task.sleep(for: .milliseconds(200 << failures)) }
            }
            status = try await uploadStatus(digest)
        }
        return OutputBlob(sha256: digest, size: size)
    }

    /// How one run of chunks ended.
    private enum ChunkRound {
        case complete
        /// A refusal that retrying cannot fix (a 4xx other than 409 and 429).
        case refused(String)
        /// A transient failure (a conflict, the rate limit, a 5xx, no answer): whether any
        /// chunk was taken first, and why it stopped.
        case stalled(progressed: Bool, String)
    }

    /// Sends the chunks of the file from `first` to its end, ``chunksInFlight`` at a time: as
    /// soon as one is taken the next is sent, so the coordinator writes a chunk while the next
    /// ones travel and are checked. Stops at the first chunk not taken.
    private func sendChunks(of url: URL, descriptor: Int32, size: Int64, chunkDigests: [Int64: [UInt8]], from first: Int64, path: String) async throws -> ChunkRound {
        // An empty chunk at the end completes an upload whose bytes all arrived (after a
        // failure of the store at completion, or for an empty file). Chunks end on multiples
        // of the chunk size, so that after a resumption they are the chunks hashed before.
        let boundary = (first / Int64(chunkBytes) + 1) * Int64(chunkBytes)
        let offsets = first >= size ? [size] : [first] + Array(stride(from: boundary, to: size, by: chunkBytes))
        let client = self.client
        return try await withThrowingTaskGroup(of: Result<CoordinatorClient.Answer, any Error>.self) { group in
            var next = 0
            func sendNext() throws {
                let offset = offsets[next]
                next += 1
                let end = next < offsets.count ? offsets[next] : size
                let bytes = try Self.read(descriptor, count: Int(end - offset), at: offset, path: url.path)
                // A chunk at a multiple of the chunk size is the piece hashed before; another
                // (the first after resuming another client's upload) is hashed to be signed.
                let digest = chunkDigests[offset]
                group.addTask {
                    do {
                        return .success(try await client.send(.POST, path + "&offset=\(offset)", body: bytes, bodyDigest: digest, contentType: "application/octet-stream", signed: true, timeout: .seconds(300)))
                    } catch {
                        return .failure(error)
                    }
                }
            }
            // The first chunk of a new upload goes alone: it opens the upload, and a chunk after
            // it that arrived first would be refused (offset_mismatch) rather than wait.
            try sendNext()
            if first > 0 { while next < min(chunksInFlight, offsets.count) { try sendNext() } }
            var answered = 0
            var progressed = false
            var stop: ChunkRound?
            while let result = try await group.next() {
                answered += 1
                guard stop == nil else { continue }
                let answer: CoordinatorClient.Answer
                switch result {
                case .success(let reply): answer = reply
                case .failure(let error):
                    stop = .stalled(progressed: progressed, "\(error)")
                    // The chunks still in flight would wait at the coordinator for this one.
                    group.cancelAll()
                    continue
                }
                if answer.status == 200 {
                    if (answer.json as? [String: Any])?["complete"] as? Bool == true {
                        group.cancelAll()
                        return .complete
                    }
                    progressed = true
                    while next < offsets.count && next - answered < chunksInFlight { try sendNext() }
                } else if answer.status == 409 || answer.status == 429 || answer.status >= 500 {
                    stop = .stalled(progressed: progressed, answer.errorSummary)
                    group.cancelAll()
                } else {
                    stop = .refused(answer.errorSummary)
                    group.cancelAll()
                }
            }
            return stop ?? .stalled(progressed: progressed, "the last chunk was taken but the upload is not complete")
        }
    }

    /// `count` bytes of the open file at `offset` (`path` names it in an error).
    private static func read(_ descriptor: Int32, count: Int, at offset: Int64, path: String) throws -> [UInt8] {
        let bytes = try readUpTo(descriptor, count: count, at: offset, path: path)
        guard bytes.count == count else { throw Failure(description: "\(path) shrank while it was being uploaded") }
        return bytes
    }

    /// Up to `count` bytes of the open file at `offset`: fewer only at its end.
    private static func readUpTo(_ descriptor: Int32, count: Int, at offset: Int64, path: String) throws -> [UInt8] {
        try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            while initialized < count {
                let got = pread(descriptor, buffer.baseAddress! + initialized, count - initialized, off_t(offset) + off_t(initialized))
                if got < 0 && errno == EINTR { continue }
                guard got >= 0 else { throw Failure(description: "cannot read \(path): \(String(cString: strerror(errno)))") }
                if got == 0 { break }
                initialized += got
            }
        }
    }

    /// Bytes of `digest` the coordinator has from this key (0 when there is no upload), and
    /// whether the key owns the complete blob: one `GET …/upload`.
    private func uploadStatus(_ digest: String) async throws -> (received: Int64, complete: Bool) {
        let answer = try await client.send(.GET, "/v1/blobs/\(digest)/upload", signed: true)
        guard answer.status == 200, let object = answer.json as? [String: Any] else { return (0, false) }
        return ((object["received"] as? Int64) ?? Int64(object["received"] as? Int ?? 0), object["complete"] as? Bool == true)
    }

    static func code(_ answer: CoordinatorClient.Answer) -> String? {
        ((answer.json as? [String: Any])?["error"] as? [String: Any])?["code"] as? String
    }

    // MARK: Download

    /// Downloads blob `digest` of `size` bytes into `destination`, resuming a `.partial` file
    /// left by an earlier attempt, and checks it; the file appears only once it is complete.
    func download(_ digest: String, size: Int64, to destination: URL) async throws {
        try await fetch(to: destination, sha256: digest, size: size) { offset in
            var request = HTTPClientRequest(url: client.baseURL + "/v1/blobs/\(digest)")
            if offset > 0 { request.headers.add(name: "Range", value: "bytes=\(offset)-") }
            try await client.sign(&request, method: .GET, path: "/v1/blobs/\(digest)")
            return request
        }
    }

    /// Downloads an input from its URL into `destination` and checks it.
    func download(url: String, sha256: String, size: Int64, to destination: URL) async throws {
        try await fetch(to: destination, sha256: sha256, size: size) { offset in
            var request = HTTPClientRequest(url: url)
            if offset > 0 { request.headers.add(name: "Range", value: "bytes=\(offset)-") }
            return request
        }
    }

    /// The download loop: resumes from the partial file's length, hashes as it writes, retries
    /// transient failures, and renames into place only a file of the right size and digest.
    private func fetch(to destination: URL, sha256: String, size: Int64, request: (Int64) async throws -> HTTPClientRequest) async throws {
        let partial = destination.appendingPathExtension("partial")
        try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        if !FileManager.default.fileExists(atPath: partial.path) { FileManager.default.createFile(atPath: partial.path, contents: nil) }
        guard let handle = FileHandle(forUpdatingAtPath: partial.path) else { throw Failure(description: "cannot write \(partial.path)") }
        defer { try? handle.close() }
        // What an earlier attempt left: hash it, then go on from its end.
        var hasher = SHA256()
        var offset: Int64 = 0
        while let data = try handle.read(upToCount: 8 << 20), !data.isEmpty, offset + Int64(data.count) <= size {
            hasher.update(data: data)
            offset += Int64(data.count)
        }
        try handle.truncate(atOffset: UInt64(offset))
        var failures = 0
        while offset < size || size == 0 {
            do {
                let response = try await client.http.execute(try await request(offset), timeout: .seconds(300))
                let status = response.status.code
                if status == 200 && offset > 0 {
                    // The server ignored the range: start over.
                    offset = 0
                    hasher = SHA256()
                    try handle.truncate(atOffset: 0)
                } else if !(status == 200 || status == 206) {
                    let body = try await response.body.collect(upTo: 1 << 20)
                    let answer = CoordinatorClient.Answer(status: Int(status), body: Array(body.readableBytesView))
                    if status == 429 || status >= 500 { throw Failure(description: answer.errorSummary) }
                    throw FatalFailure(description: "download refused: \(answer.errorSummary)")
                }
                for try await buffer in response.body {
                    guard offset + Int64(buffer.readableBytes) <= size else {
                        throw FatalFailure(description: "the download is longer than its stated \(size) bytes")
                    }
                    buffer.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
                    try handle.write(contentsOf: Data(buffer.readableBytesView))
                    offset += Int64(buffer.readableBytes)
                }
                if size == 0 { break }
                if offset < size { throw Failure(description: "the connection closed after \(offset) of \(size) bytes") }
            } catch let fatal as FatalFailure {
                throw Failure(description: fatal.description)
            } catch {
                failures += 1
                guard failures < attempts else { throw Failure(description: "download failed after \(attempts) attempts: \(error)") }
                try await Task.sleep(for: .milliseconds(200 << failures))
            }
        }
        let actual = Hex.encode(Array(hasher.finalize()))
        guard actual == sha256 else {
            try? FileManager.default.removeItem(at: partial)
            throw Failure(description: "the \(size) bytes downloaded hash to \(actual), not \(sha256)")
        }
        try handle.synchronize()
        if FileManager.default.fileExists(atPath: destination.path) { try FileManager.default.removeItem(at: destination) }
        try FileManager.default.moveItem(at: partial, to: destination)
    }

    /// A failure that retrying cannot mend.
    private struct FatalFailure: Error, CustomStringConvertible {
        var description: String
    }
}

extension CoordinatorClient {
    /// Adds the signature headers of an unsigned-body request for `path` to `request`.
    func sign(_ request: inout HTTPClientRequest, method: HTTPMethod, path: String) async throws {
        guard let key else { throw Failure(description: "this request must be signed: pass --key FILE") }
        let signature = try SignedRequest.sign(for: try await audience(), method: method.rawValue, path: path, body: [],
                                               timestamp: Int64(Date().timeIntervalSince1970), nonce: Self.nonce(), with: key)
        for header in signature.headers { request.headers.add(name: header.name, value: header.value) }
        if baseURL.lowercased().hasPrefix("https:") { request.tlsConfiguration = trust.tlsConfiguration }
    }
}
