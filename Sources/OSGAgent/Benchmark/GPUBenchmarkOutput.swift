import Foundation
import OSGDomain

/// What the GPU benchmark program (``GPUBenchmarkScript``) printed, read: a measurement of the
/// GPUs asked for, or the reason the host cannot measure them.
///
/// The program prints one JSON object on its last line of standard output, format 1:
/// ```json
/// {"format":1,"tool":"pytorch","tool_version":"2.5.1+cu124","cuda":"12.4",
///  "gpus":[{"index":0,"name":"NVIDIA A100-SXM4-80GB","fp16_dense_gflops":262000.5,
///           "fp32_gflops":19100.2,"memory_bandwidth_mbps":1720000.4,
///           "host_to_device_mbps":24800.1,"device_to_host_mbps":25100.7,"seconds":2.4}]}
/// {"format":1,"unavailable":"PyTorch (torch) cannot be imported: ModuleNotFoundError: …"}
/// ```
/// Reading is pure and never traps: whatever the bytes, the result is a value or a
/// ``GPUBenchmarkOutputError`` naming what is wrong.
///
/// ```swift
/// switch try GPUBenchmarkOutput.parse(stdout, requested: [0, 1]) {
/// case .measured(let result): print(result.nodeBenchmark(durationSeconds: 8))
/// case .unavailable(let reason): print("GPUs not measured:", reason)
/// }
/// ```
public enum GPUBenchmarkOutput: Hashable, Sendable {
    /// The GPUs asked for, each measured once.
    case measured(GPUBenchmarkResult)
    /// The host has no tool for its GPUs (no PyTorch, a build without CUDA, no usable device).
    case unavailable(reason: String)

    /// The output format this agent reads.
    public static let format = GPUBenchmarkScript.format
    /// Longest unavailability reason kept, in characters (the rest is cut).
    public static let maxReasonCharacters = 500

    /// Reads the program's standard output.
    ///
    /// - Parameters:
    ///   - stdout: everything the program printed on standard output; its last non-empty line is
    ///     read (a library that prints a notice before it does not spoil the result).
    ///   - requested: the GPU indices the program was asked to measure: non-empty, no duplicates.
    /// - Throws: ``GPUBenchmarkOutputError``: `not_json`, `unknown_format`, `missing_field`,
    ///   `bad_figure`, `unexpected_gpu`, `missing_gpu` or `duplicate_gpu`.
    public static func parse(_ stdout: String, requested: [Int]) throws(GPUBenchmarkOutputError) -> GPUBenchmarkOutput {
        precondition(!requested.isEmpty && Set(requested).count == requested.count, "ask for at least one GPU, each once")
        let document = try Document.decode(lastLine(of: stdout))
        if let reason = document.unavailable {
            let trimmed = reason.trimmingCharacters(in: .whitespacesAndNewlines)
            return .unavailable(reason: trimmed.isEmpty ? "(the program gave no reason)" : String(trimmed.prefix(maxReasonCharacters)))
        }
        let result = try document.result()
        try check(result.gpus.map(\.index), against: requested)
        return .measured(result)
    }

    /// The last line of `text` with anything but whitespace on it, or `nil`.
    static func lastLine(of text: String) -> Substring? {
        text.split(whereSeparator: \.isNewline).last { !$0.allSatisfy(\.isWhitespace) }
    }

    /// Each index measured once, all of them asked for, none asked for missing.
    static func check(_ measured: [Int], against requested: [Int]) throws(GPUBenchmarkOutputError) {
        var seen = Set<Int>()
        for index in measured where !seen.insert(index).inserted {
            throw GPUBenchmarkOutputError(.duplicateGPU, "GPU \(index) appears more than once in the output; the program is not the agent's own: reinstall the agent")
        }
        let asked = Set(requested)
        if let extra = measured.first(where: { !asked.contains($0) }) {
            throw GPUBenchmarkOutputError(
                .unexpectedGPU,
                "the output measured GPU \(extra), which was not asked for (asked: \(requested.map(String.init).joined(separator: ", "))); the program is not the agent's own: reinstall the agent"
            )
        }
        let missing = requested.filter { !seen.contains($0) }
        if !missing.isEmpty {
            throw GPUBenchmarkOutputError(
                .missingGPU,
                "GPU \(missing.map(String.init).joined(separator: ", ")) was asked for but is absent from the output (measured: \(measured.map(String.init).joined(separator: ", "))); rerun the benchmark"
            )
        }
    }
}

