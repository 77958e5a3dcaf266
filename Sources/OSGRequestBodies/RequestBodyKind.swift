import Foundation
/// The JSON body of each write the coordinator's API accepts (docs/API.md), so a body can be
/// checked without a server: by the fuzz targets (Fuzz/FuzzRequestBodies), by tests, or by a
/// client before it signs. `POST /v1/jobs` takes a job spec instead (OSGSpec's `JobSpecReader`).
public enum RequestBodyKind: String, CaseIterable, Sendable {
    case faucet = "POST /v1/faucet"
    case pool = "POST /v1/pools"
    case poolFunding = "POST /v1/pools/{name}/funding"
    case grant = "POST /v1/grants"
    case nodeRegistration = "POST /v1/nodes"
    case nodeUpdate = "PATCH /v1/nodes/{id}"
    case benchmark = "POST /v1/nodes/{id}/benchmark"
    case shareIssue = "POST /v1/nodes/{id}/shares"
    case shareTransfer = "POST /v1/nodes/{id}/shares/transfers"
    case heartbeats = "POST /v1/heartbeats"
    case leaseEnd = "POST /v1/leases/{id}/end"
    case leaseLogs = "POST /v1/leases/{id}/logs"
    case leaseUsage = "POST /v1/leases/{id}/usage"
    case leaseSecrets = "POST /v1/leases/{id}/secrets"
    case lockup = "POST /v1/lockups"
    case carbon = "POST /v1/carbon"
    case transfer = "POST /v1/transfers"
    case deposit = "POST /v1/deposits"
    case withdrawal = "POST /v1/withdrawals"
    case withdrawalSettlement = "POST /v1/withdrawals/{id}/settlement"
    case governance = "POST /v1/governance"

    /// A body this route accepts (docs/API.md has the fields), as the seed of its fuzz target
    /// and the baseline of tests that spoil one field at a time.
    /// The route's path with example parameters (`{id}` → `gpu-node-1`, `{name}` → `students`).
    public var examplePath: String {
        String(rawValue.split(separator: " ")[1]).replacingOccurrences(of: "{id}", with: "gpu-node-1")
            .replacingOccurrences(of: "{name}", with: "students")
    }

    /// The route's method.
    public var method: String { String(rawValue.split(separator: " ")[0]) }

    /// Whether a write of this route logs a command (all but job logs and secrets).
    public var logsCommand: Bool { self != .leaseLogs && self != .leaseSecrets }

    public var example: String {
        let tenant = String(repeating: "ab", count: 32)
        switch self {
        case .faucet, .poolFunding: return #"{"amount": "250.5"}"#
        case .pool: return #"{"name": "students", "share_ppm": 100000, "price": "0.50", "ceiling": "2"}"#
        case .grant: return #"{"pool": "students", "tenant": "\#(tenant)", "quota_gpu_seconds": 36000, "expires": "2027-06-01T00:00:00Z"}"#
        case .nodeRegistration:
            return #"{"id": "gpu-node-1", "gpu_model": "H100", "gpus": 8, "vram_gib": 80, "cpu": 96, "memory_gib": 1024, "disk_gib": 2000, "region": "eu-west", "jurisdiction": "DE", "zone": "DE", "power_source": "grid", "ask_price": "2.10", "stake": "100", "simulated": false}"#
        case .nodeUpdate: return #"{"ask_price": "1.95"}"#
        case .benchmark:
            return #"{"tool": "osg-bench", "tool_version": "1.0", "duration_seconds": 30, "gpus_measured": 1, "fp16_dense_gflops": 900000, "fp32_gflops": 60000, "memory_bandwidth_mbps": 3000000, "host_to_device_mbps": 25000, "device_to_host_mbps": 25000, "host_cpu_cores": 96, "host_cpu_fp32_gflops": 3000, "host_memory_bandwidth_mbps": 200000}"#
        case .shareIssue: return #"{"shares": 1000}"#
        case .shareTransfer: return #"{"to": "\#(tenant)", "shares": 10}"#
        case .heartbeats: return #"{"nodes": ["gpu-node-1", "gpu-node-2"]}"#
        case .leaseEnd: return #"{"reason": "completed", "exit_code": 0, "outputs": [{"sha256": "\#(String(repeating: "0f", count: 32))", "size": 1024, "archive": true}, null]}"#
        case .leaseLogs: return #"{"lines": ["epoch 1: loss 2.31", "epoch 2: loss 1.87"], "first_line": 0, "node": "gpu-node-1"}"#
        case .leaseUsage: return #"{"through": "2026-12-01T10:00:00Z", "gpu_utilisation_per_mille": 870, "energy_wh": 1200, "gpu_clock_per_mille": 950, "cpu_milliseconds": 360000}"#
        case .leaseSecrets: return #"{"node": "gpu-node-1", "recipient": "\#(String(repeating: "1e", count: 32))"}"#
        case .lockup: return #"{"node": "gpu-node-1", "gpus": 4, "holder": "lab-7", "until": "2027-01-01T00:00:00Z"}"#
        case .carbon: return #"{"zone": "DE", "first_hour": "2026-12-01T00:00:00Z", "mg_per_kwh": [350000, 342500, 0]}"#
        case .transfer: return #"{"to": "\#(tenant)", "amount": "12.5"}"#
        case .deposit: return #"{"tenant": "\#(tenant)", "amount": "1000"}"#
        case .withdrawal: return #"{"amount": "40", "reference": "IBAN DE00 1234"}"#
        case .withdrawalSettlement: return #"{"paid": true}"#
        case .governance:
            // definePool(students, 10 %, 0.50), approved by one key.
            let command = "07" + "0008" + "73747564656e7473" + "00000000000186a0" + "000000000007a120"
            return #"{"counter": 0, "command": "\#(command)", "approvals": [{"key": "\#(String(repeating: "1e", count: 32))", "signature": "\#(String(repeating: "5a", count: 64))"}]}"#
        }
    }

