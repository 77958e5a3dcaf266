import Foundation

/// Runs the agent's `nvidia-smi` query (``NvidiaSMIOutput/arguments``) and returns what it
/// printed; ``NvidiaSMIOutput/inventory()`` reads it.
///
/// The process runs on a thread of its own, never on the cooperative pool, and is waited for
/// at most ``timeoutSeconds``: a GPU that hangs the driver can leave `nvidia-smi` in an
/// uninterruptible sleep that even `SIGKILL` does not end, so at the deadline the agent stops
/// waiting (and kills the process) rather than waiting for it to exit.
///
/// ```swift
/// let inventory = try await NvidiaSMIRunner().run().inventory()
/// ```
public struct NvidiaSMIRunner: Sendable {
    /// The program to run; `nil` searches `PATH` and the usual driver locations.
    public var executablePath: String?
    /// Longest wait for the program, in seconds (1 to 600).
    public private(set) var timeoutSeconds: Int
    /// Most bytes kept of each of standard output and standard error (the rest is read and dropped).
    public static let maxOutputBytes = 1 << 20

    /// Where the driver installs `nvidia-smi` when it is not on `PATH` (containers, WSL).
    static let fallbackDirectories = ["/usr/bin", "/usr/local/bin", "/usr/local/nvidia/bin", "/usr/lib/wsl/lib"]

    /// Creates a runner.
    ///
    /// - Parameters:
    ///   - executablePath: the program to run, or `nil` to look for `nvidia-smi`.
    ///   - timeoutSeconds: longest wait, in seconds; brought within 1 to 600.
    public init(executablePath: String? = nil, timeoutSeconds: Int = 10) {
        self.executablePath = executablePath
        self.timeoutSeconds = min(max(timeoutSeconds, 1), 600)
    }

    /// Runs the query once.
    ///
    /// - Returns: standard output, standard error and exit status.
    /// - Throws: ``DiscoveryError`` `nvidia_smi_not_found` (no such program),
    ///   `nvidia_smi_timed_out`, or `nvidia_smi_failed` (it could not be started).
    public func run() async throws -> NvidiaSMIOutput {
        try await run(arguments: NvidiaSMIOutput.arguments)
    }

