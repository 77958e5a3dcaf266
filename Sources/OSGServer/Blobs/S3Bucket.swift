import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import OSGDomain
import OSGRequestBodies

/// An S3-compatible bucket that keeps the blob store's complete blobs (`osg serve
/// --blob-bucket URL`): objects named `<digest>`, written with PUT (multipart above 64 MiB),
/// read with ranged GETs, removed with DELETE; every request signed with AWS Signature
/// Version 4 (path-style URLs, `UNSIGNED-PAYLOAD`: each blob is checked against its SHA-256
/// before it is written and by every reader).
public struct S3Bucket: Sendable {
    /// `http(s)://host[:port]`, without the bucket.
    public var endpoint: String
    public var bucket: String
    public var region: String
    public var accessKeyID: String
    public var secretAccessKey: String
    let http: HTTPClient

    /// Parts of a multipart upload (S3's smallest part is 5 MiB).
    static let partBytes = 64 << 20

    /// A bucket from `http(s)://host[:port]/bucket` and credentials.
    public init(url: String, region: String, accessKeyID: String, secretAccessKey: String, http: HTTPClient = .shared) throws {
        guard let parsed = URL(string: url), let scheme = parsed.scheme, ["http", "https"].contains(scheme), let host = parsed.host,
              parsed.path.split(separator: "/").count == 1 else {
            throw S3Error(description: "the bucket must be given as http(s)://host[:port]/bucket, got \(url)")
        }
        endpoint = "\(scheme)://\(host)\(parsed.port.map { ":\($0)" } ?? "")"
        bucket = String(parsed.path.split(separator: "/")[0])
        self.region = region
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.http = http
    }

    public struct S3Error: Error, CustomStringConvertible {
        public var description: String
    }

    // MARK: Operations

    /// Writes the file at `file` as object `key`.
    func put(_ key: String, file: URL, size: Int64) async throws {
        guard size > Int64(Self.partBytes) else {
            let data = try Data(contentsOf: file)
            let answer = try await send("PUT", key, body: Array(data))
            guard answer.status == 200 else { throw S3Error(description: "PUT \(key): HTTP \(answer.status) \(answer.text.prefix(300))") }
            return
        }
        let created = try await send("POST", key, query: [("uploads", "")])
        guard created.status == 200, let uploadID = Self.element("UploadId", in: created.text) else {
            throw S3Error(description: "starting a multipart upload of \(key): HTTP \(created.status) \(created.text.prefix(300))")
        }
        guard let handle = FileHandle(forReadingAtPath: file.path) else { throw S3Error(description: "cannot read \(file.path)") }
        defer { try? handle.close() }
        var parts: [String] = []
        var number = 1
        while let data = try handle.read(upToCount: Self.partBytes), !data.isEmpty {
            let answer = try await send("PUT", key, query: [("partNumber", String(number)), ("uploadId", uploadID)], body: Array(data))
            guard answer.status == 200, let etag = answer.headers["ETag"].first else {
                _ = try? await send("DELETE", key, query: [("uploadId", uploadID)])
                throw S3Error(description: "part \(number) of \(key): HTTP \(answer.status) \(answer.text.prefix(300))")
            }
            parts.append("<Part><PartNumber>\(number)</PartNumber><ETag>\(etag)</ETag></Part>")
            number += 1
        }
        let manifest = "<CompleteMultipartUpload>\(parts.joined())</CompleteMultipartUpload>"
        let done = try await send("POST", key, query: [("uploadId", uploadID)], body: Array(manifest.utf8))
        guard done.status == 200, !done.text.contains("<Error>") else {
            throw S3Error(description: "completing the upload of \(key): HTTP \(done.status) \(done.text.prefix(300))")
        }
    }

    /// Object `key`'s bytes in `range` (all when `nil`), streamed.
    func get(_ key: String, range: ClosedRange<Int64>? = nil) async throws -> HTTPClientResponse {
        var request = try signedRequest("GET", key, query: [], body: [])
        if let range { request.headers.add(name: "Range", value: "bytes=\(range.lowerBound)-\(range.upperBound)") }
        let response = try await http.execute(request, timeout: .seconds(300))
        guard response.status == .ok || response.status == .partialContent else {
            let body = try await response.body.collect(upTo: 1 << 16)
            throw S3Error(description: "GET \(key): HTTP \(response.status.code) \(String(buffer: body).prefix(300))")
        }
        return response
    }

