/// Why the agent could not find out what hardware to advertise: a stable ``code`` and a
/// message naming what is wrong and how to fix it.
///
/// ```
/// driver_unavailable: nvidia-smi could not talk to the NVIDIA driver (exit status 9): …
/// ```
public struct DiscoveryError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Stable, machine-readable error codes.
    public enum Code: String, Hashable, Sendable, CaseIterable {
        /// `nvidia-smi` is not on this host (no NVIDIA driver installed).
        case nvidiaSMINotFound = "nvidia_smi_not_found"
        /// `nvidia-smi` did not finish within its time limit (a hung driver or GPU).
        case nvidiaSMITimedOut = "nvidia_smi_timed_out"
        /// `nvidia-smi` could not be started, or failed in a way not listed below.
        case nvidiaSMIFailed = "nvidia_smi_failed"
        /// The NVIDIA kernel driver is not loaded, or NVML cannot be found (exit status 9 or 12).
        case driverUnavailable = "driver_unavailable"
        /// The loaded kernel driver and the NVML library differ (after an upgrade, before a reboot).
        case driverVersionMismatch = "driver_version_mismatch"
        /// The driver is loaded but reports no GPU at all.
        case noGPU = "no_gpu"
        /// GPUs exist, but every one of them is lost or unhealthy.
        case noUsableGPU = "no_usable_gpu"
        /// `nvidia-smi` succeeded but printed nothing.
        case emptyOutput = "empty_output"
        /// A line of `nvidia-smi` output is not the CSV the agent asked for.
        case malformedOutput = "malformed_output"
        /// A GPU's marketing name is not in the published catalog and the config names no model.
        case unknownGPUModel = "unknown_gpu_model"
        /// The host has GPUs of several catalogued models and the config does not choose one.
        case mixedGPUModels = "mixed_gpu_models"
        /// The configured GPU model is not among this host's GPUs.
        case configuredModelAbsent = "configured_model_absent"
        /// More GPUs than one node may advertise (``OSGDomain/ComputeNode/Limits/maxGPUs``).
        case gpuCountOutOfRange = "gpu_count_out_of_range"
        /// A `--simulate` value is not `<count>x<model>`.
        case simulateMalformed = "simulate_malformed"
        /// A `--simulate` count is below 1 or above ``OSGDomain/ComputeNode/Limits/maxGPUs``.
        case simulateCountOutOfRange = "simulate_count_out_of_range"
        /// A `--simulate` model is not in the published catalog.
        case simulateUnknownModel = "simulate_unknown_model"
        /// A host file (`/proc/meminfo`, a cgroup file) could not be read.
        case hostFileUnreadable = "host_file_unreadable"
        /// A host file does not have the format the kernel documents.
        case hostFileMalformed = "host_file_malformed"
        /// The work directory's file system could not be measured.
        case diskUnreadable = "disk_unreadable"
        /// The host has less than one core or one GiB of memory available to the agent.
        case hostTooSmall = "host_too_small"
    }

    /// The stable code.
    public var code: Code
    /// What is wrong, the value found, and the fix.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`.
    public var description: String { "\(code.rawValue): \(message)" }
}
