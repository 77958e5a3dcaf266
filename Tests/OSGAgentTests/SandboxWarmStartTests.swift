import Foundation
import Logging
import Testing

@testable import OSGAgent

#if canImport(Glibc)
import Glibc
#endif

/// Leases started in warm sandboxes (built before their leases) against the real bubblewrap of
/// this host: the job gets exactly what a sandbox built for it gives, and a warm sandbox never
/// outlives the agent that let it go.
@Suite("Sandbox executor: warm sandboxes", .enabled(if: SandboxTestSupport.enabled))
struct SandboxWarmStartTests {
    typealias Support = SandboxTestSupport

    /// An executor keeping `shapes` warm, once all of them are ready (at most 60 s).
    static func warmExecutor(_ shapes: [WarmLeaseShape], stateDirectory: URL? = nil, uidBase: UInt32? = nil) async throws -> (SandboxExecutor, URL) {
        let (executor, state) = try Support.makeExecutor(stateDirectory: stateDirectory, uidBase: uidBase)
        await executor.keepWarm(shapes)
        try await waitUntil("\(shapes.count) warm sandboxes ready") { executor.warmSandboxCount() == shapes.count }
        return (executor, state)
    }

    static func waitUntil(_ what: String, within seconds: Double = 60, _ condition: () -> Bool) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while !condition() {
            guard Date() < deadline else { throw Support.Timeout(description: "not within \(seconds) s: \(what)") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    static let shape = WarmLeaseShape(gpuIndex: 0, memoryGiB: 1)

    @Test("a lease of a kept shape starts in the ready sandbox: its own environment only, its uid, only stdio, its exit code; a new one is built after")
    func runsInWarmSandbox() async throws {
        let (executor, state) = try await Self.warmExecutor([Self.shape])
        defer { try? FileManager.default.removeItem(at: state) }
        let slots = try FileManager.default.contentsOfDirectory(atPath: executor.warmDirectory.path)
        #expect(slots.count == 1)
        let job = try await executor.start(
            Support.work("env", "id -u; env | sort; touch /work/owned; ls /proc/$$/fd > /work/fds; echo FDS $(sort -n /work/fds | tr '\\n' ' '); exit 3",
                         gpuIndices: [0], environment: ["MODEL": "small", "SPACES": "a b  c", "EMPTY": ""]))
        #expect(executor.warmSandboxCount() == 0 && executor.warmStartCount == 1, "the lease took the ready sandbox")
        #expect(!FileManager.default.fileExists(atPath: executor.warmDirectory.appendingPathComponent(slots[0]).path), "its slot became the lease's directory")
        #expect(try await Support.exit(of: job) == .exited(code: 3))
        let lines = try await Support.output(of: job).map(\.text)
        #expect(lines.first == "1000")
        #expect(lines.contains("CUDA_VISIBLE_DEVICES=0"))
        #expect(lines.contains("OSG_LEASE_ID=env"))
        #expect(lines.contains("MODEL=small"))
        #expect(lines.contains("SPACES=a b  c"))
        #expect(lines.contains("EMPTY="))
        let names = Set(lines.dropFirst().filter { $0.contains("=") && !$0.hasPrefix("FDS") }.map { String($0.prefix { $0 != "=" }) })
        #expect(
            names == [
                "PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "TMPDIR", "CUDA_VISIBLE_DEVICES", "OSG_LEASE_ID", "OSG_JOB_ID",
                "OSG_RANK", "OSG_WORLD_SIZE", "MODEL", "SPACES", "EMPTY", "PWD", "SHLVL", "_",
            ], "exactly the lease's variables and bash's own, as in a sandbox built for the lease"
        )
        #expect(lines.contains("FDS 0 1 2"), "no descriptor of the agent, the supervisor or the launcher reaches the job")
        var info = stat()
        #expect(stat(state.appendingPathComponent("leases/env/work/owned").path, &info) == 0)
        #expect(info.st_uid != 0, "the job's files belong to the lease's uid on the host, not root")

        #expect(executor.warmSandboxCount() == 0, "no sandbox is built while the GPU's lease is there")
        let firstSandbox = SandboxFiles.readText(state.appendingPathComponent("leases/env/sandbox.pid"))
        try await executor.cleanUp(leaseID: "env")
        try await Self.waitUntil("a new warm sandbox after the clean-up") { executor.warmSandboxCount() == 1 }
        let again = try await executor.start(Support.work("again", "echo second", gpuIndices: [0]))
        #expect(try await Support.exit(of: again) == .exited(code: 0))
        #expect(try await Support.output(of: again).map(\.text) == ["second"])
        #expect(
            SandboxFiles.readText(state.appendingPathComponent("leases/again/sandbox.pid")) != nil
                && SandboxFiles.readText(state.appendingPathComponent("leases/again/sandbox.pid")) != firstSandbox, "a new sandbox")
        await executor.keepWarm([])
    }

