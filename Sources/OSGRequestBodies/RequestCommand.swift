import Foundation
import OSGCore
import OSGDomain
import OSGSpec

// The command each write of the API asks for, built from its body in one place: the
// coordinator's routes log it, and a client signs its statement (OSGCore `CommandStatement`,
// the `OSG-Command-Signature` header) with the very same function, so both sides always agree
// on the bytes (docs/API.md, "Signed commands").

extension NodeRegistration {
    /// `POST /v1/nodes`.
    package func command(signer: String) throws(APIError) -> Command { .registerNode(try node(operatorID: signer)) }
}

extension NodeUpdate {
    /// `PATCH /v1/nodes/{id}`.
    package func command(nodeID: String) -> Command { .updateNodeAsk(nodeID: nodeID, askPerGPUHour: MicroCredits(askPrice)) }
}

extension HeartbeatBatch {
    /// `POST /v1/heartbeats`.
    package var command: Command { .heartbeat(nodeIDs: nodes) }
}

extension LeaseEndReport {
    /// `POST /v1/leases/{id}/end`.
    package func command(leaseID: String) -> Command { .endLease(leaseID: leaseID, reason: reason, exitCode: exitCode, outputs: outputs) }
}

extension LockupRequest {
    /// `POST /v1/lockups`.
    package var command: Command { .lockUp(nodeID: node, gpus: gpus, holderID: holder, until: until) }
}

extension BenchmarkReportBody {
    /// `POST /v1/nodes/{id}/benchmark`.
    package func command(nodeID: String) -> Command { .reportBenchmark(nodeID: nodeID, result: result) }
}

extension UsageReportBody {
    /// `POST /v1/leases/{id}/usage`.
    package func command(leaseID: String) -> Command { .reportUsage(leaseID: leaseID, through: through, counters: counters) }
}

extension CarbonSeriesRequest {
    /// `POST /v1/carbon`.
    package var command: Command { .recordCarbonSeries(zone: zone, firstHour: firstHour, milligramsPerKWh: milligramsPerKWh) }
}

extension PoolRequest {
    /// `POST /v1/pools`.
    package var command: Command {
        .definePool(SetAsidePool(name: name, sharePPM: sharePpm, pricePerGPUHour: MicroCredits(price), ceilingPerGPUHour: ceiling.map(MicroCredits.init)))
    }
}

extension GrantRequest {
    /// `POST /v1/grants`.
    package var command: Command {
        .grantSetAside(SetAsideGrant(pool: pool, tenantID: tenant, quotaGPUSeconds: quotaGpuSeconds, expires: expires))
    }
}

extension AmountRequest {
    /// `POST /v1/faucet`: a deposit to the signer itself.
    package func faucetCommand(signer: String) -> Command { .deposit(tenantID: signer, amount: MicroCredits(amount)) }
    /// `POST /v1/pools/{name}/funding`.
    package func fundingCommand(pool: String) -> Command { .fundPool(name: pool, amount: MicroCredits(amount)) }
}

extension TransferRequestBody {
    /// `POST /v1/transfers`.
    package var command: Command { .transferCredits(to: to, amount: MicroCredits(amount)) }
}

extension DepositRequestBody {
    /// `POST /v1/deposits`.
    package var command: Command { .deposit(tenantID: tenant, amount: MicroCredits(amount)) }
}

extension WithdrawalRequestBody {
    /// `POST /v1/withdrawals`.
    package var command: Command { .requestWithdrawal(amount: MicroCredits(amount), reference: reference) }
}

extension WithdrawalSettlementBody {
    /// `POST /v1/withdrawals/{id}/settlement`.
    package func command(withdrawalID: String) -> Command { .settleWithdrawal(withdrawalID: withdrawalID, paid: paid) }
}

extension ShareIssueBody {
    /// `POST /v1/nodes/{id}/shares`.
    package func command(nodeID: String) -> Command { .issueShares(nodeID: nodeID, shares: shares) }
}

extension ShareTransferBody {
    /// `POST /v1/nodes/{id}/shares/transfers`.
    package func command(nodeID: String) -> Command { .transferShares(nodeID: nodeID, to: to, shares: shares) }
}

/// The command a request of the coordinator's API asks for, as the coordinator builds it: what
/// a client signs in `OSG-Command-Signature`.
public enum RequestCommand {
    /// The job a submission's spec text asks for, as logged: its public part, with the
    /// commitment to its private contents under `salt` (the `OSG-Contents-Salt` header).
    /// `nil` when the spec does not read (the coordinator refuses it with the same problems).
    public static func submission(specText: String, pool: String?, salt: [UInt8], now: Timestamp) -> Command? {
        guard let spec = JobSpecReader.read(specText, now: now).spec else { return nil }
        return .submitJob(spec: JobContents.split(spec, salt: salt).public, pool: pool)
    }

