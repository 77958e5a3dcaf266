import ArgumentParser
import Crypto
import Foundation
import OSGAuth
import OSGDomain
import OSGRequestBodies
import Synchronization

/// `osg bench server`: signed heartbeats, signed job submissions and public stats per second
/// against a coordinator on loopback, with wrk as the load generator.
///
/// Requests are signed before the timed phase (each with its own nonce, so none is refused
/// as a replay) and replayed by wrk from a file through a small Lua script.
struct ServerBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server",
        abstract: "Measure the coordinator: signed node-heartbeats/s, signed submissions/s, stats requests/s, latency.",
        discussion: """
        Without --url it starts `osg serve` itself on a temporary folder (SQLite, loopback, a free port) and \
        stops it afterwards. Needs wrk (apt-get install wrk). Loopback only; every phase is bounded by \
        --duration. Build with -c release for meaningful figures.
        """
    )

    @Option(name: .long, help: "A running coordinator (loopback); default: start one.")
    var url: String?

    @Option(name: .long, help: "Seconds per timed phase (1-60).")
    var duration = 10

    @Option(name: .long, help: "Concurrent connections wrk keeps open.")
    var connections = 64

    @Option(name: .long, help: "wrk threads (the server shares the machine's cores).")
    var threads = 1

    @Option(name: .long, help: "Operators, each sending one heartbeat request for all its nodes.")
    var operators = 20

    @Option(name: .long, help: "Nodes per operator (node-heartbeats per request).")
    var nodesPerOperator = 100

    @Option(name: .long, help: "Tenants submitting jobs.")
    var tenants = 64

    @Option(name: .long, help: "Signed requests prepared per second of a phase (more than the server can take).")
    var preparedPerSecond = 12_000

    @Option(name: .long, help: "Seconds between market clearings of the started server (0 = off).")
    var clearInterval = 5.0

    @Option(name: .long, help: "Phases to run: heartbeats, submit, stats (comma-separated).")
    var phases = "heartbeats,submit,stats"

    @Flag(name: .long, help: "Print one JSON object instead of text.")
    var json = false

    func validate() throws {
        guard (1...60).contains(duration) else { throw ValidationError("--duration must be 1-60 seconds") }
        guard (1...1_024).contains(connections), (1...8).contains(threads) else { throw ValidationError("--connections 1-1024, --threads 1-8") }
        guard (1...1_000).contains(operators), (1...10_000).contains(nodesPerOperator), (1...10_000).contains(tenants) else {
            throw ValidationError("--operators 1-1000, --nodes-per-operator 1-10000, --tenants 1-10000")
        }
        guard (1...50_000).contains(preparedPerSecond) else { throw ValidationError("--prepared-per-second 1-50000") }
        if let url, !(url.hasPrefix("http://127.0.0.1") || url.hasPrefix("http://localhost") || url.hasPrefix("http://[::1]")) {
            throw ValidationError("--url must be a loopback address (http://127.0.0.1:PORT)")
        }
    }

    func run() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/wrk") || which("wrk") != nil else {
            throw CleanExit.failure("wrk is not installed (apt-get install wrk)")
        }
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("osg-bench-server-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        var server: ChildServer?
        let baseURL: String
        if let url {
            baseURL = url
        } else {
            let started = try ChildServer.start(dataDirectory: work + "/data", clearInterval: clearInterval)
            server = started
            baseURL = started.url
        }
        defer { server?.stop() }
        let client = CoordinatorClient(baseURL: baseURL, key: nil)
        let wanted = Set(phases.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        var figures: [String: Any] = [
            "duration_s": duration, "connections": connections, "wrk_threads": threads, "operators": operators,
            "nodes_per_operator": nodesPerOperator, "tenants": tenants, "cores": ProcessInfo.processInfo.activeProcessorCount,
        ]
        let script = work + "/replay.lua"
        try Data(Self.luaScript.utf8).write(to: URL(fileURLWithPath: script))

        let operatorKeys = (0..<operators).map { _ in Curve25519.Signing.PrivateKey() }
        let serverPID = server?.process.processIdentifier
        /// CPU microseconds the started server used per answered request during `body`.
        func cpuPerRequest(_ body: () throws -> WrkResult) rethrows -> (WrkResult, Int?) {
            let before = serverPID.flatMap(ChildServer.cpuMicroseconds)
            let result = try body()
            guard let before, let after = serverPID.flatMap(ChildServer.cpuMicroseconds), result.requests > 0 else { return (result, nil) }
            return (result, (after - before) / result.requests)
        }
        if wanted.contains("heartbeats") {
            try await registerNodes(operatorKeys, client: client)
            let file = work + "/heartbeats.tsv"
            let count = try await prepare(file: file, count: duration * preparedPerSecond / 2, keys: operatorKeys, for: try await client.audience()) { index, key in
                let base = index * nodesPerOperator
                return ("POST", "/v1/heartbeats", "{\"nodes\":[" + (0..<nodesPerOperator).map { "\"n\(base + $0)\"" }.joined(separator: ",") + "]}")
            }
            let (result, cpu) = try cpuPerRequest { try runWrk(baseURL + "/v1/heartbeats", script: script, file: file) }
            let ok = result.requests - result.non2xx
            figures["heartbeat_server_cpu_us_per_request"] = cpu
            figures["heartbeat_requests_prepared"] = count
            figures["heartbeat_requests_per_s"] = result.perSecond(ok)
            figures["node_heartbeats_per_s"] = result.perSecond(ok * nodesPerOperator)
            figures["heartbeat_p50_us"] = result.p50
            figures["heartbeat_p99_us"] = result.p99
            figures["heartbeat_errors"] = result.non2xx + result.socketErrors
        }
        if wanted.contains("submit") {
            let tenantKeys = (0..<tenants).map { _ in Curve25519.Signing.PrivateKey() }
            // Jobs are admitted only when their tenant can pay: fund every tenant first.
            try await fund(tenantKeys, client: client)
            let file = work + "/submit.tsv"
            let count = try await prepare(file: file, count: duration * preparedPerSecond, keys: tenantKeys, for: try await client.audience()) { index, _ in
                ("POST", "/v1/jobs", Self.spec(index))
            }
            let (result, cpu) = try cpuPerRequest { try runWrk(baseURL + "/v1/jobs", script: script, file: file) }
            let ok = result.requests - result.non2xx
            figures["submit_server_cpu_us_per_request"] = cpu
            figures["submissions_prepared"] = count
            figures["submissions_per_s"] = result.perSecond(ok)
            figures["submit_p50_us"] = result.p50
            figures["submit_p90_us"] = result.p90
            figures["submit_p99_us"] = result.p99
            figures["submit_errors"] = result.non2xx + result.socketErrors
        }
        if wanted.contains("stats") {
            let (result, cpu) = try cpuPerRequest { try runWrk(baseURL + "/v1/stats", script: script, file: nil) }
            figures["stats_server_cpu_us_per_request"] = cpu
            figures["stats_requests_per_s"] = result.perSecond(result.requests - result.non2xx)
            figures["stats_p50_us"] = result.p50
            figures["stats_p99_us"] = result.p99
            figures["stats_errors"] = result.non2xx + result.socketErrors
        }
        let ready = try await client.send(.GET, "/ready", signed: false)
        figures["log_entries"] = ((ready.json as? [String: Any])?["log_entries"] as? Int) ?? -1
        if json {
            JSONOutput.print(figures)
        } else {
            for key in figures.keys.sorted() { print("\(key): \(figures[key]!)") }
        }
    }

    /// A job spec that varies with `index` (GPU count and price), as compact JSON.
    static func spec(_ index: Int) -> String {
        let gpus = [1, 2, 4, 8][index % 4]
        return "{\"name\":\"bench-\(index)\",\"image\":\"ghcr.io/org/trainer:1.2\",\"resources\":{\"gpu\":{\"model\":\"H100\",\"count\":\(gpus),\"vram_gib\":80},\"cpu\":8,\"memory_gib\":64},\"nodes\":1,\"duration\":\"1h\",\"max_duration\":\"2h\",\"max_price\":0.0\(1 + index % 3)}"
    }

    /// Tops every key up to the devnet faucet's cap (10 × 1,000 credits), 32 requests at a time.
    func fund(_ keys: [Curve25519.Signing.PrivateKey], client: CoordinatorClient) async throws {
        let requests = keys.count * 10
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            func add() {
                let signer = client.signing(with: keys[next / 10])
                next += 1
                group.addTask {
                    let answer = try await signer.send(.POST, "/v1/faucet", body: Array(#"{"amount":"1000"}"#.utf8))
                    guard answer.status == 200 else { throw CleanExit.failure("funding a tenant: \(answer.errorSummary)") }
                }
            }
            for _ in 0..<min(32, requests) { add() }
            while try await group.next() != nil { if next < requests { add() } }
        }
    }

    /// Registers `nodesPerOperator` nodes for each operator (ids n0, n1, …), 32 requests at a time.
    func registerNodes(_ keys: [Curve25519.Signing.PrivateKey], client: CoordinatorClient) async throws {
        let total = keys.count * nodesPerOperator
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            func add() {
                let index = next
                next += 1
                let signer = client.signing(with: keys[index / nodesPerOperator])
                group.addTask {
                    let body = "{\"id\":\"n\(index)\",\"gpu_model\":\"H100\",\"gpus\":8,\"vram_gib\":80,\"cpu\":64,\"memory_gib\":512,\"region\":\"eu\",\"jurisdiction\":\"DE\",\"zone\":\"DE\",\"ask_price\":\"0.01\"}"
                    let answer = try await signer.send(.POST, "/v1/nodes", body: Array(body.utf8))
                    guard answer.status == 201 else { throw CleanExit.failure("registering node n\(index): \(answer.errorSummary)") }
                }
            }
            for _ in 0..<min(32, total) { add() }
            while try await group.next() != nil { if next < total { add() } }
        }
    }

    /// Signs `count` requests (round-robin over `keys`) into a tab-separated file, on every core.
    func prepare(file: String, count: Int, keys: [Curve25519.Signing.PrivateKey], for audience: RequestAudience,
                 request: @escaping @Sendable (Int, Curve25519.Signing.PrivateKey) -> (String, String, String)) async throws -> Int {
        let now = Int64(Date().timeIntervalSince1970)
        let run = CoordinatorClient.nonce().prefix(8)
        let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
        let keyCount = keys.count
        let chunks = try await withThrowingTaskGroup(of: (Int, [UInt8]).self) { group in
            for worker in 0..<workers {
                group.addTask {
                    var out: [UInt8] = []
                    var index = worker
                    while index < count {
                        let key = keys[index % keyCount]
                        let (method, path, body) = request(index % keyCount, key)
                        let nonce = "\(run)-\(index)-bench-nonce"
                        let signed = try SignedRequest.sign(for: audience, method: method, path: path, body: Array(body.utf8), timestamp: now, nonce: nonce, with: key)
                        // The command's signature (and a submission's salt), as `name:value,…`.
                        let extra = try CommandSigner(audience: audience, key: key)
                            .headers(method: method, path: path, body: Array(body.utf8), timestamp: now, nonce: nonce)
                            .map { "\($0.name):\($0.value)" }.joined(separator: ",")
                        out += Array("\(method)\t\(path)\t\(signed.signer.id)\t\(now)\t\(nonce)\t\(Hex.encode(signed.signature))\t\(extra)\t\(body)\n".utf8)
                        index += workers
                    }
                    return (worker, out)
                }
            }
            var all: [(Int, [UInt8])] = []
            for try await chunk in group { all.append(chunk) }
            return all.sorted { $0.0 < $1.0 }.map(\.1)
        }
        guard FileManager.default.createFile(atPath: file, contents: Data(chunks.joined())) else {
            throw CleanExit.failure("cannot write \(file)")
        }
        return count
    }

    struct WrkResult {
        var requests: Int
        var durationMicroseconds: Int
        var non2xx: Int
        var socketErrors: Int
        var p50: Int
        var p90: Int
        var p99: Int
        func perSecond(_ count: Int) -> Int { durationMicroseconds > 0 ? Int(Double(count) * 1e6 / Double(durationMicroseconds)) : 0 }
    }

    func runWrk(_ url: String, script: String, file: String?) throws -> WrkResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: which("wrk") ?? "/usr/bin/wrk")
        process.arguments = ["-t\(threads)", "-c\(connections)", "-d\(duration)s", "--timeout", "10s", "-s", script, url] + (file.map { ["--", $0, String(threads)] } ?? [])
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.standardError
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: output, as: UTF8.self)
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("OSGJSON ") }),
              let object = try? JSONSerialization.jsonObject(with: Data(line.dropFirst(8).utf8)) as? [String: Int]
        else { throw CleanExit.failure("wrk did not report figures:\n\(text)") }
        return WrkResult(requests: object["requests"] ?? 0, durationMicroseconds: object["duration_us"] ?? 0,
                         non2xx: object["non2xx"] ?? 0, socketErrors: object["socket_errors"] ?? 0,
                         p50: object["p50_us"] ?? 0, p90: object["p90_us"] ?? 0, p99: object["p99_us"] ?? 0)
    }

    func which(_ name: String) -> String? {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let path = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    /// Replays the prepared requests of the file named after `--`, one per wrk request, in
    /// order (each thread takes every n-th line); without a file, wrk's default request.
    static let luaScript = """
    local requests = {}
    local count, index = 0, 0
    local threads = {}
    function setup(thread)
      thread:set("thread_id", #threads)
      table.insert(threads, thread)
    end
    function init(args)
      local file = args[1]
      if file == nil then return end
      local thread_count = tonumber(args[2] or "1")
      local n = 0
      for line in io.lines(file) do
        if n % thread_count == (thread_id or 0) then
          local m, p, key, ts, nonce, sig, extra, body = line:match("^([^\\t]*)\\t([^\\t]*)\\t([^\\t]*)\\t([^\\t]*)\\t([^\\t]*)\\t([^\\t]*)\\t([^\\t]*)\\t(.*)$")
          local headers = {["OSG-Key"] = key, ["OSG-Timestamp"] = ts, ["OSG-Nonce"] = nonce, ["OSG-Signature"] = sig}
          for name, value in extra:gmatch("([^:,]+):([^,]+)") do headers[name] = value end
          if body ~= "" then headers["Content-Type"] = "application/json" else body = nil end
          count = count + 1
          requests[count] = wrk.format(m, p, headers, body)
        end
        n = n + 1
      end
    end
    function request()
      if count == 0 then return wrk.request() end
      index = index + 1
      if index > count then index = 1 end
      return requests[index]
    end
    function done(summary, latency, requests)
      local e = summary.errors
      io.write(string.format('OSGJSON {"requests":%d,"duration_us":%d,"non2xx":%d,"socket_errors":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d}\\n',
        summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
        latency:percentile(50), latency:percentile(90), latency:percentile(99)))
    end
    """
}

