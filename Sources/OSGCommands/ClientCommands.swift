import ArgumentParser
import Crypto
import Foundation
import NIOHTTP1
import OSGAuditTool
import OSGDomain
import OSGSpec

/// Options every client verb shares: where the coordinator is, who signs, and the output form.
struct ClientOptions: ParsableArguments {
    @Option(name: .long, help: "The coordinator's URL, http:// or https:// (default $OSG_COORDINATOR or http://127.0.0.1:7070).")
    var coordinator: String?

    @Option(name: .long, help: "Your key file (default $OSG_KEY or osg.key; create one with `osg keys new`).")
    var key: String?

    @Option(name: .long, help: "With an https coordinator: trust only the CA certificates in this PEM file (a private CA or a self-signed certificate) instead of the system's (default $OSG_CA_CERT).")
    var caCert: String?

    @Flag(name: .long, help: "Print the coordinator's JSON answer (one object) instead of text.")
    var json = false

    @Option(name: .long, help: "A witness's cosigner key (as `osg witness --print-key` prints it; default $OSG_WITNESSES, separated by spaces or commas): the coordinator's checkpoint must carry its cosignature, counted towards --quorum, before any answer is used (repeatable).")
    var witness: [String] = []

    @Option(name: .long, help: "How many of the witnesses must have cosigned the coordinator's checkpoint (default $OSG_QUORUM, else all of them).")
    var quorum: Int?

    @Option(name: .customLong("max-cosignature-age"), help: "With --witness: count only cosignatures made within this many seconds (default: any age).")
    var maxCosignatureAge: UInt64?

    var url: String {
        coordinator ?? ProcessInfo.processInfo.environment["OSG_COORDINATOR"] ?? "http://127.0.0.1:7070"
    }

    /// The key file a verb signs with: `flag`, else `$OSG_KEY`, else `osg.key`.
    static func keyPath(_ flag: String?) -> String {
        flag ?? ProcessInfo.processInfo.environment["OSG_KEY"] ?? "osg.key"
    }

    /// A client that signs with the key file.
    func signingClient() throws -> CoordinatorClient {
        let path = Self.keyPath(key)
        do {
            var client = CoordinatorClient(baseURL: url, key: try KeyFile.read(from: path).privateKey, trust: try trust())
            client.witnessQuorum = try witnessQuorum()
            return client
        } catch {
            throw CleanExit.failure("\(error)")
        }
    }

    /// A client for public reads.
    func publicClient() throws -> CoordinatorClient {
        do {
            var client = CoordinatorClient(baseURL: url, key: nil, trust: try trust())
            client.witnessQuorum = try witnessQuorum()
            return client
        } catch {
            throw CleanExit.failure("\(error)")
        }
    }

    /// What the witnesses must have cosigned before an answer is used (`nil`: nothing).
    func witnessQuorum() throws -> WitnessQuorum? {
        try WitnessQuorum.resolve(witness: witness, quorum: quorum, maxAge: maxCosignatureAge, environment: ProcessInfo.processInfo.environment)
    }

    /// The certificates an https coordinator may present: `--ca-cert`, `OSG_CA_CERT`, or the system's.
    func trust() throws -> CoordinatorTrust {
        try CoordinatorTrust.resolve(caCertificatePath: caCert, environment: ProcessInfo.processInfo.environment)
    }

    /// Sends a request and returns the JSON object of a 2xx answer; prints the error and exits
    /// 1 otherwise.
    func call(_ client: CoordinatorClient, _ method: HTTPMethod, _ path: String, body: [UInt8] = [],
              contentType: String = "application/json") async throws -> [String: Any] {
        let answer: CoordinatorClient.Answer
        do {
            answer = try await client.send(method, path, body: body, contentType: contentType)
        } catch {
            throw CleanExit.failure("\(error)")
        }
        guard (200..<300).contains(answer.status), let object = answer.json as? [String: Any] else {
            throw CleanExit.failure(answer.errorSummary)
        }
        if json { print(answer.text) }
        return object
    }

