import Foundation
import Logging
import OSGDomain
import OSGSpec
import Synchronization
import Testing
@testable import OSGCommands

@Suite("osg devnet: the whole network in one folder, resumable, with a demo stream of every kind of job")
struct DevnetTests {
    static func folder() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("osg-devnet-\(UUID().uuidString)")
    }

    static func options(nodes: Int, demoSeconds: Double? = nil) -> Devnet.Options {
        var options = Devnet.Options()
        options.nodes = Array(DevnetNode.all.prefix(nodes))
        options.port = 0
        options.clearIntervalSeconds = 0.5
        options.demoIntervalSeconds = demoSeconds
        options.agentTiming = AgentNetwork.timing()
        return options
    }

    static let quiet: @Sendable (String) -> Logger = { label in
        var logger = Logger(label: label)
        logger.logLevel = .error
        return logger
    }

    static func object(_ client: CoordinatorClient, _ path: String) async throws -> [String: Any] {
        let answer = try await client.send(.GET, path)
        #expect(answer.status == 200, "\(path): \(answer.errorSummary)")
        return try #require(answer.json as? [String: Any])
    }

    static func jobStatus(_ client: CoordinatorClient, _ id: String) async throws -> String? {
        try await object(client, "/v1/jobs/\(id)")["status"] as? String
    }

    @Test("a new devnet registers its simulated nodes, funds the tenant, defines the pool and grants the newcomer; a job runs; a second start resumes it all")
    func startRunResume() async throws {
        try #require(AgentNetwork.sandboxAvailable, "bubblewrap cannot create sandboxes here (CI must be able to): apt-get install bubblewrap")
        let layout = DevnetLayout(Self.folder().path)
        defer { try? FileManager.default.removeItem(at: layout.root) }
        try layout.prepare(now: "2026-12-03T00:00:00Z")

        let devnet = try await Devnet.start(in: layout, options: Self.options(nodes: 2), logger: Self.quiet)
        #expect(!devnet.resumed)
        let tenant = CoordinatorClient(baseURL: devnet.url, key: try KeyFile.read(from: layout.tenantKey.path).privateKey)
        let job: String
        let operators: [String]
        do {
            // Public views are recomputed at most once a second.
            _ = try await Polling.until(seconds: 10) {
                let nodes = try await Self.object(tenant, "/v1/nodes")["nodes"] as? [[String: Any]] ?? []
                let pools = try await Self.object(tenant, "/v1/set-asides")["pools"] as? [[String: Any]] ?? []
                return nodes.count == 2 && pools.first?["grants"] as? Int == 1
            }
            let nodes = try await Self.object(tenant, "/v1/nodes")["nodes"] as? [[String: Any]] ?? []
            #expect(Set(nodes.compactMap { $0["id"] as? String }) == ["oslo-hydro", "madrid-solar"], "\(nodes)")
            #expect(nodes.allSatisfy { $0["simulated"] as? Bool == true }, "every devnet node says it is simulated: \(nodes)")
            #expect(Set(nodes.compactMap { $0["zone"] as? String }) == ["NO", "ES"])
            operators = nodes.compactMap { $0["operator"] as? String }.sorted()
            #expect(Set(operators).count == 2, "each node has its own operator key")

            let pools = try await Self.object(tenant, "/v1/set-asides")["pools"] as? [[String: Any]] ?? []
            #expect(pools.count == 1 && pools.first?["name"] as? String == "newcomers" && pools.first?["grants"] as? Int == 1, "\(pools)")
            #expect(pools.first?["funding"] as? String == "1000", "\(pools)")
            #expect(try await Self.object(tenant, "/v1/account")["available"] as? String == "1000")
            // Governance by quorum (1 of 1, its own key): the pool, its funding, the grant and
            // the two operators' stakes were governed commands, one counter each.
            let governance = try await Self.object(tenant, "/v1/governance")
            let governanceID = try KeyFile.read(from: layout.governanceKey.path).identity.id
            #expect(governance["mode"] as? String == "quorum" && governance["keys"] as? [String] == [governanceID], "\(governance)")
            #expect(governance["counter"] as? Int == 5, "\(governance)")

            let answer = try await tenant.send(.POST, "/v1/jobs", body: Array(DevnetLayout.hello.utf8), contentType: "application/yaml")
            #expect(answer.status == 201, "the devnet's hello.yaml is accepted: \(answer.errorSummary)")
            job = try #require((answer.json as? [String: Any])?["job"] as? String)
            let done = try await Polling.until(seconds: 60, every: .milliseconds(250)) {
                try await Self.jobStatus(tenant, job) == "completed"
            }
            let final = try await Self.object(tenant, "/v1/jobs/\(job)")
            #expect(done, "the hello job completed in a sandbox: \(final)")
            let logs = try await tenant.send(.GET, "/v1/jobs/\(job)/logs")
            #expect(logs.text.contains("hello from a sandboxed job"), "\(logs.text.prefix(500))")
        } catch {
            await devnet.stop()
            throw error
        }
        await devnet.stop()

        // Started again in the same folder: the same network.
        let again = try await Devnet.start(in: layout, options: Self.options(nodes: 2), logger: Self.quiet)
        do {
            #expect(again.resumed)
            #expect(again.tenantID == devnet.tenantID && again.newcomerID == devnet.newcomerID)
            let resumedClient = CoordinatorClient(baseURL: again.url, key: try KeyFile.read(from: layout.tenantKey.path).privateKey)
            #expect(try await Self.jobStatus(resumedClient, job) == "completed", "the earlier job is still there")
            _ = try await Polling.until(seconds: 10) {
                (try await Self.object(resumedClient, "/v1/nodes")["nodes"] as? [[String: Any]] ?? []).count == 2
            }
            let nodes = try await Self.object(resumedClient, "/v1/nodes")["nodes"] as? [[String: Any]] ?? []
            #expect(nodes.compactMap { $0["operator"] as? String }.sorted() == operators, "the same operators, not new ones")
            let pools = try await Self.object(resumedClient, "/v1/set-asides")["pools"] as? [[String: Any]] ?? []
            #expect(pools.count == 1 && pools.first?["grants"] as? Int == 1, "nothing set up twice: \(pools)")
            #expect(pools.first?["funding"] as? String == "1000", "the pool is not funded again: \(pools)")
        } catch {
            await again.stop()
            throw error
        }
        await again.stop()
    }

    @Test("--demo submits every kind of job in turn, and each kind is accepted; the gang starts on two nodes of one region")
    func demoStream() async throws {
        try #require(AgentNetwork.sandboxAvailable, "bubblewrap cannot create sandboxes here (CI must be able to): apt-get install bubblewrap")
        let layout = DevnetLayout(Self.folder().path)
        defer { try? FileManager.default.removeItem(at: layout.root) }
        try layout.prepare(now: "2026-12-03T00:00:00Z")
        let turns = Mutex<[DevnetDemo.Turn]>([])
        let devnet = try await Devnet.start(in: layout, options: Self.options(nodes: 2, demoSeconds: 0.5), logger: Self.quiet) { turn in
            turns.withLock { $0.append(turn) }
        }
        do {
            let submitted = { turns.withLock { $0.compactMap { turn -> (DevnetJobKind, String)? in
                if case .submitted(let kind, let job) = turn { (kind, job) } else { nil }
            } } }
            let allKinds = await Polling.until(seconds: 60) { Set(submitted().map(\.0)) == Set(DevnetJobKind.allCases) }
            #expect(allKinds, "every kind was submitted: \(submitted())")
            let tenant = CoordinatorClient(baseURL: devnet.url, key: try KeyFile.read(from: layout.tenantKey.path).privateKey)
            let gang = try #require(submitted().first { $0.0 == .gang }?.1)
            let started = try await Polling.until(seconds: 90, every: .milliseconds(500)) {
                let job = try await Self.object(tenant, "/v1/jobs/\(gang)")
                return ["running", "completed"].contains(job["status"] as? String)
            }
            let job = try await Self.object(tenant, "/v1/jobs/\(gang)")
            #expect(started, "the gang started: \(job)")
            let nodes = (AgentNetwork.lastLease(job)["nodes"] as? [[String: Any]])?.compactMap { $0["node"] as? String } ?? []
            #expect(Set(nodes) == ["oslo-hydro", "madrid-solar"], "\(job)")
            let newcomer = CoordinatorClient(baseURL: devnet.url, key: try KeyFile.read(from: layout.newcomerKey.path).privateKey)
            let setAside = try #require(submitted().first { $0.0 == .setAside }?.1)
            let order = try await Self.object(newcomer, "/v1/jobs/\(setAside)")
            #expect(order["job_class"] as? String == "set-aside", "\(order)")
            // The stream keeps each submitter's unfinished jobs bounded.
            let unfinished = try await DevnetDemo.unfinishedJobs(of: tenant)
            #expect(unfinished <= DevnetDemo.maxUnfinished)
        } catch {
            await devnet.stop()
            throw error
        }
        await devnet.stop()
    }

    @Test("every demo job and the hello spec pass the spec rules")
    func specsAreValid() throws {
        let now = Timestamp(secondsSinceEpoch: 1_800_000_000)
        #expect(JobSpecReader.read(DevnetLayout.hello, now: now).problems.isEmpty)
        for kind in DevnetJobKind.allCases {
            let text = JSONOutput.string(kind.spec(number: 7, now: now))
            let problems = JobSpecReader.read(text, now: now).problems
            #expect(problems.isEmpty, "\(kind.rawValue): \(problems)")
        }
    }

    @Test("a folder that is not a devnet's is neither used nor removed; a second devnet in one folder is refused")
    func folderSafety() throws {
        let root = Self.folder()
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try Data("mine".utf8).write(to: root.appendingPathComponent("thesis.tex"))
        let layout = DevnetLayout(root.path)
        #expect(throws: DevnetLayout.Failure.self) { try layout.prepare(now: "2026-12-03T00:00:00Z") }
        #expect(throws: DevnetLayout.Failure.self) { try layout.reset() }
        #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent("thesis.tex").path), "nothing was removed")

        let devnet = DevnetLayout(root.appendingPathComponent("net").path)
        try devnet.prepare(now: "2026-12-03T00:00:00Z")
        try devnet.prepare(now: "2026-12-03T00:00:00Z")
        let held = try devnet.lock()
        #expect(throws: DevnetLayout.Failure.self) { _ = try devnet.lock() }
        close(held)
        let again = try devnet.lock()
        close(again)
        try devnet.reset()
        #expect(!FileManager.default.fileExists(atPath: devnet.root.path))
    }
}
