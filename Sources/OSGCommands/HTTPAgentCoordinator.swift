import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import OSGAgent
import OSGDomain

/// The agent's view of the coordinator over its HTTP API, every write signed with the
/// operator's key (``CoordinatorClient``).
struct HTTPAgentCoordinator: AgentCoordinator, LeaseDataTransfer {
    let client: CoordinatorClient

    func fetch(_ input: JobInput, to file: URL) async throws {
        let transfer = BlobTransfer(client: client)
        if let url = input.url {
            try await transfer.download(url: url, sha256: input.sha256, size: input.size, to: file)
        } else {
            try await transfer.download(input.sha256, size: input.size, to: file)
        }
    }

    func upload(output file: URL, job: String) async throws -> OutputBlob {
        try await BlobTransfer(client: client).upload(file, job: job)
    }

    func secrets(leaseID: String, node: String, recipient: [UInt8]) async throws -> [(name: String, sealed: [UInt8])] {
        let body = try JSONSerialization.data(withJSONObject: ["node": node, "recipient": Hex.encode(recipient)])
        let answer = try await Self.retryingTransientFailures { try await client.send(.POST, "/v1/leases/\(leaseID)/secrets", body: Array(body), signed: true) }
        guard answer.status == 200, let items = (answer.json as? [String: Any])?["secrets"] as? [[String: Any]] else {
            throw BlobTransfer.Failure(description: answer.errorSummary)
        }
        return try items.map { item in
            guard let name = item["name"] as? String, let sealed = (item["sealed"] as? String).flatMap(Hex.decode) else {
                throw BlobTransfer.Failure(description: "the coordinator's secrets answer is malformed")
            }
            return (name, sealed)
        }
    }

    /// Pauses before the attempts after a transient failure: a job's contents and secrets are
    /// fetched again for about 7.5 s (a coordinator restart, a 503 `contents_unavailable`)
    /// before the lease is given up as `input_failed`.
    static let transientRetryPauses: [Duration] = [.milliseconds(500), .seconds(1), .seconds(2), .seconds(4)]

    /// `request`'s answer, asked again after each pause of ``transientRetryPauses`` while it
    /// cannot be made or is a 429 or a 5xx; a refusal (another 4xx) is answered at once.
    static func retryingTransientFailures(
        pauses: [Duration] = transientRetryPauses, _ request: () async throws -> CoordinatorClient.Answer
    ) async throws -> CoordinatorClient.Answer {
        var pauses = pauses[...]
        while true {
            do {
                let answer = try await request()
                guard answer.status == 429 || answer.status >= 500, let pause = pauses.popFirst() else { return answer }
                try await Task.sleep(for: pause)
            } catch let failure as CoordinatorClient.Failure {
                guard let pause = pauses.popFirst() else { throw failure }
                try await Task.sleep(for: pause)
            }
        }
    }

    func contents(_ digest: String) async throws -> [UInt8] {
        let answer = try await Self.retryingTransientFailures { try await client.send(.GET, "/v1/blobs/\(digest)", signed: true) }
        guard answer.status == 200 else { throw BlobTransfer.Failure(description: answer.errorSummary) }
        guard answer.body.count <= 1 << 20, Hex.encode(Array(SHA256.hash(data: answer.body))) == digest else {
            throw BlobTransfer.Failure(description: "the contents blob does not hash to \(digest)")
        }
        return answer.body
    }

    func register(_ node: NodeRegistrationRequest) async throws(AgentCoordinatorError) {
        let answer = try await send(.POST, "/v1/nodes", body: try encode(node))
        if answer.status == 409, Self.code(of: answer) == "duplicate_node" {
            // Registered before (an agent restart): bring the ask up to date, nothing else changes.
            let patch = try encode(["ask_price": node.askPrice])
            try Self.check(try await send(.PATCH, "/v1/nodes/\(node.id)", body: patch))
            return
        }
        try Self.check(answer)
    }

    func heartbeat(nodeIDs: [String]) async throws(AgentCoordinatorError) {
        try Self.check(try await send(.POST, "/v1/heartbeats", body: try encode(["nodes": nodeIDs])))
    }

    func pollLeases(after version: UInt64, waitSeconds: Int) async throws(AgentCoordinatorError) -> (version: UInt64, leases: [PolledLease]) {
        let answer = try await send(.GET, "/v1/leases?after=\(version)&wait=\(waitSeconds)", timeout: .seconds(Int64(waitSeconds) + 30))
        try Self.check(answer)
        struct Poll: Decodable {
            var version: UInt64
            var leases: [PolledLease]
        }
        do {
            let poll = try JSONDecoder().decode(Poll.self, from: Data(answer.body))
            return (poll.version, poll.leases)
        } catch {
            throw .unreachable("the coordinator's lease list could not be read: \(error)")
        }
    }

