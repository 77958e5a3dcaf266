import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A short benchmark of the host's NVIDIA GPUs, run when Python with a CUDA build of PyTorch is
/// there: memory bandwidth, FP32 and dense FP16 matrix-multiply throughput, and host↔device
/// copy bandwidth of each GPU asked for (``GPUBenchmarkScript`` says how each is measured).
///
/// The program runs as `python3 -c <program> '{"gpus":[…]}'`, in a process group of its own
/// with default signal handling (the agent ignores SIGTERM and SIGINT, which a child would
/// otherwise inherit), no descriptor of the agent's, and only the environment that locates
/// Python, its packages and CUDA (no token or key of the agent's). `CUDA_VISIBLE_DEVICES` is
/// dropped and `CUDA_DEVICE_ORDER=PCI_BUS_ID` set, so CUDA's indices are the driver's, as
/// `nvidia-smi` and the discovery number them. At `timeout` the whole group is killed.
///
/// A host without Python, PyTorch or a usable CUDA device is normal:
/// ``Outcome/unavailable(_:)``, and the agent reports its host figures alone.
///
/// ```swift
/// switch await GPUBenchmark.run(gpuIndices: [0, 1, 2, 3], timeout: .seconds(120)) {
/// case .measured(let result): report = result.nodeBenchmark(durationSeconds: seconds, host: host)
/// case .unavailable(let reason): logger.info("GPUs not benchmarked: \(reason)")
/// case .failed(let message): logger.warning("GPU benchmark failed: \(message)")
/// }
/// ```
public enum GPUBenchmark {
    /// How a run ended.
    public enum Outcome: Hashable, Sendable {
        /// Every GPU asked for was measured.
        case measured(GPUBenchmarkResult)
        /// This host has no tool for its GPUs: no Python interpreter, no PyTorch, a PyTorch
        /// without CUDA, or no device CUDA can use. The reason says which.
        case unavailable(String)
        /// The tool was there but did not deliver: it could not start, crashed, exited non-zero,
        /// outlived the timeout (and was killed), or printed output that cannot be used.
        case failed(String)
    }

    /// Most bytes of standard output kept (the result is a few hundred bytes a GPU); more is
    /// read and dropped.
    public static let maxOutputBytes = 1 << 20
    /// Most bytes of standard error kept, the last ones (where Python puts the exception).
    static let maxErrorBytes = 8 << 10
    /// How long the agent waits, after the program ended, for processes it started that still
    /// hold its output open, before killing them.
    static let stragglerGraceSeconds = 1.0
    /// The agent's environment variables the program gets: where Python, its packages and
    /// CUDA's libraries are; nothing else of the agent's.
    static let inheritedVariables = [
        "PATH", "HOME", "USER", "LANG", "LC_ALL", "TMPDIR", "LD_LIBRARY_PATH",
        "PYTHONPATH", "PYTHONHOME", "PYTHONUSERBASE", "VIRTUAL_ENV", "CONDA_PREFIX", "PYENV_ROOT", "PYENV_VERSION",
        "CUDA_HOME", "CUDA_PATH", "CUDA_CACHE_PATH", "XDG_CACHE_HOME",
    ]
    /// Where interpreters are looked for after the agent's `PATH`.
    static let defaultSearchPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// Measures the GPUs `gpuIndices` with the GPU benchmark program, on a thread of its own
    /// (never on the cooperative pool), for at most `timeout`.
    ///
    /// Measuring takes about 2 s a GPU, plus Python's start and PyTorch's import and CUDA's
    /// initialisation (a few seconds, more on a cold disk): allow a minute plus 10 s a GPU.
    ///
    /// - Parameters:
    ///   - gpuIndices: the driver's indices of the GPUs to measure, each once; none measures
    ///     nothing (``Outcome/unavailable(_:)``).
    ///   - interpreter: the Python interpreter: a name looked up on `PATH` (and the usual
    ///     system directories), or a path.
    ///   - timeout: how long the program may run before it is killed (``Outcome/failed(_:)``).
    /// - Returns: the outcome; never throws, since a failed benchmark must not stop the agent.
    public static func run(gpuIndices: [Int], interpreter: String = "python3", timeout: Duration) async -> Outcome {
        precondition(gpuIndices.allSatisfy { $0 >= 0 } && Set(gpuIndices).count == gpuIndices.count, "GPU indices are non-negative and distinct")
        precondition(timeout > .zero, "the timeout must be positive")
        guard !gpuIndices.isEmpty else { return .unavailable("no GPU to measure") }
        let path: String
        switch locate(interpreter) {
        case .success(let found): path = found
        case .failure(.notOnPath): return .unavailable("no \(interpreter) on PATH nor in \(defaultSearchPath): install Python 3 and a CUDA build of PyTorch to benchmark the GPUs")
        case .failure(.notExecutable): return .failed("the interpreter \(interpreter) is not an executable file: fix the configured path")
        }
        let arguments = [path, "-c", GPUBenchmarkScript.source, request(gpuIndices)]
        let environment = childEnvironment(from: ProcessInfo.processInfo.environment)
        let run = await withCheckedContinuation { (continuation: CheckedContinuation<ChildRun, Never>) in
            let thread = Thread {
                continuation.resume(returning: ChildRun.execute(arguments, environment: environment, timeout: timeout))
            }
            thread.name = "osg-gpu-benchmark"
            thread.stackSize = 256 * 1024
            thread.start()
        }
        return outcome(of: run, command: "\(path) -c <gpu benchmark>", requested: gpuIndices, timeout: timeout)
    }

