import Crypto
import Foundation
import OSGDomain
import OSGServer
import Testing
@testable import OSGCommands

/// The blob store on an S3-compatible bucket: moto's S3 server, which checks every request's
/// AWS Signature V4 against the IAM key the setup script makes.
@Suite("Blobs in an S3-compatible bucket", .serialized)
struct BlobBucketTests {
    static let motoServer: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        return path.split(separator: ":").map { "\($0)/moto_server" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()
    /// CI installs moto (pip install "moto[server]"); there its absence fails.
    static let enabled = motoServer != nil || ProcessInfo.processInfo.environment["CI"] != nil

    static var setupScript: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scripts/s3-test-setup.py").path
    }

    /// Starts moto on a free loopback port, prepares a user, key and bucket; runs `body` with
    /// the bucket's URL and credentials; stops moto.
    static func withMoto<T: Sendable>(_ body: (String, String, String) async throws -> T) async throws -> T {
        let server = try #require(motoServer, "moto_server is not installed: pip install \"moto[server]\"")
        let port = try freeLoopbackPort()
        let moto = Process()
        moto.executableURL = URL(fileURLWithPath: server)
        moto.arguments = ["-H", "127.0.0.1", "-p", String(port)]
        moto.environment = ProcessInfo.processInfo.environment.merging(["INITIAL_NO_AUTH_ACTION_COUNT": "4"]) { _, new in new }
        moto.standardOutput = FileHandle.nullDevice
        moto.standardError = FileHandle.nullDevice
        try moto.run()
        defer { kill(moto.processIdentifier, SIGKILL); moto.waitUntilExit() }
        let url = "http://127.0.0.1:\(port)"
        // The setup's four calls are the only unauthenticated ones moto allows: no probe before
        // them. Until moto listens the script fails at once; then it succeeds.
        var printed = Data()
        for _ in 0..<100 {
            let setup = Process()
            setup.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            setup.arguments = ["python3", setupScript, url]
            let output = Pipe()
            setup.standardOutput = output
            setup.standardError = FileHandle.nullDevice
            try setup.run()
            printed = output.fileHandleForReading.readDataToEndOfFile()
            setup.waitUntilExit()
            if setup.terminationStatus == 0 { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        let keys = try #require(try JSONSerialization.jsonObject(with: printed) as? [String: String])
        return try await body(url + "/osg-blobs", try #require(keys["id"]), try #require(keys["secret"]))
    }

    @Test("blobs go to the bucket (a multipart upload above 64 MiB), come back whole and by range; contents are read from it; a wrong key is refused",
          .enabled(if: enabled))
    func bucketRoundTrip() async throws {
        try await Self.withMoto { bucketURL, id, secret in
            let wrong = try S3Bucket(url: bucketURL, region: "us-east-1", accessKeyID: id, secretAccessKey: "not-the-secret")
            await #expect(throws: S3Bucket.S3Error.self) { _ = try await wrong.read("missing", upTo: 10) }
            let bucket = try S3Bucket(url: bucketURL, region: "us-east-1", accessKeyID: id, secretAccessKey: secret)
            let directory = temporaryPath("bucket")
            try await LoopbackCoordinator.run(directory: directory, configure: { $0.blobBucket = bucket; $0.devnetFaucet = true }) { port in
                let owner = CoordinatorClient(baseURL: "http://127.0.0.1:\(port)", key: .init())
                var random = SplitMix64(seed: 9)
                let big = (0..<(70 << 20)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                let file = URL(fileURLWithPath: temporaryPath("big.bin"))
                try Data(big).write(to: file)
                defer { try? FileManager.default.removeItem(at: file) }
                let blob = try await BlobTransfer(client: owner).upload(file)
                #expect(blob.sha256 == Hex.encode(Array(SHA256.hash(data: big))))
                // In the bucket, not on the coordinator's disk.
                #expect(try await bucket.read(blob.sha256, upTo: 80 << 20) == big)
                #expect(!FileManager.default.fileExists(atPath: directory + "/blobs/data/\(blob.sha256.prefix(2))/\(blob.sha256)"))
                let copy = file.appendingPathExtension("copy")
                try await BlobTransfer(client: owner).download(blob.sha256, size: blob.size, to: copy)
                #expect(try Data(contentsOf: copy) == Data(big))
                try? FileManager.default.removeItem(at: copy)
                var ranged = HTTPClientRequestForTests.request(port: port, path: "/v1/blobs/\(blob.sha256)")
                ranged.headers.add(name: "Range", value: "bytes=100-109")
                try await owner.sign(&ranged, method: .GET, path: "/v1/blobs/\(blob.sha256)")
                let part = try await owner.http.execute(ranged, timeout: .seconds(30))
                #expect(part.status.code == 206)
                #expect(Array(try await part.body.collect(upTo: 100).readableBytesView) == Array(big[100...109]))

                // With a bucket, a job's private contents stay in the coordinator's journal, and the owner's view reads them back.
                #expect(try await owner.send(.POST, "/v1/faucet", body: Array(#"{"amount":"100"}"#.utf8)).status == 200)
                let spec = #"{"name":"in-bucket","command":["echo","from the bucket"],"resources":{"gpu":{"count":1}},"duration":"1h","max_price":"1"}"#
                let submitted = try await owner.send(.POST, "/v1/jobs", body: Array(spec.utf8))
                let job = try #require((submitted.json as? [String: Any])?["job"] as? String, "\(submitted.errorSummary)")
                let view = try await owner.send(.GET, "/v1/jobs/\(job)").json as? [String: Any]
                #expect((view?["contents"] as? [String: Any])?["command"] as? [String] == ["echo", "from the bucket"])

                // Deleting the last owner's claim removes the object.
                #expect(try await owner.send(.DELETE, "/v1/blobs/\(blob.sha256)").status == 200)
                let gone = await eventually(seconds: 10) { (try? await bucket.read(blob.sha256, upTo: 10)) == nil }
                #expect(gone)
            }
        }
    }
}