    /// The whole of a small object (at most `limit` bytes).
    public func read(_ key: String, upTo limit: Int) async throws -> [UInt8] {
        let response = try await get(key)
        return Array(try await response.body.collect(upTo: limit).readableBytesView)
    }

    public func delete(_ key: String) async throws {
        let answer = try await send("DELETE", key)
        guard answer.status == 204 || answer.status == 200 else { throw S3Error(description: "DELETE \(key): HTTP \(answer.status)") }
    }

    // MARK: Signing

    struct Answer {
        var status: Int
        var headers: HTTPHeaders
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    private func send(_ method: String, _ key: String, query: [(String, String)] = [], body: [UInt8] = []) async throws -> Answer {
        let request = try signedRequest(method, key, query: query, body: body)
        let response = try await http.execute(request, timeout: .seconds(600))
        let collected = try await response.body.collect(upTo: 1 << 20)
        return Answer(status: Int(response.status.code), headers: response.headers, body: Array(collected.readableBytesView))
    }

    /// A request signed with AWS Signature Version 4 at the current time.
    func signedRequest(_ method: String, _ key: String, query: [(String, String)], body: [UInt8], now: Date = Date()) throws -> HTTPClientRequest {
        let path = "/" + Self.encode(bucket) + "/" + Self.encode(key)
        let canonicalQuery = query.map { (Self.encode($0.0), Self.encode($0.1)) }.sorted { $0 < $1 }.map { "\($0)=\($1)" }.joined(separator: "&")
        var request = HTTPClientRequest(url: endpoint + path + (canonicalQuery.isEmpty ? "" : "?" + canonicalQuery))
        request.method = .RAW(value: method)
        let headers = signatureHeaders(method: method, path: path, canonicalQuery: canonicalQuery, now: now)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if !body.isEmpty || method == "PUT" || method == "POST" {
            request.body = .bytes(ByteBuffer(bytes: body))
            request.headers.add(name: "Content-Length", value: String(body.count))
        }
        return request
    }

    /// The `Host`, `x-amz-*` and `Authorization` headers of a request (payload unsigned).
    func signatureHeaders(method: String, path: String, canonicalQuery: String, now: Date) -> [(String, String)] {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        let amzDate = formatter.string(from: now)
        let day = String(amzDate.prefix(8))
        let host = endpoint.split(separator: "/").last.map(String.init) ?? ""
        let payload = "UNSIGNED-PAYLOAD"
        let canonicalRequest = [
            method, path, canonicalQuery,
            "host:\(host)\nx-amz-content-sha256:\(payload)\nx-amz-date:\(amzDate)\n",
            "host;x-amz-content-sha256;x-amz-date", payload,
        ].joined(separator: "\n")
        let scope = "\(day)/\(region)/s3/aws4_request"
        let stringToSign = "AWS4-HMAC-SHA256\n\(amzDate)\n\(scope)\n\(Hex.encode(Array(SHA256.hash(data: Data(canonicalRequest.utf8)))))"
        func hmac(_ key: [UInt8], _ text: String) -> [UInt8] {
            Array(HMAC<SHA256>.authenticationCode(for: Data(text.utf8), using: SymmetricKey(data: key)))
        }
        let signingKey = hmac(hmac(hmac(hmac(Array("AWS4\(secretAccessKey)".utf8), day), region), "s3"), "aws4_request")
        let signature = Hex.encode(hmac(signingKey, stringToSign))
        return [
            ("Host", host), ("x-amz-content-sha256", payload), ("x-amz-date", amzDate),
            ("Authorization", "AWS4-HMAC-SHA256 Credential=\(accessKeyID)/\(scope), SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=\(signature)"),
        ]
    }

    /// RFC 3986 percent-encoding of everything but unreserved characters.
    static func encode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            let scalar = Character(Unicode.Scalar(byte))
            if scalar.isASCII && (scalar.isLetter || scalar.isNumber || "-._~".contains(scalar)) {
                out.append(scalar)
            } else {
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    static func element(_ name: String, in xml: String) -> String? {
        guard let start = xml.range(of: "<\(name)>"), let end = xml.range(of: "</\(name)>", range: start.upperBound..<xml.endIndex) else { return nil }
        return String(xml[start.upperBound..<end.lowerBound])
    }
}