    /// These options without `--json`: for calls whose answers the verb prints itself (one
    /// JSON object at the end, or none), so ``call(_:_:_:body:contentType:)`` prints nothing.
    var quiet: ClientOptions {
        var copy = self
        copy.json = false
        return copy
    }
}

/// Percent-encodes a path segment (job ids are plain, but never trust input in a URL).
func pathSegment(_ text: String) -> String {
    text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_."))) ?? text
}

/// `osg submit SPEC`: submits a job spec to the coordinator.
struct SubmitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Submit a job spec (YAML or JSON) to the coordinator; prints the job id.")

    @Argument(help: "The job spec file (see docs/JOB_SPEC.md), or - for standard input.")
    var spec: String

    @Option(name: .long, help: "The set-aside pool to draw on (for class: set-aside jobs).")
    var pool: String?

    @Flag(name: .long, help: "Follow the job until it ends: its status changes on standard error, its output on standard output; exit 0 if it completed, 1 otherwise.")
    var wait = false

    @Option(name: .long, help: "With --wait: give up following after this many seconds (the job goes on; default 86400).")
    var timeout: Double = 86_400

    @Option(name: .long, help: "PATH=FILE: upload FILE (resuming an interrupted upload) and add it to the spec's inputs at PATH in the job's work directory. Repeatable.")
    var input: [String] = []

    @Option(name: .long, help: "NAME=@FILE: seal FILE's bytes (at most 64 KiB) to the coordinator's key and give them to the job as the read-only file /run/secrets/NAME ($NAME_FILE names it) when its lease starts; never in the log. Repeatable.")
    var secret: [String] = []

    @OptionGroup var options: ClientOptions

    func run() async throws {
        var text: Data
        do { text = try InputFile.readData(spec) } catch { throw CleanExit.failure("\(error)") }
        var isJSON = spec.hasSuffix(".json") || text.first == UInt8(ascii: "{")
        let path = "/v1/jobs" + (pool.map { "?pool=\(pathSegment($0))" } ?? "")
        let client = try options.signingClient()
        if !input.isEmpty || !secret.isEmpty {
            text = Data(try await Self.addingData(inputs: input, secrets: secret, to: text, client: client).utf8)
            isJSON = false
        }
        let answer = try await (wait ? options.quiet : options).call(
            client, .POST, path, body: Array(text), contentType: isJSON ? "application/json" : "application/yaml")
        let job = answer["job"] as? String ?? ""
        guard wait else {
            guard !options.json else { return }
            print(job)
            // The estimate on standard error: standard output stays the job id alone, for scripts.
            if let view = try? await options.quiet.call(client, .GET, "/v1/jobs/\(pathSegment(job))"),
               let start = view["estimated_start"] as? String {
                FileHandle.standardError.write(Data("estimated start: \(start) (\(view["estimated_start_basis"] ?? "?"))\n".utf8))
            }
            return
        }
        guard timeout > 0 else { throw CleanExit.failure("--timeout must be above 0 seconds; got \(timeout)") }
        if !options.json { FileHandle.standardError.write(Data("\(job): submitted\n".utf8)) }
        var follower = JobFollower(options: options, client: client, job: job)
        let final = try await follower.follow(narrate: !options.json, maxSeconds: timeout)
        let status = final["status"] as? String ?? "?"
        if options.json { JSONOutput.print(["job": job, "status": status, "output_lines": follower.printedLines]) }
        guard status == "completed" else { throw ExitCode(1) }
    }
}

