import Foundation
import OSGDomain

/// Finds what the agent advertises: the virtual GPUs of `--simulate`, or the NVIDIA GPUs
/// `nvidia-smi` lists (one model, see ``GPUInventory/offer(configuredModel:)``), and the host's
/// CPUs, memory and disk.
///
/// A host without an NVIDIA driver and without `--simulate` gets
/// ``DiscoveryError/Code/nvidiaSMINotFound``, whose message suggests `--simulate`.
public struct HardwareDiscovery: Sendable {
    /// Runs `nvidia-smi` (not used when simulating).
    public var nvidiaSMI: NvidiaSMIRunner
    /// Reads the host's files.
    public var host: HostDiscovery

    /// Creates a discovery of this host.
    public init(nvidiaSMI: NvidiaSMIRunner = NvidiaSMIRunner(), host: HostDiscovery = HostDiscovery()) {
        self.nvidiaSMI = nvidiaSMI
        self.host = host
    }

    /// What was found.
    public struct Report: Hashable, Sendable {
        /// The figures to advertise.
        public var hardware: NodeHardware
        /// The real GPUs offered (empty when simulating).
        public var gpus: [DiscoveredGPU]
        /// The host measurement the figures come from.
        public var host: HostResources
        /// GPUs left out, and why; the agent logs each.
        public var warnings: [DiscoveryWarning]
    }

    /// Discovers the hardware.
    ///
    /// - Parameters:
    ///   - simulate: the `--simulate` text (`4xH100`), or `nil` for the real GPUs.
    ///   - configuredModel: the GPU model the agent config names, or `nil` for the host's only model.
    ///   - workDirectory: the agent's work directory (its file system's free space is the disk advertised).
    /// - Throws: ``DiscoveryError``.
    public func discover(simulate: String?, configuredModel: GPUModel?, workDirectory: String) async throws -> Report {
        let simulation = try simulate.map { try GPUSimulation(text: $0) }
        let host = try await measureHost(workDirectory: workDirectory)
        if let simulation {
            return Report(hardware: try NodeHardware(simulation: simulation, host: host), gpus: [], host: host, warnings: [])
        }
        let inventory = try await nvidiaSMI.run().inventory()
        let offer = try inventory.offer(configuredModel: configuredModel)
        return Report(
            hardware: try NodeHardware(offer: offer, host: host), gpus: offer.gpus, host: host,
            warnings: inventory.warnings + offer.warnings
        )
    }

    /// Reads the host's files on a dispatch thread: file I/O never blocks the cooperative pool.
    func measureHost(workDirectory: String) async throws -> HostResources {
        let host = self.host
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try host.resources(workDirectory: workDirectory) })
            }
        }
    }
}
