import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Starting and watching the processes the sandbox executor runs outside the sandbox.
enum SandboxProcess {
    /// The environment of everything the executor spawns: nothing of the agent's (no tokens, no
    /// keys), only a `PATH` for the supervisor's tools.
    static let cleanEnvironment = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"]

    /// Starts `arguments` in a session of its own (so no terminal or process-group signal of the
    /// agent reaches it), with stdin from `/dev/null`, stdout and stderr appended to `logPath`,
    /// no other file descriptor but those of `passing` (the child's number → the parent's, from
    /// ``passedDescriptorsFloor`` up, see ``highPipe()``), and ``cleanEnvironment``.
    static func spawnDetached(_ arguments: [String], logPath: String, passing: [Int32: Int32] = [:]) throws -> pid_t {
        precondition(!arguments.isEmpty)
        precondition(passing.allSatisfy { (3..<passedDescriptorsFloor).contains($0.key) && $0.value >= passedDescriptorsFloor }, "passed descriptors: above stdio, from high numbers")
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        for (target, source) in passing.sorted(by: { $0.key < $1.key }) {
            posix_spawn_file_actions_adddup2(&actions, source, target)
        }
        closeInheritedDescriptors(&actions, keeping: Set(passing.keys))

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        let signalFlags = resetSignals(&attributes)
        posix_spawnattr_setflags(&attributes, Int16(setsidFlag | signalFlags))

        let argv = arguments.map { strdup($0) } + [nil]
        let envp = cleanEnvironment.map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, arguments[0], &actions, &attributes, argv, envp)
        guard result == 0 else {
            throw ExecutorError("spawn_failed", "could not start \(arguments[0]): \(String(cString: strerror(result)))")
        }
        return pid
    }

    /// glibc's `POSIX_SPAWN_SETSID` (a GNU extension the Swift module does not export).
    private static let setsidFlag: Int32 = 0x80

    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    /// glibc ≥ 2.34's `posix_spawn_file_actions_addclosefrom_np`, looked up at run time (the
    /// Swift module does not export it).
    private static let addCloseFrom: AddCloseFrom? = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np").map {
        unsafeBitCast($0, to: AddCloseFrom.self)
    }

    /// Every signal at its default and none blocked in the child (the agent's own handlers and
    /// mask are not the job's or the tool's); returns the spawn flags that apply it.
    static func resetSignals(_ attributes: inout posix_spawnattr_t) -> Int32 {
        var defaultSignals = sigset_t()
        sigfillset(&defaultSignals)
        var noMask = sigset_t()
        sigemptyset(&noMask)
        posix_spawnattr_setsigdefault(&attributes, &defaultSignals)
        posix_spawnattr_setsigmask(&attributes, &noMask)
        return Int32(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)
    }

    /// No descriptor of the agent (its keys, its sockets) reaches the supervisor, so none can
    /// reach the job: all from 3 up are closed in the child.
    /// `keeping`: descriptors the child gets on purpose (all below ``passedDescriptorsFloor``).
    static func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t, keeping: Set<Int32> = []) {
        let firstUnkept = (keeping.max() ?? 2) + 1
        // Below the kept ones, one by one (closing one that is not open is no error for posix_spawn).
        for fd in Int32(3)..<firstUnkept where !keeping.contains(fd) { posix_spawn_file_actions_addclose(&actions, fd) }
        if let addCloseFrom, addCloseFrom(&actions, firstUnkept) == 0 { return }
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? [] {
            if let fd = Int32(entry), fd >= firstUnkept { posix_spawn_file_actions_addclose(&actions, fd) }
        }
    }

    /// Descriptors handed to a child come from this number up in the parent (see
    /// ``highDescriptor(_:)``), so that placing them at their numbers in the child never
    /// overwrites another one being placed.
    static let passedDescriptorsFloor: Int32 = 64

    /// A close-on-exec copy of `descriptor` at ``passedDescriptorsFloor`` or above; the original
    /// is closed. - Throws: `spawn_failed` when the process has no descriptor left.
    static func highDescriptor(_ descriptor: Int32) throws -> Int32 {
        let high = fcntl(descriptor, F_DUPFD_CLOEXEC, passedDescriptorsFloor)
        let failure = errno
        close(descriptor)
        guard high >= 0 else { throw ExecutorError("spawn_failed", "could not move a descriptor: \(String(cString: strerror(failure)))") }
        return high
    }

    /// A pipe whose two ends are close-on-exec copies above ``passedDescriptorsFloor``.
    static func highPipe() throws -> (read: Int32, write: Int32) {
        var ends: [Int32] = [0, 0]
        // (Plain pipe(): the copies below are close-on-exec, and every spawn closes what it does not pass.)
        guard pipe(&ends) == 0 else {
            throw ExecutorError("spawn_failed", "could not create a pipe: \(String(cString: strerror(errno)))")
        }
        let read: Int32
        do { read = try highDescriptor(ends[0]) } catch { close(ends[1]); throw error }
        do { return (read, try highDescriptor(ends[1])) } catch { close(read); throw error }
    }

    /// Starts a helper program (an image tool, the GPU benchmark) in a process group of its own,
    /// so a timeout can kill whatever it started too: stdin from `/dev/null`, standard output
    /// and error as `redirect` sets them up, no descriptor of the agent's, signals at their
    /// defaults. Retries a few times on ETXTBSY (a file just written, such as a wrapper
    /// script, may be held open for writing for a moment by a process another thread forked
    /// and has not yet exec'd). Returns the pid, or the `errno` of the failed spawn.
    static func spawnInOwnGroup(
        _ arguments: [String], environment: [String], redirect: (inout posix_spawn_file_actions_t) -> Void
    ) -> Result<pid_t, Errno> {
        precondition(!arguments.isEmpty && arguments[0].hasPrefix("/"), "an absolute program path")
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        redirect(&actions)
        closeInheritedDescriptors(&actions)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        let signalFlags = resetSignals(&attributes)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(signalFlags | Int32(POSIX_SPAWN_SETPGROUP)))
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        var result = posix_spawn(&pid, arguments[0], &actions, &attributes, argv, envp)
        for attempt in 1...5 where result == ETXTBSY {
            usleep(UInt32(attempt) * 20_000)
            result = posix_spawn(&pid, arguments[0], &actions, &attributes, argv, envp)
        }
        return result == 0 ? .success(pid) : .failure(Errno(code: result))
    }

    /// A failed spawn's `errno`.
    struct Errno: Error, Sendable {
        var code: Int32
        var description: String { String(cString: strerror(code)) }
    }

    /// Waits for our child `pid` on a thread of its own (never on the cooperative pool), then
    /// calls `done` with its wait status, or `nil` if it was not ours to wait for.
    static func reap(_ pid: pid_t, then done: @escaping @Sendable (Int32?) -> Void = { _ in }) {
        let thread = Thread {
            var status: Int32 = 0
            while true {
                let result = waitpid(pid, &status, 0)
                if result == pid { return done(status) }
                if result == -1 && errno == EINTR { continue }
                return done(nil)
            }
        }
        thread.name = "osg-sandbox-reap-\(pid)"
        thread.stackSize = 64 * 1024
        thread.start()
    }

    /// Runs `arguments` to completion with a clean environment and returns its exit status and
    /// what it wrote to stderr (the first 4 KiB), killing it after `timeoutSeconds`.
    static func run(_ arguments: [String], timeoutSeconds: Int) -> (status: Int32, stderr: String) {
        let errorPath = FileManager.default.temporaryDirectory.appendingPathComponent("osg-sandbox-probe-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        defer { unlink(errorPath) }
        guard let pid = try? spawnDetached(arguments, logPath: errorPath) else {
            return (127, "could not start \(arguments[0])")
        }
        var status: Int32 = 0
        let deadline = Date().addingTimeInterval(Double(timeoutSeconds))
        while true {
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid { break }
            if result == -1 && errno != EINTR { return (127, "lost the probe process") }
            if Date() > deadline {
                Glibc.kill(pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                return (124, "timed out after \(timeoutSeconds) s")
            }
            usleep(2_000)
        }
        let text = SandboxFiles.readText(URL(fileURLWithPath: errorPath), limit: 4096) ?? ""
        let code: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return (code, text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Sends `signal` to every process in the pid namespace whose init is `initPID`, except that
    /// init (bubblewrap's reaper, which ignores it): all of the job, however it forked.
    static func signalNamespace(ofInit initPID: pid_t, _ signal: Int32) {
        guard let namespace = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(initPID)/ns/pid"),
            let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc")
        else { return }
        for entry in entries {
            guard let pid = pid_t(entry), pid != initPID,
                (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/pid")) == namespace
            else { continue }
            Glibc.kill(pid, signal)
        }
    }

    /// The parent pid of `pid` (`PPid:` in `/proc/<pid>/status`), or `nil`.
    static func parent(of pid: pid_t) -> pid_t? {
        guard let status = SandboxFiles.readText(URL(fileURLWithPath: "/proc/\(pid)/status")) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("PPid:") {
            return pid_t(line.dropFirst(5).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }
}