/// An `osg serve` child process on a free loopback port.
final class ChildServer: Sendable {
    let process: Process
    let url: String

    private init(process: Process, url: String) {
        self.process = process
        self.url = url
    }

    static func start(dataDirectory: String, clearInterval: Double) throws -> ChildServer {
        let process = Process()
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.executableURL = FileManager.default.isExecutableFile(atPath: executable.path) ? executable : URL(fileURLWithPath: CommandLine.arguments[0])
        process.arguments = ["serve", "--data", dataDirectory, "--port", "0", "--json", "--log-level", "warning", "--devnet-faucet",
                             "--clear-interval", String(clearInterval), "--rate-limit", "100000", "--address-rate", "1000000",
                             "--max-queued-jobs", "10000000"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.standardError
        try process.run()
        let lines = Mutex<String>("")
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            lines.withLock { $0 += String(decoding: data, as: UTF8.self) }
        }
        for _ in 0..<600 {
            let text = lines.withLock { $0 }
            if let line = text.split(separator: "\n").first,
               let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
               let url = object["listening"] as? String {
                pipe.fileHandleForReading.readabilityHandler = nil
                return ChildServer(process: process, url: url)
            }
            guard process.isRunning else { break }
            usleep(100_000)
        }
        process.terminate()
        throw CleanExit.failure("the coordinator did not start within 60 s")
    }

    /// User plus system CPU time of process `pid` so far, in microseconds (Linux `/proc`).
    static func cpuMicroseconds(_ pid: Int32) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // After the command name: state is field 3, utime 14 and stime 15 (1-based).
        guard fields.count > 13, let user = Int(fields[11]), let system = Int(fields[12]) else { return nil }
        let ticks = sysconf(Int32(_SC_CLK_TCK))
        return (user + system) * 1_000_000 / max(1, ticks)
    }

    /// SIGTERM, then waits for the clean stop.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }
}
