import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OSGCore
import OSGAuth
import OSGDomain
import OSGRequestBodies

/// Blob routes (docs/API.md, "Blobs"): resumable, signed chunk uploads of job inputs (and, by
/// the agent, of a job's outputs, owned by its tenant), downloads with byte ranges by the
/// owner and by the operator of a running lease that reads the blob, listing and deletion.
extension Coordinator {
    func addBlobRoutes(to router: Router<CoordinatorRequestContext>) {
        router.post("/v1/blobs/{digest}/chunks") { request, context in
            let digest = try Self.digest(context)
            let auth = try await self.authenticator.authenticate(
                request, accepting: .octetStream, bodyLimit: self.configuration.blobChunkBytes, bodyDeadline: .seconds(300))
            let query = request.uri.queryParameters
            guard let offset = query["offset"].flatMap({ Int64(String($0)) }), offset >= 0 else {
                throw APIError.badRequest("invalid_parameter", "offset must be the byte offset of the chunk (0 for the first)", field: "offset")
            }
            guard let size = query["size"].flatMap({ Int64(String($0)) }), size >= 0 else {
                throw APIError.badRequest("invalid_parameter", "size must be the blob's whole size in bytes", field: "size")
            }
            var owner = auth.signer.id
            if let job = query["job"].map(String.init) {
                owner = try await self.outputOwner(job: job, uploader: auth.signer.id, size: size)
            }
            do {
                let progress = try await self.blobs.append(auth.body, to: digest, size: size, offset: offset, uploader: auth.signer.id, owner: owner)
                if progress.complete { self.logger.info("blob stored", metadata: ["sha256": "\(digest)", "bytes": "\(size)", "owner": "\(owner.prefix(16))"]) }
                return JSONResponse.response(BlobViews.progress(digest, progress))
            } catch let error as BlobError {
                throw Self.apiError(error)
            }
        }
        router.get("/v1/blobs/{digest}/upload") { request, context in
            let digest = try Self.digest(context)
            let auth = try await self.authenticator.authenticate(request, accepting: .none)
            guard let progress = await self.blobs.progress(of: digest, uploader: auth.signer.id) else {
                throw APIError(.notFound, "no_upload", "this key has no upload of \(digest) under way and owns no such blob: start at offset 0")
            }
            return JSONResponse.response(BlobViews.progress(digest, progress))
        }
        router.get("/v1/blobs/{digest}") { request, context in
            let digest = try Self.digest(context)
            let auth = try await self.authenticator.authenticate(request, accepting: .none)
            let journalled = self.blobs.contents.size(of: digest)
            var stored = journalled
            if stored == nil { stored = await self.blobs.size(of: digest) }
            guard await self.mayRead(digest, reader: auth.signer.id), let size = stored else {
                throw APIError(.notFound, "unknown_blob", "no blob \(digest) that this key may read: its owner's, or an input of a running lease on this key's nodes")
            }
            var headers: HTTPFields = [.contentType: "application/octet-stream", .acceptRanges: "bytes", .eTag: "\"\(digest)\""]
            var range: ClosedRange<Int64>?
            if let rangeHeader = request.headers[.range] {
                guard let asked = Self.byteRange(rangeHeader, size: size) else {
                    throw APIError(.rangeNotSatisfiable, "invalid_range", "Range must be bytes=START- or bytes=START-END within the blob's \(size) bytes", field: "Range",
                                   headers: [.contentRange: "bytes */\(size)"])
                }
                range = asked
                headers[.contentRange] = "bytes \(asked.lowerBound)-\(asked.upperBound)/\(size)"
            }
            headers[.contentLength] = String(range.map { Int64($0.count) } ?? size)
            let status: HTTPResponse.Status = range == nil ? .ok : .partialContent
            guard size > 0 else { return Response(status: status, headers: headers, body: ResponseBody()) }
            let bytes = range ?? 0...(size - 1)
            if journalled != nil {
                guard let contents = self.blobs.contents.read(digest) else {
                    throw APIError(.internalServerError, "storage_error", "the contents \(digest) could not be read back intact")
                }
                return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: contents[Int(bytes.lowerBound)...Int(bytes.upperBound)])))
            }
            if let bucket = self.blobs.bucket {
                do {
                    let response = try await bucket.get(digest, range: range)
                    return Response(status: status, headers: headers, body: ResponseBody(asyncSequence: response.body))
                } catch {
                    throw APIError(.badGateway, "bucket_error", "the blob store's bucket did not answer: \(error)")
                }
            }
            return Response(status: status, headers: headers, body: BlobFileBody.body(path: self.blobs.dataPath(digest).path, range: bytes))
        }
        router.delete("/v1/blobs/{digest}") { request, context in
            let digest = try Self.digest(context)
            let auth = try await self.authenticator.authenticate(request, accepting: .none)
            guard await self.blobs.remove(digest, owner: auth.signer.id) else {
                throw APIError(.notFound, "unknown_blob", "this key owns no blob \(digest) and has no upload of it under way")
            }
            return JSONResponse.response(["removed": digest])
        }
        router.get("/v1/blobs") { request, _ in
            let auth = try await self.authenticator.authenticate(request, accepting: .none)
            let (blobs, used) = await self.blobs.list(owner: auth.signer.id)
            return JSONResponse.response(BlobViews.Listing(
                blobs: blobs.map { BlobViews.Blob(sha256: $0.digest, size: $0.size) }, usedBytes: used, quotaBytes: self.blobs.quotaBytes))
        }
    }

    /// Refuses a spec whose inputs from the blob store the tenant does not own, complete and of
    /// the stated size (a job may read only its owner's blobs).
    func checkBlobInputs(of spec: JobSpec, tenant: String) async throws {
        for (index, input) in (spec.inputs ?? []).enumerated() where input.url == nil {
            guard await blobs.owns(tenant, input.sha256), let size = await blobs.size(of: input.sha256) else {
                throw APIError(.unprocessableContent, "unknown_blob", "inputs[\(index)]: this key owns no complete blob \(input.sha256); upload it first (osg blobs put FILE)", field: "inputs[\(index)].sha256")
            }
            guard size == input.size else {
                throw APIError(.unprocessableContent, "size_mismatch", "inputs[\(index)]: blob \(input.sha256) has \(size) bytes, the spec says \(input.size)", field: "inputs[\(index)].size")
            }
        }
        for (index, secret) in (spec.secrets ?? []).enumerated() where await !blobs.owns(tenant, secret.sealed) {
            throw APIError(.unprocessableContent, "unknown_blob", "secrets[\(index)]: this key owns no sealed secret \(secret.sealed) (osg submit --secret NAME=@FILE uploads it)", field: "secrets[\(index)].sealed")
        }
    }

    /// Keeps a job's private `contents` in the contents journal, owned by `tenant`, under
    /// their commitment (the public spec's field 6).
    func store(_ contents: JobContents, tenant: String) async throws {
        do {
            try await blobs.contents.store(contents.bytes, digest: contents.commitment, owner: tenant)
        } catch let error as BlobError {
            throw Self.apiError(error)
        }
    }

    /// The `OSG-Contents-Salt` header's 32 bytes, when sent; 400 `malformed_contents_salt`
    /// when it is not 64 hex digits.
    static func contentsSalt(of request: Request) throws(APIError) -> [UInt8]? {
        guard let name = HTTPField.Name(SignedRequest.Header.contentsSalt), let text = request.headers[name] else { return nil }
        guard let salt = Hex.decode(text), salt.count == JobContents.saltByteCount else {
            throw APIError.badRequest("malformed_contents_salt", "\(SignedRequest.Header.contentsSalt) must be 64 hex digits (32 bytes)",
                                      field: SignedRequest.Header.contentsSalt)
        }
        return salt
    }

    /// The owner's view of a job's private contents, read from its blob and checked against the
    /// commitment (`nil` for a spec without one, or when the blob is gone).
    func contentsView(of spec: JobSpec) async -> Views.Contents? {
        guard let digest = spec.contents, let contents = await contents(of: spec) else { return nil }
        let full = contents.merged(into: spec)
        return Views.Contents(
            commitment: digest, image: full.image, command: full.command, env: full.env, inputs: full.inputs, outputs: full.outputs,
            secrets: full.secrets?.map(\.name))
    }

    /// The digest in the path, checked.
    static func digest(_ context: CoordinatorRequestContext) throws -> String {
        let digest = try context.parameters.require("digest")
        guard JobDataPath.isDigest(digest) else {
            throw APIError(.notFound, "unknown_blob", "a blob is named by its SHA-256: 64 lower-case hex digits")
        }
        return digest
    }

    /// Whether `reader` may download `digest`: it owns it, or it operates a node of a running
    /// lease whose job reads it as an input or has it as its private contents.
    func mayRead(_ digest: String, reader: String) async -> Bool {
        if await blobs.owns(reader, digest) || blobs.contents.owner(of: digest) == reader { return true }
        let state = await self.reader.state(for: reader)
        for (orderID, leaseID) in state.runningLeaseOfOrder {
            guard let spec = state.orders[orderID]?.spec,
                  spec.contents == digest || (spec.inputs ?? []).contains(where: { $0.sha256 == digest && $0.url == nil }),
                  let lease = state.leases[leaseID] else { continue }
            if lease.allocations.contains(where: { state.nodes[$0.nodeID]?.node.operatorID == reader }) { return true }
        }
        return false
    }

    /// The owner of an output the agent uploads for `job`: the job's tenant, when `uploader`
    /// operates a node of the job's running lease and `size` is within the spec's largest cap.
    func outputOwner(job: String, uploader: String, size: Int64) async throws -> String {
        let state = await reader.state(for: uploader)
        guard let order = state.orders[job], let leaseID = state.runningLeaseOfOrder[job], let lease = state.leases[leaseID],
              lease.allocations.contains(where: { state.nodes[$0.nodeID]?.node.operatorID == uploader }) else {
            throw APIError(.forbidden, "not_allowed", "only an operator of a node running job \(job) uploads its outputs")
        }
        let cap = order.spec.outputs?.map(\.maxBytes).max() ?? 0
        guard size <= cap else {
            throw APIError(.contentTooLarge, "over_cap", "\(size) bytes is more than the largest output cap of job \(job) (\(cap) bytes)")
        }
        return order.tenantID
    }

    /// `bytes=START-` or `bytes=START-END` (one range), clamped to the blob.
    static func byteRange(_ header: String, size: Int64) -> ClosedRange<Int64>? {
        guard header.hasPrefix("bytes="), size > 0 else { return nil }
        let spec = header.dropFirst("bytes=".count)
        let parts = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, let start = Int64(parts[0]), start >= 0, start < size else { return nil }
        let end = parts[1].isEmpty ? size - 1 : Int64(parts[1]).map { min($0, size - 1) }
        guard let end, end >= start else { return nil }
        return start...end
    }

    static func apiError(_ error: BlobError) -> APIError {
        var headers: HTTPFields = [:]
        if let received = error.received { headers[HTTPField.Name("X-OSG-Received")!] = String(received) }
        return APIError(error.status, error.code, error.message, headers: headers)
    }
}

/// What the blob routes answer.
enum BlobViews {
    struct Progress: Encodable, Sendable {
        var sha256: String
        var received: Int64
        var size: Int64
        var complete: Bool
    }

    static func progress(_ digest: String, _ progress: BlobStore.Progress) -> Progress {
        Progress(sha256: digest, received: progress.received, size: progress.size, complete: progress.complete)
    }

    struct Blob: Encodable, Sendable {
        var sha256: String
        var size: Int64
    }

    struct Listing: Encodable, Sendable {
        var blobs: [Blob]
        var usedBytes: Int64
        var quotaBytes: Int64
    }
}
