import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// What one Slurm command printed, and how it ended.
struct SlurmCommandResult: Sendable, Hashable {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs Slurm's command-line tools (`sbatch`, `squeue`, `scontrol`, `scancel`) as child
/// processes through Foundation's `Process`, each with a timeout, on a thread of its own (never
/// on the cooperative pool: the tools block on slurmctld for as long as it takes to answer).
///
/// The tools get a fixed environment, not the agent's: a `PATH`, `LANG=C` (so messages and
/// formats are the ones the parsers know), and `SLURM_CONF` when the operator names a
/// configuration. An `SQUEUE_FORMAT` or `SBATCH_*` of the agent's shell cannot change what
/// a command does.
struct SlurmCommandRunner: Sendable {
    /// Where the tools are; `nil` looks them up in ``searchPath``.
    var binDirectory: URL?
    /// `SLURM_CONF` for every command, or `nil` for Slurm's default (`/etc/slurm/slurm.conf`,
    /// or the agent's own `SLURM_CONF`).
    var slurmConfig: URL?
    /// How long one command may take before it is killed.
    var timeoutSeconds: Double

    static let defaultSearchPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// The directories searched for the tools when ``binDirectory`` is `nil`: the agent's `PATH`
    /// followed by the usual system directories.
    var searchPath: [String] {
        let agentPath = ProcessInfo.processInfo.environment["PATH"] ?? ""
        return (agentPath + ":" + Self.defaultSearchPath).split(separator: ":").map(String.init)
    }

    /// The executable `tool`, or `nil` when it is not installed.
    func executable(_ tool: String) -> URL? {
        let directories = binDirectory.map { [$0.path] } ?? searchPath
        for directory in directories {
            let candidate = URL(fileURLWithPath: directory).appendingPathComponent(tool)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }

    /// The environment every tool runs with, plus `extra` (which wins).
    func environment(adding extra: [String: String] = [:]) -> [String: String] {
        var environment = ["PATH": Self.defaultSearchPath, "LANG": "C", "LC_ALL": "C"]
        if let slurmConfig {
            environment["SLURM_CONF"] = slurmConfig.path
        } else if let inherited = ProcessInfo.processInfo.environment["SLURM_CONF"] {
            environment["SLURM_CONF"] = inherited
        }
        environment.merge(extra) { _, new in new }
        return environment
    }

    /// Runs `tool` with `arguments` and returns what it printed, whatever its exit status.
    ///
    /// - Parameter environment: the complete environment (default: ``environment(adding:)``).
    /// - Throws: `slurm_not_installed` when the tool is missing, `slurm_command_timeout` when it
    ///   outlives ``timeoutSeconds``, `slurm_command_failed` when it cannot be started.
    func run(_ tool: String, _ arguments: [String], environment: [String: String]? = nil) async throws -> SlurmCommandResult {
        guard let url = executable(tool) else {
            throw ExecutorError(
                "slurm_not_installed",
                "Slurm is not installed: apt-get install slurm-wlm (no \(tool) in \(binDirectory?.path ?? searchPath.joined(separator: ":")))"
            )
        }
        let environment = environment ?? self.environment()
        let timeout = timeoutSeconds
        // A thread of its own, not a dispatch worker: the run blocks for as long as slurmctld
        // takes, and it waits on its stderr reader, which must not queue behind it for a worker.
        return try await withCheckedThrowingContinuation { continuation in
            Self.startThread("osg-slurm-\(tool)") {
                continuation.resume(with: Result { try Self.runBlocking(url, arguments, environment: environment, timeoutSeconds: timeout) })
            }
        }
    }

    private static func startThread(_ name: String, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread(block: body)
        thread.name = name
        thread.stackSize = 256 * 1024
        thread.start()
    }

    /// Runs `tool` and returns its stdout; throws `slurm_command_failed`, naming the command and
    /// its stderr, when it exits non-zero.
    func output(_ tool: String, _ arguments: [String], environment: [String: String]? = nil) async throws -> String {
        let result = try await run(tool, arguments, environment: environment)
        guard result.status == 0 else { throw Self.failure(tool, arguments, result) }
        return result.stdout
    }

    static func failure(_ tool: String, _ arguments: [String], _ result: SlurmCommandResult) -> ExecutorError {
        let said = result.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
        let shown = said.isEmpty ? result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) : said
        return ExecutorError(
            "slurm_command_failed",
            "`\(([tool] + arguments).joined(separator: " "))` exited \(result.status): \(shown.isEmpty ? "(no output)" : shown)"
        )
    }

    /// One bounded run: stdout is read on this thread and stderr on another (so neither pipe can
    /// fill and stall the child); the child gets SIGTERM at the timeout and SIGKILL 2 s later.
    private static func runBlocking(
        _ url: URL, _ arguments: [String], environment: [String: String], timeoutSeconds: Double
    ) throws -> SlurmCommandResult {
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        let command = ([url.lastPathComponent] + arguments).joined(separator: " ")
        do {
            try process.run()
        } catch {
            throw ExecutorError("slurm_command_failed", "`\(command)` could not be started: \(error)")
        }

        let timedOut = SlurmFlag()
        let pid = process.processIdentifier
        let watchdog = DispatchWorkItem {
            guard process.isRunning else { return }
            timedOut.set()
            Glibc.kill(pid, SIGTERM)
            DispatchQueue.global().asyncAfter(deadline: .now() + 2) {
                if process.isRunning { Glibc.kill(pid, SIGKILL) }
            }
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeoutSeconds, execute: watchdog)

        let errorText = SlurmCollectedData()
        let stderrRead = DispatchSemaphore(value: 0)
        startThread("osg-slurm-stderr") {
            errorText.set(stderr.fileHandleForReading.readDataToEndOfFile())
            stderrRead.signal()
        }
        let outputData = stdout.fileHandleForReading.readDataToEndOfFile()
        stderrRead.wait()
        process.waitUntilExit()
        watchdog.cancel()

        if timedOut.isSet {
            throw ExecutorError(
                "slurm_command_timeout",
                "`\(command)` did not finish within \(timeoutSeconds) s (is slurmctld overloaded or unreachable?)"
            )
        }
        let status = process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
        return SlurmCommandResult(
            status: status,
            stdout: String(decoding: outputData, as: UTF8.self),
            stderr: String(decoding: errorText.get(), as: UTF8.self)
        )
    }
}

/// A flag set once from one thread and read from another.
private final class SlurmFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}

/// Bytes one reader thread hands to another.
private final class SlurmCollectedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    func set(_ new: Data) { lock.withLock { data = new } }
    func get() -> Data { lock.withLock { data } }
}
