import Foundation
import OSGDomain
import Testing
@testable import OSGCommands

/// Private contents, public market: what a job runs is committed to in the log, readable by
/// its owner (and the operators of its lease), by nobody else.
@Suite("A job's contents stay out of the public log")
struct PrivateContentsTests {
    /// Every regular file under `folder` (recursively) but those under `excluded`, whose bytes contain `needle`.
    static func files(under folder: URL, containing needle: String, excluding excluded: String) -> [String] {
        let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey])
        var hits: [String] = []
        while let url = enumerator?.nextObject() as? URL {
            guard !url.path.hasPrefix(excluded), (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true,
                  let data = try? Data(contentsOf: url) else { continue }
            if data.range(of: Data(needle.utf8)) != nil { hits.append(url.path) }
        }
        return hits
    }

    @Test("command, image, env and data paths reach neither the log nor the store; the owner sees them; a stranger does not")
    func contentsAreCommitted() async throws {
        let directory = temporaryPath("private-contents")
        try await LoopbackCoordinator.run(directory: directory, configure: { $0.devnetFaucet = true }) { port in
            let owner = CoordinatorClient(baseURL: "http://127.0.0.1:\(port)", key: .init())
            let stranger = CoordinatorClient(baseURL: "http://127.0.0.1:\(port)", key: .init())
            #expect(try await owner.send(.POST, "/v1/faucet", body: Array(#"{"amount":"100"}"#.utf8)).status == 200)
            let spec = """
                name: private-work
                image: registry.example/PLANTED-IMAGE-71c2:1
                command: ["python", "PLANTED-COMMAND-7f3a.py"]
                env: { API_BASE: "PLANTED-ENV-9c1d" }
                outputs: [{ path: PLANTED-OUTPUT-2b8e, max_mib: 1 }]
                resources: { gpu: { count: 1 } }
                duration: 1h
                max_price: 2
                """
            let answer = try await owner.send(.POST, "/v1/jobs", body: Array(spec.utf8), contentType: "application/yaml")
            #expect(answer.status == 201, "\(answer.errorSummary)")
            let job = try #require((answer.json as? [String: Any])?["job"] as? String)

            let view = try #require(try await owner.send(.GET, "/v1/jobs/\(job)").json as? [String: Any])
            let contents = try #require(view["contents"] as? [String: Any], "\(view)")
            #expect(contents["command"] as? [String] == ["python", "PLANTED-COMMAND-7f3a.py"])
            #expect(contents["image"] as? String == "registry.example/PLANTED-IMAGE-71c2:1")
            #expect((contents["outputs"] as? [[String: Any]])?.first?["path"] as? String == "PLANTED-OUTPUT-2b8e")
            let commitment = try #require(view["contents_commitment"] as? String)
            #expect(JobDataPath.isDigest(commitment))
            #expect(try await stranger.send(.GET, "/v1/jobs/\(job)").status == 403)
            #expect(try await stranger.send(.GET, "/v1/blobs/\(commitment)").status == 404)
            // Public views: the market sees the job's shape, not its work.
            let market = try await stranger.send(.GET, "/v1/market", signed: false).text
            #expect(!market.contains("PLANTED"))
        }
        // Every byte the coordinator keeps outside the blob store: log, database, snapshots, job logs.
        for needle in ["PLANTED-IMAGE-71c2", "PLANTED-COMMAND-7f3a", "PLANTED-ENV-9c1d", "PLANTED-OUTPUT-2b8e"] {
            let hits = Self.files(under: URL(fileURLWithPath: directory), containing: needle, excluding: directory + "/blobs")
            #expect(hits.isEmpty, "\(needle) found in \(hits)")
        }
    }
}