extension SubmitCommand {
    /// The spec with each `PATH=FILE` uploaded and added to its inputs, and each `NAME=@FILE`
    /// sealed, uploaded and added to its secrets, as YAML.
    static func addingData(inputs: [String], secrets: [String], to text: Data, client: CoordinatorClient) async throws -> String {
        let read = JobSpecReader.read(String(decoding: text, as: UTF8.self), now: WallClock.now())
        guard var spec = read.spec else {
            throw CleanExit.failure("the spec is not valid: " + read.problems.map(\.description).joined(separator: "; "))
        }
        let transfer = BlobTransfer(client: client)
        var added = spec.inputs ?? []
        for item in inputs {
            guard let equals = item.firstIndex(of: "="), equals != item.startIndex else {
                throw CleanExit.failure("--input '\(item)': write PATH=FILE (PATH in the job's work directory, FILE here)")
            }
            let path = String(item[..<equals]), file = String(item[item.index(after: equals)...])
            guard JobDataPath.isValid(path) else { throw CleanExit.failure("--input '\(item)': '\(path)' is not a relative path inside the work directory") }
            let blob: OutputBlob
            do { blob = try await transfer.upload(URL(fileURLWithPath: file)) } catch { throw CleanExit.failure("--input \(file): \(error)") }
            FileHandle.standardError.write(Data("uploaded \(file) (\(blob.size) bytes, sha256 \(blob.sha256))\n".utf8))
            added.append(JobInput(path: path, sha256: blob.sha256, size: blob.size))
        }
        spec.inputs = added.isEmpty ? nil : added
        var sealedSecrets = spec.secrets ?? []
        for item in secrets {
            sealedSecrets.append(try await sealAndUpload(item, client: client))
        }
        spec.secrets = sealedSecrets.isEmpty ? nil : sealedSecrets
        let problems = spec.problems(now: WallClock.now())
        guard problems.isEmpty else { throw CleanExit.failure("the spec is not valid: " + problems.map(\.description).joined(separator: "; ")) }
        return JobSpecWriter.yaml(spec)
    }

    /// Seals `NAME=@FILE` to the coordinator's sealing key and uploads the sealed bytes.
    static func sealAndUpload(_ item: String, client: CoordinatorClient) async throws -> JobSecret {
        guard let equals = item.firstIndex(of: "="), item[item.index(after: equals)...].hasPrefix("@") else {
            throw CleanExit.failure("--secret '\(item.prefix(40))': write NAME=@FILE (the value is read from FILE, never from the command line)")
        }
        let name = String(item[..<equals]), file = String(item[item.index(equals, offsetBy: 2)...])
        guard JobSpec.isValidEnvironmentName(name), !name.hasPrefix("OSG_") else {
            throw CleanExit.failure("--secret \(name): a secret's name is a variable name (letters, digits, '_'; not OSG_…)")
        }
        let value: Data
        do { value = try InputFile.readData(file) } catch { throw CleanExit.failure("--secret \(name): \(error)") }
        let info = try await client.send(.GET, "/v1/info", signed: false)
        guard let keyHex = (info.json as? [String: Any])?["sealing_key"] as? String, let raw = Hex.decode(keyHex),
              let key = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: raw) else {
            throw CleanExit.failure("the coordinator publishes no sealing key at /v1/info: it cannot take secrets")
        }
        let sealed: [UInt8]
        do { sealed = try SealedSecret.seal(Array(value), to: key, info: SealedSecret.submissionInfo(name: name, tenant: client.signerID ?? "")) } catch {
            throw CleanExit.failure("--secret \(name): \(error.description)")
        }
        let temporary = FileManager.default.temporaryDirectory.appendingPathComponent("osg-sealed-\(UInt64.random(in: 0...UInt64.max))")
        try Data(sealed).write(to: temporary, options: .withoutOverwriting)
        defer { try? FileManager.default.removeItem(at: temporary) }
        let blob: OutputBlob
        do { blob = try await BlobTransfer(client: client).upload(temporary) } catch { throw CleanExit.failure("--secret \(name): \(error)") }
        FileHandle.standardError.write(Data("sealed secret \(name) (\(value.count) bytes) for the coordinator\n".utf8))
        return JobSecret(name: name, sealed: blob.sha256)
    }
}

