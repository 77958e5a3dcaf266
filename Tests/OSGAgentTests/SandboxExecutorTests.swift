import Foundation
import Logging
import Testing

@testable import OSGAgent

#if canImport(Glibc)
import Glibc
#endif

/// The sandbox executor against the real bubblewrap of this host: what a job can and cannot do,
/// how it ends, and that it outlives (and is found again by) a restarted agent.
@Suite("Sandbox executor", .enabled(if: SandboxTestSupport.enabled))
struct SandboxExecutorTests {
    typealias Support = SandboxTestSupport

    @Test("a job runs, its output is kept line by line, and its exit code is reported (0 and 3)")
    func runsAndExits() async throws {
        let (executor, state) = try Support.makeExecutor()
        defer { try? FileManager.default.removeItem(at: state) }
        let ok = try await executor.start(Support.work("ok", "echo hello; echo oops >&2; printf 'no newline'; exit 0"))
        let three = try await executor.start(Support.work("three", "echo three; exit 3"))
        #expect(try await Support.exit(of: ok) == .exited(code: 0))
        #expect(try await Support.exit(of: three) == .exited(code: 3))
        let lines = try await Support.output(of: ok)
        #expect(lines.contains(OutputLine(stream: .stdout, text: "hello")))
        #expect(lines.contains(OutputLine(stream: .stderr, text: "oops")))
        #expect(lines.contains(OutputLine(stream: .stdout, text: "no newline")))
        #expect(lines.count == 3)
        #expect(try await Support.output(of: three).map(\.text) == ["three"])
    }