extension GPUBenchmarkOutput {
    /// The output as JSON shapes it, every field optional so that a missing one is named rather
    /// than reported as a generic decoding failure.
    struct Document: Decodable {
        var format: Int?
        var unavailable: String?
        var tool: String?
        var toolVersion: String?
        var cuda: String?
        var gpus: [GPUEntry]?

        enum CodingKeys: String, CodingKey {
            case format, unavailable, tool, cuda, gpus
            case toolVersion = "tool_version"
        }

        struct GPUEntry: Decodable {
            var index: Int?
            var name: String?
            var fp16DenseGFLOPS: Double?
            var fp32GFLOPS: Double?
            var memoryBandwidthMBps: Double?
            var hostToDeviceMBps: Double?
            var deviceToHostMBps: Double?
            var seconds: Double?

            enum CodingKeys: String, CodingKey {
                case index, name, seconds
                case fp16DenseGFLOPS = "fp16_dense_gflops"
                case fp32GFLOPS = "fp32_gflops"
                case memoryBandwidthMBps = "memory_bandwidth_mbps"
                case hostToDeviceMBps = "host_to_device_mbps"
                case deviceToHostMBps = "device_to_host_mbps"
            }
        }

        /// Decodes `line` and checks its format.
        static func decode(_ line: Substring?) throws(GPUBenchmarkOutputError) -> Document {
            guard let line else {
                throw GPUBenchmarkOutputError(.notJSON, "the program printed nothing on standard output; run it by hand to see why")
            }
            let decoder = JSONDecoder()
            // JSON5 reads Python's NaN and Infinity, so a non-finite figure is named as such
            // below rather than reported as unreadable JSON.
            decoder.allowsJSON5 = true
            let document: Document
            do {
                document = try decoder.decode(Document.self, from: Data(line.utf8))
            } catch let DecodingError.typeMismatch(type, context) where !context.codingPath.isEmpty {
                throw GPUBenchmarkOutputError(.notJSON, "\(path(context)) is not a \(typeName(type)): \(context.debugDescription)")
            } catch let DecodingError.dataCorrupted(context) where !context.codingPath.isEmpty {
                throw GPUBenchmarkOutputError(.notJSON, "\(path(context)) cannot be read: \(context.debugDescription)")
            } catch {
                throw GPUBenchmarkOutputError(.notJSON, "the output's last line is not a JSON object: \(excerpt(line))")
            }
            guard let format = document.format else {
                throw GPUBenchmarkOutputError(.unknownFormat, "the output has no format field: \(excerpt(line))")
            }
            guard format == GPUBenchmarkOutput.format else {
                throw GPUBenchmarkOutputError(.unknownFormat, "format \(format) is not the one this agent reads (\(GPUBenchmarkOutput.format)); the program is not the agent's own: reinstall the agent")
            }
            return document
        }

        /// The measurement, every required field present and every figure acceptable.
        func result() throws(GPUBenchmarkOutputError) -> GPUBenchmarkResult {
            guard let tool, !tool.isEmpty else { throw GPUBenchmarkOutputError(.missingField, "tool is missing (neither a measurement nor an unavailable reason)") }
            guard let toolVersion, !toolVersion.isEmpty else { throw GPUBenchmarkOutputError(.missingField, "tool_version is missing") }
            guard let entries = gpus else { throw GPUBenchmarkOutputError(.missingField, "gpus is missing") }
            guard !entries.isEmpty else { throw GPUBenchmarkOutputError(.missingGPU, "gpus is empty: no GPU was measured; rerun the benchmark") }
            var measured: [GPUBenchmarkResult.GPU] = []
            for (position, entry) in entries.enumerated() {
                measured.append(try entry.gpu(at: "gpus[\(position)]"))
            }
            return GPUBenchmarkResult(tool: tool, toolVersion: toolVersion, cudaVersion: cuda, gpus: measured)
        }

        static func path(_ context: DecodingError.Context) -> String {
            let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return path.hasPrefix(".") ? String(path.dropFirst()) : path
        }

        static func typeName(_ type: Any.Type) -> String {
            switch type {
            case is Int.Type, is Double.Type: "number"
            case is String.Type: "string"
            default: "\(type)"
            }
        }

