import Crypto
import Foundation
import OSGDomain
import OSGServer
import Testing
@testable import OSGCommands

/// The coordinator's blob store through its API: who may read, resumed and refused uploads,
/// ranges, quotas, restarts.
@Suite("Blobs: uploads, downloads, access, quotas")
struct BlobStoreTests {
    static func bytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var random = SplitMix64(seed: seed)
        return (0..<count).map { _ in UInt8(truncatingIfNeeded: random.next()) }
    }

    static func digest(_ bytes: [UInt8]) -> String { Hex.encode(Array(SHA256.hash(data: bytes))) }

    static func temporaryFile(_ bytes: [UInt8]) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("osg-blob-\(UInt64.random(in: 0...UInt64.max))")
        try Data(bytes).write(to: url)
        return url
    }

    @Test("chunks in order make a blob its owner reads whole and by range; a stranger gets 404; a wrong digest is discarded")
    func uploadReadAndAccess() async throws {
        try await LoopbackCoordinator.run { port in
            let owner = CoordinatorClient(baseURL: "http://127.0.0.1:\(port)", key: .init())
            let stranger = CoordinatorClient(baseURL: "http://127.0.0.1:\(port)", key: .init())
            let content = Self.bytes(2_500_000, seed: 1)
            let digest = Self.digest(content)
            let first = Array(content[..<1_000_000]), rest = Array(content[1_000_000...])
            let path = "/v1/blobs/\(digest)/chunks?size=\(content.count)"
            let one = try await owner.send(.POST, path + "&offset=0", body: first, contentType: "application/octet-stream")
            #expect(one.status == 200 && (one.json as? [String: Any])?["received"] as? Int == 1_000_000, "\(one.errorSummary)")
            // A chunk at the wrong offset is refused with where to resume.
            let skipped = try await owner.send(.POST, path + "&offset=2000000", body: rest, contentType: "application/octet-stream")
            #expect(skipped.status == 409 && BlobTransfer.code(skipped) == "offset_mismatch")
            let status = try await owner.send(.GET, "/v1/blobs/\(digest)/upload")
            #expect((status.json as? [String: Any])?["received"] as? Int == 1_000_000)
            // Not readable before it is complete.
            #expect(try await owner.send(.GET, "/v1/blobs/\(digest)").status == 404)
            let two = try await owner.send(.POST, path + "&offset=1000000", body: rest, contentType: "application/octet-stream")
            #expect((two.json as? [String: Any])?["complete"] as? Bool == true, "\(two.errorSummary)")

            let whole = try await owner.send(.GET, "/v1/blobs/\(digest)")
            #expect(whole.status == 200 && whole.body == content)
            var ranged = HTTPClientRequestForTests.request(port: port, path: "/v1/blobs/\(digest)")
            ranged.headers.add(name: "Range", value: "bytes=2499990-")
            try await owner.sign(&ranged, method: .GET, path: "/v1/blobs/\(digest)")
            let tail = try await owner.http.execute(ranged, timeout: .seconds(60))
            #expect(tail.status.code == 206)
            #expect(Array(try await tail.body.collect(upTo: 1 << 20).readableBytesView) == Array(content.suffix(10)))
            #expect(try await stranger.send(.GET, "/v1/blobs/\(digest)").status == 404)
            #expect(try await stranger.send(.DELETE, "/v1/blobs/\(digest)").status == 404)
            // Knowing the digest and size (both public once a job names the blob) is no claim:
            // a stranger must send every byte before it owns the blob too.
            let claim = try await stranger.send(.POST, path + "&offset=0", body: [content[0]], contentType: "application/octet-stream")
            #expect((claim.json as? [String: Any])?["complete"] as? Bool == false, "\(claim.status) \(claim.text)")
            #expect(try await stranger.send(.GET, "/v1/blobs/\(digest)").status == 404)
            let proof = try await stranger.send(.POST, path + "&offset=1", body: Array(content.dropFirst()), contentType: "application/octet-stream")
            #expect((proof.json as? [String: Any])?["complete"] as? Bool == true, "\(proof.errorSummary)")
            #expect(try await stranger.send(.GET, "/v1/blobs/\(digest)").body == content)
            #expect(try await stranger.send(.DELETE, "/v1/blobs/\(digest)").status == 200)

            // Bytes that do not hash to the name are thrown away.
            let liar = String(repeating: "ab", count: 32)
            let wrong = try await owner.send(.POST, "/v1/blobs/\(liar)/chunks?offset=0&size=3", body: [1, 2, 3], contentType: "application/octet-stream")
            #expect(wrong.status == 422 && BlobTransfer.code(wrong) == "digest_mismatch", "\(wrong.errorSummary)")
            #expect(try await owner.send(.GET, "/v1/blobs/\(liar)/upload").status == 404)

            // Unsigned and wrongly typed uploads are refused.
            #expect(try await owner.send(.POST, path + "&offset=0", body: first, contentType: "application/octet-stream", signed: false).status == 401)
            #expect(try await owner.send(.POST, path + "&offset=0", body: first, contentType: "application/json").status == 415)

            // The listing, then deletion.
            let listing = try await owner.send(.GET, "/v1/blobs").json as? [String: Any]
            #expect((listing?["blobs"] as? [[String: Any]])?.map { $0["sha256"] as? String } == [digest])
            #expect(listing?["used_bytes"] as? Int == content.count)
            #expect(try await owner.send(.DELETE, "/v1/blobs/\(digest)").status == 200)
            #expect(try await owner.send(.GET, "/v1/blobs/\(digest)").status == 404)
        }
    }

    @Test("the client resumes an interrupted upload and download; the quota refuses more; a job may read only its owner's blobs")
    func resumeQuotaAndSubmission() async throws {
        try await LoopbackCoordinator.run(configure: { $0.blobQuotaBytes = 3_000_000 }) { port in
            let key = KeyFile.generate()
            let owner = CoordinatorClient(baseURL: "http://127.0.0.1:\(port)", key: key.privateKey)
            let content = Self.bytes(2_000_000, seed: 2)
            let digest = Self.digest(content)
            // An upload cut after its first chunk, then resumed by the client from what the store has.
            let cut = try await owner.send(.POST, "/v1/blobs/\(digest)/chunks?offset=0&size=\(content.count)", body: Array(content[..<700_000]), contentType: "application/octet-stream")
            #expect(cut.status == 200)
            let file = try Self.temporaryFile(content)
            defer { try? FileManager.default.removeItem(at: file) }
            let transfer = BlobTransfer(client: owner, chunkBytes: 512 << 10)
            let blob = try await transfer.upload(file)
            #expect(blob.sha256 == digest && blob.size == Int64(content.count))

            // A download that finds half a file resumes from it, and checks the whole.
            let target = file.appendingPathExtension("copy")
            try Data(content[..<1_234_567]).write(to: target.appendingPathExtension("partial"))
            try await transfer.download(digest, size: Int64(content.count), to: target)
            #expect(try Data(contentsOf: target) == Data(content))
            try? FileManager.default.removeItem(at: target)
            // A partial file that is wrong: the whole download fails its digest and nothing is left.
            try Data(repeating: 7, count: 1_000).write(to: target.appendingPathExtension("partial"))
            await #expect(throws: BlobTransfer.Failure.self) { try await transfer.download(digest, size: Int64(content.count), to: target) }
            #expect(!FileManager.default.fileExists(atPath: target.path))

            // 2 MB owned; 1.5 MB more would pass the 3 MB quota.
            let more = Self.bytes(1_500_000, seed: 3)
            let over = try await owner.send(.POST, "/v1/blobs/\(Self.digest(more))/chunks?offset=0&size=\(more.count)", body: Array(more[..<1000]), contentType: "application/octet-stream")
            #expect(over.status == 413 && BlobTransfer.code(over) == "quota_exceeded", "\(over.errorSummary)")

            // A spec may name only blobs its tenant owns, at their size.
            let faucet = try await owner.send(.POST, "/v1/faucet", body: Array(#"{"amount":"100"}"#.utf8))
            _ = faucet
            func spec(_ sha: String, _ size: Int) -> [UInt8] {
                Array(#"{"name":"reads","command":["true"],"resources":{"gpu":{"count":1}},"duration":"1h","max_price":"1","inputs":[{"path":"in","sha256":"\#(sha)","size":\#(size)}]}"#.utf8)
            }
            let strangers = CoordinatorClient(baseURL: "http://127.0.0.1:\(port)", key: .init())
            let notTheirs = try await strangers.send(.POST, "/v1/jobs", body: spec(digest, content.count))
            #expect(notTheirs.status == 422 && BlobTransfer.code(notTheirs) == "unknown_blob", "\(notTheirs.errorSummary)")
            let wrongSize = try await owner.send(.POST, "/v1/jobs", body: spec(digest, 5))
            #expect(wrongSize.status == 422 && BlobTransfer.code(wrongSize) == "size_mismatch", "\(wrongSize.errorSummary)")
        }
    }

    @Test("many chunks, three in flight: from zero, and resumed at an offset that is no chunk boundary; every byte arrives in order")
    func pipelinedChunks() async throws {
        try await LoopbackCoordinator.run { port in
            let owner = CoordinatorClient(baseURL: "http://127.0.0.1:\(port)", key: .init())
            let transfer = BlobTransfer(client: owner, chunkBytes: 40_000)
            for (seed, count, cut) in [(UInt64(11), 1_234_567, 0), (12, 999_999, 123_457), (13, 40_000 * 7, 80_000)] {
                let content = Self.bytes(count, seed: seed)
                let digest = Self.digest(content)
                if cut > 0 {
                    let first = try await owner.send(.POST, "/v1/blobs/\(digest)/chunks?offset=0&size=\(count)", body: Array(content[..<cut]), contentType: "application/octet-stream")
                    #expect(first.status == 200, "\(first.errorSummary)")
                }
                let file = try Self.temporaryFile(content)
                defer { try? FileManager.default.removeItem(at: file) }
                let blob = try await transfer.upload(file)
                #expect(blob.sha256 == digest && blob.size == Int64(count), "seed \(seed)")
                #expect(try await owner.send(.GET, "/v1/blobs/\(digest)").body == content, "seed \(seed)")
            }
        }
    }

    @Test("a complete blob survives a coordinator restart; a partial upload resumes after it")
    func restart() async throws {
        let directory = temporaryPath("blob-restart")
        let content = Self.bytes(1_500_000, seed: 4)
        let digest = Self.digest(content)
        let key = KeyFile.generate()
        let governance = Curve25519.Signing.PrivateKey()
        let port = try freeLoopbackPort()
        let configure: (inout ServerConfiguration) throws -> Void = { $0.governanceKey = governance; $0.port = port }
        try await LoopbackCoordinator.serve(directory: directory, configure: configure) {
            let owner = CoordinatorClient(baseURL: "http://127.0.0.1:\(port)", key: key.privateKey)
            let first = try await owner.send(.POST, "/v1/blobs/\(digest)/chunks?offset=0&size=\(content.count)", body: Array(content[..<600_000]), contentType: "application/octet-stream")
            #expect(first.status == 200)
        }
        try await LoopbackCoordinator.serve(directory: directory, configure: configure) {
            let owner = CoordinatorClient(baseURL: "http://127.0.0.1:\(port)", key: key.privateKey)
            let status = try await owner.send(.GET, "/v1/blobs/\(digest)/upload").json as? [String: Any]
            #expect(status?["received"] as? Int == 600_000)
            let rest = try await owner.send(.POST, "/v1/blobs/\(digest)/chunks?offset=600000&size=\(content.count)", body: Array(content[600_000...]), contentType: "application/octet-stream")
            #expect((rest.json as? [String: Any])?["complete"] as? Bool == true, "\(rest.errorSummary)")
        }
        try await LoopbackCoordinator.serve(directory: directory, configure: configure) {
            let owner = CoordinatorClient(baseURL: "http://127.0.0.1:\(port)", key: key.privateKey)
            let read = try await owner.send(.GET, "/v1/blobs/\(digest)")
            #expect(read.body == content)
        }
    }
}

import AsyncHTTPClient

enum HTTPClientRequestForTests {
    static func request(port: Int, path: String) -> HTTPClientRequest {
        HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
    }
}
