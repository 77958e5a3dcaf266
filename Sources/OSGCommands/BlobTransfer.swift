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
    /// Attempts at one chunk or one download before giving up (transient failures only).
    var attempts = 5

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// SHA-256 (lower-case hex) and size of the file at `url`, read in 8 MiB pieces.
    static func digest(of url: URL) throws -> (sha256: String, size: Int64) {
        guard let handle = FileHandle(forReadingAtPath: url.path) else { throw Failure(description: "cannot read \(url.path)") }
        defer { try? handle.close() }
        var hasher = SHA256()
        var size: Int64 = 0
        while true {
            let data = try handle.read(upToCount: 8 << 20) ?? Data()
            if data.isEmpty { break }
            hasher.update(data: data)
            size += Int64(data.count)
        }
        return (Hex.encode(Array(hasher.finalize())), size)
    }

    // MARK: Upload

    /// Uploads the file at `url` (resuming an upload of the same content under way) and
    /// returns its digest and size. `job`: upload as that job's output (the agent).
    func upload(_ url: URL, job: String? = nil) async throws -> OutputBlob {
        let (digest, size) = try Self.digest(of: url)
        let start = try await uploadStatus(digest)
        var offset = start.received
        guard let handle = FileHandle(forReadingAtPath: url.path) else { throw Failure(description: "cannot read \(url.path)") }
        defer { try? handle.close() }
        if start.complete { return OutputBlob(sha256: digest, size: size) }
        var failures = 0
        while true {
            // Two chunks in flight: the coordinator writes one while the next arrives.
            let first = offset
            let chunks = try (0..<2).compactMap { index -> (offset: Int64, bytes: [UInt8])? in
                let start = first + Int64(index * chunkBytes)
                // An empty chunk at the end completes an upload whose bytes all arrived (after a
                // failure of the store at completion, or for an empty file).
                if start == size && index == 0 { return (start, []) }
                guard start < size else { return nil }
                try handle.seek(toOffset: UInt64(start))
                return (start, Array(try handle.read(upToCount: chunkBytes) ?? Data()))
            }
            if chunks.contains(where: { $0.bytes.isEmpty && $0.offset < size }) { throw Failure(description: "\(url.path) shrank while it was being uploaded") }
            let answers = await withTaskGroup(of: (Int64, Result<CoordinatorClient.Answer, any Error>).self) { group in
                for chunk in chunks {
                    var path = "/v1/blobs/\(digest)/chunks?offset=\(chunk.offset)&size=\(size)"
                    if let job { path += "&job=\(job)" }
                    let client = self.client
                    group.addTask {
                        do {
                            return (chunk.offset, .success(try await client.send(.POST, path, body: chunk.bytes, contentType: "application/octet-stream", signed: true, timeout: .seconds(300))))
                        } catch {
                            return (chunk.offset, .failure(error))
                        }
                    }
                }
                var results: [(Int64, Result<CoordinatorClient.Answer, any Error>)] = []
                for await result in group { results.append(result) }
                return results.sorted { $0.0 < $1.0 }.map(\.1)
            }
            var progressed = false
            var refusal: String?
            for answer in answers {
                guard case .success(let reply) = answer else { continue }
                if reply.status == 200 {
                    let object = reply.json as? [String: Any]
                    if object?["complete"] as? Bool == true { return OutputBlob(sha256: digest, size: size) }
                    progressed = true
                } else if !(reply.status == 409 || reply.status == 429 || reply.status >= 500) {
                    refusal = reply.errorSummary
                }
            }
            if let refusal { throw Failure(description: "upload of \(url.lastPathComponent) refused: \(refusal)") }
            if progressed {
                failures = 0
            } else {
                failures += 1
                guard failures < attempts else {
                    let reason = answers.map { answer in
                        switch answer {
                        case .success(let reply): reply.errorSummary
                        case .failure(let error): "\(error)"
                        }
                    }.joined(separator: "; ")
                    throw Failure(description: "upload of \(url.lastPathComponent) failed: \(reason)")
                }
                try await Task.sleep(for: .milliseconds(200 << failures))
            }
            offset = try await uploadStatus(digest).received
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