    @Test("the job runs as an unprivileged user with only the lease's environment")
    func unprivilegedCleanEnvironment() async throws {
        let (executor, state) = try Support.makeExecutor()
        defer { try? FileManager.default.removeItem(at: state) }
        let job = try await executor.start(
            Support.work("env", "id -u; env | sort; touch /work/owned; ls /proc/$$/fd > /work/fds; echo FDS $(sort -n /work/fds | tr '\\n' ' ')", gpuIndices: [2, 5], environment: ["MODEL": "small"])
        )
        #expect(try await Support.exit(of: job) == .exited(code: 0))
        let lines = try await Support.output(of: job).map(\.text)
        #expect(lines.first == "1000")
        #expect(lines.contains("CUDA_VISIBLE_DEVICES=2,5"))
        #expect(lines.contains("OSG_LEASE_ID=env"))
        #expect(lines.contains("OSG_JOB_ID=job-env"))
        #expect(lines.contains("OSG_RANK=0"))
        #expect(lines.contains("OSG_WORLD_SIZE=1"))
        #expect(lines.contains("MODEL=small"))
        // Exactly the lease's variables (and the ones bash sets itself): nothing of the agent's.
        let names = Set(lines.dropFirst().filter { $0.contains("=") && !$0.hasPrefix("FDS") }.map { String($0.prefix { $0 != "=" }) })
        #expect(
            names == [
                "PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "TMPDIR", "CUDA_VISIBLE_DEVICES", "OSG_LEASE_ID", "OSG_JOB_ID",
                "OSG_RANK", "OSG_WORLD_SIZE", "MODEL", "PWD", "SHLVL", "_",
            ]
        )
        #expect(lines.contains("FDS 0 1 2"), "no descriptor of the agent or the supervisor reaches the job")
        var info = stat()
        #expect(stat(state.appendingPathComponent("leases/env/work/owned").path, &info) == 0)
        #expect(info.st_uid != 0, "the job's files belong to the lease's uid on the host, not root")
    }

    @Test("the job cannot read the agent's files: the state directory, a key elsewhere, other leases' settings")
    func cannotReadAgentFiles() async throws {
        let (executor, state) = try Support.makeExecutor()
        defer { try? FileManager.default.removeItem(at: state) }
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
        let secret = "SECRET-\(UUID().uuidString)"
        let inState = state.appendingPathComponent("agent.key")
        let elsewhere = FileManager.default.temporaryDirectory.appendingPathComponent("osg-agent-key-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: elsewhere) }
        try Data(secret.utf8).write(to: inState)
        try Data(secret.utf8).write(to: elsewhere)
        chmod(elsewhere.path, 0o644)  // even world-readable, it is not in the sandbox
        let script = """
            cat \(inState.path) && echo READ1; cat \(elsewhere.path) && echo READ2
            cat ../bwrap.args /proc/1/environ 2>/dev/null | tr '\\0' '\\n' | grep -c SECRET
            grep -rls \(secret) /etc /work /tmp /dev/shm /run /var /home /root /mnt /srv /opt 2>/dev/null; exit 0
            """
        let job = try await executor.start(Support.work("reader", script))
        #expect(try await Support.exit(of: job) == .exited(code: 0))
        let lines = try await Support.output(of: job).map(\.text)
        #expect(!lines.contains("READ1"))
        #expect(!lines.contains("READ2"))
        #expect(!lines.contains { $0.contains(secret) })
        #expect(lines.contains { $0.contains("No such file or directory") }, "the paths do not exist in the sandbox")
    }

    @Test("the job can write its work directory and nothing else: not /usr, /etc, /, /dev or the state directory")
    func writesOnlyWork() async throws {
        let (executor, state) = try Support.makeExecutor()
        defer { try? FileManager.default.removeItem(at: state) }
        let targets = ["/usr/osg-probe", "/etc/osg-probe", "/osg-probe", "/dev/osg-probe", state.appendingPathComponent("osg-probe").path]
        let script = targets.map { "touch \($0) 2>/dev/null && echo WROTE \($0)" }.joined(separator: "; ")
            + "; echo data > /work/result && echo WORK_OK; echo tmp > /tmp/t && echo TMP_OK; exit 0"
        let job = try await executor.start(Support.work("writer", script))
        #expect(try await Support.exit(of: job) == .exited(code: 0))
        let lines = try await Support.output(of: job).map(\.text)
        #expect(!lines.contains { $0.hasPrefix("WROTE") })
        #expect(lines.contains("WORK_OK") && lines.contains("TMP_OK"))
        #expect(FileManager.default.contents(atPath: state.appendingPathComponent("leases/writer/work/result").path) == Data("data\n".utf8))
        for target in targets { #expect(!FileManager.default.fileExists(atPath: target)) }
    }

    @Test("a job cannot see another lease's files or processes")
    func leasesAreIsolated() async throws {
        let (executor, state) = try Support.makeExecutor()
        defer { try? FileManager.default.removeItem(at: state) }
        let marker = "marker-\(UInt32.random(in: 0...UInt32.max))"
        let first = try await executor.start(
            Support.work("first", "echo x > /work/\(marker); echo x > /tmp/\(marker); echo READY; sleep 3600", maxDurationSeconds: 7200)
        )
        try await Support.waitForLine("READY", of: first)
        let other = state.appendingPathComponent("leases/first/work/\(marker)").path
        #expect(FileManager.default.fileExists(atPath: other), "the marker exists on the host")
        let second = try await executor.start(
            Support.work("second", "find / -xdev -name '\(marker)*' 2>/dev/null; find /tmp /work -name '\(marker)*'; cat \(other) && echo READ; ps -e -o args= | grep -c '^sleep '; exit 0")
        )
        #expect(try await Support.exit(of: second) == .exited(code: 0))
        var firstInfo = stat(), secondInfo = stat()
        #expect(stat(state.appendingPathComponent("leases/first/work").path, &firstInfo) == 0)
        #expect(stat(state.appendingPathComponent("leases/second/work").path, &secondInfo) == 0)
        if geteuid() == 0 {
            #expect(firstInfo.st_uid != secondInfo.st_uid && firstInfo.st_uid != 0 && secondInfo.st_uid != 0, "each lease has a host uid of its own")
        }
        await first.kill()
        let firstExit = try await Support.exit(of: first)
        #expect(firstExit == .stopped)
        let lines = try await Support.output(of: second).map(\.text)
        #expect(!lines.contains { $0.contains(marker) && !$0.contains("No such file") })
        #expect(!lines.contains("READ"))
        #expect(lines.contains("0"), "no `sleep 3600` of the other lease in this one's process list")
    }

    @Test("no network unless allowed: a loopback listener on the host is unreachable, and reachable with networkAllowed")
    func network() async throws {
        let (executor, state) = try Support.makeExecutor()
        defer { try? FileManager.default.removeItem(at: state) }
        let listener = try Support.LoopbackListener()
        let connect = "exec 3<>/dev/tcp/127.0.0.1/\(listener.port) && echo CONNECTED"
        let closed = try await executor.start(Support.work("closed", connect))
        let open = try await executor.start(Support.work("open", connect, networkAllowed: true))
        #expect(try await Support.exit(of: closed) != .exited(code: 0))
        #expect(try await Support.exit(of: open) == .exited(code: 0))
        #expect(!(try await Support.output(of: closed)).map(\.text).contains("CONNECTED"))
        #expect(try await Support.output(of: open).map(\.text).contains("CONNECTED"))
    }

    @Test("nothing the job started outlives it: a setsid daemon dies with the job")
    func daemonDies() async throws {
        let (executor, state) = try Support.makeExecutor()
        defer { try? FileManager.default.removeItem(at: state) }
        let marker = "1000.\(UInt32.random(in: 100_000...999_999))"
        let job = try await executor.start(Support.work("daemon", "setsid sleep \(marker) </dev/null >/dev/null 2>&1 & sleep 0.2; kill -0 $! && echo DAEMON_RUNNING; exit 0"))
        #expect(try await Support.exit(of: job) == .exited(code: 0))
        #expect(try await Support.output(of: job).map(\.text).contains("DAEMON_RUNNING"))
        var survivors = Support.hostProcesses(containing: marker)
        for _ in 0..<100 where !survivors.isEmpty {
            try await Task.sleep(for: .milliseconds(20))
            survivors = Support.hostProcesses(containing: marker)
        }
        #expect(survivors.isEmpty, "host processes still running `sleep \(marker)`: \(survivors)")
    }

    @Test("a job past its maxDurationSeconds is killed and ends as timedOut")
    func timesOut() async throws {
        let (executor, state) = try Support.makeExecutor()
        defer { try? FileManager.default.removeItem(at: state) }
        let started = Date()
        let job = try await executor.start(Support.work("slow", "sleep 100", maxDurationSeconds: 1))
        #expect(try await Support.exit(of: job, within: 120) == .timedOut)
        #expect(Date().timeIntervalSince(started) >= 0.9)
    }

    @Test("terminate sends SIGTERM the job can handle, kill ends it at once; both end as stopped")
    func terminateAndKill() async throws {
        let (executor, state) = try Support.makeExecutor()
        defer { try? FileManager.default.removeItem(at: state) }
        let polite = try await executor.start(
            Support.work("polite", "trap 'echo GOT_TERM; exit 0' TERM; echo READY; while :; do sleep 0.05; done")
        )
        let stubborn = try await executor.start(Support.work("stubborn", "trap 'echo IGNORED' TERM; echo READY; while :; do sleep 0.05; done"))
        let victim = try await executor.start(Support.work("victim", "echo READY; sleep 3600"))
        let plain = try await executor.start(Support.work("plain", "echo READY; sleep 3600"))
        for job in [polite, stubborn, victim, plain] { try await Support.waitForLine("READY", of: job) }
        await plain.terminate(graceSeconds: 20)
        await polite.terminate(graceSeconds: 20)
        await stubborn.terminate(graceSeconds: 1)
        await victim.kill()
        #expect(try await Support.exit(of: polite, within: 120) == .stopped)
        #expect(try await Support.output(of: polite).map(\.text).contains("GOT_TERM"))
        #expect(try await Support.exit(of: stubborn, within: 120) == .stopped, "killed after its grace period")
        #expect(try await Support.output(of: stubborn).map(\.text).contains("IGNORED"))
        #expect(try await Support.exit(of: victim, within: 120) == .stopped)
        #expect(try await Support.exit(of: plain, within: 120) == .stopped, "SIGTERM's default action ends a job without a handler")
        // A job that ended by itself keeps its own exit.
        let done = try await executor.start(Support.work("done", "exit 7"))
        #expect(try await Support.exit(of: done) == .exited(code: 7))
        await done.kill()
        #expect(await done.exit() == .exited(code: 7))
    }

    @Test("a restarted agent finds the running job, waits for its exit, and never runs it twice")
    func restartAdoption() async throws {
        let (first, state) = try Support.makeExecutor()
        defer { try? FileManager.default.removeItem(at: state) }
        // The job waits for the test's word (a file in its work folder), so that it is still
        // running when the second executor looks, however slow the machine.
        let work = Support.work("adopt", "echo run >> /work/runs; echo READY; while [ ! -e /work/go ]; do sleep 0.05; done; exit 4")
        let original = try await first.start(work)
        try await Support.waitForLine("READY", of: original)

        let (second, _) = try Support.makeExecutor(stateDirectory: state, uidBase: first.jobUIDBase)
        let found = try await second.runningJobs()
        let adopted = try #require(found["adopt"] as? SandboxJob)
        #expect(adopted.endedExit == nil, "found running")
        let again = try await second.start(work)
        #expect(again as? SandboxJob === adopted, "start of a running lease returns it")
        let go = state.appendingPathComponent("leases/adopt/work/go")
        #expect(FileManager.default.createFile(atPath: go.path, contents: nil, attributes: [.posixPermissions: 0o644]))
        #expect(try await Support.exit(of: adopted) == .exited(code: 4))
        #expect(try await Support.exit(of: original) == .exited(code: 4))
        let ended = try await second.start(work)
        #expect(await ended.exit() == .exited(code: 4), "start of an ended lease returns it, it does not run again")
        let third = try Support.makeExecutor(stateDirectory: state, uidBase: first.jobUIDBase).0
        let thirdJob = try await third.start(work)
        #expect(await thirdJob.exit() == .exited(code: 4))
        #expect(try await Support.output(of: thirdJob).map(\.text) == ["READY"], "output survives the restart")
        let runs = try String(contentsOf: state.appendingPathComponent("leases/adopt/work/runs"), encoding: .utf8)
        #expect(runs == "run\n", "the job ran exactly once")
    }

    @Test("a lease whose supervisor vanished while the agent was down is a node fault")
    func vanishedSupervisor() async throws {
        let (executor, state) = try Support.makeExecutor()
        defer { try? FileManager.default.removeItem(at: state) }
        let lease = state.appendingPathComponent("leases/ghost")
        try FileManager.default.createDirectory(at: lease, withIntermediateDirectories: true)
        try Data("999999 1\n".utf8).write(to: lease.appendingPathComponent("supervisor.pid"))
        let jobs = try await executor.runningJobs()
        let ghost = try #require(jobs["ghost"])
        #expect(await ghost.exit() == .nodeFault("the job's supervisor vanished while the agent was down"))
        #expect(try await ghost.output(from: 0, limit: 10).lines.isEmpty)
    }

    @Test("a job allocating twice its memory limit does not get it; one within the limit does")
    func memoryLimit() async throws {
        let (executor, state) = try Support.makeExecutor()
        defer { try? FileManager.default.removeItem(at: state) }
        let allocate = { (bytes: Int64) in
            "if command -v python3 >/dev/null; then python3 -c 'b = bytearray(\(bytes)); b[-1] = 1; print(\"ALLOCATED\")'; "
                + "else x=$(head -c \(bytes) /dev/zero | tr '\\0' a) && echo ALLOCATED; fi"
        }
        let greedy = try await executor.start(Support.work("greedy", allocate(2 << 30), memoryGiB: 1))
        let modest = try await executor.start(Support.work("modest", allocate(200 << 20), memoryGiB: 1))
        let greedyExit = try await Support.exit(of: greedy, within: 120)
        #expect(greedyExit != .exited(code: 0))
        #expect(!(try await Support.output(of: greedy)).map(\.text).contains("ALLOCATED"))
        #expect(try await Support.exit(of: modest, within: 120) == .exited(code: 0))
        #expect(try await Support.output(of: modest).map(\.text).contains("ALLOCATED"))
        if executor.cgroupParent == nil && geteuid() == 0 {
            // rlimits apply: the heap limit is the lease's memory, processes are bounded per lease uid.
            let limits = try await executor.start(Support.work("limits", "ulimit -d; ulimit -u; ulimit -c"))
            #expect(try await Support.exit(of: limits) == .exited(code: 0))
            #expect(try await Support.output(of: limits).map(\.text) == ["\(1 << 20)", "\(SandboxExecutor.maximumProcessesPerLease)", "0"])
        }
    }

    @Test("start is idempotent, cleanUp refuses a running lease and removes an ended one")
    func idempotentStartAndCleanUp() async throws {
        let (executor, state) = try Support.makeExecutor()
        defer { try? FileManager.default.removeItem(at: state) }
        let work = Support.work("once", "echo run >> /work/runs; echo READY; sleep 3600")
        let job = try await executor.start(work)
        try await Support.waitForLine("READY", of: job)
        #expect(try await executor.start(work) as? SandboxJob === job as? SandboxJob)
        await #expect(throws: ExecutorError.self) { try await executor.cleanUp(leaseID: "once") }
        await job.kill()
        let exit = try await Support.exit(of: job)
        #expect(exit == .stopped)
        try await executor.cleanUp(leaseID: "once")
        #expect(!FileManager.default.fileExists(atPath: state.appendingPathComponent("leases/once").path))
        #expect(try await executor.runningJobs().isEmpty)
        await #expect(throws: ExecutorError.self) { try await executor.cleanUp(leaseID: "../escape") }
        await #expect(throws: ExecutorError.self) { try await job.output(from: 0, limit: 10) }
    }

    @Test("a sandbox that cannot start is a node fault (refunded), not the job's failure")
    func sandboxFailureIsNodeFault() async throws {
        try Support.requireSandbox()
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("osg-sandbox-test-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: state) }
        var logger = Logger(label: "osg.sandbox.test")
        logger.logLevel = .warning
        let broken = SandboxExecutor(stateDirectory: state, bwrapPath: "/usr/bin/false", logger: logger)
        let job = try await broken.start(Support.work("broken", "echo never"))
        guard case .nodeFault(let reason) = try await Support.exit(of: job) else {
            Issue.record("not a node fault")
            return
        }
        #expect(reason.contains("did not run the job"))
        #expect(try await Support.output(of: job).isEmpty)
    }

    @Test("a state directory the lease uids cannot reach is refused, naming the directory and the fix", .enabled(if: geteuid() == 0))
    func unreachableStateDirectory() async throws {
        let locked = FileManager.default.temporaryDirectory.appendingPathComponent("osg-sandbox-locked-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: locked) }
        try FileManager.default.createDirectory(at: locked, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let (executor, _) = try Support.makeExecutor(stateDirectory: locked.appendingPathComponent("state"))
        let error = await #expect(throws: ExecutorError.self) { try await executor.start(Support.work("locked", "true")) }
        #expect(error?.code == "state_unusable")
        #expect(error?.message.contains(locked.path) == true)
        #expect(!FileManager.default.fileExists(atPath: locked.appendingPathComponent("state/leases/locked").path))
    }

    @Test("preflight passes on this host; a missing bubblewrap is named with the fix")
    func preflight() async throws {
        let (executor, state) = try Support.makeExecutor()
        defer { try? FileManager.default.removeItem(at: state) }
        try await executor.preflight()
        let missing = SandboxExecutor(stateDirectory: state, bwrapPath: "/nonexistent/bwrap", logger: Logger(label: "test"))
        let error = await #expect(throws: ExecutorError.self) { try await missing.preflight() }
        #expect(error?.code == "bubblewrap_missing")
        #expect(error?.message.contains("apt-get install bubblewrap") == true)
    }
}

/// Shared helpers of the sandbox tests: a fresh state directory and executor per test, bounded
/// waits, and the rule that on CI (`CI` set) a host without a working bubblewrap fails the tests
/// instead of skipping them.
enum SandboxTestSupport {
    /// Whether the sandbox tests run: bubblewrap works here, or we are on CI (where they must
    /// then fail, through ``requireSandbox()``).
    static let enabled: Bool = SandboxExecutor.isUsable || ProcessInfo.processInfo.environment["CI"] != nil

    /// Throws why the sandbox cannot run (bubblewrap missing or refused), naming CI.
    static func requireSandbox() throws {
        do {
            try SandboxExecutor.probe()
        } catch {
            throw ExecutorError("sandbox_unusable_on_ci", "CI is set but bubblewrap cannot run sandboxes here: \(error)")
        }
    }

    /// A new state directory and an executor on it (with a lease uid range of its own, so tests
    /// running side by side never share a uid). The caller removes the directory.
    static func makeExecutor(stateDirectory: URL? = nil, uidBase: UInt32? = nil) throws -> (SandboxExecutor, URL) {
        try requireSandbox()
        let directory = stateDirectory
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("osg-sandbox-test-\(UUID().uuidString)", isDirectory: true)
        var logger = Logger(label: "osg.sandbox.test")
        logger.logLevel = .warning
        let base = uidBase ?? (0x7100_0000 + UInt32.random(in: 0..<512) * SandboxExecutor.jobUIDCount)
        return (SandboxExecutor(stateDirectory: directory, jobUIDBase: base, logger: logger), directory)
    }

    static func work(
        _ leaseID: String, _ script: String, memoryGiB: Int = 1, networkAllowed: Bool = false, gpuIndices: [Int] = [],
        environment: [String: String] = [:], maxDurationSeconds: Int64 = 7200
    ) -> LeaseWork {
        LeaseWork(
            leaseID: leaseID, jobID: "job-\(leaseID)", jobName: "test", command: ["/bin/bash", "-c", script], cpuCores: 1,
            memoryGiB: memoryGiB, gpuIndices: gpuIndices, networkAllowed: networkAllowed, environment: environment,
            maxDurationSeconds: maxDurationSeconds
        )
    }

    struct Timeout: Error, CustomStringConvertible {
        var description: String
    }

    /// The job's exit, waiting at most `seconds`; past that the job is killed and this throws.
    static func exit(of job: any RunningJob, within seconds: Double = 120) async throws -> JobExit {
        let result = await withTaskGroup(of: JobExit?.self) { group in
            group.addTask { await job.exit() }
            group.addTask {
                try? await Task.sleep(for: .seconds(seconds))
                return nil
            }
            let first = await group.next() ?? nil
            if first == nil { await job.kill() }  // so that the exit() child returns
            group.cancelAll()
            return first
        }
        guard let result else { throw Timeout(description: "lease \(job.leaseID) did not end within \(seconds) s") }
        return result
    }

    /// Every output line the job wrote (it must have ended).
    static func output(of job: any RunningJob) async throws -> [OutputLine] {
        var lines: [OutputLine] = []
        var offset = 0
        for _ in 0..<100 {
            let page = try await job.output(from: offset, limit: 1000)
            lines += page.lines
            if page.lines.isEmpty { break }
            offset = page.next
        }
        return lines
    }

    /// Waits (polling every 20 ms, at most `seconds`) until the job printed `text` on a line.
    static func waitForLine(_ text: String, of job: any RunningJob, within seconds: Double = 120) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await output(of: job).contains(where: { $0.text == text }) { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw Timeout(description: "lease \(job.leaseID) did not print \(text.debugDescription) within \(seconds) s")
    }

    /// Pids of host processes whose command line contains `marker`.
    static func hostProcesses(containing marker: String) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> pid_t? in
            guard let pid = pid_t(entry), pid != getpid(),
                let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline")
            else { return nil }
            let text = String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
            return text.contains(marker) ? pid : nil
        }
    }

    /// A TCP listener on 127.0.0.1 (an ephemeral port); connections complete in its backlog.
    final class LoopbackListener: Sendable {
        let fd: Int32
        let port: UInt16

        init() throws {
            let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard socketFD >= 0 else { throw Timeout(description: "socket: \(errno)") }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = 0
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0, listen(socketFD, 16) == 0 else {
                close(socketFD)
                throw Timeout(description: "bind/listen: \(errno)")
            }
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socketFD, $0, &length) }
            }
            fd = socketFD
            port = UInt16(bigEndian: address.sin_port)
        }

        deinit { close(fd) }
    }
}