    /// Whether `method path` submits a job (`POST /v1/jobs`, with or without a query): the one
    /// write whose command needs a contents salt.
    public static func isSubmission(method: String, path: String) -> Bool {
        method.uppercased() == "POST" && split(path).route == "/v1/jobs"
    }

    /// The command `method path` with `body`, signed by `signer`, asks for; `nil` for a request
    /// that logs no command (a read, a blob, job logs, secrets) or whose body does not decode
    /// (the coordinator refuses it before any command). `path` is as sent, with its query.
    public static func command(method: String, path: String, body: [UInt8], signer: String, contentsSalt: [UInt8]?, now: Timestamp) -> Command? {
        let (route, query) = split(path)
        let parts = route.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 3, parts[0].isEmpty, parts[1] == "v1" else { return nil }
        let segments = Array(parts.dropFirst(2))
        func decode<T: Decodable>(_ type: T.Type) -> T? { try? StrictJSON.decode(type, from: body) }
        switch (method.uppercased(), segments.count, segments.first ?? "") {
        case ("POST", 1, "nodes"): return try? decode(NodeRegistration.self)?.command(signer: signer)
        case ("PATCH", 2, "nodes"): return decode(NodeUpdate.self)?.command(nodeID: segments[1])
        case ("DELETE", 2, "nodes"): return .withdrawNode(nodeID: segments[1])
        case ("POST", 3, "nodes") where segments[2] == "benchmark": return decode(BenchmarkReportBody.self)?.command(nodeID: segments[1])
        case ("POST", 3, "nodes") where segments[2] == "shares": return decode(ShareIssueBody.self)?.command(nodeID: segments[1])
        case ("POST", 4, "nodes") where segments[2] == "shares" && segments[3] == "transfers":
            return decode(ShareTransferBody.self)?.command(nodeID: segments[1])
        case ("POST", 1, "heartbeats"): return decode(HeartbeatBatch.self)?.command
        case ("POST", 3, "leases") where segments[2] == "end": return decode(LeaseEndReport.self)?.command(leaseID: segments[1])
        case ("POST", 3, "leases") where segments[2] == "usage": return decode(UsageReportBody.self)?.command(leaseID: segments[1])
        case ("POST", 1, "lockups"): return decode(LockupRequest.self)?.command
        case ("POST", 1, "carbon"): return decode(CarbonSeriesRequest.self)?.command
        case ("POST", 1, "faucet"): return decode(AmountRequest.self)?.faucetCommand(signer: signer)
        case ("POST", 1, "jobs"):
            guard let contentsSalt, let text = String(validating: body, as: UTF8.self) else { return nil }
            let pool = query.first { $0.name == "pool" }?.value
            return submission(specText: text, pool: pool, salt: contentsSalt, now: now)
        case ("DELETE", 2, "jobs"): return .cancelJob(orderID: segments[1])
        case ("POST", 1, "pools"): return decode(PoolRequest.self)?.command
        case ("POST", 3, "pools") where segments[2] == "funding": return decode(AmountRequest.self)?.fundingCommand(pool: segments[1])
        case ("POST", 1, "grants"): return decode(GrantRequest.self)?.command
        case ("POST", 1, "transfers"): return decode(TransferRequestBody.self)?.command
        case ("POST", 1, "deposits"): return decode(DepositRequestBody.self)?.command
        case ("POST", 1, "withdrawals"): return decode(WithdrawalRequestBody.self)?.command
        case ("POST", 1, "governance"): return decode(GovernedCommandBody.self)?.governed
        case ("POST", 3, "withdrawals") where segments[2] == "settlement":
            return decode(WithdrawalSettlementBody.self)?.command(withdrawalID: segments[1])
        default: return nil
        }
    }

    /// The path and its query parameters (values percent-decoded, as the server reads them).
    private static func split(_ path: String) -> (route: Substring, query: [(name: String, value: String)]) {
        guard let mark = path.firstIndex(of: "?") else { return (path[...], []) }
        let query = path[path.index(after: mark)...].split(separator: "&").map { pair -> (name: String, value: String) in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let value = parts.count > 1 ? String(parts[1]) : ""
            return (String(parts[0]), value.removingPercentEncoding ?? value)
        }
        return (path[..<mark], query)
    }
}