    func endLease(_ leaseID: String, report: LeaseReconciler.EndReport) async throws(AgentCoordinatorError) {
        struct Body: Encodable {
            var reason: String
            var exit_code: Int?
            var outputs: [OutputBlob?]?
        }
        let body = Body(reason: report.reason.rawValue, exit_code: report.exitCode, outputs: report.outputs)
        try Self.check(try await send(.POST, "/v1/leases/\(leaseID)/end", body: try encode(body)))
    }

    func postLogs(leaseID: String, nodeID: String, firstLine: Int, lines: [String]) async throws(AgentCoordinatorError) {
        struct Body: Encodable {
            var lines: [String]
            var first_line: Int
            var node: String
        }
        try Self.check(try await send(.POST, "/v1/leases/\(leaseID)/logs", body: try encode(Body(lines: lines, first_line: firstLine, node: nodeID))))
    }

    func reportBenchmark(nodeID: String, result: NodeBenchmark) async throws(AgentCoordinatorError) {
        // The host figures are left out of the body when absent (synthesized encoding skips nil).
        struct Body: Encodable {
            var tool: String
            var tool_version: String
            var duration_seconds: Int64
            var gpus_measured: Int
            var fp16_dense_gflops: Int64
            var fp32_gflops: Int64
            var memory_bandwidth_mbps: Int64
            var host_to_device_mbps: Int64
            var device_to_host_mbps: Int64
            var host_cpu_cores: Int?
            var host_cpu_fp32_gflops: Int64?
            var host_memory_bandwidth_mbps: Int64?
        }
        let body = Body(
            tool: result.tool, tool_version: result.toolVersion, duration_seconds: result.durationSeconds,
            gpus_measured: result.gpusMeasured, fp16_dense_gflops: result.fp16DenseGFLOPS, fp32_gflops: result.fp32GFLOPS,
            memory_bandwidth_mbps: result.memoryBandwidthMBps, host_to_device_mbps: result.hostToDeviceMBps,
            device_to_host_mbps: result.deviceToHostMBps, host_cpu_cores: result.host?.cpuCores,
            host_cpu_fp32_gflops: result.host?.cpuFP32GFLOPS, host_memory_bandwidth_mbps: result.host?.memoryBandwidthMBps)
        try Self.check(try await send(.POST, "/v1/nodes/\(nodeID)/benchmark", body: try encode(body)))
    }

    func reportUsage(leaseID: String, through: Timestamp, counters: UsageCounters) async throws(AgentCoordinatorError) {
        // Absent counters are left out of the body (synthesized encoding skips nil).
        struct Body: Encodable {
            var through: String
            var gpu_utilisation_per_mille: Int?
            var energy_wh: Int64?
            var gpu_clock_per_mille: Int?
            var cpu_milliseconds: Int64?
        }
        let body = Body(through: through.description, gpu_utilisation_per_mille: counters.gpuUtilisationPerMille, energy_wh: counters.energyWh,
                        gpu_clock_per_mille: counters.gpuClockPerMille, cpu_milliseconds: counters.cpuMilliseconds)
        try Self.check(try await send(.POST, "/v1/leases/\(leaseID)/usage", body: try encode(body)))
    }

    // MARK: Plumbing

    private func send(_ method: HTTPMethod, _ path: String, body: [UInt8] = [], timeout: TimeAmount = .seconds(30))
        async throws(AgentCoordinatorError) -> CoordinatorClient.Answer {
        do {
            return try await client.send(method, path, body: body, timeout: timeout)
        } catch {
            throw .unreachable("\(error)")
        }
    }

    private func encode(_ value: some Encodable) throws(AgentCoordinatorError) -> [UInt8] {
        do { return Array(try JSONEncoder().encode(value)) } catch { throw .refused(status: 0, code: "unencodable", message: "\(error)") }
    }

    /// A 2xx passes; a 5xx or 429 is "try again later"; another 4xx is a refusal.
    private static func check(_ answer: CoordinatorClient.Answer) throws(AgentCoordinatorError) {
        switch answer.status {
        case 200..<300: return
        case 429, 500...: throw .unreachable(answer.errorSummary)
        default: throw .refused(status: answer.status, code: code(of: answer) ?? "http_\(answer.status)", message: answer.errorSummary)
        }
    }

    private static func code(of answer: CoordinatorClient.Answer) -> String? {
        ((answer.json as? [String: Any])?["error"] as? [String: Any])?["code"] as? String
    }
}
