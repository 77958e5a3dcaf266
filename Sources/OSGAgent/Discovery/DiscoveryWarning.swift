/// Something discovery left out or could not read, which does not stop the agent: the agent
/// logs it and advertises the rest (a lost GPU is left out; the healthy ones are still offered).
public struct DiscoveryWarning: Hashable, Sendable, CustomStringConvertible {
    /// Stable, machine-readable warning codes.
    public enum Code: String, Hashable, Sendable, CaseIterable {
        /// `nvidia-smi` could not reach a GPU (fallen off the bus, "GPU is lost").
        case gpuLost = "gpu_lost"
        /// A GPU reports `[GPU requires reset]` in a field.
        case gpuRequiresReset = "gpu_requires_reset"
        /// A GPU reports an error value (`[Unknown Error]`, `[N/A]`) in a field the agent needs.
        case gpuUnhealthy = "gpu_unhealthy"
        /// A GPU of another model than the one offered is left out.
        case gpuNotOffered = "gpu_not_offered"
        /// `nvidia-smi` exited with a failure status but still listed some healthy GPUs.
        case nvidiaSMIExitStatus = "nvidia_smi_exit_status"
    }

    /// The stable code.
    public var code: Code
    /// What was left out and why, with the fix.
    public var message: String

    /// Creates a warning.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`.
    public var description: String { "\(code.rawValue): \(message)" }
}
