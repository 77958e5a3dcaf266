import AsyncHTTPClient
import Foundation
import OSGServer
import Synchronization
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

    /// A node id a hostile operator could choose: markup that would run if the page parsed it
    /// (ids are printable ASCII without spaces, which markup does not need).
    static let hostileNodeID = #"<img/src=x/onerror="document.body.dataset.pwned='yes'">"#

    @Test("/, /dashboard.js and /dashboard.css are served with their types, nosniff and a policy without inline script")
    func servedFiles() async throws {
        try await LoopbackCoordinator.run { port in
            let client = CoordinatorClient(baseURL: "http://127.0.0.1:\(port)", key: nil)
            for (path, type) in [("/", "text/html"), ("/dashboard.js", "text/javascript"), ("/dashboard.css", "text/css")] {
                var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
                request.method = .GET
                let response = try await client.http.execute(request, timeout: .seconds(60))
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

            let rendering = try await Self.render(browser: browser, url: url + "/")
            let dom = rendering.dom
            #expect(rendering.console.isEmpty, "the console stayed quiet: \(rendering.console)")
            #expect(dom.contains(#"data-loaded="true""#), "the script loaded every view: \(dom.prefix(2_000))")
            #expect(!dom.contains("data-error"), "no script error: \(dom.prefix(2_000))")
            #expect(dom.contains("<td>rig-1<span class=\"badge\">simulated</span></td>"), "the node and its simulated badge")
            #expect(dom.contains(jobID) && dom.contains("max_price_below_asks"), "the waiting job and why")
            #expect(dom.contains("GPUs online (16 simulated)"))
            #expect(dom.contains("&lt;img/src=x/onerror="), "the hostile id is shown as text")
            #expect(!dom.contains("<img"), "and never became an element")
            #expect(!dom.contains("data-pwned"), "so its handler never ran")
        }
    }

    @Test("on a running devnet with demo jobs, the dashboard's figures appear and change; screenshots at desktop and phone width",
          .enabled(if: browserTestsEnabled && AgentNetwork.enabled))
    func liveOnADevnet() async throws {
        let browser = try #require(Self.browser, "no Chromium on PATH (CI must have one): apt-get install chromium")
        try #require(AgentNetwork.sandboxAvailable, "bubblewrap cannot create sandboxes here (CI must be able to): apt-get install bubblewrap")
        let layout = DevnetLayout(DevnetTests.folder().path)
        defer { try? FileManager.default.removeItem(at: layout.root) }
        try layout.prepare(now: "2026-12-03T00:00:00Z")
        let devnet = try await Devnet.start(in: layout, options: DevnetTests.options(nodes: 4, demoSeconds: 0.5), logger: DevnetTests.quiet)
        do {
            let client = CoordinatorClient(baseURL: devnet.url, key: nil)
            let running = try await Polling.until(seconds: 60, every: .milliseconds(250)) {
                (try await client.send(.GET, "/v1/stats").json as? [String: Any])?["running_jobs"] as? Int ?? 0 > 0
            }
            #expect(running, "a demo job runs")
            let first = try await Self.render(browser: browser, url: devnet.url + "/")
            try await Task.sleep(for: .seconds(3))
            let second = try await Self.render(browser: browser, url: devnet.url + "/")
            for rendering in [first, second] {
                #expect(rendering.dom.contains(#"data-loaded="true""#) && !rendering.dom.contains("data-error"))
                #expect(rendering.console.isEmpty, "the console stayed quiet: \(rendering.console)")
                #expect(rendering.dom.contains("oslo-hydro") && rendering.dom.contains("newcomers"), "nodes and the pool shown")
            }
            #expect(Self.card("nodes online", in: first.dom) == "4")
            #expect(Self.card("independent operators with GPUs online", in: first.dom) == "4")
            let before = try #require(Self.card("log entries", in: first.dom).flatMap(Int.init))
            let after = try #require(Self.card("log entries", in: second.dom).flatMap(Int.init))
            #expect(after > before, "the live figures moved as the demo ran: \(before) → \(after) log entries")

            // The devnet's witness cosigns the checkpoints and audits the log; the page shows both,
            // the audits read from the witness itself.
            let witness = CoordinatorClient(baseURL: devnet.witness.endpoint.url, key: nil)
            let audited = try await Polling.until(seconds: 60, every: .milliseconds(500)) {
                let audits = (try await witness.send(.GET, "/audits").json as? [String: Any])?["audits"] as? [[String: Any]] ?? []
                return audits.contains { $0["verdict"] as? String == "verified" }
            }
            #expect(audited, "the devnet's witness audited the published log")
            let third = try await Self.render(browser: browser, url: devnet.url + "/")
            #expect(third.console.isEmpty, "the console stayed quiet: \(third.console)")
            func table(_ id: String) -> String {
                third.dom.range(of: "id=\"\(id)\"").map { String(third.dom[$0.lowerBound...].prefix(4_000)) } ?? ""
            }
            #expect(table("witness-audits").contains("devnet.witness/w1") && table("witness-audits").contains("verified"), "\(table("witness-audits").prefix(1_500))")
            #expect(table("checkpoints").contains("devnet.witness/w1"), "the checkpoint shown is cosigned: \(table("checkpoints").prefix(1_500))")

            try FileManager.default.createDirectory(at: Self.artifacts, withIntermediateDirectories: true)
            for (name, width, height) in [("dashboard-desktop.png", 1280, 2400), ("dashboard-phone.png", 390, 2400)] {
                let path = Self.artifacts.appendingPathComponent(name).path
                try? FileManager.default.removeItem(atPath: path)
                let shot = try await Self.render(browser: browser, url: devnet.url + "/", screenshot: (path, width, height))
                #expect(shot.console.isEmpty, "\(name): \(shot.console)")
                let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
                #expect(size > 10_000, "a screenshot was saved at \(path)")
            }
        } catch {
            await devnet.stop()
            throw error
        }
        await devnet.stop()
    }

    /// What headless Chromium made of a page, after its script ran.
    struct Rendering {
        var dom: String
        /// The page's console messages (errors, CSP violations, failed loads; the dashboard logs
        /// nothing when all is well).
        var console: [String]
    }

    /// The page's DOM after its script ran, and its console (headless Chromium, at most 60 s);
    /// with `screenshot`, a PNG of it instead of the DOM. The browser is waited for on a thread
    /// of its own: blocking one of the cooperative pool's few threads would starve the
    /// in-process coordinator the page is talking to.
    static func render(browser: String, url: String, screenshot: (path: String, width: Int, height: Int)? = nil) async throws -> Rendering {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try renderBlocking(browser: browser, url: url, screenshot: screenshot) }) }.start()
        }
    }

    private static func renderBlocking(browser: String, url: String, screenshot: (path: String, width: Int, height: Int)?) throws -> Rendering {
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("osg-chromium-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: profile) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: browser)
        var arguments = [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--hide-scrollbars",
            "--user-data-dir=\(profile.path)", "--virtual-time-budget=5000", "--enable-logging=stderr", "--v=0",
        ]
        if let screenshot {
            arguments += ["--window-size=\(screenshot.width),\(screenshot.height)", "--screenshot=\(screenshot.path)"]
        } else {
            arguments.append("--dump-dom")
        }
        process.arguments = arguments + [url]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let killer = DispatchWorkItem { if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + 60, execute: killer)
        // Standard error on its own thread, so neither pipe can fill and stall the browser.
        let errorText = Mutex("")
        let reader = Thread { errorText.withLock { $0 = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) } }
        reader.start()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        killer.cancel()
        while !reader.isFinished { Thread.sleep(forTimeInterval: 0.01) }
        try #require(process.terminationStatus == 0, "chromium exited \(process.terminationStatus)")
        let console = errorText.withLock { $0 }.split(separator: "\n").filter { $0.contains(":CONSOLE") }.map(String.init)
        return Rendering(dom: String(decoding: data, as: UTF8.self), console: console)
    }

    /// `.ci-artifacts/` of the package (ignored by git): where the browser test leaves its screenshots.
    static let artifacts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(".ci-artifacts")

    /// The figure of the headline card labelled `label` (`log entries`), from a rendered DOM.
    static func card(_ label: String, in dom: String) -> String? {
        guard let end = dom.range(of: "</div><div class=\"label\">\(label)</div>") else { return nil }
        let before = dom[..<end.lowerBound]
        guard let start = before.range(of: "<div class=\"value\">", options: .backwards) else { return nil }
        return String(before[start.upperBound...])
    }
}