    /// Runs `nvidia-smi` once with `arguments` (another query, such as ``GPUUsageQuery/arguments``).
    public func run(arguments: [String]) async throws -> NvidiaSMIOutput {
        let path = try locate()
        let timeout = timeoutSeconds
        let once = ResumeOnce()
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<NvidiaSMIOutput, any Error>) in
            once.set(continuation)
            let thread = Thread {
                once.resume(with: Result { try Self.execute(path: path, arguments: arguments, timeoutSeconds: timeout) })
            }
            thread.name = "osg-nvidia-smi"
            thread.start()
            DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(timeout) + .milliseconds(500)) {
                // The process is past its deadline and did not end even when killed: stop waiting.
                once.resume(with: .failure(Self.timedOut(path, timeout)))
            }
        }
    }

    /// The program's path: ``executablePath``, or `nvidia-smi` on `PATH` or in a driver directory.
    func locate() throws -> String {
        let files = FileManager.default
        if let executablePath {
            guard files.isExecutableFile(atPath: executablePath) else { throw Self.notFound("\(executablePath) is not an executable file") }
            return executablePath
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let directories = path.split(separator: ":").map(String.init) + Self.fallbackDirectories
        for directory in directories where !directory.isEmpty {
            let candidate = directory + "/nvidia-smi"
            if files.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw Self.notFound("not on PATH nor in \(Self.fallbackDirectories.joined(separator: ", "))")
    }

    static func notFound(_ detail: String) -> DiscoveryError {
        DiscoveryError(.nvidiaSMINotFound, "nvidia-smi not found (\(detail)): no NVIDIA driver on this host; install the driver, or use --simulate NxMODEL to advertise virtual GPUs for a demo")
    }

    static func timedOut(_ path: String, _ seconds: Int) -> DiscoveryError {
        DiscoveryError(.nvidiaSMITimedOut, "\(path) did not finish within \(seconds) s; a GPU or the driver is hung: check `dmesg` for Xid errors, reset the GPU or reboot the host")
    }

    /// Runs the program to completion on the calling thread (blocking), killing it at the deadline.
    static func execute(path: String, arguments: [String], timeoutSeconds: Int) throws -> NvidiaSMIOutput {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        // A program file still open for writing somewhere (being installed, or its descriptor
        // inherited by a process another thread just forked) cannot be executed for a moment
        // (ETXTBSY): try again a few times before calling it a failure.
        var attempt = 0
        while true {
            do {
                try process.run()
                break
            } catch let error as NSError where isTextFileBusy(error) && attempt < 20 {
                attempt += 1
                usleep(50_000)
            } catch {
                throw DiscoveryError(.nvidiaSMIFailed, "could not start \(path): \(error); check the file's permissions and that it is the NVIDIA driver's nvidia-smi")
            }
        }
        let expired = Flag()
        let killer = DispatchWorkItem {
            expired.set()
            process.terminate()
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(200)) {
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            }
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(timeoutSeconds), execute: killer)
        // Both pipes are drained at once, so a full standard-error pipe cannot block the program.
        let errorText = Drained()
        let errorsRead = DispatchGroup()
        errorsRead.enter()
        DispatchQueue.global().async {
            errorText.store(readBounded(errors.fileHandleForReading))
            errorsRead.leave()
        }
        let outputData = readBounded(output.fileHandleForReading)
        errorsRead.wait()
        process.waitUntilExit()
        killer.cancel()
        if expired.isSet { throw timedOut(path, timeoutSeconds) }
        return NvidiaSMIOutput(
            stdout: String(decoding: outputData, as: UTF8.self),
            stderr: String(decoding: errorText.data, as: UTF8.self),
            exitStatus: process.terminationReason == .exit ? process.terminationStatus : 128 + process.terminationStatus
        )
    }

    /// Reads to end of file, keeping at most ``maxOutputBytes``.
    static func readBounded(_ handle: FileHandle) -> Data {
        var kept = Data()
        while true {
            let chunk = handle.availableData
            if chunk.isEmpty { return kept }
            if kept.count < maxOutputBytes { kept.append(chunk.prefix(maxOutputBytes - kept.count)) }
        }
    }
}

/// Resumes a continuation exactly once, from whichever of the work and the deadline is first.
private final class ResumeOnce: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<NvidiaSMIOutput, any Error>?
    private var result: Result<NvidiaSMIOutput, any Error>?

    func set(_ continuation: CheckedContinuation<NvidiaSMIOutput, any Error>) {
        lock.lock()
        if let result {
            lock.unlock()
            continuation.resume(with: result)
            return
        }
        self.continuation = continuation
        lock.unlock()
    }

    func resume(with result: Result<NvidiaSMIOutput, any Error>) {
        lock.lock()
        guard self.result == nil else {
            lock.unlock()
            return
        }
        self.result = result
        let continuation = self.continuation
        self.continuation = nil
        lock.unlock()
        continuation?.resume(with: result)
    }
}

/// A flag set once from another thread.
private final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    func set() {
        lock.lock()
        value = true
        lock.unlock()
    }

    var isSet: Bool {
        lock.lock()
        defer { lock.unlock() }
        return value
    }
}

/// Bytes read on another thread.
private final class Drained: @unchecked Sendable {
    private let lock = NSLock()
    private var stored = Data()

    func store(_ data: Data) {
        lock.lock()
        stored = data
        lock.unlock()
    }

    var data: Data {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }
}

/// Whether a failed start is ETXTBSY, reported either directly or (as Foundation's `Process`
/// does) as a Cocoa error whose underlying error is the POSIX one.
func isTextFileBusy(_ error: NSError) -> Bool {
    if error.domain == NSPOSIXErrorDomain && error.code == Int(ETXTBSY) { return true }
    guard let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError else { return false }
    return isTextFileBusy(underlying)
}