    @Test("a job in a warm sandbox cannot read the agent's files or its sandbox's settings, and writes only its work directory and /tmp")
    func isolated() async throws {
        let (executor, state) = try await Self.warmExecutor([Self.shape])
        defer { try? FileManager.default.removeItem(at: state) }
        let secret = "SECRET-\(UUID().uuidString)"
        try Data(secret.utf8).write(to: state.appendingPathComponent("agent.key"))
        let targets = ["/usr/osg-probe", "/etc/osg-probe", "/osg-probe", "/dev/osg-probe", state.appendingPathComponent("osg-probe").path]
        let script = """
            cat \(state.appendingPathComponent("agent.key").path) && echo READ1
            cat ../bwrap.args ../uid 2>/dev/null && echo READ2
            grep -rls \(secret) /etc /work /tmp /dev/shm /run /var /home /root 2>/dev/null
            \(targets.map { "touch \($0) 2>/dev/null && echo WROTE \($0)" }.joined(separator: "; "))
            echo data > /work/result && echo WORK_OK; echo tmp > /tmp/t && echo TMP_OK
            echo LAUNCHERS $(ps -e -o args= | grep -c '^/bin/bash --norc --noprofile -c'); exit 0
            """
        let job = try await executor.start(Support.work("reader", script, gpuIndices: [0]))
        #expect(executor.warmSandboxCount() == 0)
        #expect(try await Support.exit(of: job) == .exited(code: 0))
        let lines = try await Support.output(of: job).map(\.text)
        #expect(!lines.contains("READ1") && !lines.contains("READ2"))
        #expect(!lines.contains { $0.contains(secret) })
        #expect(!lines.contains { $0.hasPrefix("WROTE") })
        #expect(lines.contains("WORK_OK") && lines.contains("TMP_OK"))
        #expect(lines.contains("LAUNCHERS 0"), "the launcher became the job: nothing of it is left in the sandbox")
        for target in targets { #expect(!FileManager.default.fileExists(atPath: target)) }
        await executor.keepWarm([])
    }

    @Test("a job in a warm sandbox has its lease's limits and stops: heap and /tmp of its memory, killed at maxDurationSeconds, SIGTERM on terminate, a daemon dies with it")
    func limitsAndStops() async throws {
        let shapes = [WarmLeaseShape(gpuIndex: 0, memoryGiB: 1), WarmLeaseShape(gpuIndex: 1, memoryGiB: 1), WarmLeaseShape(gpuIndex: 2, memoryGiB: 1)]
        let (executor, state) = try await Self.warmExecutor(shapes)
        defer { try? FileManager.default.removeItem(at: state) }
        let marker = "1000.\(UInt32.random(in: 100_000...999_999))"
        let slow = try await executor.start(Support.work("slow", "sleep 100", gpuIndices: [0], maxDurationSeconds: 1))
        let polite = try await executor.start(Support.work("polite", "trap 'echo GOT_TERM; exit 0' TERM; echo READY; while :; do sleep 0.05; done", gpuIndices: [1]))
        let limits = try await executor.start(
            Support.work("limits", "ulimit -d; df -k /tmp | tail -1 | awk '{print $2}'; setsid sleep \(marker) </dev/null >/dev/null 2>&1 & exit 0", gpuIndices: [2]))
        #expect(executor.warmSandboxCount() == 0, "all three started warm")
        #expect(try await Support.exit(of: slow, within: 120) == .timedOut)
        try await Support.waitForLine("READY", of: polite)
        await polite.terminate(graceSeconds: 20)
        #expect(try await Support.exit(of: polite, within: 120) == .stopped)
        #expect(try await Support.output(of: polite).map(\.text).contains("GOT_TERM"))
        #expect(try await Support.exit(of: limits) == .exited(code: 0))
        let figures = try await Support.output(of: limits).map(\.text)
        if executor.cgroupParent == nil && geteuid() == 0 { #expect(figures.first == "\(1 << 20)", "the heap limit is the lease's memory") }
        #expect(figures.last == "\(1 << 20)", "/tmp holds the lease's memory")
        var survivors = Support.hostProcesses(containing: marker)
        for _ in 0..<100 where !survivors.isEmpty {
            try await Task.sleep(for: .milliseconds(20))
            survivors = Support.hostProcesses(containing: marker)
        }
        #expect(survivors.isEmpty, "host processes still running `sleep \(marker)`: \(survivors)")
        await executor.keepWarm([])
    }

    @Test("a lease of another shape starts in a sandbox built for it and leaves the ready one; a missing program is the job's exit 127")
    func otherShapesStartCold() async throws {
        let (executor, state) = try await Self.warmExecutor([Self.shape])
        defer { try? FileManager.default.removeItem(at: state) }
        let listener = try Support.LoopbackListener()
        let network = try await executor.start(
            Support.work("network", "exec 3<>/dev/tcp/127.0.0.1/\(listener.port) && echo CONNECTED", networkAllowed: true, gpuIndices: [0]))
        let twoGPUs = try await executor.start(Support.work("two", "echo $CUDA_VISIBLE_DEVICES", gpuIndices: [0, 1]))
        let bigger = try await executor.start(Support.work("bigger", "df -k /tmp | tail -1 | awk '{print $2}'", memoryGiB: 2, gpuIndices: [0]))
        #expect(executor.warmSandboxCount() == 1 && executor.warmStartCount == 0, "none of them took the ready sandbox")
        #expect(try await Support.exit(of: network) == .exited(code: 0))
        #expect(try await Support.output(of: network).map(\.text).contains("CONNECTED"))
        #expect(try await Support.exit(of: twoGPUs) == .exited(code: 0))
        #expect(try await Support.output(of: twoGPUs).map(\.text) == ["0,1"])
        #expect(try await Support.exit(of: bigger) == .exited(code: 0))
        #expect(try await Support.output(of: bigger).map(\.text) == ["\(2 << 20)"])

        var missing = Support.work("missing", "unused", gpuIndices: [0])
        missing.command = ["/nonexistent/program", "arg"]
        let job = try await executor.start(missing)
        #expect(executor.warmSandboxCount() == 0)
        #expect(try await Support.exit(of: job) == .exited(code: 127))
        #expect(try await Support.output(of: job).contains { $0.stream == .stderr && $0.text.contains("/nonexistent/program") })
        await executor.keepWarm([])
    }

    @Test("a warm sandbox that died is not used: its lease starts in a sandbox built for it")
    func deadSandboxIsSkipped() async throws {
        let (executor, state) = try await Self.warmExecutor([Self.shape])
        defer { try? FileManager.default.removeItem(at: state) }
        let slot = try #require(try FileManager.default.contentsOfDirectory(atPath: executor.warmDirectory.path).first)
        let status = try #require(SandboxFiles.readText(executor.warmDirectory.appendingPathComponent("\(slot)/sandbox.json")))
        let initPID = try #require(status.split(separator: ",").first { $0.contains("child-pid") }.flatMap { pid_t($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) })
        #expect(kill(initPID, SIGKILL) == 0, "the sandbox's init (its launcher dies with it)")
        try await Task.sleep(for: .milliseconds(200))
        let job = try await executor.start(Support.work("after", "echo $OSG_LEASE_ID", gpuIndices: [0]))
        #expect(try await Support.exit(of: job) == .exited(code: 0))
        #expect(try await Support.output(of: job).map(\.text) == ["after"])
        try await Self.waitUntil("the dead sandbox let go and its files removed") {
            !FileManager.default.fileExists(atPath: executor.warmDirectory.appendingPathComponent(slot).path)
        }
        await executor.keepWarm([])
    }

    @Test("an executor told to keep no warm sandbox builds none, and its one-GPU leases start as before")
    func turnedOff() async throws {
        let (base, state) = try Support.makeExecutor()
        defer { try? FileManager.default.removeItem(at: state) }
        var logger = Logger(label: "osg.sandbox.test")
        logger.logLevel = .warning
        let executor = SandboxExecutor(stateDirectory: state, jobUIDBase: base.jobUIDBase, keepsWarmSandboxes: false, logger: logger)
        await executor.keepWarm([Self.shape])
        let job = try await executor.start(Support.work("cold", "echo cold", gpuIndices: [0]))
        #expect(try await Support.exit(of: job) == .exited(code: 0))
        #expect(executor.warmSandboxCount() == 0)
        #expect(!FileManager.default.fileExists(atPath: executor.warmDirectory.path), "nothing was built")
    }

    @Test("letting the warm sandboxes go ends them and removes their files; a restarted agent finds a warm lease and removes an earlier agent's ready sandboxes")
    func letGoAndRestart() async throws {
        let (first, state) = try await Self.warmExecutor([Self.shape, WarmLeaseShape(gpuIndex: 1, memoryGiB: 1)])
        defer { try? FileManager.default.removeItem(at: state) }
        let work = Support.work("adopt", "echo run >> /work/runs; echo READY; while [ ! -e /work/go ]; do sleep 0.05; done; exit 4", gpuIndices: [0])
        let original = try await first.start(work)
        try await Support.waitForLine("READY", of: original)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: first.warmDirectory.path)
        #expect(leftovers.count == 1, "GPU 1's sandbox is still ready")
        let leftover = SandboxLeaseDirectory(slotRoot: first.warmDirectory.appendingPathComponent(leftovers[0]))
        let sandbox = try #require(SandboxFiles.readText(leftover.sandboxPID).flatMap(SandboxProcessIdentity.init(line:)))

        // The agent restarts on the same state directory (the first one's process lingers here).
        let (second, _) = try await Self.warmExecutor([WarmLeaseShape(gpuIndex: 1, memoryGiB: 1)], stateDirectory: state, uidBase: first.jobUIDBase)
        try await Self.waitUntil("the earlier agent's sandbox ended") { !sandbox.isAlive }
        #expect(!FileManager.default.fileExists(atPath: leftover.root.path))
        let adopted = try #require(try await second.runningJobs()["adopt"] as? SandboxJob)
        #expect(adopted.endedExit == nil, "found running")
        #expect(FileManager.default.createFile(atPath: state.appendingPathComponent("leases/adopt/work/go").path, contents: nil, attributes: [.posixPermissions: 0o644]))
        #expect(try await Support.exit(of: adopted) == .exited(code: 4))
        #expect(try String(contentsOf: state.appendingPathComponent("leases/adopt/work/runs"), encoding: .utf8) == "run\n")

        let ready = try FileManager.default.contentsOfDirectory(atPath: second.warmDirectory.path)
        #expect(ready.count == 1)
        let own = SandboxLeaseDirectory(slotRoot: second.warmDirectory.appendingPathComponent(ready[0]))
        let ownSandbox = try #require(SandboxFiles.readText(own.sandboxPID).flatMap(SandboxProcessIdentity.init(line:)))
        await second.keepWarm([])
        #expect(second.warmSandboxCount() == 0)
        try await Self.waitUntil("the ready sandbox ended and its files are gone") { !ownSandbox.isAlive && !FileManager.default.fileExists(atPath: own.root.path) }
        await first.keepWarm([])
    }
}

/// The warm pool's bookkeeping and the shapes a lease has, without a sandbox.
@Suite("Warm sandboxes: shapes and bookkeeping")
struct SandboxWarmPoolTests {
    @Test("a lease has a shape only when a sandbox built ahead can run it as asked")
    func shapes() {
        let base = LeaseWork(leaseID: "l", jobID: "j", jobName: "n", command: ["/bin/sh", "-c", "true"], cpuCores: 2, memoryGiB: 4, gpuIndices: [3], maxDurationSeconds: 60)
        #expect(WarmLeaseShape(of: base) == WarmLeaseShape(gpuIndex: 3, memoryGiB: 4))
        var named = base
        named.environment = ["MODEL": "x", "_private": "y", "CUDA_CACHE_PATH": "/work/c"]
        #expect(WarmLeaseShape(of: named) != nil, "ordinary names qualify")
        var changed: [LeaseWork] = []
        for change in [
            { (w: inout LeaseWork) in w.image = "busybox" }, { $0.networkAllowed = true }, { $0.gpuIndices = [] }, { $0.gpuIndices = [1, 2] },
            { $0.command = ["A=1", "true"] }, { $0.inputs = [StagedInput(path: "x", file: "/tmp/x")] }, { $0.secretNames = ["token"] },
            { $0.secrets = [LeaseSecret(name: "t", value: [1])] }, { $0.contents = "c0ffee" }, { $0.command = [] }, { $0.gpuIndices = [64] },
            { $0.environment = ["-C": "/"] }, { $0.environment = ["A.B": "1"] }, { $0.environment = ["PWD": "/x"] },
            { $0.environment = ["BASH_ENV": "/x"] }, { $0.environment = ["SHLVL": "3"] }, { $0.environment = ["9A": "1"] },
        ] as [(inout LeaseWork) -> Void] {
            var work = base
            change(&work)
            changed.append(work)
        }
        for work in changed { #expect(WarmLeaseShape(of: work) == nil, "\(work)") }
        #expect(
            WarmLeaseShape.evenShares(of: [(memoryGiB: 64, gpus: 8, gpuIndices: [0, 1]), (memoryGiB: 4, gpus: 8, gpuIndices: [0]), (memoryGiB: 10, gpus: 0, gpuIndices: [])])
                == [WarmLeaseShape(gpuIndex: 0, memoryGiB: 8), WarmLeaseShape(gpuIndex: 1, memoryGiB: 8)])
    }