        /// The start of `line`, for a message.
        static func excerpt(_ line: Substring) -> String {
            line.count <= 120 ? "`\(line)`" : "`\(line.prefix(120))…` (\(line.utf8.count) bytes)"
        }
    }
}

extension GPUBenchmarkOutput.Document.GPUEntry {
    /// This entry's figures, each checked, or the first problem; `place` names the entry.
    func gpu(at place: String) throws(GPUBenchmarkOutputError) -> GPUBenchmarkResult.GPU {
        guard let index else { throw GPUBenchmarkOutputError(.missingField, "\(place).index is missing") }
        let place = "\(place) (GPU \(index))"
        guard index >= 0, index < ComputeNode.Limits.maxGPUs else {
            throw GPUBenchmarkOutputError(.unexpectedGPU, "\(place).index must be between 0 and \(ComputeNode.Limits.maxGPUs - 1), got \(index)")
        }
        guard let name else { throw GPUBenchmarkOutputError(.missingField, "\(place).name is missing") }
        func figure(_ value: Double?, _ field: String, _ limits: ClosedRange<Int64>) throws(GPUBenchmarkOutputError) -> Double {
            guard let value else { throw GPUBenchmarkOutputError(.missingField, "\(place).\(field) is missing") }
            let problem: String? =
                if !value.isFinite { "is not a finite number (\(value))" }
                else if value < 0 { "is negative (\(value))" }
                else if value < Double(limits.lowerBound) { "is below \(limits.lowerBound) (\(value))" }
                else if value > Double(limits.upperBound) { "is beyond the plausible \(limits.upperBound) (\(value))" }
                else { nil }
            if let problem {
                throw GPUBenchmarkOutputError(.badFigure, "\(place).\(field) \(problem); the measurement failed: rerun the benchmark, and check the GPU if it happens again")
            }
            return value
        }
        let secondsLimit = NodeBenchmark.Limits.durationSeconds
        guard let seconds else { throw GPUBenchmarkOutputError(.missingField, "\(place).seconds is missing") }
        guard seconds.isFinite, seconds >= 0, seconds <= Double(secondsLimit.upperBound) else {
            throw GPUBenchmarkOutputError(.badFigure, "\(place).seconds must be between 0 and \(secondsLimit.upperBound), got \(seconds)")
        }
        return GPUBenchmarkResult.GPU(
            index: index,
            name: name,
            fp16DenseGFLOPS: try figure(fp16DenseGFLOPS, "fp16_dense_gflops", NodeBenchmark.Limits.gflops),
            fp32GFLOPS: try figure(fp32GFLOPS, "fp32_gflops", NodeBenchmark.Limits.gflops),
            memoryBandwidthMBps: try figure(memoryBandwidthMBps, "memory_bandwidth_mbps", NodeBenchmark.Limits.memoryBandwidthMBps),
            hostToDeviceMBps: try figure(hostToDeviceMBps, "host_to_device_mbps", NodeBenchmark.Limits.hostDeviceMBps),
            deviceToHostMBps: try figure(deviceToHostMBps, "device_to_host_mbps", NodeBenchmark.Limits.hostDeviceMBps),
            seconds: seconds
        )
    }
}

/// Decodes a measurement with the parser's checks (format, fields, figures); GPU indices are
/// checked against a request only by ``GPUBenchmarkOutput/parse(_:requested:)``.
extension GPUBenchmarkResult: Decodable {
    public init(from decoder: any Decoder) throws {
        let document = try GPUBenchmarkOutput.Document(from: decoder)
        guard document.format == GPUBenchmarkOutput.format else {
            throw GPUBenchmarkOutputError(.unknownFormat, "format \(document.format.map(String.init) ?? "(missing)") is not the one this agent reads (\(GPUBenchmarkOutput.format))")
        }
        if let reason = document.unavailable {
            throw GPUBenchmarkOutputError(.missingField, "the output is no measurement: the GPUs were unavailable (\(reason))")
        }
        self = try document.result()
        var seen = Set<Int>()
        for gpu in gpus where !seen.insert(gpu.index).inserted {
            throw GPUBenchmarkOutputError(.duplicateGPU, "GPU \(gpu.index) appears more than once")
        }
    }
}