    /// The program's one argument: `{"gpus":[0,1]}`.
    static func request(_ gpuIndices: [Int]) -> String {
        "{\"gpus\":[\(gpuIndices.map(String.init).joined(separator: ","))]}"
    }

    enum LocateFailure: Error { case notOnPath, notExecutable }

    /// The interpreter's path: `interpreter` itself when it names a path, else the first
    /// executable of that name on the agent's `PATH` or in ``defaultSearchPath``.
    static func locate(_ interpreter: String) -> Result<String, LocateFailure> {
        let files = FileManager.default
        if interpreter.contains("/") {
            return files.isExecutableFile(atPath: interpreter) ? .success(interpreter) : .failure(.notExecutable)
        }
        let agentPath = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for directory in (agentPath + ":" + defaultSearchPath).split(separator: ":") where directory.hasPrefix("/") {
            let candidate = "\(directory)/\(interpreter)"
            if files.isExecutableFile(atPath: candidate) { return .success(candidate) }
        }
        return .failure(.notOnPath)
    }

    /// The program's environment, `NAME=value` each: ``inheritedVariables`` from `agent`, a
    /// `PATH` if the agent has none, and CUDA numbering devices as the driver does.
    static func childEnvironment(from agent: [String: String]) -> [String] {
        var environment: [String: String] = [:]
        for name in inheritedVariables { environment[name] = agent[name] }
        environment["PATH"] = environment["PATH"] ?? defaultSearchPath
        environment["CUDA_DEVICE_ORDER"] = "PCI_BUS_ID"
        environment["PYTHONDONTWRITEBYTECODE"] = "1"
        return environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
    }

    /// What a finished run means: pure, so each ending is testable without a process.
    static func outcome(of run: ChildRun, command: String, requested: [Int], timeout: Duration) -> Outcome {
        let said = run.stderrTail.trimmingCharacters(in: .whitespacesAndNewlines)
        let shown = said.isEmpty ? "(nothing on stderr)" : String(said.suffix(600))
        switch run.ending {
        case .notStarted(let reason):
            return .failed("could not start `\(command)`: \(reason)")
        case .timedOut:
            return .failed("`\(command)` did not finish within \(timeout) and was killed; is a GPU busy or hung (check nvidia-smi), or is the timeout too short? stderr: \(shown)")
        case .signalled(let signal):
            return .failed("`\(command)` was ended by signal \(signal): \(shown)")
        case .exited(let status) where status != 0:
            return .failed("`\(command)` exited \(status): \(shown)")
        case .exited:
            do {
                switch try GPUBenchmarkOutput.parse(String(decoding: run.stdout, as: UTF8.self), requested: requested) {
                case .measured(let result): return .measured(result)
                case .unavailable(let reason): return .unavailable(reason)
                }
            } catch {
                let cut = run.stdoutTruncated ? " (standard output was cut at \(maxOutputBytes) bytes)" : ""
                return .failed("the GPU benchmark's output is unusable\(cut): \(error)")
            }
        }
    }
}

extension GPUBenchmark {
    /// What one run of a program printed and how it ended.
    struct ChildRun: Hashable, Sendable {
        enum Ending: Hashable, Sendable {
            case exited(Int32)
            case signalled(Int32)
            /// It outlived its time and its process group was killed.
            case timedOut
            case notStarted(String)
        }

        var ending: Ending
        /// The first ``GPUBenchmark/maxOutputBytes`` of standard output.
        var stdout = Data()
        /// Whether standard output was longer than what ``stdout`` kept.
        var stdoutTruncated = false
        /// The last ``GPUBenchmark/maxErrorBytes`` of standard error.
        var stderrTail = ""

        /// Runs `arguments` (an absolute program path first) to completion on the calling
        /// thread (which blocks), reading both pipes as they fill and killing the process group
        /// at the deadline.
        static func execute(_ arguments: [String], environment: [String], timeout: Duration) -> ChildRun {
            precondition(!arguments.isEmpty && arguments[0].hasPrefix("/"), "an absolute program path")
            var outputPipe: [Int32] = [-1, -1]
            var errorPipe: [Int32] = [-1, -1]
            guard makePipe(&outputPipe) == 0 else { return ChildRun(ending: .notStarted("pipe: \(String(cString: strerror(errno)))")) }
            guard makePipe(&errorPipe) == 0 else {
                let reason = String(cString: strerror(errno))
                outputPipe.forEach { close($0) }
                return ChildRun(ending: .notStarted("pipe: \(reason)"))
            }
            let pid: pid_t
            do {
                pid = try spawn(arguments, environment: environment, stdout: outputPipe[1], stderr: errorPipe[1])
            } catch {
                (outputPipe + errorPipe).forEach { close($0) }
                return ChildRun(ending: .notStarted(error.reason))
            }
            close(outputPipe[1])
            close(errorPipe[1])
            var run = ChildRun(ending: .timedOut)
            run.collect(pid: pid, stdout: outputPipe[0], stderr: errorPipe[0], timeout: timeout)
            return run
        }

