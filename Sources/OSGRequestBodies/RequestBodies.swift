import OSGDomain

// The JSON bodies of writes. Each refuses unknown fields, wrong types and out-of-range
// values with a 400 naming the field; domain rules (a valid region, a positive ask) are
// checked again by the core, which answers 422.
//
// Every number has a published upper bound (openapi.json, docs/API.md "Input bounds"), chosen
// so that the products and sums the coordinator publishes fit 64 bits (`ComputeNode.Limits`).
// The bounds are checked here, at the door, and not by the core: a replay of an older log
// must reach the same state whatever figures it holds.

/// Largest quota of one set-aside grant, GPU-seconds (10^12).
package let maxQuotaGPUSeconds: Int64 = 1_000_000_000_000
/// Most ids per heartbeat batch.
package let maxHeartbeatBatch = 10_000
/// Longest id (node, job, lease, holder).
package let maxIDBytes = IdentifierText.maxBytes
/// Largest amount of one deposit or pool funding: 1,000,000,000 credits.
package let maxAmount = MicroCredits(1_000_000_000 * MicroCredits.perCredit)

/// Refuses an id that is not 1-128 printable ASCII characters without spaces (``IdentifierText``).
private func checkID(_ value: String, field: String) throws(APIError) {
    guard value.utf8.count <= maxIDBytes, !value.isEmpty else {
        throw .badRequest("out_of_range", "\(field) must be 1-\(maxIDBytes) bytes", field: field)
    }
    if let problem = IdentifierText.problem(value, field: field) {
        throw .badRequest("invalid_id", problem, field: field)
    }
}

private func checkRange(_ value: Int, _ range: ClosedRange<Int>, field: String) throws(APIError) {
    guard range.contains(value) else {
        throw .badRequest("out_of_range", "\(field) must be between \(range.lowerBound) and \(range.upperBound), got \(value)", field: field)
    }
}

/// Refuses an amount of `micro` micro-credits above `limit` (its lower bound is checked while decoding).
private func checkCredits(_ micro: Int64, atMost limit: MicroCredits, field: String, unit: String = "") throws(APIError) {
    guard micro <= limit.rawValue else {
        throw .badRequest("out_of_range", "\(field) must be at most \(limit) credits\(unit), got \(MicroCredits(micro))", field: field)
    }
}

