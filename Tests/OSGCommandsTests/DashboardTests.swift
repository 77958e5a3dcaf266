import AsyncHTTPClient
import Foundation
import OSGServer
import Testing
@testable import OSGCommands

@Suite("The web dashboard: served with a strict policy, rendered in a real browser from the public API, participants' text never run as HTML")
struct DashboardTests {
    /// A Chromium or Chrome on PATH; CI installs one (.ci/run).
    static let browser: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin"
        let names = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]
        return path.split(separator: ":").lazy.flatMap { folder in names.map { "\(folder)/\($0)" } }.first { access($0, X_OK) == 0 }
    }()
    static let browserTestsEnabled = browser != nil || ProcessInfo.processInfo.environment["CI"] != nil

    /// A node id a hostile operator could choose: markup that would run if the page parsed it.
    static let hostileNodeID = #"<img src=x onerror="document.body.dataset.pwned='yes'">"#

    @Test("/, /dashboard.js and /dashboard.css are served with their types, nosniff and a policy without inline script")
    func servedFiles() async throws {
        try await LoopbackCoordinator.run { port in
            let client = CoordinatorClient(baseURL: "http://127.0.0.1:\(port)", key: nil)
            for (path, type) in [("/", "text/html"), ("/dashboard.js", "text/javascript"), ("/dashboard.css", "text/css")] {
                var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
                request.method = .GET
                let response = try await client.http.execute(request, timeout: .seconds(10))
                #expect(response.status.code == 200, "\(path)")
                #expect(response.headers.first(name: "content-type")?.hasPrefix(type) == true, "\(path)")
                #expect(response.headers.first(name: "x-content-type-options") == "nosniff")
                let policy = response.headers.first(name: "content-security-policy") ?? ""
                #expect(policy.contains("script-src 'self'") && !policy.contains("unsafe-inline") && policy.contains("default-src 'none'"), "\(policy)")
                let body = try await response.body.collect(upTo: 1 << 20)
                #expect(body.readableBytes > 100, "\(path) has content")
            }
        }
    }

    @Test("in Chromium the page shows the nodes, the waiting job and the statistics; a node id made of markup stays text",
          .enabled(if: browserTestsEnabled))
    func rendersInABrowser() async throws {
        let browser = try #require(Self.browser, "no Chromium on PATH (CI must have one): apt-get install chromium")
        try await LoopbackCoordinator.run(configure: { $0.devnetFaucet = true; $0.publicCacheMilliseconds = 0; $0.clearIntervalSeconds = 0.2 }) { port in
            let url = "http://127.0.0.1:\(port)"
            let operatorClient = CoordinatorClient(baseURL: url, key: .init())
            for id in ["rig-1", Self.hostileNodeID] {
                let body = JSONOutput.string([
                    "id": id, "gpu_model": "H100", "gpus": 8, "vram_gib": 80, "cpu": 64, "memory_gib": 512, "disk_gib": 1000,
                    "region": "eu", "jurisdiction": "DE", "zone": "DE", "ask_price": "1.5", "simulated": true,
                ])
                let answer = try await operatorClient.send(.POST, "/v1/nodes", body: Array(body.utf8))
                try #require(answer.status == 201, "\(answer.errorSummary)")
            }
            let tenant = CoordinatorClient(baseURL: url, key: .init())
            #expect(try await tenant.send(.POST, "/v1/faucet", body: Array(#"{"amount":"100"}"#.utf8)).status == 200)
            // Bids below every ask: it waits in the book with its reason.
            let job = try await tenant.send(.POST, "/v1/jobs", body: Array("""
                {"name":"cheap","command":["true"],"resources":{"gpu":{"model":"H100","count":1}},"duration":"1h","max_price":"0.10"}
                """.utf8))
            let jobID = try #require((job.json as? [String: Any])?["job"] as? String, "\(job.errorSummary)")
            let cleared = try await Polling.until(seconds: 10) {
                let book = try await tenant.send(.GET, "/v1/market", signed: false).text
                return book.contains("max_price_below_asks")
            }
            #expect(cleared, "a clearing gave the job its reason")

            let dom = try Self.renderedDOM(browser: browser, url: url + "/")
            #expect(dom.contains(#"data-loaded="true""#), "the script loaded every view: \(dom.prefix(2_000))")
            #expect(!dom.contains("data-error"), "no script error: \(dom.prefix(2_000))")
            #expect(dom.contains("<td>rig-1<span class=\"badge\">simulated</span></td>"), "the node and its simulated badge")
            #expect(dom.contains(jobID) && dom.contains("max_price_below_asks"), "the waiting job and why")
            #expect(dom.contains("GPUs online (16 simulated)"))
            #expect(dom.contains("&lt;img src=x onerror="), "the hostile id is shown as text")
            #expect(!dom.contains("<img"), "and never became an element")
            #expect(!dom.contains("data-pwned"), "so its handler never ran")
        }
    }

    /// The page's DOM after its script ran (headless Chromium, at most 60 s).
    static func renderedDOM(browser: String, url: String) throws -> String {
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("osg-chromium-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: profile) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: browser)
        process.arguments = [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
            "--user-data-dir=\(profile.path)", "--virtual-time-budget=5000", "--dump-dom", url,
        ]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let killer = DispatchWorkItem { if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + 60, execute: killer)
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        killer.cancel()
        try #require(process.terminationStatus == 0, "chromium exited \(process.terminationStatus)")
        return String(decoding: data, as: UTF8.self)
    }
}