    @Test("the go message: the line, then the variable count, the variables and the command, each NUL-terminated")
    func goMessage() {
        let bytes = SandboxSupervisorScript.goMessage(maxDurationSeconds: 90, cpuCores: 2, environment: [("A", "1 2"), ("B", "")], command: ["/bin/echo", "x y"])
        #expect(bytes == Array("go 90 2 5\n2\u{0}A=1 2\u{0}B=\u{0}/bin/echo\u{0}x y\u{0}".utf8), "the field count guards against a message cut short")
    }

    @Test("slots are built up to each shape's target less its leases, taken oldest first, and built again once a lease is cleaned up")
    func bookkeeping() throws {
        var pool = SandboxWarmPool()
        let a = WarmLeaseShape(gpuIndex: 0, memoryGiB: 1), b = WarmLeaseShape(gpuIndex: 1, memoryGiB: 1)
        #expect(pool.setTargets([a, b, b]).isEmpty)
        let order = (0..<4).map { _ in pool.nextToBuild() }
        #expect(order == [a, b, b, nil], "the lowest lacking shape first, until all are being built")
        let slots = [a, b, b].map { Self.slot($0) }
        for slot in slots {
            let kept = pool.built(slot)
            #expect(kept)
        }
        #expect(pool.readyCount() == 3 && pool.readyCount(of: b) == 2)
        let taken = pool.take(b)
        #expect(taken === slots[1], "oldest first")
        pool.leaseStarted("lease-1", shape: b)
        let none = pool.nextToBuild()
        #expect(none == nil, "the lease holds its GPU: nothing to build")
        let cleaned = pool.leaseCleanedUp("lease-1"), again = pool.leaseCleanedUp("lease-1")
        #expect(cleaned && !again)
        let rebuilt = pool.nextToBuild()
        #expect(rebuilt == b, "built again once the lease is gone")
        let unwanted = pool.setTargets([a])
        #expect(unwanted.count == 1 && unwanted[0] === slots[2])
        let kept = pool.built(Self.slot(b))
        #expect(!kept, "a slot built for a shape no longer wanted is not kept")
        let all = pool.removeAllReady()
        #expect(all.map(\.shape) == [a] && pool.readyCount() == 0)
    }

    static func slot(_ shape: WarmLeaseShape) -> SandboxWarmSlot {
        SandboxWarmSlot(
            shape: shape, root: URL(fileURLWithPath: "/nonexistent"), uid: nil, supervisor: SandboxProcessIdentity(pid: 2, startTime: 0), cgroup: nil,
            control: -1, started: -1)
    }
}