    /// Decodes `bytes` as this route's body with every check the API makes before it forms a
    /// command (a node registration is also turned into the node it describes, as operator
    /// `operatorID`).
    ///
    /// - Throws: the ``APIError`` the API answers with: a 400 naming the field for malformed
    ///   JSON, a wrong type, a missing or unknown field or a value out of its bounds; a 422 for
    ///   a value the domain refuses.
    public func check(_ bytes: [UInt8], operatorID: String = String(repeating: "0", count: 64)) throws(APIError) {
        switch self {
        case .faucet, .poolFunding: _ = try StrictJSON.decode(AmountRequest.self, from: bytes)
        case .pool: _ = try StrictJSON.decode(PoolRequest.self, from: bytes)
        case .grant: _ = try StrictJSON.decode(GrantRequest.self, from: bytes)
        case .nodeRegistration: _ = try StrictJSON.decode(NodeRegistration.self, from: bytes).node(operatorID: operatorID)
        case .nodeUpdate: _ = try StrictJSON.decode(NodeUpdate.self, from: bytes)
        case .benchmark: _ = try StrictJSON.decode(BenchmarkReportBody.self, from: bytes)
        case .shareIssue: _ = try StrictJSON.decode(ShareIssueBody.self, from: bytes)
        case .shareTransfer: _ = try StrictJSON.decode(ShareTransferBody.self, from: bytes)
        case .heartbeats: _ = try StrictJSON.decode(HeartbeatBatch.self, from: bytes)
        case .leaseEnd: _ = try StrictJSON.decode(LeaseEndReport.self, from: bytes)
        case .leaseLogs: _ = try StrictJSON.decode(LogLines.self, from: bytes)
        case .leaseUsage: _ = try StrictJSON.decode(UsageReportBody.self, from: bytes)
        case .leaseSecrets: _ = try StrictJSON.decode(SecretsRequest.self, from: bytes)
        case .lockup: _ = try StrictJSON.decode(LockupRequest.self, from: bytes)
        case .carbon: _ = try StrictJSON.decode(CarbonSeriesRequest.self, from: bytes)
        case .transfer: _ = try StrictJSON.decode(TransferRequestBody.self, from: bytes)
        case .deposit: _ = try StrictJSON.decode(DepositRequestBody.self, from: bytes)
        case .withdrawal: _ = try StrictJSON.decode(WithdrawalRequestBody.self, from: bytes)
        case .withdrawalSettlement: _ = try StrictJSON.decode(WithdrawalSettlementBody.self, from: bytes)
        case .governance: _ = try StrictJSON.decode(GovernedCommandBody.self, from: bytes)
        }
    }
}