/// `POST /v1/nodes`.
package struct NodeRegistration: Decodable {
    package var id: String
    package var gpuModel: String
    package var gpus: Int
    package var vramGib: Int
    package var cpu: Int
    package var memoryGib: Int
    package var diskGib: Int
    package var region: String
    package var jurisdiction: String
    package var zone: String
    package var powerSource: PowerSource
    package var askPrice: Int64
    package var stake: Int64
    package var simulated: Bool

    enum CodingKeys: String, CodingKey, CaseIterable {
        case id, gpuModel = "gpu_model", gpus, vramGib = "vram_gib", cpu, memoryGib = "memory_gib", diskGib = "disk_gib"
        case region, jurisdiction, zone, powerSource = "power_source", askPrice = "ask_price", stake, simulated
    }

    package init(from decoder: any Decoder) throws {
        try StrictJSON.rejectUnknownKeys(in: decoder, allowed: Set(CodingKeys.allCases.map(\.rawValue)))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        try checkID(id, field: "id")
        gpuModel = try c.decode(String.self, forKey: .gpuModel)
        gpus = try c.decode(Int.self, forKey: .gpus)
        try checkRange(gpus, 1...ComputeNode.Limits.maxGPUs, field: "gpus")
        vramGib = try c.decode(Int.self, forKey: .vramGib)
        try checkRange(vramGib, 1...ComputeNode.Limits.maxVRAMGiB, field: "vram_gib")
        cpu = try c.decode(Int.self, forKey: .cpu)
        try checkRange(cpu, 1...ComputeNode.Limits.maxCPUCores, field: "cpu")
        memoryGib = try c.decode(Int.self, forKey: .memoryGib)
        try checkRange(memoryGib, 1...ComputeNode.Limits.maxMemoryGiB, field: "memory_gib")
        diskGib = try c.decodeIfPresent(Int.self, forKey: .diskGib) ?? 0
        try checkRange(diskGib, 0...ComputeNode.Limits.maxDiskGiB, field: "disk_gib")
        region = try c.decode(String.self, forKey: .region)
        jurisdiction = try c.decode(String.self, forKey: .jurisdiction)
        zone = try c.decode(String.self, forKey: .zone)
        try checkID(zone, field: "zone")
        if let source = try c.decodeIfPresent(String.self, forKey: .powerSource) {
            guard let parsed = PowerSource(rawValue: source) else {
                throw APIError.badRequest("unknown_value", "power_source must be one of \(PowerSource.allCases.map(\.rawValue).joined(separator: ", "))", field: "power_source")
            }
            powerSource = parsed
        } else {
            powerSource = .grid
        }
        askPrice = try c.decodeCredits(forKey: .askPrice)
        try checkCredits(askPrice, atMost: ComputeNode.Limits.maxAskPerGPUHour, field: "ask_price", unit: " per GPU-hour")
        stake = c.contains(.stake) ? try c.decodeCredits(forKey: .stake, allowZero: true) : 0
        try checkCredits(stake, atMost: ComputeNode.Limits.maxStake, field: "stake")
        simulated = try c.decodeIfPresent(Bool.self, forKey: .simulated) ?? false
    }

    /// The node, owned by the signer; problems the core would refuse are answered here as 422.
    package func node(operatorID: String) throws(APIError) -> ComputeNode {
        guard let model = GPUModel.named(gpuModel) else {
            throw APIError.badRequest("unknown_value", "gpu_model \(gpuModel.prefix(64)) is not a known GPU model; known: \(GPUModel.catalog.map(\.name).joined(separator: ", "))", field: "gpu_model")
        }
        let node = ComputeNode(
            id: id, operatorID: operatorID, gpuModel: model, gpuCount: gpus, vramGiB: vramGib, cpuCores: cpu, memoryGiB: memoryGib,
            diskGiB: diskGib, region: region, jurisdiction: jurisdiction, gridZone: zone, powerSource: powerSource,
            askPerGPUHour: MicroCredits(askPrice), stake: MicroCredits(stake), simulated: simulated)
        if let problem = node.problems.first {
            throw APIError(.unprocessableContent, "invalid_node", "node \(id): \(problem)")
        }
        return node
    }
}

/// `PATCH /v1/nodes/{id}`.
package struct NodeUpdate: Decodable {
    package var askPrice: Int64
    enum CodingKeys: String, CodingKey, CaseIterable { case askPrice = "ask_price" }

    package init(from decoder: any Decoder) throws {
        try StrictJSON.rejectUnknownKeys(in: decoder, allowed: Set(CodingKeys.allCases.map(\.rawValue)))
        askPrice = try decoder.container(keyedBy: CodingKeys.self).decodeCredits(forKey: .askPrice)
        try checkCredits(askPrice, atMost: ComputeNode.Limits.maxAskPerGPUHour, field: "ask_price", unit: " per GPU-hour")
    }
}

/// `POST /v1/heartbeats`: one signed batch for many of the operator's nodes.
package struct HeartbeatBatch: Decodable {
    package var nodes: [String]
    enum CodingKeys: String, CodingKey, CaseIterable { case nodes }

    package init(from decoder: any Decoder) throws {
        try StrictJSON.rejectUnknownKeys(in: decoder, allowed: Set(CodingKeys.allCases.map(\.rawValue)))
        nodes = try decoder.container(keyedBy: CodingKeys.self).decode([String].self, forKey: .nodes)
        guard (1...maxHeartbeatBatch).contains(nodes.count) else {
            throw APIError.badRequest("out_of_range", "nodes must list 1 to \(maxHeartbeatBatch) node ids, got \(nodes.count)", field: "nodes")
        }
        for (index, id) in nodes.enumerated() { try checkID(id, field: "nodes[\(index)]") }
        guard Set(nodes).count == nodes.count else {
            throw APIError.badRequest("duplicate_value", "nodes lists a node id more than once", field: "nodes")
        }
    }
}

