import Foundation
import OSGAgent
import OSGDomain
import Yams

/// The agent's configuration file (`osg agent init` writes a commented one; `osg agent run
/// --config FILE` reads it). Paths in it are relative to the file's folder.
struct AgentConfiguration: Codable, Equatable {
    /// The coordinator's URL.
    var coordinator: String
    /// The operator's key file.
    var key: String
    /// Where the agent keeps its journal, status and each lease's files.
    var stateDirectory: String
    /// `sandbox` (bubblewrap, the default) or `slurm`.
    var executor: String
    /// A PEM file of CA certificates for an https coordinator with a private CA.
    var caCert: String?
    /// The Slurm partition jobs go to (executor `slurm`); the cluster's default when absent.
    var slurmPartition: String?
    /// The first host uid the sandbox gives leases when the agent runs as root (65,536 uids from
    /// it); two agents on one host need ranges apart. Default 0x70000000.
    var jobUIDBase: UInt32?
    /// Whether the sandbox keeps a sandbox ready per offered GPU, so that a one-GPU lease of the
    /// node's memory per GPU starts at once (default true; see docs/AGENT.md).
    var warmSandboxes: Bool?
    /// The node this agent offers.
    var node: Node

    struct Node: Codable, Equatable {
        var id: String
        var region: String
        var jurisdiction: String
        var zone: String
        var powerSource: String?
        /// Credits per GPU-hour, a decimal (`"1.50"`).
        var askPrice: String
        /// Credits staked on the node's leases.
        var stake: String?
        /// `NxMODEL` (`4xH100`): advertise virtual GPUs, shown as simulated everywhere.
        var simulate: String?
        /// The catalogued model to offer when the host has several (or nvidia-smi's name is not catalogued).
        var gpuModel: String?
        /// Offer less than the host has: cores, memory and disk.
        var cpu: Int?
        var memoryGib: Int?
        var diskGib: Int?

        enum CodingKeys: String, CodingKey {
            case id, region, jurisdiction, zone, stake, simulate, cpu
            case powerSource = "power_source", askPrice = "ask_price", gpuModel = "gpu_model"
            case memoryGib = "memory_gib", diskGib = "disk_gib"
        }
    }

    enum CodingKeys: String, CodingKey {
        case coordinator, key, executor, node
        case stateDirectory = "state_directory", caCert = "ca_cert", slurmPartition = "slurm_partition", jobUIDBase = "job_uid_base"
        case warmSandboxes = "warm_sandboxes"
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Reads and checks the file at `path`.
    static func load(from path: String) throws -> AgentConfiguration {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw Failure(description: "cannot read the agent configuration \(path): \(error.localizedDescription)")
        }
        let configuration: AgentConfiguration
        do {
            configuration = try YAMLDecoder().decode(AgentConfiguration.self, from: text)
        } catch let error as DecodingError {
            throw Failure(description: "\(path): \(Self.explain(error))")
        } catch {
            throw Failure(description: "\(path): not a valid YAML agent configuration: \(error)")
        }
        if let problem = configuration.problems.first { throw Failure(description: "\(path): \(problem)") }
        return configuration
    }

