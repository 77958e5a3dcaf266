import ArgumentParser
import Crypto
import Foundation
import Logging
import OSGAgent
import OSGDomain
import OSGServer

/// `osg bench blobs`: blob upload and download throughput on loopback with SHA-256 checks, and
/// how soon a job with a large input starts once it is leased.
struct BlobBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "blobs",
        abstract: "Measure blob upload and download (MB/s, SHA-256 checked) on loopback, and the start of a job with a large input.",
        discussion: """
            Starts a coordinator in this process (127.0.0.1, a free port, SQLite and the blob store in a temporary \
            folder or --data, devnet faucet, a market clearing every 0.5 s) and writes a file of --mib MiB of \
            pseudo-random bytes. Each of --runs rounds uploads it with `osg blobs put`'s client (hashing the file, \
            then signed chunks of --chunk-mib MiB, each hashed by the client to sign it and by the coordinator to \
            check the signature and the blob), downloads it with the agent's client (hashing as it writes), and \
            deletes it; MB is 10^6 bytes, the time includes every hash. Then, unless --no-job, one agent (the \
            bubblewrap sandbox executor) with a simulated one-GPU node runs a job that reads the blob as an input: \
            reported are the agent's time from the poll that showed the lease to the job running (the input \
            downloaded, checked and bound read-only in the sandbox) and the time from submission to the job's \
            first output line. Build with -c release for meaningful figures.
            """
    )

    @Option(name: .long, help: "Size of the blob, MiB (1-65536).")
    var mib = 1024

    @Option(name: .customLong("chunk-mib"), help: "Upload chunk, MiB (1-16).")
    var chunkMiB = 8

    @Option(name: .long, help: "Upload and download rounds (1-20).")
    var runs = 3

    @Flag(name: .customLong("no-job"), help: "Skip the job with the blob as an input (it needs bubblewrap).")
    var noJob = false

    @Option(name: .long, help: "An empty folder for the coordinator, the blob and the agent (default: a new temporary folder, removed afterwards).")
    var data: String?

    @Flag(name: .long, help: "Print one JSON object.")
    var json = false

    func validate() throws {
        guard (1...65_536).contains(mib) else { throw ValidationError("--mib must be 1-65536, got \(mib)") }
        guard (1...16).contains(chunkMiB) else { throw ValidationError("--chunk-mib must be 1-16, got \(chunkMiB)") }
        guard (1...20).contains(runs) else { throw ValidationError("--runs must be 1-20, got \(runs)") }
    }

    func run() async throws {
        let folder = URL(fileURLWithPath: data ?? FileManager.default.temporaryDirectory.appendingPathComponent("osg-bench-blobs-\(UInt64.random(in: 0...UInt64.max))").path)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o711])
        defer { if data == nil { try? FileManager.default.removeItem(at: folder) } }
        let logger = AgentBenchCommand.quietLogger("osg.bench.blobs")
        let local = try await LocalCoordinator.start(dataDirectory: folder.appendingPathComponent("coordinator").path, logger: logger) {
            $0.devnetFaucet = true
            $0.clearIntervalSeconds = 0.5
            $0.blobQuotaBytes = Int64(mib) << 21
        }
        defer { Task { await local.stop() } }
        let file = folder.appendingPathComponent("blob.bin")
        let bytes = Int64(mib) << 20
        try Self.writePseudoRandom(to: file, bytes: bytes)
        let tenantKey = Curve25519.Signing.PrivateKey()
        let tenant = CoordinatorClient(baseURL: local.url, key: tenantKey)
        let transfer = BlobTransfer(client: tenant, chunkBytes: chunkMiB << 20)
        let clock = ContinuousClock()
        var uploads: [Double] = [], downloads: [Double] = []
        var blob = OutputBlob(sha256: "", size: 0)
        for round in 0..<runs {
            let began = clock.now
            blob = try await transfer.upload(file)
            uploads.append(BenchStatistics.seconds(clock.now - began))
            let copy = folder.appendingPathComponent("copy.bin")
            let fetched = clock.now
            try await transfer.download(blob.sha256, size: blob.size, to: copy)
            downloads.append(BenchStatistics.seconds(clock.now - fetched))
            try FileManager.default.removeItem(at: copy)
            if round < runs - 1 { _ = try await tenant.send(.DELETE, "/v1/blobs/\(blob.sha256)") }
            if !json { print("round \(round + 1): upload \(Self.rate(bytes, uploads.last!)) MB/s, download \(Self.rate(bytes, downloads.last!)) MB/s") }
        }
        try? FileManager.default.removeItem(at: file)
        var report: [String: Any] = [
            "blob_mib": mib, "chunk_mib": chunkMiB, "runs": runs,
            "upload_mb_per_s_median": Self.rate(bytes, BenchStatistics.percentile(uploads.sorted(), 0.5)),
            "upload_mb_per_s_min": Self.rate(bytes, uploads.max()!),
            "download_mb_per_s_median": Self.rate(bytes, BenchStatistics.percentile(downloads.sorted(), 0.5)),
            "download_mb_per_s_min": Self.rate(bytes, downloads.max()!),
        ]
        if !noJob {
            let (leaseToRunning, submitToOutput) = try await jobStart(blob: blob, tenant: tenant, local: local, folder: folder, logger: logger)
            report["job_input_lease_to_running_s"] = leaseToRunning
            report["job_input_submit_to_first_output_s"] = submitToOutput
        }
        if json {
            JSONOutput.print(report)
        } else {
            for key in report.keys.sorted() { print("\(key): \(report[key]!)") }
        }
    }

    /// Runs one job reading `blob` on a fresh agent: the agent's poll-to-running time and the
    /// submission-to-first-output time, in seconds.
    private func jobStart(blob: OutputBlob, tenant: CoordinatorClient, local: LocalCoordinator, folder: URL, logger: Logger) async throws -> (Double, Double) {
        guard SandboxExecutor.isUsable else { throw CleanExit.failure("the job phase needs bubblewrap sandboxes (apt-get install bubblewrap), or pass --no-job") }
        let state = folder.appendingPathComponent("agent-state")
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o711])
        let executor = SandboxExecutor(stateDirectory: state.appendingPathComponent("leases"), logger: logger)
        let nodes = AgentBenchCommand.nodes(named: "blobs", gpus: 1, perNode: 1)
        let coordinator = HTTPAgentCoordinator(client: CoordinatorClient(baseURL: local.url, key: Curve25519.Signing.PrivateKey()))
        var timing = Agent.Timing()
        timing.benchmark = nil
        let agent = try Agent(nodes: nodes, offers: nodes.map { .init(id: $0.id, gpuIndices: [0]) }, coordinator: coordinator,
                              executor: executor, stateDirectory: state.appendingPathComponent("agent"), timing: timing, logger: logger,
                              data: coordinator)
        let task = WatchedTask { try await agent.run() }
        defer { task.cancel() }
        guard try await Polling.until(seconds: 30, { await agent.currentStatus.registered }) else {
            throw CleanExit.failure("the agent did not register within 30 s")
        }
        _ = try await tenant.send(.POST, "/v1/faucet", body: Array(#"{"amount":"100"}"#.utf8))
        let spec = #"{"name":"reads-a-blob","command":["/bin/sh","-c","wc -c < data/blob.bin"],"resources":{"gpu":{"count":1},"cpu":1,"memory_gib":1},"duration":"10m","max_price":"1","inputs":[{"path":"data/blob.bin","sha256":"\#(blob.sha256)","size":\#(blob.size)}]}"#
        let clock = ContinuousClock()
        let submitted = clock.now
        let answer = try await tenant.send(.POST, "/v1/jobs", body: Array(spec.utf8))
        guard answer.status == 201, let job = (answer.json as? [String: Any])?["job"] as? String else {
            throw CleanExit.failure("the job was refused: \(answer.errorSummary)")
        }
        var firstOutput: Double?
        _ = try await Polling.until(seconds: 120) {
            let logs = try await tenant.send(.GET, "/v1/jobs/\(job)/logs").json as? [String: Any]
            if let lines = logs?["lines"] as? [Any], !lines.isEmpty {
                firstOutput = BenchStatistics.seconds(clock.now - submitted)
                return true
            }
            return false
        }
        guard let firstOutput, let latency = await agent.startLatencies.first else {
            throw CleanExit.failure("the job with the \(blob.size)-byte input did not start within 120 s: \(await agent.currentStatus.lastError ?? "no error recorded")")
        }
        await executor.killAll()
        return (latency, firstOutput)
    }

    /// `bytes` bytes of SplitMix64 output, written in 8 MiB pieces.
    static func writePseudoRandom(to file: URL, bytes: Int64) throws {
        FileManager.default.createFile(atPath: file.path, contents: nil)
        guard let handle = FileHandle(forWritingAtPath: file.path) else { throw CleanExit.failure("cannot write \(file.path)") }
        defer { try? handle.close() }
        var random = SplitMix64(seed: 0x05B1_0B5)
        var left = bytes
        var buffer = [UInt64](repeating: 0, count: 1 << 20)
        while left > 0 {
            for index in buffer.indices { buffer[index] = random.next() }
            let count = Int(min(left, Int64(buffer.count * 8)))
            try buffer.withUnsafeBytes { try handle.write(contentsOf: Data($0.prefix(count))) }
            left -= Int64(count)
        }
    }

    /// MB (10^6 bytes) per second, one decimal.
    static func rate(_ bytes: Int64, _ seconds: Double) -> Double {
        (Double(bytes) / 1e6 / seconds * 10).rounded() / 10
    }
}