/// `POST /v1/leases/{id}/end`.
package struct LeaseEndReport: Decodable {
    /// One output's digest as the agent reports it (`null` where nothing came back).
    package struct Output: Decodable {
        var sha256: String
        var size: Int64
        var archive: Bool?
    }

    package var reason: LeaseEndReason
    package var exitCode: Int?
    package var outputs: [OutputBlob?]?
    enum CodingKeys: String, CodingKey, CaseIterable { case reason, exitCode = "exit_code", outputs }

    package init(from decoder: any Decoder) throws {
        try StrictJSON.rejectUnknownKeys(in: decoder, allowed: Set(CodingKeys.allCases.map(\.rawValue)))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let text = try c.decode(String.self, forKey: .reason)
        let allowed: [LeaseEndReason] = [.completed, .jobFailed, .inputFailed, .nodeFault, .nodeWithdrawn]
        guard let reason = LeaseEndReason(rawValue: text), allowed.contains(reason) else {
            throw APIError.badRequest("unknown_value", "reason must be one of \(allowed.map(\.rawValue).joined(separator: ", "))", field: "reason")
        }
        self.reason = reason
        exitCode = try c.decodeIfPresent(Int.self, forKey: .exitCode)
        if let exitCode, !LeaseEnd.exitCodes.contains(exitCode) {
            throw APIError.badRequest("out_of_range", "exit_code must be between \(LeaseEnd.exitCodes.lowerBound) and \(LeaseEnd.exitCodes.upperBound), got \(exitCode)", field: "exit_code")
        }
        let reported = try c.decodeIfPresent([Output?].self, forKey: .outputs)
        if let reported, reported.count > JobSpec.Limits.maxOutputs {
            throw APIError.badRequest("out_of_range", "at most \(JobSpec.Limits.maxOutputs) outputs", field: "outputs")
        }
        outputs = reported?.map { $0.map { OutputBlob(sha256: $0.sha256, size: $0.size, archive: $0.archive ?? false) } }
    }
}

/// `POST /v1/leases/{id}/logs`.
package struct LogLines: Decodable {
    package var lines: [String]
    /// The number of the batch's first line in its sender's output (from 0), when the sender
    /// numbers its lines: lines already received are then skipped.
    package var firstLine: Int?
    /// Which node's share of the lease sent them (a gang's nodes number their lines apart).
    package var node: String?
    enum CodingKeys: String, CodingKey, CaseIterable { case lines, firstLine = "first_line", node }

    package init(from decoder: any Decoder) throws {
        try StrictJSON.rejectUnknownKeys(in: decoder, allowed: Set(CodingKeys.allCases.map(\.rawValue)))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        lines = try c.decode([String].self, forKey: .lines)
        guard lines.count <= 1_000 else {
            throw APIError.badRequest("out_of_range", "send at most 1000 lines per request, got \(lines.count)", field: "lines")
        }
        firstLine = try c.decodeIfPresent(Int.self, forKey: .firstLine)
        if let firstLine, !(0...Int(Int32.max)).contains(firstLine) {
            throw APIError.badRequest("out_of_range", "first_line must be between 0 and \(Int32.max), got \(firstLine)", field: "first_line")
        }
        node = try c.decodeIfPresent(String.self, forKey: .node)
        if let node { try checkID(node, field: "node") }
    }
}

/// `POST /v1/lockups`.
package struct LockupRequest: Decodable {
    package var node: String
    package var gpus: Int
    package var holder: String
    package var until: Timestamp
    enum CodingKeys: String, CodingKey, CaseIterable { case node, gpus, holder, until }

    package init(from decoder: any Decoder) throws {
        try StrictJSON.rejectUnknownKeys(in: decoder, allowed: Set(CodingKeys.allCases.map(\.rawValue)))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        node = try c.decode(String.self, forKey: .node)
        try checkID(node, field: "node")
        gpus = try c.decode(Int.self, forKey: .gpus)
        try checkRange(gpus, 1...ComputeNode.Limits.maxGPUs, field: "gpus")
        holder = try c.decode(String.self, forKey: .holder)
        try checkID(holder, field: "holder")
        until = try c.decodeTimestamp(forKey: .until)
    }
}

