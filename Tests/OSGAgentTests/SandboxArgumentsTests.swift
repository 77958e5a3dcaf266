import Foundation
import Logging
import Testing

@testable import OSGAgent

/// The sandbox's pure parts, without running bubblewrap: the command line it builds, the lease
/// ids it accepts as directory names, the statuses it reads back, and what it refuses to start.
@Suite("Sandbox arguments and validation")
struct SandboxArgumentsTests {
    static let layout = SandboxHostLayout(
        systemDirectories: [("usr", nil), ("bin", "usr/bin"), ("lib", "usr/lib")],
        existingPaths: [
            "/etc/ld.so.cache", "/etc/ssl/certs", "/etc/resolv.conf", "/etc/hosts", "/dev/nvidiactl", "/dev/nvidia-uvm",
            "/dev/nvidia0", "/dev/nvidia1", "/dev/nvidia2", "/dev/nvidia3",
        ]
    )

    static func work(gpus: [Int] = [], network: Bool = false, environment: [String: String] = [:]) -> LeaseWork {
        LeaseWork(
            leaseID: "lease-1", jobID: "job-1", jobName: "train", command: ["python3", "train.py"], cpuCores: 2, memoryGiB: 4,
            gpuIndices: gpus, networkAllowed: network, environment: environment, maxDurationSeconds: 60, rank: 1, worldSize: 2
        )
    }

    static func arguments(_ work: LeaseWork, root: SandboxRootFilesystem = .host) -> SandboxArguments {
        SandboxArguments(work: work, workDirectory: "/state/leases/lease-1/work", root: root, layout: layout, tmpfsBytes: 1 << 30)
    }

    /// `flag` followed by `values` somewhere in `options`.
    static func contains(_ options: [String], _ sequence: [String]) -> Bool {
        guard options.count >= sequence.count else { return false }
        return (0...(options.count - sequence.count)).contains { Array(options[$0..<$0 + sequence.count]) == sequence }
    }

    @Test("without network: all namespaces unshared, no --share-net, no host resolver files, a private /etc/hosts")
    func noNetwork() {
        let options = Self.arguments(Self.work()).options
        #expect(options.contains("--unshare-all") && options.contains("--unshare-user") && options.contains("--disable-userns"))
        #expect(!options.contains("--share-net"))
        #expect(!options.contains("/etc/resolv.conf"))
        #expect(Self.contains(options, ["--ro-bind-data", "\(SandboxArguments.hostsFD)", "/etc/hosts"]))
        #expect(Self.contains(options, ["--die-with-parent"]) && Self.contains(options, ["--new-session"]))
        #expect(Self.contains(options, ["--uid", "1000", "--gid", "1000"]))
    }

    @Test("with network: --share-net and the host's resolver files")
    func network() {
        let options = Self.arguments(Self.work(network: true)).options
        #expect(options.contains("--share-net"))
        #expect(Self.contains(options, ["--ro-bind", "/etc/resolv.conf", "/etc/resolv.conf"]))
        #expect(Self.contains(options, ["--ro-bind", "/etc/hosts", "/etc/hosts"]))
    }

    @Test("the host's system read-only, merged-/usr symlinks as symlinks, a minimal /etc, the work directory writable")
    func mounts() {
        let options = Self.arguments(Self.work()).options
        #expect(Self.contains(options, ["--ro-bind", "/usr", "/usr"]))
        #expect(Self.contains(options, ["--symlink", "usr/bin", "/bin"]))
        #expect(Self.contains(options, ["--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"]))
        #expect(!options.contains("/etc/alternatives"), "absent on this layout, so not bound")
        #expect(!Self.contains(options, ["--ro-bind", "/etc", "/etc"]), "never the whole /etc")
        #expect(Self.contains(options, ["--bind", "/state/leases/lease-1/work", "/work"]))
        #expect(Self.contains(options, ["--chdir", "/work"]))
        #expect(Self.contains(options, ["--size", "\(1 << 30)", "--tmpfs", "/tmp"]))
        #expect(Array(options.suffix(2)) == ["--remount-ro", "/"], "the root tmpfs is made read-only last")
        let rootfs = Self.arguments(Self.work(), root: .directory(URL(fileURLWithPath: "/images/abc/rootfs"))).options
        #expect(Self.contains(rootfs, ["--ro-bind", "/images/abc/rootfs", "/"]))
        #expect(!rootfs.contains("/usr"))
    }