/// `osg jobs`: your jobs and their status.
struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "jobs", abstract: "List your jobs: status, queue position, why pending.")

    @OptionGroup var options: ClientOptions

    func run() async throws {
        let answer = try await options.call(try options.signingClient(), .GET, "/v1/jobs")
        guard !options.json else { return }
        let text = TextTable.cell
        var table = TextTable(header: ["JOB", "STATUS", "NAME", "SHAPE", "QUEUE", "WAITING", "ESTIMATED START"])
        for job in answer["jobs"] as? [[String: Any]] ?? [] {
            let start = (job["estimated_start"] as? String).map { "\($0) (\(text(job["estimated_start_basis"])))" } ?? ""
            table.rows.append([
                text(job["id"]), text(job["status"]), job["name"] as? String ?? "",
                "\(job["nodes"] ?? 1)×\(job["gpus_per_node"] ?? 0) \(job["gpu_model"] ?? "")",
                (job["queue_position"]).map { "#\($0)" } ?? "", job["waiting_reason"] as? String ?? "", start,
            ])
        }
        table.print(empty: "no jobs")
    }
}

/// `osg cancel JOB`.
struct CancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cancel", abstract: "Cancel one of your jobs.")

    @Argument(help: "The job id (from osg submit or osg jobs).")
    var job: String

    @OptionGroup var options: ClientOptions

    func run() async throws {
        _ = try await options.call(try options.signingClient(), .DELETE, "/v1/jobs/\(pathSegment(job))")
        if !options.json { print("cancelled \(job)") }
    }
}

/// `osg logs JOB`.
struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "Print the output lines the operator's agent streamed for one of your jobs.")

    @Argument(help: "The job id.")
    var job: String

    @Flag(name: [.short, .long], help: "Keep printing new lines until the job ends.")
    var follow = false

    @OptionGroup var options: ClientOptions

    func run() async throws {
        if follow {
            guard !options.json else { throw CleanExit.failure("--follow prints lines as they come; it does not combine with --json") }
            var follower = JobFollower(options: options, client: try options.signingClient(), job: job)
            _ = try await follower.follow(narrate: false, maxSeconds: 86_400 * 30)
            return
        }
        let answer = try await options.call(try options.signingClient(), .GET, "/v1/jobs/\(pathSegment(job))/logs")
        guard !options.json else { return }
        if let dropped = answer["dropped_lines"] as? Int, dropped > 0 { print("(\(dropped) earlier lines dropped)") }
        for line in answer["lines"] as? [String] ?? [] { print(line) }
    }
}

/// `osg faucet AMOUNT`: devnet credits.
struct FaucetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "faucet", abstract: "Ask a devnet coordinator for credits (capped).")

    @Argument(help: "Credits, e.g. 100 or 2.5.")
    var amount: String

    @OptionGroup var options: ClientOptions

    func run() async throws {
        let body = Array(JSONOutput.string(["amount": amount]).utf8)
        let answer = try await options.call(try options.signingClient(), .POST, "/v1/faucet", body: body)
        if !options.json { print("balance: \(answer["balance"] ?? "?") credits") }
    }
}