/// A body of one amount of credits, `{"amount": "…"}`: `POST /v1/faucet` and
/// `POST /v1/pools/{name}/funding` (governance).
package struct AmountRequest: Decodable {
    package var amount: Int64
    enum CodingKeys: String, CodingKey, CaseIterable { case amount }

    package init(from decoder: any Decoder) throws {
        try StrictJSON.rejectUnknownKeys(in: decoder, allowed: Set(CodingKeys.allCases.map(\.rawValue)))
        amount = try decoder.container(keyedBy: CodingKeys.self).decodeCredits(forKey: .amount)
        try checkCredits(amount, atMost: maxAmount, field: "amount")
    }
}

/// `POST /v1/pools` (governance).
package struct PoolRequest: Decodable {
    package var name: String
    package var sharePpm: Int
    package var price: Int64
    /// The most the pool pays a node per GPU-hour; absent: none above its price.
    package var ceiling: Int64?
    enum CodingKeys: String, CodingKey, CaseIterable { case name, sharePpm = "share_ppm", price, ceiling }

    package init(from decoder: any Decoder) throws {
        try StrictJSON.rejectUnknownKeys(in: decoder, allowed: Set(CodingKeys.allCases.map(\.rawValue)))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        try checkID(name, field: "name")
        sharePpm = try c.decode(Int.self, forKey: .sharePpm)
        try checkRange(sharePpm, 1...1_000_000, field: "share_ppm")
        price = try c.decodeCredits(forKey: .price)
        try checkCredits(price, atMost: JobSpec.Limits.maxPricePerGPUHour, field: "price", unit: " per GPU-hour")
        ceiling = c.contains(.ceiling) ? try c.decodeCredits(forKey: .ceiling) : nil
        if let ceiling {
            try checkCredits(ceiling, atMost: JobSpec.Limits.maxPricePerGPUHour, field: "ceiling", unit: " per GPU-hour")
        }
    }
}

/// `POST /v1/grants` (governance).
package struct GrantRequest: Decodable {
    package var pool: String
    package var tenant: String
    package var quotaGpuSeconds: Int64
    package var expires: Timestamp
    enum CodingKeys: String, CodingKey, CaseIterable { case pool, tenant, quotaGpuSeconds = "quota_gpu_seconds", expires }

    package init(from decoder: any Decoder) throws {
        try StrictJSON.rejectUnknownKeys(in: decoder, allowed: Set(CodingKeys.allCases.map(\.rawValue)))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        pool = try c.decode(String.self, forKey: .pool)
        try checkID(pool, field: "pool")
        tenant = try c.decode(String.self, forKey: .tenant)
        try checkID(tenant, field: "tenant")
        quotaGpuSeconds = try c.decode(Int64.self, forKey: .quotaGpuSeconds)
        guard quotaGpuSeconds > 0, quotaGpuSeconds <= maxQuotaGPUSeconds else {
            throw APIError.badRequest("out_of_range", "quota_gpu_seconds must be between 1 and 10^12, got \(quotaGpuSeconds)", field: "quota_gpu_seconds")
        }
        expires = try c.decodeTimestamp(forKey: .expires)
    }
}

extension KeyedDecodingContainer {
    /// A positive amount of credits (at most 6 decimals) no larger than a single request may move.
    package func decodeAmount(forKey key: Key) throws -> Int64 {
        let amount = try decodeCredits(forKey: key)
        try checkCredits(amount, atMost: maxAmount, field: key.stringValue)
        return amount
    }

    /// An RFC 3339 time such as `2026-12-01T00:00:00Z`.
    package func decodeTimestamp(forKey key: Key) throws -> Timestamp {
        let text = try decode(String.self, forKey: key)
        guard text.utf8.count <= 40, let time = Timestamp(rfc3339: text) else {
            throw APIError.badRequest("invalid_value", "\(key.stringValue) must be an RFC 3339 time such as 2026-12-01T00:00:00Z", field: key.stringValue)
        }
        return time
    }
}