    @Test("only the leased GPUs' device nodes (and NVIDIA's shared ones) are bound; none without GPUs")
    func gpuDevices() {
        let options = Self.arguments(Self.work(gpus: [1, 3, 7])).options
        #expect(Self.contains(options, ["--dev-bind", "/dev/nvidia1", "/dev/nvidia1"]))
        #expect(Self.contains(options, ["--dev-bind", "/dev/nvidia3", "/dev/nvidia3"]))
        #expect(Self.contains(options, ["--dev-bind", "/dev/nvidiactl", "/dev/nvidiactl"]))
        #expect(Self.contains(options, ["--dev-bind", "/dev/nvidia-uvm", "/dev/nvidia-uvm"]))
        #expect(!options.contains("/dev/nvidia0") && !options.contains("/dev/nvidia2"))
        #expect(!options.contains("/dev/nvidia7"), "absent on this host")
        #expect(!Self.arguments(Self.work()).options.contains("--dev-bind"))
    }

    @Test("the environment: a minimal base, the spec's variables, and the lease's facts, which the spec cannot override")
    func environment() {
        let work = Self.work(gpus: [1, 3], environment: ["OSG_LEASE_ID": "forged", "HOME": "/work/home", "SEED": "7"])
        let environment = Dictionary(uniqueKeysWithValues: SandboxArguments.environment(for: work).map { ($0.name, $0.value) })
        #expect(environment["CUDA_VISIBLE_DEVICES"] == "1,3")
        #expect(environment["OSG_LEASE_ID"] == "lease-1")
        #expect(environment["OSG_JOB_ID"] == "job-1")
        #expect(environment["OSG_RANK"] == "1" && environment["OSG_WORLD_SIZE"] == "2")
        #expect(environment["HOME"] == "/work/home" && environment["SEED"] == "7")
        #expect(environment["PATH"]?.contains("/usr/bin") == true)
        #expect(Set(environment.keys) == ["PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "TMPDIR", "CUDA_VISIBLE_DEVICES", "OSG_LEASE_ID", "OSG_JOB_ID", "OSG_RANK", "OSG_WORLD_SIZE", "SEED"])
        #expect(SandboxArguments.environment(for: Self.work())["CUDA_VISIBLE_DEVICES"] == "", "no GPUs: none visible")
        let options = Self.arguments(work).options
        #expect(Self.contains(options, ["--clearenv"]) && Self.contains(options, ["--setenv", "SEED", "7"]))
    }

    @Test("lease ids that could escape the leases directory are refused", arguments: [
        "", ".", "..", "../x", "a/b", "/abs", "a\0b", "x y", "lease\n", String(repeating: "a", count: 129),
    ])
    func badLeaseIDs(_ id: String) {
        #expect(throws: ExecutorError.self) { try SandboxLeaseDirectory.validate(leaseID: id) }
    }

    @Test("ordinary lease ids are accepted", arguments: ["lease-1", "L_2.b", "0", String(repeating: "a", count: 128)])
    func goodLeaseIDs(_ id: String) throws {
        try SandboxLeaseDirectory.validate(leaseID: id)
    }

    @Test("status lines read back as job exits", arguments: [
        ("exited 0", JobExit.exited(code: 0)), ("exited 3\n", .exited(code: 3)), ("signalled 11", .signalled(signal: 11)),
        ("oom", .outOfMemory), ("timedout", .timedOut), ("stopped", .stopped), ("fault no bwrap", .nodeFault("no bwrap")),
    ])
    func statuses(_ line: String, _ exit: JobExit) {
        #expect(SandboxExitStatus.parse(line) == exit)
    }

    @Test("an unreadable status line is a node fault naming it")
    func badStatus() {
        guard case .nodeFault(let message) = SandboxExitStatus.parse("exited lots") else {
            Issue.record("not a node fault")
            return
        }
        #expect(message.contains("exited lots"))
    }

