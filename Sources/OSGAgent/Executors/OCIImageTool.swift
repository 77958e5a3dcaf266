import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Runs the image tools (skopeo, umoci, chmod) to completion, blocking: a bounded time, a clean
/// environment, no descriptor of the agent, stdout and stderr kept apart. Callers run it off the
/// cooperative pool.
struct OCIImageTool: Sendable {
    struct Result: Sendable {
        /// The exit status, 128 + the signal if one ended it, 124 if it timed out, 127 if it
        /// could not be started.
        var status: Int32
        var stdout: Data
        /// The first ``maximumStderrBytes`` of stderr, trimmed.
        var stderr: String
        var timedOut: Bool { status == 124 }
    }

    static let maximumStderrBytes = 4096
    /// What a tool may write to stdout that we keep (a manifest or index is far smaller).
    static let maximumStdoutBytes = 4 << 20

    /// Where the tools keep big temporary files (skopeo unpacks an `oci-archive:` there): the
    /// image store's own directory, on the same disk as the cache, removed with it.
    var temporaryDirectory: String

    /// Runs `arguments` (an absolute program path first) for at most `timeoutSeconds`.
    func run(_ arguments: [String], timeoutSeconds: Int) -> Result {
        precondition(!arguments.isEmpty && arguments[0].hasPrefix("/") && timeoutSeconds > 0)
        let token = "\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        let outPath = temporaryDirectory + "/.tool-\(token).out"
        let errPath = temporaryDirectory + "/.tool-\(token).err"
        defer {
            unlink(outPath)
            unlink(errPath)
        }
        // Nothing of the agent's environment (tokens, keys, proxies it did not mean for this).
        let environment = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", "TMPDIR=\(temporaryDirectory)", "HOME=\(temporaryDirectory)"]
        let pid: pid_t
        switch SandboxProcess.spawnInOwnGroup(arguments, environment: environment, redirect: { actions in
            posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        }) {
        case .success(let started): pid = started
        case .failure(let error): return Result(status: 127, stdout: Data(), stderr: "could not start \(arguments[0]): \(error.description)")
        }
        var status: Int32 = 0
        let deadline = Date().addingTimeInterval(Double(timeoutSeconds))
        var pause: UInt32 = 1_000
        while true {
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid { break }
            if result == -1 && errno != EINTR {
                return Result(status: 127, stdout: Data(), stderr: "lost \(arguments[0]) (waitpid: \(String(cString: strerror(errno))))")
            }
            if Date() > deadline {
                Glibc.kill(-pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                return Result(status: 124, stdout: Data(), stderr: "timed out after \(timeoutSeconds) s")
            }
            usleep(pause)
            pause = min(pause * 2, 50_000)
        }
        let stdout = (FileHandle(forReadingAtPath: outPath)).flatMap { handle in
            defer { try? handle.close() }
            return try? handle.read(upToCount: Self.maximumStdoutBytes)
        } ?? Data()
        let stderr = SandboxFiles.readText(URL(fileURLWithPath: errPath), limit: Self.maximumStderrBytes) ?? ""
        let code: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Result(status: code, stdout: stdout, stderr: stderr.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// The first executable `name` on the usual system paths, or `nil`.
    static func find(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let candidates = path.split(separator: ":").map { "\($0)/\(name)" } + ["/usr/bin/\(name)", "/usr/local/bin/\(name)", "/usr/sbin/\(name)"]
        return candidates.first { $0.hasPrefix("/") && access($0, X_OK) == 0 }
    }
}
