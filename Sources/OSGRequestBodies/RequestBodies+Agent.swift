import OSGDomain

// The JSON bodies of an operator agent's reports. Types and plain ranges are checked here
// (400, or 422 for a benchmark outside the published limits, before anything is logged); the
// rules that need the state (the node's GPU count, the lease's last settlement) are checked by
// the core, whose refusals are logged and answered 403/404/409/422.

/// `POST /v1/nodes/{id}/benchmark`.
package struct BenchmarkReportBody: Decodable {
    package var result: NodeBenchmark

    enum CodingKeys: String, CodingKey, CaseIterable {
        case tool, toolVersion = "tool_version", durationSeconds = "duration_seconds", gpusMeasured = "gpus_measured"
        case fp16DenseGflops = "fp16_dense_gflops", fp32Gflops = "fp32_gflops", memoryBandwidthMbps = "memory_bandwidth_mbps"
        case hostToDeviceMbps = "host_to_device_mbps", deviceToHostMbps = "device_to_host_mbps"
        case hostCPUCores = "host_cpu_cores", hostCPUFP32Gflops = "host_cpu_fp32_gflops", hostMemoryBandwidthMbps = "host_memory_bandwidth_mbps"
    }

    package init(from decoder: any Decoder) throws {
        try StrictJSON.rejectUnknownKeys(in: decoder, allowed: Set(CodingKeys.allCases.map(\.rawValue)))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let tool = try c.decode(String.self, forKey: .tool)
        let version = try c.decode(String.self, forKey: .toolVersion)
        for (text, key) in [(tool, CodingKeys.tool), (version, .toolVersion)] where !NodeBenchmark.isValidText(text) {
            throw APIError.badRequest(
                "invalid_value", "\(key.rawValue) must be 1-\(NodeBenchmark.Limits.maxTextBytes) printable ASCII characters without spaces",
                field: key.rawValue)
        }
        result = NodeBenchmark(
            tool: tool, toolVersion: version, durationSeconds: try c.decode(Int64.self, forKey: .durationSeconds),
            gpusMeasured: try c.decode(Int.self, forKey: .gpusMeasured), fp16DenseGFLOPS: try c.decode(Int64.self, forKey: .fp16DenseGflops),
            fp32GFLOPS: try c.decode(Int64.self, forKey: .fp32Gflops), memoryBandwidthMBps: try c.decode(Int64.self, forKey: .memoryBandwidthMbps),
            hostToDeviceMBps: try c.decode(Int64.self, forKey: .hostToDeviceMbps), deviceToHostMBps: try c.decode(Int64.self, forKey: .deviceToHostMbps))
        let hostKeys: [CodingKeys] = [.hostCPUCores, .hostCPUFP32Gflops, .hostMemoryBandwidthMbps]
        let present = hostKeys.filter { c.contains($0) }
        if present.count == hostKeys.count {
            result.host = NodeBenchmark.HostMeasurement(
                cpuCores: try c.decode(Int.self, forKey: .hostCPUCores), cpuFP32GFLOPS: try c.decode(Int64.self, forKey: .hostCPUFP32Gflops),
                memoryBandwidthMBps: try c.decode(Int64.self, forKey: .hostMemoryBandwidthMbps))
        } else if let missing = hostKeys.first(where: { !c.contains($0) }), !present.isEmpty {
            throw APIError.badRequest("missing_field", "the host figures come together: \(missing.rawValue) is missing", field: missing.rawValue)
        }
        // Everything but the node's GPU count, which the core checks against the node.
        if let problem = result.problems(gpuCount: Int.max).first {
            throw APIError(.unprocessableContent, "invalid_benchmark", problem)
        }
    }
}

/// `POST /v1/leases/{id}/usage`.
package struct UsageReportBody: Decodable {
    package var through: Timestamp
    package var counters: UsageCounters

    enum CodingKeys: String, CodingKey, CaseIterable {
        case through, gpuUtilisationPerMille = "gpu_utilisation_per_mille", energyWh = "energy_wh"
        case gpuClockPerMille = "gpu_clock_per_mille", cpuMilliseconds = "cpu_milliseconds"
    }

    package init(from decoder: any Decoder) throws {
        try StrictJSON.rejectUnknownKeys(in: decoder, allowed: Set(CodingKeys.allCases.map(\.rawValue)))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        through = try c.decodeTimestamp(forKey: .through)
        counters = UsageCounters(
            gpuUtilisationPerMille: try c.decodeIfPresent(Int.self, forKey: .gpuUtilisationPerMille),
            energyWh: try c.decodeIfPresent(Int64.self, forKey: .energyWh),
            gpuClockPerMille: try c.decodeIfPresent(Int.self, forKey: .gpuClockPerMille),
            cpuMilliseconds: try c.decodeIfPresent(Int64.self, forKey: .cpuMilliseconds))
        // The ranges (the core also checks that cumulative figures never decrease).
        if let problem = counters.problem(after: nil) {
            let field = CodingKeys.allCases.map(\.rawValue).first { problem.hasPrefix($0 + " ") }
            throw APIError.badRequest("out_of_range", problem, field: field)
        }
    }
}