/// `osg providers`: operators and their capacity.
struct ProvidersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "providers", abstract: "List operators with their nodes, GPUs, regions and benchmark results.")

    @OptionGroup var options: ClientOptions

    func run() async throws {
        let answer = try await options.call(try options.publicClient(), .GET, "/v1/providers")
        guard !options.json else { return }
        let providers = answer["providers"] as? [[String: Any]] ?? []
        let text = TextTable.cell
        var operators = TextTable(header: ["OPERATOR", "NODES ONLINE", "GPUS IN USE", "SIMULATED GPUS", "MODELS", "REGIONS"])
        var nodes = TextTable(header: ["NODE", "OPERATOR", "GPUS", "BENCHMARK", "CLAIMED VS OBSERVED"])
        for provider in providers {
            let id = TextTable.abbreviated(text(provider["id"]))
            operators.rows.append([
                id, "\(text(provider["online_nodes"]))/\(text(provider["nodes"]))", "\(text(provider["allocated_gpus"]))/\(text(provider["gpus"]))",
                text(provider["simulated_gpus"] ?? 0), (provider["gpu_models"] as? [String] ?? []).joined(separator: ","),
                (provider["regions"] as? [String] ?? []).joined(separator: ","),
            ])
            let benchmarks = Dictionary((provider["benchmarks"] as? [[String: Any]] ?? []).map { (text($0["node"]), $0) }, uniquingKeysWith: { first, _ in first })
            for claim in provider["claimed_vs_observed"] as? [[String: Any]] ?? [] {
                let node = text(claim["node"])
                nodes.rows.append([
                    node, id, "\(text(claim["gpu_model"]))×\(text(claim["gpus"]))",
                    benchmarks[node].map { Self.benchmarkSummary($0["result"] as? [String: Any] ?? [:]) } ?? "none posted",
                    Self.claimSummary(claim["figures"] as? [String: Any] ?? [:]),
                ])
            }
        }
        operators.print(empty: "no providers")
        let simulated = providers.reduce(0) { $0 + ($1["simulated_gpus"] as? Int ?? 0) }
        if simulated > 0 {
            let all = providers.reduce(0) { $0 + ($1["gpus"] as? Int ?? 0) }
            print("\(simulated) of \(all) GPUs are simulated (osg agent --simulate): not real hardware")
        }
        if !nodes.rows.isEmpty {
            print("")
            nodes.print(empty: "")
        }
    }

    /// A node's benchmark in one cell: the GPU figures per GPU when any GPU was measured, and
    /// the host's.
    static func benchmarkSummary(_ result: [String: Any]) -> String {
        var parts: [String] = []
        if let measured = result["gpus_measured"] as? Int, measured > 0 {
            parts.append("FP16 \(result["fp16_dense_gflops"] ?? "?") GFLOP/s, FP32 \(result["fp32_gflops"] ?? "?") GFLOP/s, memory \(result["memory_bandwidth_mbps"] ?? "?") MB/s per GPU (\(measured) GPUs)")
        } else {
            parts.append("no GPU measured")
        }
        if let cores = result["host_cpu_cores"] {
            parts.append("host \(cores) cores, \(result["host_cpu_fp32_gflops"] ?? "?") GFLOP/s, \(result["host_memory_bandwidth_mbps"] ?? "?") MB/s")
        }
        return parts.joined(separator: "; ") + " [\(result["tool"] ?? "?") \(result["tool_version"] ?? "?")]"
    }

    /// A node's claimed-vs-observed figures in one cell.
    static func claimSummary(_ figures: [String: Any]) -> String {
        let ratios = figures["benchmark_per_mille"] as? [String: Any] ?? [:]
        func share(_ value: Any?) -> String { (value as? Int).map { "\(Double($0) / 10) %" } ?? "n/a" }
        return "benchmark/data sheet FP16 \(share(ratios["fp16_dense_gflops"])), memory \(share(ratios["memory_bandwidth_mbps"])); \(figures["leases_reported"] ?? 0) leases reported, utilisation \(share(figures["utilisation_per_mille"])), clock \(share(figures["clock_per_mille"])), observed/claimed \(share(figures["observed_per_mille"]))"
    }
}