    @Test("work the sandbox cannot run is refused before anything is fetched or written; nothing is left behind")
    func refusedWork() async throws {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("osg-sandbox-refuse-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: state) }
        let executor = SandboxExecutor(stateDirectory: state, logger: Logger(label: "test"))
        var image = Self.work()
        image.image = "ghcr.io/org/trainer:1.2"
        image.cpuCores = 0
        let error = await #expect(throws: ExecutorError.self) { try await executor.start(image) }
        #expect(error?.code == "invalid_work", "checked before the image is fetched")
        #expect(!FileManager.default.fileExists(atPath: state.appendingPathComponent("images").path))
        var empty = Self.work()
        empty.command = []
        let invalid = await #expect(throws: ExecutorError.self) { try await executor.start(empty) }
        #expect(invalid?.code == "invalid_work")
        var nul = Self.work()
        nul.environment = ["A": "x\0y"]
        await #expect(throws: ExecutorError.self) { try await executor.start(nul) }
        var escape = Self.work()
        escape.leaseID = "../../etc"
        let bad = await #expect(throws: ExecutorError.self) { try await executor.start(escape) }
        #expect(bad?.code == "invalid_lease_id")
        #expect(try await executor.runningJobs().isEmpty)
    }

    @Test("with an image: its root read-only at /, not the host's system or /etc files; its WorkingDir; its Env under the spec's")
    func image() {
        let configuration = OCIImageConfiguration(
            environment: ["PATH=/opt/conda/bin:/usr/bin", "SEED=image", "LANG=en_US.UTF-8", "OSG_RANK=9"], workingDirectory: "/app"
        )
        let root = SandboxRootFilesystem.directory(URL(fileURLWithPath: "/state/images/images/sha256-ab/rootfs"))
        let work = Self.work(network: true, environment: ["SEED": "spec"])
        let arguments = SandboxArguments(
            work: work, workDirectory: "/state/leases/lease-1/work", root: root, layout: Self.layout, tmpfsBytes: 1 << 30, image: configuration
        )
        let options = arguments.options
        #expect(Self.contains(options, ["--ro-bind", "/state/images/images/sha256-ab/rootfs", "/"]))
        #expect(!options.contains("/usr") && !options.contains("/etc/ld.so.cache") && !options.contains("/etc/ssl/certs"))
        #expect(Self.contains(options, ["--ro-bind", "/etc/resolv.conf", "/etc/resolv.conf"]), "the node's name servers, with network")
        #expect(!options.contains("/etc/nsswitch.conf"))
        #expect(Self.contains(options, ["--ro-bind-data", "\(SandboxArguments.passwdFD)", "/etc/passwd"]))
        #expect(Self.contains(options, ["--bind", "/state/leases/lease-1/work", "/work"]))
        #expect(Self.contains(options, ["--chdir", "/app"]))
        #expect(Array(options.suffix(2)) == ["--remount-ro", "/"])
        let environment = arguments.environment
        #expect(environment["PATH"] == "/opt/conda/bin:/usr/bin", "the image's PATH")
        #expect(environment["LANG"] == "en_US.UTF-8")
        #expect(environment["SEED"] == "spec", "the spec's variables win over the image's")
        #expect(environment["OSG_RANK"] == "1", "the lease's facts win over everything")
        #expect(environment["HOME"] == "/work")
        let noDirectory = SandboxArguments(
            work: Self.work(), workDirectory: "/state/leases/lease-1/work", root: root, layout: Self.layout, tmpfsBytes: 1 << 30,
            image: OCIImageConfiguration()
        )
        #expect(Self.contains(noDirectory.options, ["--chdir", "/work"]), "no WorkingDir: the work directory")
        #expect(!noDirectory.options.contains("/etc/resolv.conf"), "no network: no resolver")
    }

    @Test("one supervisor script for every lease: the lease's figures are its arguments, in the order it reads them")
    func supervisorArguments() {
        let script = SandboxSupervisorScript(
            leaseDirectory: "/state/leases/a b", sharedDirectory: "/state/shared", bwrapPath: "/usr/bin/bwrap", jobUID: 1_879_048_200,
            maxDurationSeconds: 60, memoryBytes: 1 << 30, cpuCores: 2, pidsMax: 4096, limits: .cgroup(path: "/sys/fs/cgroup/osg/x"))
        #expect(
            script.runArguments == [
                "run", "/state/leases/a b", "/state/shared", "/usr/bin/bwrap", "60", "1073741824", "2", "4096", "/sys/fs/cgroup/osg/x", "1879048200",
            ])
        var rlimits = script
        (rlimits.jobUID, rlimits.limits) = (nil, .rlimits)
        #expect(rlimits.runArguments.suffix(2) == ["", ""], "no cgroup, no uid of its own: empty arguments, not missing ones")
        #expect(SandboxSupervisorScript.text.contains("shared_dir=$3 bwrap=$4 max_seconds=$5 memory_bytes=$6 cpu_cores=$7 pids_max=$8 cgroup=$9 job_uid=${10}"))
        #expect(SandboxSupervisorScript.killAfterArguments(leaseDirectory: "/l", seconds: -3) == ["kill-after", "/l", "0"])
        #expect(SandboxSupervisorScript.fileName.hasPrefix("supervisor-") && SandboxSupervisorScript.fileName.count == "supervisor-".count + 16 + 3)
    }
}

extension Array where Element == (name: String, value: String) {
    fileprivate subscript(name: String) -> String? { first { $0.name == name }?.value }
}