        struct SpawnError: Error { var reason: String }

        private typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32
        /// glibc's `pipe2`, looked up at run time (a GNU extension the Swift module does not export).
        private static let pipe2: Pipe2? = dlsym(nil, "pipe2").map { unsafeBitCast($0, to: Pipe2.self) }

        /// A pipe whose two ends are close-on-exec, so no process another thread of the agent
        /// spawns meanwhile holds the write end open (and keeps this run from seeing its end).
        private static func makePipe(_ ends: inout [Int32]) -> Int32 {
            if let pipe2 { return ends.withUnsafeMutableBufferPointer { pipe2($0.baseAddress!, O_CLOEXEC) } }
            // Without pipe2 a spawn between these calls may inherit the pipe: harmless but for a
            // delay, as the straggler grace period bounds it.
            guard pipe(&ends) == 0 else { return -1 }
            for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
            return 0
        }

        /// Starts the program in a process group of its own, signals at their defaults, stdin
        /// from `/dev/null`, and no descriptor but the two pipes' write ends.
        private static func spawn(_ arguments: [String], environment: [String], stdout: Int32, stderr: Int32) throws(SpawnError) -> pid_t {
            let spawned = SandboxProcess.spawnInOwnGroup(arguments, environment: environment) { actions in
                posix_spawn_file_actions_adddup2(&actions, stdout, 1)
                posix_spawn_file_actions_adddup2(&actions, stderr, 2)
            }
            switch spawned {
            case .success(let pid): return pid
            case .failure(let error): throw SpawnError(reason: error.description)
            }
        }

        /// Reads both pipes until the program ends and they close, or the deadline passes; sets
        /// ``ending``; closes the read ends.
        private mutating func collect(pid: pid_t, stdout: Int32, stderr: Int32, timeout: Duration) {
            let clock = ContinuousClock()
            let deadline = clock.now + timeout
            var open = [stdout, stderr]
            defer { open.forEach { close($0) } }
            var errorBytes = Data()
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            var status: Int32 = 0
            var endedAt: ContinuousClock.Instant?
            while true {
                if endedAt == nil, Self.reaped(pid, &status) { endedAt = clock.now }
                if endedAt != nil, open.isEmpty { break }
                let now = clock.now
                if endedAt == nil, now >= deadline {
                    Glibc.kill(-pid, SIGKILL)
                    while waitpid(pid, &status, 0) == -1, errno == EINTR {}
                    ending = .timedOut
                    stderrTail = String(decoding: errorBytes, as: UTF8.self)
                    return
                }
                if let endedAt, now - endedAt > .seconds(GPUBenchmark.stragglerGraceSeconds) {
                    // The program ended but something it started still holds its output open.
                    Glibc.kill(-pid, SIGKILL)
                    break
                }
                var descriptors = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
                let wait: Int32 = endedAt == nil ? Int32(min(100, max(1, ((deadline - now) / .milliseconds(1)).rounded(.up)))) : 50
                let ready = poll(&descriptors, nfds_t(descriptors.count), wait)
                guard ready > 0 else { continue }
                for descriptor in descriptors where descriptor.revents != 0 {
                    let count = buffer.withUnsafeMutableBytes { read(descriptor.fd, $0.baseAddress, $0.count) }
                    if count > 0 {
                        let chunk = buffer[0..<count]
                        if descriptor.fd == stdout {
                            let room = GPUBenchmark.maxOutputBytes - self.stdout.count
                            if count > room { stdoutTruncated = true }
                            self.stdout.append(contentsOf: chunk.prefix(max(0, room)))
                        } else {
                            errorBytes.append(contentsOf: chunk)
                            if errorBytes.count > GPUBenchmark.maxErrorBytes { errorBytes.removeFirst(errorBytes.count - GPUBenchmark.maxErrorBytes) }
                        }
                    } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                        close(descriptor.fd)
                        open.removeAll { $0 == descriptor.fd }
                    }
                }
            }
            stderrTail = String(decoding: errorBytes, as: UTF8.self)
            ending = (status & 0x7f) == 0 ? .exited((status >> 8) & 0xff) : .signalled(status & 0x7f)
        }

        /// Whether `pid` has ended (and is reaped), its wait status in `status`.
        private static func reaped(_ pid: pid_t, _ status: inout Int32) -> Bool {
            while true {
                let result = waitpid(pid, &status, WNOHANG)
                if result == pid { return true }
                if result == -1, errno == EINTR { continue }
                // 0: still running. -1 otherwise: not ours any more (cannot happen for our own
                // child); treat as ended so the loop cannot spin forever.
                if result == -1 {
                    status = 127 << 8
                    return true
                }
                return false
            }
        }
    }
}
