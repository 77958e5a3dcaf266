import OSGDomain

/// Why what the GPU benchmark program printed cannot be used: a stable ``code`` and a message
/// naming the field, the value found and what to do.
///
/// ```
/// bad_figure: gpus[1].fp32_gflops is not a finite number (nan); the measurement failed: rerun the benchmark
/// ```
public typealias GPUBenchmarkOutputError = CodedError<GPUBenchmarkOutputErrorCode>

/// Stable, machine-readable error codes.
public enum GPUBenchmarkOutputErrorCode: String, Hashable, Sendable, CaseIterable {
    /// Standard output is empty, or its last line is not a JSON object of the expected shape.
    case notJSON = "not_json"
    /// The output's `format` is missing or not one this agent reads.
    case unknownFormat = "unknown_format"
    /// A field the format requires is absent.
    case missingField = "missing_field"
    /// A figure is negative, not finite, below 1 or beyond what a GPU can plausibly do.
    case badFigure = "bad_figure"
    /// The output measured a GPU index the agent did not ask for.
    case unexpectedGPU = "unexpected_gpu"
    /// A GPU the agent asked for is absent from the output.
    case missingGPU = "missing_gpu"
    /// The output lists one GPU index twice.
    case duplicateGPU = "duplicate_gpu"
}