    /// What is wrong with the settings, field by field.
    var problems: [String] {
        var problems: [String] = []
        if !["sandbox", "slurm"].contains(executor) { problems.append("executor must be sandbox or slurm, got \(executor)") }
        if node.id.isEmpty || node.id.utf8.count > 128 || node.id.contains("/") { problems.append("node.id must be 1-128 characters without '/'") }
        if !JobSpec.isValidRegion(node.region) { problems.append("node.region '\(node.region)' must be lower-case letters, digits and '-'") }
        if !JobSpec.isValidJurisdiction(node.jurisdiction) { problems.append("node.jurisdiction '\(node.jurisdiction)' must be an ISO 3166-1 alpha-2 code such as DE") }
        if node.zone.isEmpty { problems.append("node.zone must name the grid zone (for carbon data), such as DE or US-CAL-CISO") }
        if let source = node.powerSource, PowerSource(rawValue: source) == nil {
            problems.append("node.power_source must be one of \(PowerSource.allCases.map(\.rawValue).joined(separator: ", ")), got \(source)")
        }
        if (try? MicroCredits(decimal: node.askPrice)).map({ $0.rawValue > 0 }) != true {
            problems.append("node.ask_price must be a positive decimal amount of credits per GPU-hour, such as \"1.50\", got \(node.askPrice)")
        }
        if let stake = node.stake, (try? MicroCredits(decimal: stake)) == nil {
            problems.append("node.stake must be a decimal amount of credits, got \(stake)")
        }
        for (name, value) in [("cpu", node.cpu), ("memory_gib", node.memoryGib)] where value.map({ $0 < 1 }) == true {
            problems.append("node.\(name) must be at least 1")
        }
        if let base = jobUIDBase, base < 1_000 || UInt64(base) + UInt64(SandboxExecutor.jobUIDCount) >= UInt64(UInt32.max) {
            problems.append("job_uid_base must be at least 1000 and leave \(SandboxExecutor.jobUIDCount) uids below 4294967295, got \(base)")
        }
        if let disk = node.diskGib, disk < 0 { problems.append("node.disk_gib must not be negative") }
        if let model = node.gpuModel, GPUModel.named(model) == nil {
            problems.append("node.gpu_model \(model) is not catalogued; known: \(GPUModel.catalog.map(\.name).joined(separator: ", "))")
        }
        return problems
    }

    /// `path` relative to the configuration file's folder.
    static func resolve(_ path: String, relativeTo configurationPath: String) -> String {
        if path.hasPrefix("/") { return path }
        let folder = URL(fileURLWithPath: configurationPath).deletingLastPathComponent()
        return folder.appendingPathComponent(path).path
    }

    private static func explain(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map(\.stringValue).joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = path(context)
            return "\(parent.isEmpty ? "" : parent + ".")\(key.stringValue) is required"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return "\(path(context)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    /// The commented file `osg agent init` writes.
    static func template(coordinator: String, key: String, nodeID: String, simulate: String?, executor: String) -> String {
        """
        # OpenStargate agent configuration (`osg agent run --config FILE`). Paths are relative to this file.
        coordinator: \(coordinator)
        # The operator's Ed25519 key (mode 0600): every request the agent sends is signed with it.
        key: \(key)
        # The agent's journal and status, and each lease's work directory and output.
        state_directory: agent-state
        # sandbox: bubblewrap (jobs in a private filesystem view, no network unless the job asks).
        # slurm: the operator's own Slurm (sbatch/squeue/scancel); set slurm_partition if needed.
        executor: \(executor)
        # ca_cert: ca.pem            # an https coordinator signed by a private CA
        # warm_sandboxes: false      # sandbox: build no sandbox ahead of its lease (each ready one holds ~10 MB)
        node:
          id: \(nodeID)
          region: eu                 # market region (lower-case)
          jurisdiction: DE           # ISO 3166-1 country of the machine
          zone: DE                   # electricity grid zone, for carbon data
          power_source: grid         # grid, solar, wind, hydro, nuclear, …
          ask_price: "1.50"          # credits per GPU-hour
          stake: "0"                 # credits locked as collateral at registration (your account must hold them; slashed on node faults, returned after withdrawal)
        \(simulate.map { "  simulate: \($0)            # virtual GPUs for demos and tests; remove to use nvidia-smi" } ?? "  # simulate: 4xH100         # virtual GPUs for demos and tests (shown as simulated)")
          # gpu_model: H100          # which model to offer when the host has several
          # cpu: 8                   # offer fewer cores, less memory or disk than the host has
          # memory_gib: 32
          # disk_gib: 200

        """
    }
}
