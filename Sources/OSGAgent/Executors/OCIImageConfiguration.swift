import Foundation

/// What an image's config says about running it (the OCI image config's `config` object): its
/// environment, working directory, entry point and default command. `User`, `ExposedPorts`,
/// `Volumes` and the rest do not apply in the sandbox (the job always runs as its own
/// unprivileged user, with `/work` as its only writable directory).
public struct OCIImageConfiguration: Sendable, Hashable, Codable {
    /// `NAME=value` entries, in the image's order.
    public var environment: [String]
    /// The absolute working directory, or `nil` for none (the job then starts in `/work`).
    public var workingDirectory: String?
    public var entrypoint: [String]
    public var command: [String]

    public init(environment: [String] = [], workingDirectory: String? = nil, entrypoint: [String] = [], command: [String] = []) {
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.entrypoint = entrypoint
        self.command = command
    }

    /// Reads an OCI (or Docker) image config blob.
    /// - Throws: ``ExecutorError`` `image_invalid` if it is not an image config.
    public init(configJSON data: Data) throws {
        struct Blob: Decodable {
            struct Config: Decodable {
                var Env: [String]?
                var WorkingDir: String?
                var Entrypoint: [String]?
                var Cmd: [String]?
            }
            var config: Config?
        }
        let blob: Blob
        do {
            blob = try JSONDecoder().decode(Blob.self, from: data)
        } catch {
            throw ExecutorError("image_invalid", "the image's config is not an OCI image config: \(error)")
        }
        let config = blob.config
        // NUL cannot cross into bubblewrap's arguments; an image carrying one is broken.
        let texts = [config?.WorkingDir ?? ""] + (config?.Entrypoint ?? []) + (config?.Cmd ?? [])
        guard texts.allSatisfy({ !$0.utf8.contains(0) }) else {
            throw ExecutorError("image_invalid", "the image's WorkingDir, Entrypoint or Cmd contains a NUL byte")
        }
        environment = (config?.Env ?? []).filter { $0.contains("=") && !$0.hasPrefix("=") && !$0.utf8.contains(0) }
        let directory = config?.WorkingDir ?? ""
        // Docker reads a relative WorkingDir from the root.
        workingDirectory = directory.isEmpty ? nil : (directory.hasPrefix("/") ? directory : "/" + directory)
        entrypoint = config?.Entrypoint ?? []
        command = config?.Cmd ?? []
    }

    /// The program and arguments the job runs, as `docker run IMAGE COMMAND…` chooses them: the
    /// image's entry point, then `override` if given, else the image's `Cmd`. `nil` when that is
    /// empty: the image says nothing to run and the spec gave no command (the tenant's mistake).
    public func command(overriding override: [String]) -> [String]? {
        let chosen = entrypoint + (override.isEmpty ? command : override)
        guard let first = chosen.first, !first.isEmpty, chosen.allSatisfy({ !$0.utf8.contains(0) }) else { return nil }
        return chosen
    }

    /// The image's variables as name and value, later entries winning.
    var environmentVariables: [String: String] {
        var variables: [String: String] = [:]
        for entry in environment {
            let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            variables[String(parts[0])] = parts.count == 2 ? String(parts[1]) : ""
        }
        return variables
    }
}