/// `osg stats`: the published statistics.
struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stats", abstract: "Print the published statistics: queue times, acceptance, utilisation, prices.")

    @OptionGroup var options: ClientOptions

    func run() async throws {
        let answer = try await options.call(try options.publicClient(), .GET, "/v1/stats")
        guard !options.json else { return }
        print("log entries \(answer["log_entries"] ?? 0), online GPUs \(answer["online_gpus"] ?? 0) (\(answer["online_simulated_gpus"] ?? 0) simulated), utilisation \(TextTable.percent(answer["utilisation_ppm"])), pending \(answer["pending_jobs"] ?? 0), running \(answer["running_jobs"] ?? 0)")
        var groups = TextTable(header: ["CLASS", "SUBMITTED", "STARTED", "ACCEPTANCE", "WAIT P50", "P90", "P99"])
        for (title, key) in [("users", "by_user_class"), ("GPUs", "by_resource_class")] {
            for (name, group) in (answer[key] as? [String: [String: Any]] ?? [:]).sorted(by: { $0.key < $1.key }) {
                func seconds(_ key: String) -> String { (group[key] as? Int).map { "\($0) s" } ?? "-" }
                groups.rows.append([
                    "\(title): \(name)", TextTable.cell(group["submitted"]), TextTable.cell(group["started"]), TextTable.percent(group["acceptance_ppm"]),
                    seconds("queue_p50_seconds"), seconds("queue_p90_seconds"), seconds("queue_p99_seconds"),
                ])
            }
        }
        groups.print(empty: "no job submitted yet")
        let prices = (answer["price_index"] as? [String: String] ?? [:]).sorted { $0.key < $1.key }
        if !prices.isEmpty { print("price index per GPU-hour: " + prices.map { "\($0.key) \($0.value)" }.joined(separator: ", ")) }
        if let concentration = answer["concentration"] as? [String: Any] {
            print("decentralisation: \(concentration["operators"] ?? 0) operators, \(concentration["jurisdictions"] ?? 0) jurisdictions, \(concentration["zones"] ?? 0) grid zones with GPUs online; largest operator \(TextTable.percent(concentration["top1_share_ppm"])), ten largest \(TextTable.percent(concentration["top10_share_ppm"])) of \(concentration["gpus"] ?? 0) GPUs; HHI \(concentration["herfindahl_hirschman_index"] ?? 0) of 10000")
        }
        if let energy = answer["energy"] as? [String: Any] {
            let kWh = Double(energy["watt_hours"] as? Int ?? 0) / 1_000
            let perHour = (energy["watt_hours_per_gpu_hour"] as? Int).map { "\($0) Wh per GPU-hour" } ?? "no lease reported energy yet (simulated GPUs and hosts without a meter report none)"
            let sources = (energy["watt_hours_by_power_source"] as? [String: Int] ?? [:]).sorted { $0.key < $1.key }
                .map { "\($0.key) \(String(format: "%.3f", Double($0.value) / 1_000))" }.joined(separator: ", ")
            print("energy reported: \(String(format: "%.3f", kWh)) kWh, \(perHour)\(sources.isEmpty ? "" : "; kWh by power source: \(sources)")")
        }
    }
}

/// `osg market book`: the order book (the default of `osg market`).
struct MarketBookCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "book", abstract: "Print the coordinator's order book: pending bids and free capacity per node shape.")

    @OptionGroup var options: ClientOptions

    func run() async throws {
        let answer = try await options.call(try options.publicClient(), .GET, "/v1/market")
        guard !options.json else { return }
        let text = TextTable.cell
        var asks = TextTable(header: ["GPU", "PER NODE", "VRAM GIB", "REGION", "NODES", "FREE GPUS", "LOWEST ASK", "SIMULATED"])
        for ask in answer["asks"] as? [[String: Any]] ?? [] {
            asks.rows.append([
                text(ask["gpu_model"]), text(ask["gpus_per_node"]), text(ask["vram_gib"]), text(ask["region"]), text(ask["nodes"]),
                text(ask["free_gpus"]), text(ask["lowest_ask"]), (ask["simulated"] as? Bool) == true ? "yes" : "no",
            ])
        }
        asks.print(empty: "no capacity offered")
        print("")
        var bids = TextTable(header: ["JOB", "CLASS", "SHAPE", "MAX PRICE", "SUBMITTED", "WAITING"])
        for bid in (answer["bids"] as? [[String: Any]] ?? []).prefix(50) {
            bids.rows.append([
                text(bid["job"]), text(bid["job_class"]), "\(bid["nodes"] ?? 1)×\(bid["gpus_per_node"] ?? 0) \(bid["gpu_model"] ?? "?")",
                text(bid["max_price"]), text(bid["submitted"]), bid["waiting_reason"] as? String ?? "",
            ])
        }
        bids.print(empty: "no job waiting")
        let pending = answer["pending_jobs"] as? Int ?? 0
        if pending > bids.rows.count { print("… and \(pending - bids.rows.count) more waiting (--json lists up to 1000)") }
    }
}
