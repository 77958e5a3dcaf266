import Foundation
import OSGAgent
import OSGDomain
import Yams

/// One simulated node of a devnet: where it is, on what power, what it offers and asks. Each is
/// run by its own agent under its own operator key, with real sandboxed jobs on this machine.
struct DevnetNode: Sendable, Equatable {
    var id: String
    /// Virtual GPUs, as `osg agent --simulate` takes them (`4xH100`).
    var gpus: String
    var region: String
    var jurisdiction: String
    /// A grid zone of the bundled carbon series (BR, ES, NO, US-CAL-CISO).
    var zone: String
    var powerSource: String
    /// Credits per GPU-hour.
    var askPrice: String

    /// The devnet's nodes, in the order `--agents N` takes them: three regions (two A100-class
    /// nodes in `eu`, so a gang can start there), four grid zones, four kinds of power and asks
    /// from a home rig's to a hydro-powered data centre's.
    static let all: [DevnetNode] = [
        DevnetNode(id: "oslo-hydro", gpus: "4xH100", region: "eu", jurisdiction: "NO", zone: "NO", powerSource: "hydro", askPrice: "2.40"),
        DevnetNode(id: "madrid-solar", gpus: "4xA100", region: "eu", jurisdiction: "ES", zone: "ES", powerSource: "solar", askPrice: "1.60"),
        DevnetNode(id: "fresno-grid", gpus: "8xL40S", region: "us-west", jurisdiction: "US", zone: "US-CAL-CISO", powerSource: "grid", askPrice: "0.90"),
        DevnetNode(id: "sao-paulo-home", gpus: "2xRTX4090", region: "sa-east", jurisdiction: "BR", zone: "BR", powerSource: "grid", askPrice: "0.40"),
        DevnetNode(id: "bergen-wind", gpus: "2xH100", region: "eu", jurisdiction: "NO", zone: "NO", powerSource: "wind", askPrice: "2.10"),
        DevnetNode(id: "sevilla-campus", gpus: "8xA100", region: "eu", jurisdiction: "ES", zone: "ES", powerSource: "solar", askPrice: "1.20"),
    ]

    /// Each agent's state folder, beside its agent.yaml.
    static let stateDirectory = "state"

    /// The stake each node locks as collateral (governance deposits it for the operator first).
    static let stakeCredits = MicroCredits(100 * MicroCredits.perCredit)

    /// Cores, memory and disk each node offers (all share this machine's).
    static let cpu = 2, memoryGiB = 4, diskGiB = 20

    /// The node's agent configuration; `index` gives its sandbox a uid range of its own (agents
    /// share this host), apart from the default range a real agent here would use.
    func configuration(coordinator: String, index: Int) -> AgentConfiguration {
        AgentConfiguration(
            coordinator: coordinator, key: "operator.key", stateDirectory: Self.stateDirectory, executor: "sandbox", caCert: nil, slurmPartition: nil,
            jobUIDBase: SandboxExecutor.defaultJobUIDBase + UInt32(index + 1) * SandboxExecutor.jobUIDCount,
            node: .init(id: id, region: region, jurisdiction: jurisdiction, zone: zone, powerSource: powerSource, askPrice: askPrice,
                        stake: Self.stakeCredits.description, simulate: gpus, gpuModel: nil, cpu: Self.cpu, memoryGib: Self.memoryGiB, diskGib: Self.diskGiB))
    }

    /// Writes the node's configuration and operator key into its folder unless they exist (a
    /// resumed devnet keeps its operators); returns the configuration's path.
    func install(in layout: DevnetLayout, coordinator: String, index: Int) throws -> String {
        let folder = layout.agentFolder(id)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o711])
        let path = layout.agentConfiguration(id).path
        _ = try KeyFile.readOrCreate(at: folder.appendingPathComponent("operator.key").path)
        if !FileManager.default.fileExists(atPath: path) {
            let text = "# Written by osg devnet: one simulated node (`osg agent status --config \(path)`).\n"
                + (try YAMLEncoder().encode(configuration(coordinator: coordinator, index: index)))
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        }
        return path
    }

    /// `4×H100 · eu-north (NO, hydro) · asks 2.40`.
    var summary: String {
        let parts = gpus.split(separator: "x", maxSplits: 1)
        return "\(parts.first ?? "")×\(parts.last ?? "") · \(region) (\(zone), \(powerSource)) · asks \(askPrice)/GPU-h"
    }
}
